"""FastAPI dependencies: the services built by ``create_app`` (overridable in tests)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request

from catalog_api.proxy import request_base_url
from catalog_api.services import Services
from catalog_api.settings import Settings
from index.ids import slug_path


# Dependencies that only read memory are ``async``: FastAPI runs a plain ``def`` dependency in its
# threadpool, a hop that cost more than the work on every request.
async def get_services(request: Request) -> Services:
    """The app's services; without ``NUTMEG_BASE_URL``, with settings whose base URL is where this request went."""
    services: Services = request.app.state.services
    if services.settings.base_url_fixed:
        return services
    return services.with_base_url(request_base_url(request))


async def get_settings(services: Annotated[Services, Depends(get_services)]) -> Settings:
    return services.settings


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

# Integers from clients are range-checked before they reach the store (SQL integers are 64-bit).
MAX_PAGE = 1_000_000
MAX_ROW_ID = 2**63 - 1
# Accept is a standard header, not an operation parameter: OpenAPI says to leave it out of the document
AcceptHeader = Annotated[str | None, Header(include_in_schema=False)]
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page number, from 1")]
JobId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a harvest job's id")]


def html_url(settings: Settings, id_: str, title: str) -> str:
    return f"{settings.base_url}/dataset/{slug_path(title, id_)}"


def api_url(settings: Settings, id_: str) -> str:
    return f"{settings.base_url}/api/v1/datasets/{id_}"
