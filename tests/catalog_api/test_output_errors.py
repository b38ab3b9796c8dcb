"""Every error path of the published outputs answers the one error shape with the right status (the CKAN
API's own form is tested in test_ckan_api.py), and the OpenAPI document builds without warnings."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from catalog_api.services import Services
from tests.conftest import harvest_file
from tests.support.httpserver import LoopbackServer

CASES = [
    ("/catalog.ttl?page=2", {}, 404, "not_found"),
    ("/catalog.ttl?page=0", {}, 400, "bad_parameter"),
    ("/catalog.ttl?page=many", {}, 400, "bad_parameter"),
    ("/catalog.xml", {}, 404, "not_found"),
    ("/catalog", {"Accept": "image/png"}, 406, "not_acceptable"),
    ("/sitemaps/datasets-9.xml", {}, 404, "not_found"),
    ("/sitemaps/datasets-x.xml", {}, 400, "bad_parameter"),
    ("/search.atom?modified_since=yesterday", {}, 400, "bad_parameter"),
    ("/search.rss?sort=newest", {}, 400, "bad_parameter"),
    ("/search.atom?modified_since=2024-01-02&modified_before=2024-01-01", {}, 400, "bad_parameter"),
    ("/search.atom?cursor=forged", {}, 400, None),
    ("/api/v1/suggest?limit=0", {}, 400, "bad_parameter"),
    ("/api/v1/suggest?q=" + "x" * 201, {}, 400, "bad_parameter"),
    ("/dataset/no-such-dataset-aaaaaaaaaaaaaaaa.ttl", {}, 404, "not_found"),
    ("/dataset/not-an-id.jsonld", {}, 404, "not_found"),
]


@pytest.mark.parametrize(("url", "headers", "status", "code"), CASES)
def test_error_shape(
    services: Services,
    client: TestClient,
    http_server: LoopbackServer,
    url: str,
    headers: dict[str, str],
    status: int,
    code: str | None,
) -> None:
    harvest_file(services, http_server, "datajson/ckanext-datajson-arm.data.json")
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code


def test_openapi_lists_the_outputs(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/data.json",
        "/catalog",
        "/catalog.{fmt}",
        "/opensearch.xml",
        "/search.atom",
        "/search.rss",
        "/api/v1/suggest",
        "/sitemap.xml",
        "/sitemaps/datasets-{number}.xml",
        "/robots.txt",
        "/api/3/action/{action}",
    ):
        assert path in paths, path
    feed = {p["name"] for p in paths["/search.atom"]["get"]["parameters"]}
    api = {p["name"] for p in paths["/api/v1/datasets"]["get"]["parameters"]}
    assert feed == api
