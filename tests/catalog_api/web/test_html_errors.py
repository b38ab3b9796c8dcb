"""People get error pages; programs get the one JSON error shape."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.services import Services

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def crashing(services: Services) -> Iterator[TestClient]:
    """An app with one page that fails, to see what a 500 looks like."""
    app = create_app(services.settings, services)
    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/no/such/page", 404),
        ("/dataset/not-a-dataset", 404),
        ("/dataset/some-title-aaaaaaaaaaaaaaaa", 404),
        ("/organization/nobody", 404),
        ("/source/nothing", 404),
        ("/?page=0", 400),
        ("/?sort=sideways", 400),
    ],
)
def test_a_browser_gets_an_error_page(client: TestClient, path: str, status: int) -> None:
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f"Error {status}" in response.text
    assert '<main id="main"' in response.text
    assert "{&#34;error" not in response.text


@pytest.mark.parametrize(
    ("path", "accept", "status"),
    [
        ("/api/v1/datasets/nope", BROWSER, 404),
        ("/api/v1/sources/nope", BROWSER, 404),
        ("/api/v1/datasets?per_page=0", BROWSER, 400),
        ("/dataset/some-title-aaaaaaaaaaaaaaaa.json", BROWSER, 404),
        ("/dataset/some-title-aaaaaaaaaaaaaaaa.ttl", BROWSER, 404),
        ("/no/such/page", "application/json", 404),
        ("/no/such/page", "*/*", 404),
        ("/no/such/page", None, 404),
        ("/organization/nobody", "application/json", 404),
    ],
)
def test_programs_keep_the_json_shape(client: TestClient, path: str, accept: str | None, status: int) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get(path, headers=headers)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}


def test_a_post_gets_json(client: TestClient) -> None:
    response = client.post("/", headers={"Accept": BROWSER})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_crash_shows_a_page_without_internals(crashing: TestClient) -> None:
    page = crashing.get("/boom", headers={"Accept": BROWSER})
    assert page.status_code == 500
    assert "Something went wrong" in page.text
    assert "secret internals" not in page.text
    data = crashing.get("/boom")
    assert data.status_code == 500
    assert data.json()["error"]["code"] == "internal_error"
    assert "secret internals" not in data.text


def test_the_message_is_escaped(client: TestClient) -> None:
    response = client.get("/source/<script>alert(1)</script>", headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text
