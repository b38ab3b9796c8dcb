"""CKAN's read-only action API over the catalog, so CKAN clients (ckanapi, CKAN's own harvester, portals'
widgets) work unchanged: ``package_search``, ``package_show``, ``package_list``, ``resource_show``,
``organization_list``, ``organization_show``, ``group_list``, ``group_show``, ``tag_list``,
``license_list``, ``site_read``, ``status_show`` and ``help_show``.

``q`` and ``fq`` are parsed as Solr queries (:mod:`catalog_api.ckan_query`: AND, OR, negation, groups,
ranges) and mapped to the search backends' clauses: ``organization`` and ``groups`` by CKAN name (exact),
``tags``, ``res_format``, ``license_id`` (case-insensitive), ``title``, ``notes``, ``text`` (words),
``id``, ``name``, ``metadata_modified``/``metadata_created`` (dates and ranges: when the catalog last saw
the dataset change, first saw it), ``capacity``, ``dataset_type``, ``type``, ``state`` (every dataset
here is public, active and a dataset). Free words at the top of ``q`` rank the results. ``sort`` takes any
of ``score``, ``id``, ``name``, ``title_string``, ``metadata_modified``, ``metadata_created`` ascending
or descending, comma-separated. ``rows`` is clamped to 1,000 as CKAN does; ``start`` may be any number
(past the end, the page is empty), so CKAN's harvester, which pages with ``start`` until an empty page,
walks the whole catalog.

Errors use CKAN's form (``success: false``, ``error.__type``) plus this catalog's ``error.code``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from catalog_api import ckan_query
from catalog_api.ckan_query import Node
from catalog_api.deps import html_url
from catalog_api.errors import ApiError
from catalog_api.search import parse_bbox_param
from catalog_api.services import Services
from index.duplicates import dataset_of, merged_row, merged_rows
from index.governance import list_organizations
from index.ids import id_from_slug, is_record_id, slug_path, slugify
from index.publishing import iter_live
from index.search.base import (
    TEXT_FIELDS,
    AllOf,
    AnyOf,
    Clause,
    FacetCount,
    Match,
    Not,
    OrderBy,
    Range,
    SearchError,
    SearchQuery,
    Words,
)
from index.store import NotFound, RecordRow
from mappings.ckan_out import Names, PackageContext, license_dict, package, record_of_resource, tag_dict
from mappings.derive import facet_value
from mappings.freshness import STATES as FRESHNESS_STATES
from mappings.model import Dataset

API_VERSION = 3
CKAN_VERSION = "2.10.4"  # the CKAN API level these actions follow
ROWS_DEFAULT = 10
ROWS_MAX = 1000
ALL = 1_000_000
MAX_INTEGER = 1_000_000_000  # any integer parameter (offsets, limits): far past any catalog, inside SQL's range
MAX_TEXT = 1000  # characters in q, fq and other free text

# CKAN facet fields → this catalog's facets (``facet.field``).
FIELDS: dict[str, str] = {
    "organization": "publisher",
    "tags": "keyword",
    "res_format": "format",
    "license_id": "license",
    "groups": "theme",
    "freshness": "freshness",  # issue 13: fresh, due, stale, unknown (against accrualPeriodicity)
}
# Filter fields of ``q`` and ``fq`` beyond those: values compared case-insensitively...
MATCHED: dict[str, str] = {"tags": "keyword", "res_format": "format", "license_id": "license"}
# ... CKAN names of organizations and groups (exact: two publishers differing in case stay apart) ...
NAMED: dict[str, str] = {"organization": "publisher", "groups": "theme"}
# ... words in text fields ...
TEXT: dict[str, tuple[str, ...]] = {"title": ("title",), "notes": ("description",), "text": TEXT_FIELDS}
# ... the catalog's own times ...
DATES: dict[str, str] = {"metadata_modified": "changed", "metadata_created": "created"}
# ... and fields with one value for every dataset here (anything else matches nothing).
CONSTANT: dict[str, str] = {"capacity": "public", "dataset_type": "dataset", "type": "dataset", "state": "active"}
# CKAN sort fields → the index's order fields.
ORDERS: dict[str, str] = {
    "score": "score",
    "id": "id",
    "name": "name",
    "title_string": "title",
    "title": "title",
    "metadata_modified": "changed",
    "metadata_created": "created",
    "quality": "quality",  # issue 13: the metadata quality score
    "views_recent": "popularity",  # CKAN's tracking sort: page views and downloads in the last 30 days
}
DEFAULT_SORT = "score desc, metadata_modified desc"
EVERYTHING = AllOf(())
NOTHING = AnyOf(())


# CKAN's error types → this catalog's error codes (both are in every error body).
ERROR_CODES: dict[str, str] = {
    "Not Found Error": "not_found",
    "Validation Error": "bad_parameter",
    "Search Query Error": "bad_query",
    "Bad request": "bad_request",
}


@dataclass
class CkanError(Exception):
    """An error in CKAN's form: its ``__type`` decides which exception a CKAN client raises."""

    status: int
    type: str
    message: str
    fields: dict[str, list[str]] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        code = ERROR_CODES.get(self.type, "error")
        return {"__type": self.type, "message": self.message, "code": code, **self.fields}


