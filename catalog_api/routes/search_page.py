"""``/``: search with facets and counts, sort, pagination and removable filter chips."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from catalog_api.deps import ServicesDep
from catalog_api.routes.collection_pages import CollectionView, collection_view
from catalog_api.search import run_search
from catalog_api.services import Services
from catalog_api.templating import templates
from catalog_api.web.search_view import PER_PAGE, SearchState, failed_page, search_page
from index.collections import list_collections
from index.core import any_core, core_ids
from index.search.base import SearchError, SearchQuery

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def search(request: Request, services: ServicesDep) -> HTMLResponse:
    max_pages = max(1, services.settings.max_result_window // PER_PAGE)
    state = SearchState.from_query(request.query_params, max_pages)
    titles = {c.slug: c.title for c in services.collections.rows()}
    try:
        outcome = run_search(services, state.params())
        core = core_ids(services.store, [hit.id for hit in outcome.result.hits])  # their badges
        page = search_page(state, outcome, max_pages, titles, core)
        status = 200
    except SearchError as exc:
        page, status = failed_page(state, f"Those words cannot be searched for as written: {exc}", titles), 400
    is_home = not state.q and not state.narrowed and state.page == 1
    context = {
        "page": page,
        "is_home": is_home,
        "counts": home_counts(services) if is_home else None,
        "featured": featured_collections(services) if is_home else [],
        "core_filter": state.core or any_core(services.store),  # offered once some dataset is core
    }
    return templates(request).TemplateResponse(request, "search.html", context, status_code=status)


def home_counts(services: Services) -> dict[str, int]:
    """How many datasets, publishers and sources the catalog holds (the home page's first line)."""
    result = services.index.search(SearchQuery(limit=0, facets=("publisher", "source"), facet_limit=10_000))
    return {
        "datasets": result.total,
        "publishers": len(result.facets.get("publisher", [])),
        "sources": len(result.facets.get("source", [])),
    }


def featured_collections(services: Services) -> list[CollectionView]:
    """The collections the CDO features on the home page (none: the home page shows no such section)."""
    return [collection_view(services, c) for c in list_collections(services.store, featured=True)]
