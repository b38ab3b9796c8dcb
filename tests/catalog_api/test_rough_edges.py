"""Rough edges a new user hits: HEAD never announces a wrong Content-Length, a bad date says how to write
one, and an error never echoes a huge parameter back."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from catalog_api.errors import MAX_MESSAGE
from catalog_api.services import Services
from tests.conftest import harvest_file
from tests.support.httpserver import LoopbackServer

HEADABLE = ["/data.json", "/catalog.ttl", "/catalog.jsonld?page=1", "/sitemap.xml", "/sitemaps/datasets-1.xml"]


@pytest.fixture
def harvested(services: Services, client: TestClient, http_server: LoopbackServer) -> TestClient:
    assert harvest_file(services, http_server, "datajson/gsa-harvester-dcatus.json").ok
    return client


@pytest.mark.parametrize("path", HEADABLE)
def test_head_never_announces_a_wrong_length(harvested: TestClient, path: str) -> None:
    head, get = harvested.head(path), harvested.get(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    length = head.headers.get("content-length")
    assert length is None or int(length) == len(get.content), (path, length, len(get.content))


@pytest.mark.parametrize("path", ["/api/v1/datasets", "/search.atom", "/search.rss"])
@pytest.mark.parametrize("parameter", ["modified_since", "modified_before", "temporal_from", "temporal_to"])
@pytest.mark.parametrize("value", ["last tuesday", "1700000000"])  # a number is no date (not a Unix time)
def test_a_bad_date_says_how_to_write_one(harvested: TestClient, path: str, parameter: str, value: str) -> None:
    response = harvested.get(path, params={parameter: value})
    assert response.status_code == 400
    text = response.json()["error"]["message"]
    assert "use YYYY-MM-DD or an ISO 8601 date-time" in text
    assert f"parameter '{parameter}'" in text
    for internal in ("Input should be", "datetime_from", ".datetime", ".date'", "pydantic"):
        assert internal not in text


def test_good_dates_still_work(harvested: TestClient) -> None:
    for value in ("2020-01-01", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00+02:00"):
        assert harvested.get("/api/v1/datasets", params={"modified_since": value}).status_code == 200


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/datasets", {"modified_since": "9" * 20_000}),
        ("/api/v1/datasets", {"per_page": "x" * 20_000}),
        ("/api/v1/datasets", {"sort": "s" * 20_000}),
        ("/api/v1/datasets", {"cursor": "c" * 20_000}),
        ("/api/v1/suggest", {"q": "q" * 20_000}),
        ("/api/v1/sources/" + "n" * 5_000, {}),
        ("/api/3/action/package_show", {"id": "i" * 20_000}),
    ],
)
def test_an_error_never_echoes_a_huge_parameter(harvested: TestClient, path: str, params: dict[str, str]) -> None:
    response = harvested.get(path, params=params)
    assert 400 <= response.status_code < 500, response.text[:300]
    body = response.json()
    message = body["error"]["message"]
    assert len(message) <= MAX_MESSAGE
    assert len(response.content) < 3_000