def not_found(what: str) -> CkanError:
    return CkanError(404, "Not Found Error", f"Not found: {what}")


def invalid(name: str, problem: str) -> CkanError:
    return CkanError(409, "Validation Error", f"{name}: {problem}", {name: [problem]})


# -- parameters ------------------------------------------------------------------------------------


def integer(params: Mapping[str, Any], name: str, default: int, low: int = 0, high: int = MAX_INTEGER) -> int:
    value = params.get(name, default)
    if isinstance(value, bool | float) or (isinstance(value, str) and len(value) > 20):
        raise invalid(name, "Invalid integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(name, "Invalid integer") from None
    if not low <= number <= high:
        raise invalid(name, f"Must be between {low} and {high}")
    return number


def free_text(params: Mapping[str, Any], name: str, limit: int = MAX_TEXT) -> str:
    """A free-text parameter (``q``, ``fq``, ``query``, ``id``), at most ``limit`` characters."""
    value = params.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid(name, "Must be a string")
    value = str(value)
    if len(value) > limit:
        raise invalid(name, f"Must be at most {limit} characters")
    return value


def boolean(params: Mapping[str, Any], name: str, default: bool) -> bool:
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise invalid(name, "Not a boolean value")


def string_list(params: Mapping[str, Any], name: str) -> list[str]:
    """A list parameter: a JSON list (``facet.field=["tags"]``), a list (POST), or one string."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = orjson.loads(value) if value.lstrip().startswith("[") else [value]
        except orjson.JSONDecodeError:
            raise invalid(name, "Not a JSON list") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(name, "Not a list of strings")
    return value


def query_error(message: str) -> CkanError:
    return CkanError(409, "Search Query Error", message)


def parsed(text: str) -> Node:
    try:
        return ckan_query.parse(text)
    except ckan_query.QuerySyntaxError as exc:
        raise query_error(str(exc)) from None


def split_q(node: Node, directory: Directory) -> tuple[str | None, list[Clause]]:
    """``q``: its free words AND-ed at the top rank the results (the search text); every other part filters."""
    words: list[str] = []
    where: list[Clause] = []
    for part in ckan_query.conjuncts(node):
        negated = isinstance(part, ckan_query.Negated)
        term = part.node if isinstance(part, ckan_query.Negated) else part
        if isinstance(term, ckan_query.Term) and term.field is None:
            words.append(("-" if negated else "") + _text(term))
        elif not isinstance(part, ckan_query.Everything):
            where.append(where_of(part, directory))
    return " ".join(words) or None, where


def _text(term: ckan_query.Term) -> str:
    return f'"{term.value}"' if term.phrase else term.value


def where_of(node: Node, directory: Directory) -> Clause:
    """A parsed ``q``/``fq`` part as the search backends' clause."""
    if isinstance(node, ckan_query.Everything):
        return EVERYTHING
    if isinstance(node, ckan_query.Negated):
        return Not(where_of(node.node, directory))
    if isinstance(node, ckan_query.Either):
        return AnyOf(tuple(where_of(n, directory) for n in node.nodes))
    if isinstance(node, ckan_query.Both):
        return AllOf(tuple(where_of(n, directory) for n in node.nodes))
    if isinstance(node, ckan_query.Span):
        if node.field not in DATES:
            raise query_error(f"cannot search a range of {node.field!r}: use {' or '.join(DATES)}")
        return Range(DATES[node.field], node.low, node.high, node.low_inclusive, node.high_inclusive)
    return _term(node, directory)


def _term(term: ckan_query.Term, directory: Directory) -> Clause:
    field_name, value = term.field, term.value
    if field_name is None:
        return Words(TEXT_FIELDS, _text(term))
    if value == "*" and not term.phrase:
        return _anything(field_name)
    if field_name in NAMED:
        group = directory.names_of(field_name).find(value)
        return Match(NAMED[field_name], group.title if group else value, exact=True)
    if field_name in MATCHED:
        return Match(MATCHED[field_name], value)
    if field_name in TEXT:
        return Words(TEXT[field_name], _text(term))
    if field_name in ("id", "name"):
        record_id = value if is_record_id(value) else id_from_slug(value)
        return Match("id", record_id) if record_id else NOTHING
    if field_name in DATES:
        moment = _date(value)
        return Range(DATES[field_name], moment, moment)
    if field_name in CONSTANT:
        return EVERYTHING if value.lower() == CONSTANT[field_name] else NOTHING
    if field_name == "core":  # this catalog's core datasets (core:true)
        if value.lower() not in ("true", "false"):
            raise query_error(f"core is true or false, not {value!r}")
        return Match("core", value.lower())
    known = [*NAMED, *MATCHED, *TEXT, "id", "name", *DATES, *CONSTANT, "core"]
    raise query_error(f"undefined field {field_name!r}; use one of: {', '.join(known)}")


def _anything(field_name: str) -> Clause:
    """``field:*``: datasets with some value there."""
    if field_name in DATES:
        return Range(DATES[field_name])
    if field_name in (*CONSTANT, "id", "name", "title", "text"):
        return EVERYTHING
    raise query_error(f"cannot search {field_name}:* here; name a value")


def _date(value: str) -> datetime:
    try:
        return ckan_query.parse_date(value, value)
    except ckan_query.QuerySyntaxError as exc:
        raise query_error(str(exc)) from None


def order_of(sort: str) -> tuple[OrderBy, ...]:
    """CKAN's ``sort`` (``"id asc"``, ``"score desc, metadata_modified desc"``) as the index's order."""
    try:
        keys = ckan_query.parse_sort(sort)
    except ckan_query.QuerySyntaxError as exc:
        raise invalid("sort", str(exc)) from None
    unknown = [k.field for k in keys if k.field not in ORDERS]
    if unknown:
        raise invalid("sort", f"cannot sort by {unknown[0]!r}; use {', '.join(ORDERS)} with asc or desc")
    return tuple(OrderBy(ORDERS[k.field], k.descending) for k in keys)


# -- the catalog as CKAN sees it --------------------------------------------------------------------


class Directory:
    """Every publisher and theme (and with ``tags`` every keyword) with its dataset count (from the search
    index's facets)."""

    def __init__(self, services: Services, *, tags: bool = False) -> None:
        wanted = ("publisher", "theme", "keyword") if tags else ("publisher", "theme")
        query = SearchQuery(limit=0, facets=wanted, facet_limit=ALL)
        facets = services.index.search(query).facets
        self.counts: dict[str, list[FacetCount]] = facets
        registered = {facet_value(o.title): o.slug for o in list_organizations(services.store)}
        self.organizations = Names(
            "organization",
            (f.value for f in facets.get("publisher", [])),
            lambda title: registered.get(title) or slugify(title),
        )
        self.groups = Names("group", (f.value for f in facets.get("theme", [])), slugify)

    def names(self, ckan_field: str) -> Names | None:
        return {"organization": self.organizations, "groups": self.groups}.get(ckan_field)

    def names_of(self, ckan_field: str) -> Names:
        names = self.names(ckan_field)
        if names is None:
            raise KeyError(ckan_field)
        return names

    def ckan_value(self, ckan_field: str, value: str) -> tuple[str, str]:
        """A facet value as CKAN shows it: (name, display name)."""
        names = self.names(ckan_field)
        if names is None:
            return value, value
        group = names.of(value)
        return group.name, group.title


def package_of(services: Services, record: RecordRow, directory: Directory) -> dict[str, Any]:
    settings = services.settings
    context = PackageContext(
        id=record.id,
        name=slug_path(record.title, record.id),
        page_url=html_url(settings, record.id, record.title),
        metadata_created=record.first_seen,
        metadata_modified=record.last_changed,
    )
    dataset = Dataset.model_validate(record.dataset)
    return package(dataset, context, directory.organizations, directory.groups, record.organization)


def live_record(services: Services, name_or_id: str) -> RecordRow:
    record_id = name_or_id if is_record_id(name_or_id) else id_from_slug(name_or_id)
    if record_id is None:
        raise not_found("Dataset")
    merged_into = dataset_of(services.store, record_id)  # a duplicate shows the dataset it was merged into
    try:
        record = services.store.get_record(merged_into or record_id)
    except NotFound:
        raise not_found("Dataset") from None
    if record.withdrawn:
        raise not_found("Dataset")
    return merged_row(services.store, record)


# -- actions ---------------------------------------------------------------------------------------


def package_search(services: Services, params: Mapping[str, Any]) -> dict[str, Any]:
    """Search datasets: q, fq (and fq_list), rows (at most 1,000), start, sort, facet.field, facet.limit,
    facet.mincount, and ckanext-spatial's ``ext_bbox`` (``minx,miny,maxx,maxy``: datasets whose extent
    intersects it); as CKAN extensions take their parameters, ``ext_freshness`` (states, comma-separated)
    and ``ext_quality_min`` (0–100)."""
    directory = Directory(services)
    text, where = split_q(parsed(free_text(params, "q")), directory)
    for fq in [free_text(params, "fq"), *string_list(params, "fq_list")]:
        if len(fq) > MAX_TEXT:
            raise invalid("fq_list", f"Must be at most {MAX_TEXT} characters")
        where.extend(where_of(part, directory) for part in ckan_query.conjuncts(parsed(fq)))
    facet_fields = string_list(params, "facet.field")
    unknown = [f for f in facet_fields if f not in FIELDS]
    if unknown:
        raise invalid("facet.field", f"cannot facet on {', '.join(unknown)}; use {', '.join(FIELDS)}")
    sort = str(params.get("sort") or DEFAULT_SORT).strip()
    facet_limit = integer(params, "facet.limit", 50, low=-1)
    try:
        box = parse_bbox_param(str(params.get("ext_bbox") or "") or None, "ext_bbox")
    except ApiError as exc:
        raise invalid("ext_bbox", exc.message) from exc
    query = SearchQuery(
        text=text,
        where=AllOf(tuple(where)) if where else None,
        bbox=box,
        order=order_of(sort),
        offset=integer(params, "start", 0),
        limit=min(integer(params, "rows", ROWS_DEFAULT), ROWS_MAX),
        facets=tuple(FIELDS[f] for f in facet_fields),
        facet_limit=ALL if facet_limit < 0 else facet_limit,
        **judged_params(services, params),
    )
    try:
        result = services.index.search(query)
    except SearchError as exc:
        raise query_error(str(exc)) from exc
    found = {r.id: r for r in merged_rows(services.store, services.store.get_records([h.id for h in result.hits]))}
    results = [package_of(services, found[h.id], directory) for h in result.hits if h.id in found]
    facets = _facets(result.facets, facet_fields, directory, params)
    return {"count": result.total, "sort": sort, "results": results, **facets}


def judged_params(services: Services, params: Mapping[str, Any]) -> dict[str, Any]:
    """``ext_freshness`` and ``ext_quality_min`` as the query's freshness, minimum quality and clock."""
    states = tuple(s.strip() for s in str(params.get("ext_freshness") or "").split(",") if s.strip())
    unknown = [s for s in states if s not in FRESHNESS_STATES]
    if unknown:
        raise invalid("ext_freshness", f"unknown freshness {unknown[0]!r}; use {', '.join(FRESHNESS_STATES)}")
    given = str(params.get("ext_quality_min") or "").strip()
    minimum = integer(params, "ext_quality_min", 0, high=100) if given else None
    return {"freshness": states, "quality_min": minimum, "now": services.clock()}


def _count(services: Services, where: Clause) -> int:
    """How many datasets match (no hits, no facets)."""
    return services.index.search(SearchQuery(where=where, limit=0, facets=())).total


def _facets(
    found: Mapping[str, list[FacetCount]], fields: list[str], directory: Directory, params: Mapping[str, Any]
) -> dict[str, Any]:
    minimum = integer(params, "facet.mincount", 1, low=0)
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, Any] = {}
    for ckan_field in fields:
        items: list[dict[str, Any]] = []
        for bucket in found.get(FIELDS[ckan_field], []):
            if bucket.count < minimum:
                continue
            name, display = directory.ckan_value(ckan_field, bucket.value)
            items.append({"name": name, "display_name": display, "count": bucket.count})
        facets[ckan_field] = {i["name"]: i["count"] for i in items}
        search_facets[ckan_field] = {"title": ckan_field, "items": items}
    return {"facets": facets, "search_facets": search_facets}


