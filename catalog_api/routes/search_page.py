"""``/``: search with facets and counts, sort, pagination and removable filter chips."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from catalog_api.deps import ServicesDep
from catalog_api.search import run_search
from catalog_api.templating import templates
from catalog_api.web.search_view import PER_PAGE, SearchState, failed_page, search_page
from index.search.base import SearchError

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def search(request: Request, services: ServicesDep) -> HTMLResponse:
    max_pages = max(1, services.settings.max_result_window // PER_PAGE)
    state = SearchState.from_query(request.query_params, max_pages)
    try:
        page = search_page(state, run_search(services, state.params()), max_pages)
        status = 200
    except SearchError as exc:
        page, status = failed_page(state, f"Those words cannot be searched for as written: {exc}"), 400
    context = {"page": page, "is_home": not state.q and not state.filters}
    return templates(request).TemplateResponse(request, "search.html", context, status_code=status)
