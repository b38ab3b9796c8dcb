"""Shared fixtures: test data, a loopback HTTP server, and whole apps on in-memory SQLite."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.harvesting import HarvestReport
from catalog_api.services import Services, build_services
from catalog_api.settings import Settings
from index.store import NewSource
from tests.support.httpserver import LoopbackServer, Route
from tests.support.servers import opensearch_node, postgres_server, postgres_url  # noqa: F401 (fixtures)

DATA = Path(__file__).parent / "data"
SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    # harvest commands run inside the test process here: they must not lower the test run's priority
    os.environ.setdefault("NUTMEG_HARVEST_NICE", "0")
    # the worker's link checks would try every distribution link of the fixture catalogs (real hosts):
    # tests that want them turn them on, with links on loopback
    os.environ.setdefault("NUTMEG_LINK_CHECKS", "0")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


def make_settings(**overrides: Any) -> Settings:
    """Settings for tests: in-memory store and index, loopback harvesting allowed explicitly."""
    values: dict[str, Any] = {
        "database_url": "sqlite://",
        "index_path": ":memory:",
        "harvest_allow_private": True,
        "harvest_retries": 1,
        "harvest_backoff": 0.01,
        "harvest_timeout": 5.0,
        "harvest_workers": 1,
        "base_url": "http://catalog.test",
        "usage_flush_seconds": 0.2,  # counted uses reach the store (file-backed ones) within a test's patience
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    app = create_app(services.settings, services)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def add_source(services: Services, name: str, url: str, **fields: Any) -> None:
    services.store.add_source(
        NewSource(name=name, kind=fields.pop("kind", "datajson"), url=url, **fields), datetime.now(UTC)
    )


def serve_file(server: LoopbackServer, relative: str, path: str | None = None, **route: Any) -> str:
    """Serve ``tests/data/<relative>`` at ``path`` (default ``/<relative>``)."""
    return server.route(path or f"/{relative}", Route(body=DATA / relative, **route))


def serve_json(server: LoopbackServer, path: str, document: Any, **route: Any) -> str:
    return server.route(path, Route(body=json.dumps(document).encode(), **route))


def harvest_file(services: Services, server: LoopbackServer, relative: str, name: str = "src") -> HarvestReport:
    add_source(services, name, serve_file(server, relative))
    return services.runner.harvest(name)


def load(relative: str) -> Any:
    return json.loads((DATA / relative).read_bytes())


def datasets_of(relative: str) -> list[dict[str, Any]]:
    document = load(relative)
    return list(document["dataset"] if isinstance(document, dict) else document)