def package_show(services: Services, params: Mapping[str, Any]) -> dict[str, Any]:
    """One dataset by id or name."""
    name_or_id = str(params.get("id") or params.get("name_or_id") or "").strip()
    if not name_or_id:
        raise invalid("id", "Missing value")
    return package_of(services, live_record(services, name_or_id), Directory(services))


def package_list(services: Services, params: Mapping[str, Any]) -> list[str]:
    """The names of every live dataset, sorted; ``limit`` and ``offset`` page through them."""
    limit = integer(params, "limit", ALL, low=0)
    offset = integer(params, "offset", 0)
    names = sorted(slug_path(item.title, item.id) for item in iter_live(services.store, offset=0, limit=ALL))
    return names[offset : offset + limit]


def _listing(names: Names, counts: list[FacetCount], params: Mapping[str, Any], *, organization: bool) -> list[Any]:
    """organization_list / group_list: names (or dicts with ``all_fields``), sorted and paged."""
    count_of = {c.value: c.count for c in counts}
    groups = list(names.by_title.values())
    wanted = set(string_list(params, "organizations" if organization else "groups"))
    if wanted:
        groups = [g for g in groups if g.name in wanted]
    sort = str(params.get("sort") or "name asc").strip().lower()
    orders: dict[str, Callable[[Any], Any]] = {
        "name asc": lambda g: g.name,
        "name": lambda g: g.name,
        "title asc": lambda g: g.title.lower(),
        "package_count desc": lambda g: (-count_of.get(g.title, 0), g.name),
        "package_count": lambda g: (-count_of.get(g.title, 0), g.name),
    }
    if sort not in orders:
        raise invalid("sort", f"use one of: {', '.join(orders)}")
    groups.sort(key=orders[sort])
    offset = integer(params, "offset", 0)
    groups = groups[offset : offset + integer(params, "limit", ALL, low=0)]
    if not boolean(params, "all_fields", False):
        return [g.name for g in groups]
    return [{**g.brief(organization=organization), "package_count": count_of.get(g.title, 0)} for g in groups]


