"""The web face on top of the API: static files, the pages' routes and HTML error pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from catalog_api.routes import (
    dashboard_page,
    governance_pages,
    organization_pages,
    reports,
    search_page,
    source_pages,
)
from catalog_api.settings import Settings
from catalog_api.web import html_errors
from catalog_api.web.static import Assets, CachedStaticFiles, static_folder


def install_site(app: FastAPI, settings: Settings) -> None:
    """Mount ``/static``, add the pages, and give browsers HTML error pages (after the API's handlers)."""
    templates: Jinja2Templates = app.state.templates
    assets = Assets(static_folder())
    templates.env.globals.update(static_url=assets.url, catalog_title=settings.catalog_title)
    app.mount("/static", CachedStaticFiles(assets), name="static")
    pages = (search_page, organization_pages, source_pages, dashboard_page, governance_pages)
    for router in (page.router for page in pages):
        app.include_router(router)
    app.include_router(reports.pages)
    html_errors.install(app, templates)
