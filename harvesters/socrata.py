"""Socrata portals through the Discovery API (``/api/catalog/v1``).

URL: a Discovery API URL with its ``domains=`` parameter (``https://api.us.socrata.com/api/catalog/v1?
domains=data.ct.gov``), or a portal's base URL, which means ``<base>/api/catalog/v1?domains=<host>``.
Pages by ``offset``/``limit`` (the API serves at most 10,000 results that way), or by ``scroll_id`` (the
id of the last asset of the previous page) when ``paging=scroll`` or the domain has more than 10,000
assets. Each asset becomes a dataset with CSV / JSON / GeoJSON / API distributions; categories → theme,
tags → keywords, attribution → publisher, data update time → modified. Assets the API marks private,
internal, hidden from the public or unpublished are never harvested. A domain's ``data.json`` stays the
``datajson`` kind.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import orjson

from harvesters.base import Harvester, HarvestItem, HarvestRun, HarvestState, OptionSpec, SkippedRecord
from harvesters.ckan import check_progress
from harvesters.errors import ParseError
from harvesters.http import JSON_PAGE_FACTOR
from harvesters.paging import OffsetPaginator, Paginator
from harvesters.records import Record, as_text, dict_record, first_text

CATALOG_PATH = "/api/catalog/v1"
DEFAULT_LIMIT = 100
OFFSET_WINDOW = 10_000
TYPES = frozenset({"dataset", "map", "file", "href", "filter"})
GEO_TYPES = frozenset({"location", "point", "multipoint", "line", "multiline", "polygon", "multipolygon"})

LICENSES: dict[str, str] = {
    "public domain": "https://creativecommons.org/publicdomain/mark/1.0/",
    "creative commons 1.0 universal (public domain dedication)": "https://creativecommons.org/publicdomain/zero/1.0/",
    "creative commons attribution 4.0 international": "https://creativecommons.org/licenses/by/4.0/",
    "creative commons attribution 3.0 unported": "https://creativecommons.org/licenses/by/3.0/",
    "creative commons attribution-sharealike 4.0 international": "https://creativecommons.org/licenses/by-sa/4.0/",
    "open database license": "https://opendatacommons.org/licenses/odbl/1-0/",
    "open data commons open database license": "https://opendatacommons.org/licenses/odbl/1-0/",
    "open data commons public domain dedication and license": "https://opendatacommons.org/licenses/pddl/1-0/",
}


def discovery_url(url: str) -> tuple[str, dict[str, str]]:
    """The Discovery endpoint and its fixed parameters, from either accepted URL form."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if parts.path.rstrip("/").endswith(CATALOG_PATH):
        if "domains" not in params and "ids" not in params:
            raise ParseError(f"{url} has no domains= parameter; add the portal's host, e.g. ?domains=data.ct.gov")
        return base + parts.path.rstrip("/"), params
    return base + CATALOG_PATH, {**params, "domains": parts.hostname or ""}