def organization_list(services: Services, params: Mapping[str, Any]) -> list[Any]:
    """Organizations (one per publisher): names, or dicts with ``all_fields=true``."""
    directory = Directory(services)
    return _listing(directory.organizations, directory.counts.get("publisher", []), params, organization=True)


def group_list(services: Services, params: Mapping[str, Any]) -> list[Any]:
    """Groups (one per theme): names, or dicts with ``all_fields=true``."""
    directory = Directory(services)
    return _listing(directory.groups, directory.counts.get("theme", []), params, organization=False)


def _show(services: Services, params: Mapping[str, Any], ckan_field: str) -> dict[str, Any]:
    directory = Directory(services)
    names = directory.names(ckan_field)
    assert names is not None
    wanted = str(params.get("id") or "").strip()
    if not wanted:
        raise invalid("id", "Missing value")
    group = names.find(wanted)
    if group is None:
        raise not_found("Organization" if ckan_field == "organization" else "Group")
    out = {**group.brief(organization=ckan_field == "organization")}
    out["package_count"] = _count(services, Match(NAMED[ckan_field], group.title, exact=True))
    if boolean(params, "include_datasets", False):
        listed = package_search(services, {"fq": f'{ckan_field}:"{group.name}"', "rows": ROWS_MAX})
        out["packages"] = listed["results"]
    return out


