"""The search API against counts computed independently from the fixture files."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.services import build_services
from mappings.derive import parse_modified
from tests.conftest import DATA, add_source, datasets_of, make_settings
from tests.support.httpserver import LoopbackServer, Route

SOURCES = {"cdc": "datajson/cdc.gov.data.json", "phl": "datajson/gsa-harvester-dcatus_with_none.json"}


def _fold(text: str) -> str:
    return " ".join(html.unescape(text).split())


def _records() -> list[tuple[str, dict[str, Any]]]:
    return [(source, r) for source, path in SOURCES.items() for r in datasets_of(path)]


def values(field: str, source: str, record: dict[str, Any]) -> set[str]:
    """A record's facet values straight from the JSON, with the documented normalisation."""
    if field == "publisher":
        publisher = record.get("publisher")
        return {_fold(publisher["name"])} if isinstance(publisher, dict) and publisher.get("name") else set()
    if field == "keyword":
        return {_fold(k).lower() for k in record.get("keyword") or [] if isinstance(k, str) and k.strip()}
    if field == "theme":
        return {_fold(t) for t in record.get("theme") or [] if isinstance(t, str) and t.strip()}
    if field == "accessLevel":
        return {record["accessLevel"].strip().lower()} if record.get("accessLevel") else set()
    return {source}


def expected(field: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for source, record in _records():
        counts.update(values(field, source, record))
    return counts


def matching(field: str, value: str) -> int:
    """Records a case-insensitive filter on ``value`` keeps."""
    wanted = value.casefold()
    return sum(1 for s, r in _records() if any(v.casefold() == wanted for v in values(field, s, r)))


def top(counts: Counter[str], limit: int = 20) -> list[dict[str, Any]]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [{"value": v, "count": c} for v, c in ordered]


@pytest.fixture(scope="module")
def api() -> Iterator[TestClient]:
    with LoopbackServer() as server:
        services = build_services(make_settings(max_result_window=1000))
        for name, path in SOURCES.items():
            add_source(services, name, server.route(f"/{name}.json", Route(body=DATA / path)))
            assert services.runner.harvest(name).status == "succeeded"
        with TestClient(create_app(services.settings, services)) as client:
            yield client
        services.close()


def get(api: TestClient, **params: Any) -> dict[str, Any]:
    response = api.get("/api/v1/datasets", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("field", ["publisher", "keyword", "theme", "accessLevel", "source"])
def test_facet_counts_match_the_files(api: TestClient, field: str) -> None:
    body = get(api, per_page=1)
    assert body["total"] == len(_records())
    assert body["facets"][field] == top(expected(field))


@pytest.mark.parametrize("field", ["publisher", "keyword", "theme"])
def test_filters_match_the_files(api: TestClient, field: str) -> None:
    for value, _ in expected(field).most_common(5):
        body = get(api, **{field: value.upper(), "per_page": 5})
        assert body["total"] == matching(field, value), (field, value)


def test_format_filter(api: TestClient) -> None:
    def has_csv(record: dict[str, Any]) -> bool:
        return any(
            (d.get("format") or "").lower() == "csv" or d.get("mediaType") == "text/csv"
            for d in record.get("distribution") or []
            if isinstance(d, dict)
        )

    assert get(api, format="CSV", per_page=1)["total"] == sum(1 for _, r in _records() if has_csv(r))


def test_modified_range(api: TestClient) -> None:
    since, before = datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
    want = sum(
        1
        for _, r in _records()
        if (m := parse_modified(r.get("modified") if isinstance(r.get("modified"), str) else None))
        and since <= m < before
    )
    assert get(api, modified_since="2023-01-01", modified_before="2024-01-01", per_page=1)["total"] == want


def test_combined_filters_and_text(api: TestClient) -> None:
    body = get(api, q="vaccination", source="cdc", keyword="covid-19", per_page=50)
    assert body["total"] > 0
    for result in body["results"]:
        assert result["source"] == "cdc"
        assert "covid-19" in result["keyword"]
        assert result["html_url"].startswith("http://catalog.test/dataset/")


def test_cursor_walks_every_result_past_the_window(api: TestClient) -> None:
    seen: list[str] = []
    body = get(api, per_page=100, sort="title")
    while True:
        seen.extend(r["id"] for r in body["results"])
        if not body["next"]:
            break
        body = get(api, per_page=100, sort="title", cursor=body["next"])
    assert len(seen) == len(set(seen)) == len(_records())
    titles = [r["title"].lower() for r in get(api, per_page=100, sort="title")["results"]]
    assert titles == sorted(titles)


def test_deep_pages_need_the_cursor(api: TestClient) -> None:
    response = api.get("/api/v1/datasets", params={"page": 11, "per_page": 100})
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["message"]


def test_cursor_from_another_query_is_refused(api: TestClient) -> None:
    cursor = get(api, q="covid", per_page=5)["next"]
    response = api.get("/api/v1/datasets", params={"q": "influenza", "per_page": 5, "cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_cursor"


def test_relevance_prefers_titles(api: TestClient) -> None:
    results = get(api, q="influenza", per_page=5)["results"]
    assert results
    assert all(r["score"] for r in results)
    assert "influenza" in results[0]["title"].lower()


def test_dataset_detail(api: TestClient) -> None:
    first = get(api, q="police advisory", per_page=1)["results"][0]
    detail = api.get(f"/api/v1/datasets/{first['id']}").json()
    assert detail["dataset"]["title"] == first["title"]
    assert detail["catalog"]["source"] == "phl"
    assert detail["catalog"]["original_identifier"] == "2009-2012-police-advisory-commission-complaints"
    assert api.get(first["html_url"].replace("http://catalog.test", "")).status_code == 200


def test_sources_and_jobs(api: TestClient) -> None:
    sources = api.get("/api/v1/sources").json()
    assert {s["name"]: s["datasets"] for s in sources["results"]} == {"cdc": 1359, "phl": 402}
    jobs = api.get("/api/v1/sources/cdc/jobs").json()
    assert jobs["total"] == 1
    assert jobs["results"][0]["new"] == 1359
    errors = api.get(f"/api/v1/jobs/{jobs['results'][0]['id']}/errors", params={"q": "accrualPeriodicity"}).json()
    assert errors["total"] > 0
    assert all("accrualperiodicity" in (e["path"] + e["message"]).lower() for e in errors["results"])
