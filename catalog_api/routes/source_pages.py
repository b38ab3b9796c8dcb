"""``/source`` and ``/source/{name}``: every source's harvest health, and one source's history and errors."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from catalog_api.deps import ServicesDep
from catalog_api.templating import templates
from catalog_api.web.health import source_health
from catalog_api.web.source_view import SourceQuery, source_judged, source_page
from index.linkchecks import link_counts_by_source

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/source", response_class=HTMLResponse)
def sources(request: Request, services: ServicesDep) -> HTMLResponse:
    now = datetime.now(UTC)
    every = sorted(services.store.list_sources(), key=lambda s: (s.title or s.name).casefold())
    flag_after = services.settings.schedule_flag_after
    rows = [source_health(services.store, s, now, flag_after) for s in every]
    context = {"sources": rows, "now": now, "link_counts": link_counts_by_source(services.store)}
    return templates(request).TemplateResponse(request, "sources.html", context)


@router.get("/source/{name}", response_class=HTMLResponse)
def source(name: str, request: Request, services: ServicesDep) -> HTMLResponse:
    now = datetime.now(UTC)
    query = SourceQuery.from_query(request.query_params)
    found = services.store.get_source(name)
    page = source_page(services.store, found, query, now, services.settings.schedule_flag_after)
    context = {"page": page, "now": now, **source_judged(services, found.id, found.name, page.job)}
    return templates(request).TemplateResponse(request, "source.html", context)