def organization_show(services: Services, params: Mapping[str, Any]) -> dict[str, Any]:
    """One organization by name or id (``include_datasets=true`` adds up to 1,000 packages)."""
    return _show(services, params, "organization")


def group_show(services: Services, params: Mapping[str, Any]) -> dict[str, Any]:
    """One group by name or id (``include_datasets=true`` adds up to 1,000 packages)."""
    return _show(services, params, "groups")


def tag_list(services: Services, params: Mapping[str, Any]) -> list[Any]:
    """Every tag (keyword, as most datasets spell it) in use; ``query`` keeps those containing it (in any
    case, as CKAN's does); ``all_fields`` gives dicts."""
    if params.get("vocabulary_id"):
        raise not_found("Vocabulary")
    query = free_text(params, "query").strip().casefold()
    found = Directory(services, tags=True).counts.get("keyword", [])
    tags = sorted(f.value for f in found if query in f.value.casefold())
    return [tag_dict(t) for t in tags] if boolean(params, "all_fields", False) else tags


def resource_show(services: Services, params: Mapping[str, Any]) -> dict[str, Any]:
    """One resource (a distribution) by id."""
    wanted = str(params.get("id") or "").strip()
    if not wanted:
        raise invalid("id", "Missing value")
    record_id = record_of_resource(wanted)
    if record_id is None:
        raise not_found("Resource")
    try:
        found = package_of(services, live_record(services, record_id), Directory(services))
    except CkanError:
        raise not_found("Resource") from None
    for resource in found["resources"]:
        if resource["id"] == wanted:
            return dict(resource)
    raise not_found("Resource")


