"""One harvested catalog for all page tests (built once per session; the pages only read it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from tests.conftest import make_settings
from tests.support.html import Node, parse
from tests.support.httpserver import LoopbackServer
from tests.support.site import SiteCatalog, build_site_catalog

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@dataclass
class Site:
    services: Services
    catalog: SiteCatalog
    client: TestClient

    def page(self, path: str, status: int = 200) -> Node:
        response = self.client.get(path, headers={"Accept": BROWSER})
        assert response.status_code == status, response.text[:500]
        assert response.headers["content-type"].startswith("text/html")
        return parse(response.text)

    def api(self, path: str, **params: object) -> dict[str, object]:
        response = self.client.get(path, params=params)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text[:500]
        body: dict[str, object] = response.json()
        return body


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    services = build_services(make_settings())
    with LoopbackServer() as server:
        catalog = build_site_catalog(services, server, datetime.now(UTC))
        app = create_app(services.settings, services)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Site(services, catalog, client)
    services.close()
