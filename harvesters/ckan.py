"""CKAN portals through the action API: ``package_search`` paged with ``rows``/``start``.

URL: the portal's base URL (``https://data.city.example``). The first run (and ``--full``) lists every
public package, so packages that disappeared are found by id comparison and withdrawn; later runs ask
only for packages whose ``metadata_modified`` is at or after the bookmark (the newest seen so far) and
withdraw nothing. Private and deleted packages are never harvested (and so are withdrawn if they were
public before). Fields map through :data:`FIELDS`: core CKAN fields first, then the conventions of
ckanext-dcat (scheming fields and legacy ``dcat_*`` extras) and ckanext-datajson (``public_access_level``,
``bureau_code``, ``contact_email``...). organization → publisher, resources → distributions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

import orjson

from harvesters.base import Harvester, HarvestItem, HarvestRun, HarvestState, OptionSpec, SkippedRecord
from harvesters.errors import PagingError, ParseError
from harvesters.http import JSON_PAGE_FACTOR
from harvesters.paging import OffsetPaginator
from harvesters.records import Record, as_text, dict_record, first_text, is_http, text_list
from mappings.dcatus import geometry_bbox

SEARCH_PATH = "/api/3/action/package_search"
DEFAULT_ROWS = 100

# CKAN licence ids → licence URLs (the ids CKAN ships with, as opendefinition.org lists them)
LICENSES: dict[str, str] = {
    "cc-by": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-zero": "https://creativecommons.org/publicdomain/zero/1.0/",
    "cc-nc": "https://creativecommons.org/licenses/by-nc/4.0/",
    "odc-odbl": "https://opendatacommons.org/licenses/odbl/1-0/",
    "odc-by": "https://opendatacommons.org/licenses/by/1-0/",
    "odc-pddl": "https://opendatacommons.org/licenses/pddl/1-0/",
    "gfdl": "https://www.gnu.org/licenses/fdl-1.3.html",
    "uk-ogl": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "us-pd": "https://www.usa.gov/government-works",
}

# Formats whose resource URL is the file itself (downloadURL); anything else is an accessURL.
FILE_FORMATS = frozenset(
    "csv tsv json geojson xml xls xlsx zip pdf kml kmz shp txt rdf ttl jsonld parquet gpkg doc docx ods odt".split()
)


def _package(pkg: Mapping[str, Any], name: str) -> Any:
    """A package field: top level (scheming, ckanext-datajson) or an extra (legacy key/value extras)."""
    value = pkg.get(name)
    if value not in (None, "", []):
        return value
    for extra in pkg.get("extras") or []:
        if isinstance(extra, Mapping) and extra.get("key") == name:
            return extra.get("value")
    return None


def _any(*names: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda pkg: first_text(*(_package(pkg, n) for n in names))


def _publisher(pkg: Mapping[str, Any]) -> Any:
    org = pkg.get("organization")
    name = first_text(org.get("title"), org.get("name")) if isinstance(org, Mapping) else None
    scheming = _package(pkg, "publisher")
    if not name and isinstance(scheming, list) and scheming and isinstance(scheming[0], Mapping):
        name = as_text(scheming[0].get("name"))
    name = name or first_text(scheming, _package(pkg, "publisher_name"), _package(pkg, "responsible-party"))
    return {"name": name} if name else None


def _contact(pkg: Mapping[str, Any]) -> Any:
    contact = _package(pkg, "contact")
    if isinstance(contact, list) and contact and isinstance(contact[0], Mapping):
        return {"fn": as_text(contact[0].get("name")), "hasEmail": as_text(contact[0].get("email"))}
    name = first_text(*(_package(pkg, k) for k in ("contact_name", "contact-name", "maintainer", "author")))
    email = first_text(
        *(_package(pkg, k) for k in ("contact_email", "contact-email", "maintainer_email", "author_email"))
    )
    return {"fn": name, "hasEmail": email} if (name or email) else None


def _license(pkg: Mapping[str, Any]) -> Any:
    explicit = first_text(_package(pkg, "license_url"), _package(pkg, "license"))
    if explicit and is_http(explicit):
        return explicit
    license_id = as_text(pkg.get("license_id"))
    if license_id and license_id.lower() in LICENSES:
        return LICENSES[license_id.lower()]
    return first_text(pkg.get("license_title"), license_id)


def _keywords(pkg: Mapping[str, Any]) -> list[str]:
    tags = [first_text(t.get("display_name"), t.get("name")) for t in pkg.get("tags") or [] if isinstance(t, Mapping)]
    return [t for t in tags if t] or text_list(_package(pkg, "keywords"))


def _themes(pkg: Mapping[str, Any]) -> list[str]:
    groups = [first_text(g.get("title"), g.get("name")) for g in pkg.get("groups") or [] if isinstance(g, Mapping)]
    return [g for g in groups if g] + text_list(_package(pkg, "theme")) + text_list(_package(pkg, "category"))


def _spatial(pkg: Mapping[str, Any]) -> Any:
    for key in ("spatial", "spatial_bbox"):
        value = as_text(_package(pkg, key))
        if value:
            box = geometry_bbox(value)
            return ",".join(f"{v:g}" for v in box) if box else value
    sides = [as_text(_package(pkg, f"bbox-{side}")) for side in ("west-long", "south-lat", "east-long", "north-lat")]
    if all(sides):
        return ",".join(s for s in sides if s)
    coverage = _package(pkg, "spatial_coverage")
    if isinstance(coverage, list) and coverage and isinstance(coverage[0], Mapping):
        return first_text(coverage[0].get("bbox"), coverage[0].get("uri"), coverage[0].get("text"))
    return first_text(_package(pkg, "spatial_text"), _package(pkg, "spatial-text"))


def _temporal(pkg: Mapping[str, Any]) -> Any:
    coverage = _package(pkg, "temporal_coverage")
    pairs = [
        (_package(pkg, "temporal_start"), _package(pkg, "temporal_end")),
        (_package(pkg, "temporal_coverage-from"), _package(pkg, "temporal_coverage-to")),
    ]
    if isinstance(coverage, list) and coverage and isinstance(coverage[0], Mapping):
        pairs.insert(0, (coverage[0].get("start"), coverage[0].get("end")))
    for start, end in pairs:
        start_text, end_text = as_text(start), as_text(end)
        if start_text or end_text:
            return f"{start_text or '..'}/{end_text or '..'}"
    return as_text(_package(pkg, "temporal"))


def _distribution(resource: Mapping[str, Any]) -> Record:
    url = as_text(resource.get("url"))
    fmt = as_text(resource.get("format"))
    is_file = resource.get("url_type") == "upload" or (fmt or "").lower() in FILE_FORMATS
    return {
        "title": first_text(resource.get("name"), fmt),
        "description": as_text(resource.get("description")),
        "downloadURL" if is_file else "accessURL": url,
        "mediaType": first_text(resource.get("mimetype"), resource.get("mimetype_inner")),
        "format": fmt,
    }


FIELDS: tuple[tuple[str, Callable[[Mapping[str, Any]], Any]], ...] = (
    ("title", _any("title", "name")),
    ("description", _any("notes")),
    ("keyword", _keywords),
    ("modified", _any("modified", "dcat_modified", "metadata_modified")),
    ("issued", _any("issued", "dcat_issued", "metadata_created")),
    ("publisher", _publisher),
    ("contactPoint", _contact),
    ("accessLevel", lambda p: first_text(_package(p, "public_access_level"), _package(p, "access_level")) or "public"),
    ("bureauCode", lambda p: text_list(_package(p, "bureau_code"))),
    ("programCode", lambda p: text_list(_package(p, "program_code"))),
    ("license", _license),
    ("rights", _any("rights", "access_constraints", "access_rights")),
    ("spatial", _spatial),
    ("temporal", _temporal),
    ("accrualPeriodicity", _any("accrual_periodicity", "frequency", "frequency-of-update")),
    ("language", lambda p: text_list(_package(p, "language") or _package(p, "metadata-language"))),
    ("theme", _themes),
    ("conformsTo", _any("conforms_to")),
    ("describedBy", _any("data_dictionary", "describedBy")),
    ("isPartOf", _any("is_part_of", "isPartOf")),
)


def package_to_dcatus(pkg: Mapping[str, Any], portal: str) -> Record:
    """One CKAN package dict in the DCAT-US shape."""
    record: Record = {key: extract(pkg) for key, extract in FIELDS}
    record["identifier"] = first_text(_package(pkg, "identifier"), _package(pkg, "unique_id"), _package(pkg, "guid"))
    record["identifier"] = record["identifier"] or f"{portal}/dataset/{pkg.get('id')}"
    record["landingPage"] = f"{portal}/dataset/{pkg.get('name') or pkg.get('id')}"
    record["references"] = [u for u in (as_text(pkg.get("url")),) if u and is_http(u)]
    record["distribution"] = [_distribution(r) for r in pkg.get("resources") or [] if isinstance(r, Mapping)]
    return record


class CkanHarvester(Harvester):
    kind: ClassVar[str] = "ckan"
    title: ClassVar[str] = "CKAN portal"
    summary: ClassVar[str] = "A CKAN portal's public packages, through package_search (incremental)."
    option_specs: ClassVar[tuple[OptionSpec, ...]] = (
        OptionSpec("rows", f"packages per page (default {DEFAULT_ROWS}, CKAN allows up to 1000)"),
        OptionSpec("fq", "a Solr filter added to every query, e.g. organization:transportation"),
    )
    parallel_safe: ClassVar[bool] = True

    def records(self, state: HarvestState, run: HarvestRun) -> Iterator[HarvestItem]:
        portal = portal_url(self.source.url)
        rows = int(self.source.options.get("rows", DEFAULT_ROWS))
        incremental = bool(state.bookmark) and not state.full
        filters = [f for f in (self.source.options.get("fq"), _since(state.bookmark) if incremental else None) if f]
        pages = OffsetPaginator(rows)
        newest = state.bookmark or ""
        seen: set[str] = set()
        while not pages.finished:
            params: dict[str, str | int] = {
                "rows": rows,
                "start": pages.current,
                "sort": "metadata_modified asc,id asc",
            }
            if filters:
                params["fq"] = " AND ".join(f"({f})" for f in filters)
            results, count = self._page(portal, params)
            check_progress(results, seen, f"start={pages.current}")
            for pkg in results:
                run.listed += 1
                item = self._item(pkg, portal, seen, run)
                if item is not None:
                    newest = max(newest, str(pkg.get("metadata_modified") or ""))
                    yield item
            pages.advance(pages.next_offset(len(results), count))
        run.bookmark = newest or None
        run.incremental = incremental
        run.stats["pages"] = pages.pages
        run.complete = True

    def _page(self, portal: str, params: Mapping[str, str | int]) -> tuple[list[Any], int]:
        limit = JSON_PAGE_FACTOR * self.http.policy.max_parse_bytes
        headers = {"Accept": "application/json"}
        _, body = self.http.get_bytes(portal + SEARCH_PATH, params=params, headers=headers, limit=limit)
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"{portal}{SEARCH_PATH} did not return JSON (stopped at line {exc.lineno})") from exc
        result = document.get("result") if isinstance(document, dict) else None
        if not isinstance(result, dict) or document.get("success") is False:
            raise ParseError(f"{portal}{SEARCH_PATH} is not a CKAN package_search answer")
        results, count = result.get("results"), result.get("count")
        if not isinstance(results, list):
            raise ParseError(f"{portal}{SEARCH_PATH} answered without a results list")
        return results, count if isinstance(count, int) else None  # type: ignore[return-value]

    def _item(self, pkg: Any, portal: str, seen: set[str], run: HarvestRun) -> HarvestItem | None:
        if isinstance(pkg, Mapping) and (pkg.get("private") or pkg.get("state") not in (None, "active")):
            run.stats["not_public"] = run.stats.get("not_public", 0) + 1
            return None  # never made public; withdrawn on the next full run if it was public before
        if not isinstance(pkg, Mapping) or not pkg.get("id"):
            return SkippedRecord(None, "a package_search result without an id", "result.results")
        identifier = str(pkg["id"])
        if identifier in seen:
            return None  # a package that moved between pages while we read them
        seen.add(identifier)
        if not first_text(pkg.get("title"), pkg.get("name")):
            return SkippedRecord(identifier, f"package {identifier} has no title", "title")
        return dict_record(identifier, package_to_dcatus(pkg, portal), caps=self.source.caps)


def check_progress(results: list[Any], seen: set[str], where: str) -> None:
    """An offset page made only of records already read means the server ignores the offset."""
    ids = [str(r.get("id")) for r in results if isinstance(r, Mapping) and r.get("id")]
    if ids and all(i in seen for i in ids):
        raise PagingError(f"{where} returned only records already read (a repeated page token); stopping")


def portal_url(url: str) -> str:
    """The portal's base URL from whatever was registered (base URL, /api/3/action/..., trailing /)."""
    base = url.split("?", 1)[0].rstrip("/")
    for tail in (SEARCH_PATH, "/api/3/action", "/api/3", "/api"):
        if base.endswith(tail):
            return base[: -len(tail)]
    return base


def _since(bookmark: str | None) -> str | None:
    if not bookmark:
        return None
    stamp = bookmark if bookmark.endswith("Z") else bookmark + "Z"
    return f"metadata_modified:[{stamp} TO *]"