def license_list(services: Services, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The licences datasets here use (the ``license_id`` of packages), in CKAN's licence form."""
    query = SearchQuery(limit=0, facets=("license",), facet_limit=ALL)
    labels = sorted(f.value for f in services.index.search(query).facets.get("license", []))
    return [license_dict(label) for label in labels]


def site_read(services: Services, params: Mapping[str, Any]) -> bool:
    """Whether the site may be read (always: every dataset here is public)."""
    return True


def status_show(services: Services, params: Mapping[str, Any]) -> dict[str, Any]:
    """The site: title, description, URL and the CKAN API level it speaks."""
    settings = services.settings
    return {
        "site_title": settings.catalog_title,
        "site_description": settings.catalog_description,
        "site_url": settings.base_url,
        "ckan_version": CKAN_VERSION,
        "api_version": API_VERSION,
        "locale_default": "en",
        "error_emails_to": None,
        "extensions": ["nutmeg"],
    }


def help_show(services: Services, params: Mapping[str, Any]) -> str:
    """What an action does."""
    name = str(params.get("name") or "").strip()
    action = ACTIONS.get(name)
    if action is None:
        raise not_found(f"Action {name!r}")
    return (action.__doc__ or name).strip()


Action = Callable[[Services, Mapping[str, Any]], Any]

ACTIONS: dict[str, Action] = {
    "package_search": package_search,
    "package_show": package_show,
    "package_list": package_list,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": group_list,
    "group_show": group_show,
    "tag_list": tag_list,
    "resource_show": resource_show,
    "license_list": license_list,
    "site_read": site_read,
    "status_show": status_show,
    "help_show": help_show,
}


def call(services: Services, action: str, params: Mapping[str, Any]) -> Any:
    """Run ``action``; unknown actions are CKAN's "Bad request"."""
    found = ACTIONS.get(action)
    if found is None:
        raise CkanError(400, "Bad request", f"Bad request - Action name not known: {action}")
    return found(services, params)
