"""FastAPI dependencies: the services built by ``create_app`` (overridable in tests)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from catalog_api.proxy import request_base_url
from catalog_api.services import Services
from catalog_api.settings import Settings
from index.ids import slug_path


def get_services(request: Request) -> Services:
    """The app's services; without ``NUTMEG_BASE_URL``, with settings whose base URL is where this request went."""
    services: Services = request.app.state.services
    if services.settings.base_url_fixed:
        return services
    return services.with_base_url(request_base_url(request))


def get_settings(services: Annotated[Services, Depends(get_services)]) -> Settings:
    return services.settings


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def html_url(settings: Settings, id_: str, title: str) -> str:
    return f"{settings.base_url}/dataset/{slug_path(title, id_)}"


def api_url(settings: Settings, id_: str) -> str:
    return f"{settings.base_url}/api/v1/datasets/{id_}"
