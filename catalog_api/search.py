"""Search as the API, the pages and the feeds ask for it: parameters → backend query → page + cursor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    start: int | None = None  # an explicit offset (CKAN's ``start``) instead of ``page``

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


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    result: SearchResult
    page: int
    next_cursor: str | None


def run_search(services: Services, params: SearchParams, *, max_per_page: int | None = None) -> SearchOutcome:
    """Validate paging, run the query on the configured backend, and make the next cursor.

    ``max_per_page`` lets an API with its own documented limit (CKAN's 1,000 rows) raise the settings'.
    """
    settings = services.settings
    limit = max_per_page or settings.max_per_page
    if params.per_page > limit:
        raise ApiError(400, "bad_parameter", f"parameter 'per_page' must be at most {limit}")
    if params.modified_since and params.modified_before and params.modified_since >= params.modified_before:
        raise ApiError(400, "bad_parameter", "parameter 'modified_since' must be before 'modified_before'")
    after, page = None, params.page
    if params.cursor:
        after, page = cursor.decode(services.signing_key, params.cursor, params.fingerprint(), params.effective_sort)
    elif params.start is not None and params.start + params.per_page > settings.max_result_window:
        raise ApiError(
            400,
            "bad_parameter",
            f"start {params.start} + rows {params.per_page} goes past {settings.max_result_window} results; "
            "narrow the query with filters",
        )
    elif params.start is None and params.page * params.per_page > settings.max_result_window:
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
        offset=params.start if params.start is not None and not params.cursor else (page - 1) * params.per_page,
        limit=params.per_page,
        after=after,
        facets=params.facets,
        facet_limit=params.facet_limit,
    )
    result = services.index.search(query)
    next_cursor = None
    if result.hits and page * params.per_page < result.total:
        next_cursor = cursor.encode(services.signing_key, params.fingerprint(), result.hits[-1].sort_key, page + 1)
    return SearchOutcome(result, page, next_cursor)
