"""``/dashboard``: what the catalog holds and how harvests go, as charts drawn on the server."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from catalog_api.deps import ServicesDep
from catalog_api.templating import templates
from catalog_api.web.dashboard import build_dashboard

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, services: ServicesDep) -> HTMLResponse:
    now = datetime.now(UTC)
    context = {"board": build_dashboard(services, now), "now": now}
    return templates(request).TemplateResponse(request, "dashboard.html", context)
