"""What the OpenAPI document says, checked directly (schemathesis checks that the app keeps to it)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/openapi.json").json()
    return body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]


def test_every_operation_documents_its_errors_with_the_error_schema(document: dict[str, Any]) -> None:
    error = {"$ref": "#/components/schemas/ErrorResponse"}
    for path, method, op in operations(document):
        responses = op["responses"]
        assert "422" not in responses, f"{method} {path}: this API answers invalid input with 400"
        for status in ("413", "500"):
            assert responses[status]["content"]["application/json"]["schema"] == error, (path, status)
        if op.get("parameters") or path.startswith("/api/v1/"):
            assert "400" in responses, f"{method} {path}"
        if "{" in path:
            assert "404" in responses, f"{method} {path}"
    assert set(document["components"]["schemas"]["ErrorDetail"]["required"]) == {"code", "message"}


@pytest.mark.parametrize(
    ("path", "media"),
    [
        ("/search.atom", {"application/atom+xml"}),
        ("/search.rss", {"application/rss+xml"}),
        ("/opensearch.xml", {"application/opensearchdescription+xml"}),
        ("/api/v1/suggest", {"application/x-suggestions+json"}),
        ("/sitemap.xml", {"application/xml"}),
        ("/catalog.{fmt}", {"text/turtle", "application/rdf+xml", "application/ld+json", "application/n-triples"}),
        (
            "/dataset/{segment}",
            {
                "text/html",
                "application/json",
                "text/turtle",
                "application/rdf+xml",
                "application/ld+json",
                "application/n-triples",
            },
        ),
        ("/robots.txt", {"text/plain"}),
    ],
)
def test_media_types_are_the_real_ones(document: dict[str, Any], path: str, media: set[str]) -> None:
    assert set(document["paths"][path]["get"]["responses"]["200"]["content"]) == media


def test_search_operations_document_503_and_the_page_limit(document: dict[str, Any]) -> None:
    for path in ("/api/v1/datasets", "/search.atom", "/search.rss", "/api/3/action/{action}"):
        assert "503" in document["paths"][path]["get"]["responses"], path
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/datasets"]["get"]["parameters"]}
    assert parameters["per_page"]["schema"]["maximum"] == 100  # NUTMEG_MAX_PER_PAGE, whatever it is set to


def test_the_ckan_actions_document_get_and_post(document: dict[str, Any]) -> None:
    item = document["paths"]["/api/3/action/{action}"]
    assert set(item) == {"get", "post"}
    assert set(item["post"]["requestBody"]["content"]) == {"application/json", "application/x-www-form-urlencoded"}
    for op in item.values():
        assert op["responses"]["409"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/CkanErrorResponse"
        }
        action = next(p for p in op["parameters"] if p["name"] == "action")
        assert "package_search" in action["schema"]["enum"]
