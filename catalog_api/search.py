"""Search as the API, the pages and the feeds ask for it: parameters → backend query → page + cursor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from catalog_api import cursor
from catalog_api.errors import ApiError
from catalog_api.services import Services
from index.search.base import FACETS, SearchQuery, SearchResult, Sort


@dataclass(frozen=True, slots=True)
class SearchParams:
    q: str | None = None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    modified_since: datetime | None = None
    modified_before: datetime | None = None
    sort: Sort | None = None
    page: int = 1
    per_page: int = 20
    cursor: str | None = None
    facets: tuple[str, ...] = FACETS
    facet_limit: int = 20

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
    after, page = None, params.page
    if params.cursor:
        after, page = cursor.decode(params.cursor, params.fingerprint())
    elif params.page * params.per_page > settings.max_result_window:
        raise ApiError(
            400,
            "bad_parameter",
            f"page {params.page} × per_page {params.per_page} goes past {settings.max_result_window} results; "
            "follow the 'next' cursor to walk further",
        )
    query = SearchQuery(
        text=params.q,
        filters=dict(params.filters),
        modified_since=params.modified_since,
        modified_before=params.modified_before,
        sort=params.effective_sort,
        offset=(page - 1) * params.per_page,
        limit=params.per_page,
        after=after,
        facets=params.facets,
        facet_limit=params.facet_limit,
    )
    result = services.index.search(query)
    next_cursor = None
    if result.hits and page * params.per_page < result.total:
        next_cursor = cursor.encode(params.fingerprint(), result.hits[-1].sort_key, page + 1)
    return SearchOutcome(result, page, next_cursor)
