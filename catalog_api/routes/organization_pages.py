"""``/organization`` and ``/organization/{slug}``: every publisher, and one publisher's page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from catalog_api.deps import ServicesDep
from catalog_api.errors import ApiError
from catalog_api.services import Services
from catalog_api.templating import templates
from catalog_api.web.links import organization_slug
from catalog_api.web.organization_list import organization_list, with_registered
from catalog_api.web.organization_view import organization_page
from catalog_api.web.organizations import Publisher, named_by, publishers
from index.governance import list_organizations

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/organization", response_class=HTMLResponse)
def organizations(
    request: Request,
    services: ServicesDep,
    q: Annotated[str | None, Query(description="words in the name or description")] = None,
    sort: Annotated[str | None, Query(description="name or datasets")] = None,
) -> HTMLResponse:
    listing = organization_list(_publishers(services), q, sort)
    context = {"publishers": listing.entries, "listing": listing}
    return templates(request).TemplateResponse(request, "organizations.html", context)


@router.get("/organization/{slug}", response_class=HTMLResponse, response_model=None)
def organization(slug: str, request: Request, services: ServicesDep) -> Response:
    candidates = _publishers(services)
    matches = named_by(slug, candidates)
    renamed = next((p for p in candidates if p.registered and organization_slug(p.name) == slug), None)
    if renamed is not None and renamed.slug != slug:  # links made from the title lead to the registered slug
        return RedirectResponse(renamed.href, status_code=301)
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
    found = publishers(services.index, (s.publisher for s in services.store.list_sources() if s.kind != "api"))
    return with_registered(found, list_organizations(services.store))
