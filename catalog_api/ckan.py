"""CKAN's read-only action API over the catalog, so CKAN clients (ckanapi, CKAN harvesters, portals'
widgets) work unchanged: ``package_search``, ``package_show``, ``package_list``, ``organization_list``,
``organization_show``, ``group_list``, ``group_show``, ``tag_list``, ``status_show`` and ``help_show``.

Searches go through ``catalog_api.search.run_search`` (the same semantics as ``/api/v1/datasets``):
``q`` is free text (``*:*`` is everything; ``field:value`` clauses of the fields below are filters),
``fq`` takes ``field:value`` / ``field:"a value"`` clauses AND-ed together on ``organization``, ``tags``,
``res_format``, ``license_id`` and ``groups``; anything else (OR, negation, ranges) is refused with CKAN's
"Search Query Error" rather than silently ignored.

Errors use CKAN's form (``success: false``, ``error.__type``) plus this catalog's ``error.code``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from catalog_api.deps import html_url
from catalog_api.errors import ApiError
from catalog_api.search import SearchParams, run_search
from catalog_api.services import Services
from index.ids import id_from_slug, is_record_id, slug_path, slugify
from index.publishing import iter_live
from index.search.base import FacetCount, SearchQuery, Sort
from index.store import NotFound, RecordRow
from mappings.ckan_out import Names, PackageContext, package, tag_dict
from mappings.model import Dataset

API_VERSION = 3
CKAN_VERSION = "2.10.4"  # the CKAN API level these actions follow
ROWS_DEFAULT = 10
ROWS_MAX = 1000
ALL = 1_000_000
MAX_INTEGER = 1_000_000_000  # any integer parameter (offsets, limits): far past any catalog, inside SQL's range
MAX_TEXT = 1000  # characters in q, fq and other free text

# CKAN search field → this catalog's facet.
FIELDS: dict[str, str] = {
    "organization": "publisher",
    "tags": "keyword",
    "res_format": "format",
    "license_id": "license",
    "groups": "theme",
}
# CKAN sort expressions → this catalog's sorts (None: the default, relevance for a query, else modified).
SORTS: dict[str, Sort | None] = {
    "score desc, metadata_modified desc": None,
    "score desc": "relevance",
    "relevance asc": "relevance",
    "metadata_modified desc": "modified",
    "title_string asc": "title",
    "name asc": "title",
}
_CLAUSE = re.compile(r'^\+?([A-Za-z_]+):(?:"((?:[^"\\]|\\.)*)"|(\S+))$')
_TOKENS = re.compile(r'\S+?:"(?:[^"\\]|\\.)*"|\S+')


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


def text(params: Mapping[str, Any], name: str, limit: int = MAX_TEXT) -> str:
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


def clauses(text: str, *, strict: bool) -> tuple[dict[str, list[str]], list[str]]:
    """Split a Solr-style query into ``field:value`` filters on the known fields and the other words.

    ``strict`` (``fq``): every clause must be a known ``field:value``; otherwise unknown clauses stay words.
    """
    filters: dict[str, list[str]] = {}
    words: list[str] = []
    for token in _TOKENS.findall(text):
        if token in ("AND", "*:*"):
            continue
        match = _CLAUSE.match(token)
        field_name = match.group(1) if match else None
        if match and field_name in FIELDS:
            value = match.group(2) if match.group(2) is not None else match.group(3)
            filters.setdefault(field_name, []).append(value.replace('\\"', '"'))
        elif strict:
            raise CkanError(409, "Search Query Error", f"cannot filter on {token!r}: use {', '.join(FIELDS)}")
        else:
            words.append(token)
    return filters, words


# -- the catalog as CKAN sees it --------------------------------------------------------------------


class Directory:
    """Every publisher, theme and tag with its dataset count (from the search index's facets)."""

    def __init__(self, services: Services) -> None:
        query = SearchQuery(limit=0, facets=("publisher", "theme", "keyword"), facet_limit=ALL)
        facets = services.index.search(query).facets
        self.counts: dict[str, list[FacetCount]] = facets
        self.organizations = Names("organization", (f.value for f in facets.get("publisher", [])), slugify)
        self.groups = Names("group", (f.value for f in facets.get("theme", [])), slugify)

    def names(self, ckan_field: str) -> Names | None:
        return {"organization": self.organizations, "groups": self.groups}.get(ckan_field)

    def facet_value(self, ckan_field: str, value: str) -> str:
        """A CKAN filter value (an organization's name) as the facet value (the publisher)."""
        names = self.names(ckan_field)
        found = names.find(value) if names else None
        return found.title if found else value

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
    return package(Dataset.model_validate(record.dataset), context, directory.organizations, directory.groups)


def live_record(services: Services, name_or_id: str) -> RecordRow:
    record_id = name_or_id if is_record_id(name_or_id) else id_from_slug(name_or_id)
    if record_id is None:
        raise not_found("Dataset")
    try:
        record = services.store.get_record(record_id)
    except NotFound:
        raise not_found("Dataset") from None
    if record.withdrawn:
        raise not_found("Dataset")
    return record


# -- actions ---------------------------------------------------------------------------------------


def package_search(services: Services, params: Mapping[str, Any]) -> dict[str, Any]:
    """Search datasets: q, fq, rows (≤ 1000), start, sort, facet.field, facet.limit, facet.mincount."""
    directory = Directory(services)
    filters, words = clauses(text(params, "q"), strict=False)
    for name, values in clauses(text(params, "fq"), strict=True)[0].items():
        filters.setdefault(name, []).extend(values)
    facet_fields = string_list(params, "facet.field")
    unknown = [f for f in facet_fields if f not in FIELDS]
    if unknown:
        raise invalid("facet.field", f"cannot facet on {', '.join(unknown)}; use {', '.join(FIELDS)}")
    sort = str(params.get("sort") or "score desc, metadata_modified desc").strip().lower()
    if sort not in SORTS:
        raise invalid("sort", f"use one of: {'; '.join(SORTS)}")
    facet_limit = integer(params, "facet.limit", 50, low=-1)
    search = SearchParams(
        q=" ".join(words) or None,
        filters={FIELDS[k]: tuple(directory.facet_value(k, v) for v in vs) for k, vs in filters.items()},
        sort=SORTS[sort],
        per_page=integer(params, "rows", ROWS_DEFAULT, high=ROWS_MAX),
        start=integer(params, "start", 0),
        facets=tuple(FIELDS[f] for f in facet_fields),
        facet_limit=ALL if facet_limit < 0 else facet_limit,
    )
    try:
        outcome = run_search(services, search, max_per_page=ROWS_MAX)
    except ApiError as exc:
        raise CkanError(409, "Search Query Error", exc.message) from exc
    hits = outcome.result.hits
    found = {r.id: r for r in services.store.get_records([h.id for h in hits])}
    results = [package_of(services, found[h.id], directory) for h in hits if h.id in found]
    facets = _facets(outcome.result.facets, facet_fields, directory, params)
    return {"count": outcome.result.total, "sort": sort, "results": results, **facets}


def _count(services: Services, search: SearchParams) -> int:
    """How many datasets match (no hits, no facets)."""
    query = SearchQuery(text=search.q, filters=dict(search.filters), limit=0, facets=())
    return services.index.search(query).total


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
    search = SearchParams(filters={FIELDS[ckan_field]: (group.title,)}, per_page=0, start=0)
    out["package_count"] = _count(services, search)
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
    """Every tag (keyword) in use; ``query`` keeps those containing it; ``all_fields`` gives dicts."""
    if params.get("vocabulary_id"):
        raise not_found("Vocabulary")
    query = text(params, "query").strip().lower()
    tags = sorted(f.value for f in Directory(services).counts.get("keyword", []) if query in f.value)
    return [tag_dict(t) for t in tags] if boolean(params, "all_fields", False) else tags


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
    "status_show": status_show,
    "help_show": help_show,
}


def call(services: Services, action: str, params: Mapping[str, Any]) -> Any:
    """Run ``action``; unknown actions are CKAN's "Bad request"."""
    found = ACTIONS.get(action)
    if found is None:
        raise CkanError(400, "Bad request", f"Bad request - Action name not known: {action}")
    return found(services, params)
