"""``/organization`` and ``/organization/{slug}``: every publisher, and one publisher's page."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from catalog_api.deps import ServicesDep
from catalog_api.errors import ApiError
from catalog_api.services import Services
from catalog_api.templating import templates
from catalog_api.web.links import organization_slug
from catalog_api.web.organization_view import organization_page
from catalog_api.web.organizations import Publisher, named_by, publishers

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/organization", response_class=HTMLResponse)
def organizations(request: Request, services: ServicesDep) -> HTMLResponse:
    every = sorted(_publishers(services), key=lambda p: p.name.casefold())
    return templates(request).TemplateResponse(request, "organizations.html", {"publishers": every})


@router.get("/organization/{slug}", response_class=HTMLResponse, response_model=None)
def organization(slug: str, request: Request, services: ServicesDep) -> Response:
    candidates = _publishers(services)
    matches = named_by(slug, candidates)
    if not matches:
        canonical = organization_slug(slug)
        if canonical != slug and named_by(canonical, candidates):
            return RedirectResponse(f"/organization/{canonical}", status_code=301)
        raise ApiError(404, "not_found", f"no organization publishes datasets at /organization/{slug}")
    wanted = request.query_params.get("name")
    chosen = next((p for p in matches if p.name == wanted), matches[0])
    others = [p for p in matches if p is not chosen]
    page = organization_page(services, chosen, others, datetime.now(UTC))
    return templates(request).TemplateResponse(request, "organization.html", {"org": page, "now": datetime.now(UTC)})


def _publishers(services: Services) -> list[Publisher]:
    return publishers(services.index, (s.publisher for s in services.store.list_sources()))
