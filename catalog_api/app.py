"""The app factory: ``create_app(settings)`` builds the store, the index and the routes; nothing happens
at import time."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from catalog_api import errors, openapi
from catalog_api.judging import minute_versioned
from catalog_api.limits import BodyLimit
from catalog_api.proxy import install_proxy_headers
from catalog_api.response_cache import ResponseCache
from catalog_api.routes import (
    api,
    catalog_rdf,
    census,
    ckan_api,
    collection_pages,
    collections_api,
    core,
    dataset_page,
    discovery,
    duplicates,
    federation,
    governance_admin,
    health,
    previews,
    publishing,
    reports,
    source_admin,
    usage,
)
from catalog_api.routes.api_docs import install_api_docs
from catalog_api.runtime import tune_collector
from catalog_api.security import SecurityHeaders
from catalog_api.services import Services, build_services
from catalog_api.settings import Settings
from catalog_api.strict_params import check_query_parameters
from catalog_api.templating import make_templates
from catalog_api.usage import UsageCounter
from catalog_api.web.site import install_site

log = logging.getLogger("nutmeg.app")
CACHED_PATHS = frozenset({"/api/v1/datasets"})  # answers that depend only on the query and the index
API_DESCRIPTION = """
Search every dataset the catalog federates, read one dataset with its provenance, and follow how each
source's harvests went. Errors are always `{"error": {"code", "message"}}`. See `/data.json` for the
DCAT-US 1.1 catalog data.gov harvests.
"""


def _warm_and_settle(services: Services) -> None:
    services.index.warm()
    try:
        services.runner.settle()
    except Exception:  # the engine or the store is down: the next harvest, worker or doctor tries again
        log.warning("could not check the search engine's settings at start", exc_info=True)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """A ready-to-serve app; ``services`` may be passed in (tests, the CLI) or are built from settings."""
    settings = settings or Settings()
    owned = services is None
    services = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # load the search index's in-memory columns now, not on the first visitor's search; and put back
        # an engine setting a killed harvest left changed
        warming = threading.Thread(target=_warm_and_settle, args=(services,), name="index-warm", daemon=True)
        warming.start()
        tune_collector()
        yield
        if counter is not None:
            counter.close()  # store what was counted since the last flush
        if owned:  # services handed in belong to the caller (the CLI, tests)
            services.close()

    app = FastAPI(
        title=settings.catalog_title,
        description=API_DESCRIPTION,
        version="1.0",
        lifespan=lifespan,
        docs_url=None,  # served by catalog_api.routes.api_docs from files this app ships, not a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        dependencies=[Depends(check_query_parameters)],
    )
    app.state.services = services
    counter = (
        UsageCounter(services.store, services.index, settings.usage_flush_seconds) if settings.usage_counting else None
    )
    app.state.usage = counter
    app.state.templates = make_templates()
    errors.install(app)
    if settings.search_cache_entries:
        app.add_middleware(
            ResponseCache,
            paths=CACHED_PATHS,
            version=minute_versioned(lambda: cache_version(services)),
            entries=settings.search_cache_entries,
        )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)  # added last: the outermost
    app.include_router(api.router)
    app.include_router(previews.router)
    app.include_router(publishing.router)
    app.include_router(duplicates.router)
    app.include_router(governance_admin.router)
    app.include_router(source_admin.router)
    app.include_router(federation.router)
    app.include_router(health.router)
    app.include_router(dataset_page.router)
    app.include_router(catalog_rdf.router)
    app.include_router(discovery.router)
    app.include_router(ckan_api.router)
    app.include_router(usage.router)
    app.include_router(core.router)
    app.include_router(collections_api.router)  # issue 14: collections
    app.include_router(collection_pages.router)
    app.include_router(collection_pages.pages)
    app.include_router(census.router)  # issue 14: the open-data census
    app.include_router(census.pages)
    app.include_router(reports.router)
    install_site(app, settings)
    install_api_docs(app)
    openapi.install(app, settings)
    app.add_middleware(SecurityHeaders)
    install_proxy_headers(app, settings.trusted_proxies)  # outermost: the headers above see the real scheme
    return app


def cache_version(services: Services) -> Hashable | None:
    """What cached search answers depend on: the index, and the collections (their filter and facet)."""
    version = services.index.version()
    return None if version is None else (version, services.collections.version())