def is_public(result: Mapping[str, Any]) -> bool:
    """False for anything the API says is not public and published (absent flags mean public)."""
    metadata = result.get("metadata") if isinstance(result.get("metadata"), Mapping) else {}
    resource = result.get("resource") if isinstance(result.get("resource"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    assert isinstance(resource, Mapping)
    return not (
        metadata.get("is_public") is False
        or metadata.get("is_published") is False
        or metadata.get("is_hidden") is True
        or metadata.get("visible_to_anonymous") is False
        or metadata.get("visibility") not in (None, "open")
        or resource.get("publication_stage") not in (None, "published")
        or resource.get("provenance") == "private"
    )


def _distributions(domain: str, asset_id: str, resource: Mapping[str, Any]) -> list[Record]:
    kind = resource.get("type")
    if kind not in ("dataset", "map", "filter"):
        return [{"title": "Asset page", "accessURL": f"https://{domain}/d/{asset_id}", "format": "HTML"}]
    out: list[Record] = [
        {
            "title": "CSV",
            "downloadURL": f"https://{domain}/api/views/{asset_id}/rows.csv?accessType=DOWNLOAD",
            "mediaType": "text/csv",
        },
        {
            "title": "JSON",
            "downloadURL": f"https://{domain}/api/views/{asset_id}/rows.json?accessType=DOWNLOAD",
            "mediaType": "application/json",
        },
    ]
    datatypes = {str(t).lower() for t in resource.get("columns_datatype") or []}
    if kind == "map" or datatypes & GEO_TYPES:
        out.append(
            {
                "title": "GeoJSON",
                "downloadURL": f"https://{domain}/resource/{asset_id}.geojson",
                "mediaType": "application/geo+json",
            }
        )
    out.append(
        {
            "title": "SODA API",
            "accessURL": f"https://{domain}/resource/{asset_id}.json",
            "format": "API",
            "describedBy": f"https://dev.socrata.com/foundry/{domain}/{asset_id}",
        }
    )
    return out


def asset_to_dcatus(result: Mapping[str, Any]) -> Record:
    """One Discovery API result in the DCAT-US shape."""
    resource: Mapping[str, Any] = result.get("resource") or {}
    classification: Mapping[str, Any] = result.get("classification") or {}
    metadata: Mapping[str, Any] = result.get("metadata") or {}
    domain = str(metadata.get("domain") or "")
    asset_id = str(resource.get("id"))
    license_name = as_text(metadata.get("license"))
    tags = [*(classification.get("domain_tags") or []), *(classification.get("tags") or [])]
    themes = [*([classification["domain_category"]] if classification.get("domain_category") else [])]
    return {
        "identifier": f"https://{domain}/api/views/{asset_id}",
        "title": as_text(resource.get("name")),
        "description": as_text(resource.get("description")),
        "keyword": list(dict.fromkeys(str(t) for t in tags if t)),
        "theme": list(dict.fromkeys([*themes, *(classification.get("categories") or [])])),
        "publisher": {"name": first_text(resource.get("attribution"), domain)},
        "modified": first_text(resource.get("data_updated_at"), resource.get("updatedAt")),
        "issued": first_text(resource.get("publication_date"), resource.get("createdAt")),
        "license": LICENSES.get((license_name or "").lower(), license_name),
        "landingPage": first_text(result.get("permalink"), result.get("link")),
        "accessLevel": "public",
        "distribution": _distributions(domain, asset_id, resource),
    }


class SocrataHarvester(Harvester):
    kind: ClassVar[str] = "socrata"
    title: ClassVar[str] = "Socrata portal"
    summary: ClassVar[str] = "A Socrata domain's public assets, through the Discovery API."
    option_specs: ClassVar[tuple[OptionSpec, ...]] = (
        OptionSpec("limit", f"assets per page (default {DEFAULT_LIMIT})"),
        OptionSpec("paging", "offset, scroll, or auto (default: scroll past 10,000 assets)"),
        OptionSpec("types", "asset types to harvest, comma-separated (default dataset,map,file,href,filter)"),
    )
    parallel_safe: ClassVar[bool] = True

    def records(self, state: HarvestState, run: HarvestRun) -> Iterator[HarvestItem]:
        endpoint, fixed = discovery_url(self.source.url)
        limit = int(self.source.options.get("limit", DEFAULT_LIMIT))
        mode = str(self.source.options.get("paging", "auto"))
        types = {t.strip() for t in str(self.source.options.get("types", ",".join(sorted(TYPES)))).split(",")}
        seen: set[str] = set()
        results, total = self._page(endpoint, {**fixed, "limit": limit, "offset": 0}, mode == "scroll", None)
        if mode == "auto" and total is not None and total > OFFSET_WINDOW:
            mode = "scroll"
            results, total = self._page(endpoint, {**fixed, "limit": limit}, True, None)
        pages = 1
        for batch in self._pages(endpoint, fixed, limit, mode == "scroll", results, total, seen):
            pages += 1
            for result in batch:
                run.listed += 1
                item = self._item(result, types, seen, run)
                if item is not None:
                    yield item
        run.stats["pages"] = pages - 1
        run.stats["paging"] = "scroll" if mode == "scroll" else "offset"
        run.complete = True

    def _pages(
        self,
        endpoint: str,
        fixed: dict[str, str],
        limit: int,
        scroll: bool,
        first: list[Any],
        total: int | None,
        seen: set[str],
    ) -> Iterator[list[Any]]:
        yield first
        if scroll:
            tokens: Paginator[str] = Paginator("")
            results = first
            while len(results) >= limit:
                tokens.advance(_last_id(results))
                results, _ = self._page(endpoint, {**fixed, "limit": limit}, True, tokens.current)
                yield results
            return
        offsets = OffsetPaginator(limit)
        offsets.advance(offsets.next_offset(len(first), total))
        while not offsets.finished:
            results, total = self._page(endpoint, {**fixed, "limit": limit, "offset": offsets.current}, False, None)
            check_progress([r.get("resource", {}) for r in results if isinstance(r, Mapping)], seen, "offset")
            yield results
            offsets.advance(offsets.next_offset(len(results), total))

    def _page(
        self, endpoint: str, params: dict[str, Any], scroll: bool, scroll_id: str | None
    ) -> tuple[list[Any], int | None]:
        if scroll:
            params = {**params, "scroll_id": scroll_id or ""}
        limit = JSON_PAGE_FACTOR * self.http.policy.max_parse_bytes
        _, body = self.http.get_bytes(endpoint, params=params, headers={"Accept": "application/json"}, limit=limit)
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"{endpoint} did not return JSON (stopped at line {exc.lineno})") from exc
        if not isinstance(document, dict) or not isinstance(document.get("results"), list):
            raise ParseError(f"{endpoint} is not a Discovery API answer (no results list)")
        total = document.get("resultSetSize")
        return document["results"], total if isinstance(total, int) else None

    def _item(self, result: Any, types: set[str], seen: set[str], run: HarvestRun) -> HarvestItem | None:
        resource = result.get("resource") if isinstance(result, Mapping) else None
        if not isinstance(resource, Mapping) or not resource.get("id"):
            return SkippedRecord(None, "a Discovery API result without resource.id", "results")
        if not is_public(result):
            run.stats["not_public"] = run.stats.get("not_public", 0) + 1
            return None  # never made public; withdrawn on the next run if it was public before
        if resource.get("type") not in types:
            run.stats["other_types"] = run.stats.get("other_types", 0) + 1
            return None
        record = asset_to_dcatus(result)
        if str(resource["id"]) in seen:
            return None
        seen.add(str(resource["id"]))
        if not record["title"]:
            return SkippedRecord(record["identifier"], f"asset {resource['id']} has no name", "resource.name")
        return dict_record(record["identifier"], record, caps=self.source.caps)


def _last_id(results: list[Any]) -> str:
    last = results[-1] if results else {}
    resource = last.get("resource") if isinstance(last, Mapping) else None
    if not isinstance(resource, Mapping) or not resource.get("id"):
        raise ParseError("a Discovery API page ended without an asset id to scroll from")
    return str(resource["id"])
