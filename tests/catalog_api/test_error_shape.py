"""Every API error path answers the one JSON shape with the right status and a useful message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from catalog_api.services import Services
from index.search.base import BackendUnavailable
from tests.conftest import harvest_file
from tests.support.httpserver import LoopbackServer


def assert_error(response: Any, status: int, code: str | None = None, mentions: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    if mentions:
        assert mentions in body["error"]["message"]


CASES: list[tuple[str, str, int, str, str | None]] = [
    ("GET", "/nope", 404, "not_found", "/docs"),
    ("GET", "/api/v1/datasets/missing", 404, "not_found", "missing"),
    ("GET", "/api/v1/sources/ghost", 404, "not_found", "ghost"),
    ("GET", "/api/v1/sources/ghost/jobs", 404, "not_found", "ghost"),
    ("GET", "/api/v1/jobs/999", 404, "not_found", "999"),
    ("GET", "/api/v1/jobs/999/errors", 404, "not_found", "999"),
    ("GET", "/api/v1/jobs/abc", 400, "bad_parameter", "job_id"),
    ("GET", "/api/v1/datasets?per_page=0", 400, "bad_parameter", "per_page"),
    ("GET", "/api/v1/datasets?per_page=1000", 400, "bad_parameter", "per_page"),
    ("GET", "/api/v1/datasets?page=0", 400, "bad_parameter", "page"),
    ("GET", "/api/v1/datasets?page=501&per_page=20", 400, "bad_parameter", "cursor"),
    ("GET", "/api/v1/datasets?sort=popularity", 400, "bad_parameter", "sort"),
    ("GET", "/api/v1/datasets?modified_since=yesterday", 400, "bad_parameter", "modified_since"),
    (
        "GET",
        "/api/v1/datasets?modified_since=2024-01-01&modified_before=2023-01-01",
        400,
        "bad_parameter",
        "modified_since",
    ),
    ("GET", "/api/v1/datasets?cursor=%%%garbage", 400, "bad_cursor", "cursor"),
    ("GET", "/api/v1/datasets?q=" + "x" * 501, 400, "bad_parameter", "q"),
    ("PUT", "/api/v1/datasets", 405, "method_not_allowed", "PUT"),
    ("POST", "/api/v1/datasets", 401, "unauthorized", "Authorization: Bearer"),
    ("DELETE", "/api/v1/datasets/missing", 401, "unauthorized", "Authorization: Bearer"),
    ("POST", "/api/v1/drafts/1/approve", 401, "unauthorized", "Authorization: Bearer"),
    ("GET", "/api/v1/organizations/ghost", 404, "not_found", "ghost"),
    ("DELETE", "/data.json", 405, "method_not_allowed", None),
    ("GET", "/dataset/not-an-id", 404, "not_found", "id"),
]


@pytest.mark.parametrize(("method", "path", "status", "code", "mentions"), CASES)
def test_error_paths(client: TestClient, method: str, path: str, status: int, code: str, mentions: str | None) -> None:
    assert_error(client.request(method, path), status, code, mentions)


def test_not_acceptable_and_gone(client: TestClient, services: Services, http_server: LoopbackServer) -> None:
    harvest_file(services, http_server, "datajson/gsa-harvester-dcatus.json")
    result = client.get("/api/v1/datasets", params={"per_page": 1}).json()["results"][0]
    page = result["html_url"].removeprefix("http://catalog.test")
    assert_error(client.get(page, headers={"Accept": "image/png"}), 406, "not_acceptable", "text/turtle")
    services.store.withdraw_missing(services.store.get_source("src").id, set(), datetime.now(UTC))
    assert_error(client.get(page), 410, "gone")


def test_a_crash_is_a_500_without_internals(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret connection string postgresql://admin:hunter2@db")

    monkeypatch.setattr(services.store, "list_sources", explode)
    response = client.get("/api/v1/sources")
    assert_error(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text


def test_search_engine_down_is_a_503(client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise BackendUnavailable("connection refused")

    monkeypatch.setattr(services.index, "search", down)
    response = client.get("/api/v1/datasets", params={"q": "x"})
    assert_error(response, 503, "search_unavailable")
    assert response.headers["retry-after"] == "30"
