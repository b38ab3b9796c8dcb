"""Search as the API, the pages and the feeds ask for it: parameters → backend query → page + cursor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from catalog_api import cursor
from catalog_api.collections import COLLECTION, collection_counts, collection_where
from catalog_api.errors import ApiError
from catalog_api.services import Services
from index.search.base import DERIVED_FACETS, FACETS, Box, SearchQuery, SearchResult, Sort
from mappings.freshness import STATES as FRESHNESS_STATES
from mappings.places import lookup

BBOX_HELP = "use west,south,east,north in degrees (e.g. -75.3,39.8,-74.9,40.2) or a U.S. state, county or country"


@dataclass(frozen=True, slots=True)
class SearchParams:
    q: str | None = None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    modified_since: datetime | None = None
    modified_before: datetime | None = None
    bbox: Box | None = None
    temporal_from: datetime | None = None
    temporal_to: datetime | None = None
    sort: Sort | None = None
    page: int = 1
    per_page: int = 20
    cursor: str | None = None
    facets: tuple[str, ...] = (*FACETS, *DERIVED_FACETS, COLLECTION)
    facet_limit: int = 20
    # -- freshness and quality (issue 13)
    freshness: tuple[str, ...] = ()
    quality_min: int | None = None
    now: datetime | None = None  # the clock freshness is judged by (tests inject one)
    core: bool | None = None  # core datasets only (True) or the others only (False)

    @property
    def effective_sort(self) -> Sort:
        if self.sort is not None:
            return self.sort
        return "relevance" if self.q and self.q.strip() else "modified"

    def fingerprint(self) -> str:
        return cursor.fingerprint(
            {
                "q": (self.q or "").strip(),
                "f": {k: sorted(v) for k, v in sorted(self.filters.items())},
                "s": self.modified_since.isoformat() if self.modified_since else None,
                "b": self.modified_before.isoformat() if self.modified_before else None,
                "o": self.effective_sort,
                "g": list(self.bbox) if self.bbox else None,
                "tf": self.temporal_from.isoformat() if self.temporal_from else None,
                "tt": self.temporal_to.isoformat() if self.temporal_to else None,
                "fr": sorted(self.freshness),
                "qm": self.quality_min,
                **({"c": self.core} if self.core is not None else {}),
            }
        )


def clamped(params: SearchParams, max_per_page: int, max_result_window: int) -> SearchParams:
    """``params`` with ``per_page`` and ``page`` brought into range, for the feeds: a feed reader or an
    OpenSearch client asking for too many or too deep gets the nearest page there is, not an error."""
    per_page = min(max(params.per_page, 1), max_per_page)
    page = min(max(params.page, 1), max(max_result_window // per_page, 1))
    return replace(params, per_page=per_page, page=page)


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    result: SearchResult
    page: int
    next_cursor: str | None
    now: datetime | None = None  # the clock the results' freshness was judged by


def run_search(services: Services, params: SearchParams) -> SearchOutcome:
    """Validate paging, run the query on the configured backend, and make the next cursor."""
    settings = services.settings
    limit = settings.max_per_page
    for name, value in (("page", params.page), ("per_page", params.per_page)):
        if value < 1:
            raise ApiError(400, "bad_parameter", f"parameter '{name}' must be at least 1, not {value}")
    if params.per_page > limit:
        raise ApiError(400, "bad_parameter", f"parameter 'per_page' must be at most {limit}")
    if params.modified_since and params.modified_before and params.modified_since >= params.modified_before:
        raise ApiError(400, "bad_parameter", "parameter 'modified_since' must be before 'modified_before'")
    if params.quality_min is not None and not 0 <= params.quality_min <= 100:
        raise ApiError(400, "bad_parameter", f"parameter 'quality_min' must be from 0 to 100, not {params.quality_min}")
    unknown = [f for f in params.freshness if f not in FRESHNESS_STATES]
    if unknown:
        known = ", ".join(FRESHNESS_STATES)
        raise ApiError(400, "bad_parameter", f"parameter 'freshness' is {unknown[0]!r}; use one of {known}")
    if params.temporal_from and params.temporal_to and params.temporal_from > params.temporal_to:
        raise ApiError(400, "bad_parameter", "parameter 'temporal_from' must not be after 'temporal_to'")
    after, page = None, params.page
    if params.cursor:
        after, page = cursor.decode(services.signing_key, params.cursor, params.fingerprint(), params.effective_sort)
    elif params.page * params.per_page > settings.max_result_window:
        raise ApiError(
            400,
            "bad_parameter",
            f"page {params.page} × per_page {params.per_page} goes past {settings.max_result_window} results; "
            "follow the 'next' cursor to walk further",
        )
    query = SearchQuery(
        text=params.q,
        filters={k: v for k, v in params.filters.items() if k != COLLECTION},
        modified_since=params.modified_since,
        modified_before=params.modified_before,
        bbox=params.bbox,
        temporal_from=params.temporal_from,
        temporal_to=params.temporal_to,
        sort=params.effective_sort,
        offset=(page - 1) * params.per_page,
        limit=params.per_page,
        after=after,
        facets=tuple(f for f in params.facets if f != COLLECTION),
        facet_limit=params.facet_limit,
        freshness=params.freshness,
        quality_min=params.quality_min,
        now=params.now or services.clock(),
        core=params.core,
    )
    result = _with_collections(services, params, query)
    next_cursor = None
    if result.hits and page * params.per_page < result.total:
        next_cursor = cursor.encode(services.signing_key, params.fingerprint(), result.hits[-1].sort_key, page + 1)
    return SearchOutcome(result, page, next_cursor, query.now)


def _with_collections(services: Services, params: SearchParams, query: SearchQuery) -> SearchResult:
    """Run ``query`` with the ``collection`` filter and facet the parameters ask for
    (``catalog_api.collections``)."""
    slugs = params.filters.get(COLLECTION, ())
    wanted = COLLECTION in params.facets
    known = services.collections.rows() if slugs or wanted else []
    if slugs:
        query = replace(query, where=collection_where(known, slugs))
    result = services.index.search(query)
    if not wanted:
        return result
    counts = collection_counts(services.index, query, known, params.facet_limit)
    return replace(result, facets={**result.facets, COLLECTION: counts})


def parse_bbox_param(text: str | None, name: str = "bbox") -> Box | None:
    """``west,south,east,north`` in degrees (``west > east`` crosses the antimeridian), or a place name
    the bundled gazetteer knows; None when empty; 400 otherwise."""
    if text is None or not text.strip():
        return None
    parts = text.split(",")
    if len(parts) == 4:
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            west = south = east = north = float("nan")
        if all(-180 <= v <= 180 for v in (west, east)) and -90 <= south <= north <= 90:
            return west, south, east, north
        if not any(v != v for v in (west, south, east, north)):  # numbers, out of range
            raise ApiError(400, "bad_parameter", f"parameter '{name}' is out of range: {BBOX_HELP}")
    place = lookup(text) if len(text) <= 200 else None
    if place is None:
        raise ApiError(400, "bad_parameter", f"parameter '{name}' is no box or known place: {BBOX_HELP}")
    return place
