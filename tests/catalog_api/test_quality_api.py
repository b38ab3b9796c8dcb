"""Freshness and quality on every search surface, the dataset API and an organization's report, over CDC's
real data.json (1,359 datasets, 2025 snapshot: ``accrualPeriodicity`` as words — irregular, Weekly, Monthly,
Annual — and as ``R/P1Y``), with the clock fixed so freshness is known."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from index.governance import NewOrganization, add_organization
from mappings.derive import parse_modified
from mappings.freshness import schedule, state
from tests.conftest import DATA, add_source, datasets_of, make_settings
from tests.support.httpserver import LoopbackServer, Route

NOW = datetime(2025, 9, 1, tzinfo=UTC)
NCHS = "National Center for Health Statistics"


def _expected_states() -> Counter[str]:
    """Each record's freshness at NOW from the JSON as published (modified, else issued)."""
    counts: Counter[str] = Counter()
    for record in datasets_of("datajson/cdc.gov.data.json"):
        modified = parse_modified(record.get("modified")) or parse_modified(record.get("issued"))
        when = schedule(record.get("accrualPeriodicity"), modified)
        counts[state(when.due_at, when.stale_at, NOW)] += 1
    return counts


@pytest.fixture(scope="module")
def services() -> Iterator[Services]:
    with LoopbackServer() as server:
        built = build_services(make_settings(max_result_window=2000))
        built.clock = lambda: NOW
        add_organization(built.store, NewOrganization("nchs", NCHS, publisher_names=(NCHS,)), NOW)
        url = server.route("/cdc.json", Route(body=DATA / "datajson/cdc.gov.data.json"))
        add_source(built, "cdc", url)
        assert built.runner.harvest("cdc").status == "succeeded"
        yield built
        built.close()


@pytest.fixture(scope="module")
def api(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services.settings, services)) as client:
        yield client


def get(api: TestClient, path: str = "/api/v1/datasets", **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_fixture_has_every_state() -> None:
    counts = _expected_states()
    assert all(counts[s] > 0 for s in ("fresh", "due", "stale", "unknown")), counts


def test_freshness_facet_and_each_result(api: TestClient) -> None:
    body = get(api, per_page=100)
    facet = {f["value"]: f["count"] for f in body["facets"]["freshness"]}
    assert facet == {k: v for k, v in _expected_states().items() if v}
    for result in body["results"]:
        assert result["freshness"] in ("fresh", "due", "stale", "unknown")
        assert 0 <= result["quality"]["score"] <= 100
        assert {"dimension", "indicator", "message", "lost"} <= set(result["quality"]["reasons"][0])
        assert "freshness_at" not in result


@pytest.mark.parametrize("chosen", [["stale"], ["due"], ["fresh"], ["unknown"], ["due", "stale"]])
def test_freshness_filter(api: TestClient, chosen: list[str]) -> None:
    expected = _expected_states()
    body = get(api, freshness=chosen, per_page=100)
    assert body["total"] == sum(expected[s] for s in chosen)
    assert {r["freshness"] for r in body["results"]} <= set(chosen)


def test_quality_min_and_sort_by_quality_walk_every_page(api: TestClient) -> None:
    everything = get(api, per_page=1)["total"]
    assert get(api, quality_min=0, per_page=1)["total"] == everything
    scores: list[int] = []
    params: dict[str, Any] = {"sort": "quality", "per_page": 100, "quality_min": 50}
    while True:
        body = get(api, **params)
        scores += [r["quality"]["score"] for r in body["results"]]
        if not body["next"]:
            break
        params = {"sort": "quality", "per_page": 100, "quality_min": 50, "cursor": body["next"]}
    assert scores == sorted(scores, reverse=True)
    assert min(scores) >= 50
    assert len(scores) == body["total"] == get(api, quality_min=50, per_page=1)["total"]
    assert len(scores) < everything


def test_the_dataset_api_says_the_same(api: TestClient) -> None:
    hit = get(api, freshness="stale", per_page=1)["results"][0]
    one = get(api, f"/api/v1/datasets/{hit['id']}")
    assert one["freshness"] == "stale"
    assert one["quality"]["score"] == hit["quality"]["score"]
    assert set(one["quality"]["dimensions"]) == {
        "findability",
        "accessibility",
        "interoperability",
        "reusability",
        "contextuality",
        "validity",
    }


@pytest.mark.parametrize(
    ("params", "name"),
    [({"freshness": "rotten"}, "freshness"), ({"quality_min": "101"}, "quality_min"), ({"sort": "score"}, "sort")],
)
def test_bad_values_are_json_errors(api: TestClient, params: dict[str, str], name: str) -> None:
    response = api.get("/api/v1/datasets", params=params)
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"]
    assert name in response.json()["error"]["message"]


def test_ckan_package_search(api: TestClient) -> None:
    expected = _expected_states()
    params = {"ext_freshness": "due,stale", "rows": 5, "facet.field": '["freshness"]', "sort": "quality desc"}
    body = api.get("/api/3/action/package_search", params=params).json()
    assert body["success"] is True
    assert body["result"]["count"] == expected["due"] + expected["stale"]
    assert body["result"]["facets"]["freshness"] == {s: expected[s] for s in ("stale", "due")}
    low = api.get("/api/3/action/package_search", params={"ext_quality_min": 60, "rows": 0}).json()
    assert low["result"]["count"] == get(api, quality_min=60, per_page=1)["total"]
    bad = api.get("/api/3/action/package_search", params={"ext_freshness": "rotten"})
    assert bad.status_code == 409
    assert bad.json()["success"] is False


def test_feeds_take_the_same_filters(api: TestClient) -> None:
    expected = _expected_states()
    atom = api.get("/search.atom", params={"freshness": "stale", "sort": "quality"})
    assert atom.status_code == 200
    assert f"<opensearch:totalResults>{expected['stale']}</opensearch:totalResults>" in atom.text


def test_search_page_facet_chip_and_badges(api: TestClient) -> None:
    page = api.get("/", params={"freshness": "stale", "quality_min": "40"})
    assert page.status_code == 200
    assert "Out of date" in page.text  # the facet value, the chip and the badges
    assert "at least 40" in page.text
    assert '<b class="tone-bad">Out of date</b>' in page.text  # each result's badge
    assert "Quality score" in page.text  # the sort


def test_report_api(api: TestClient, services: Services) -> None:
    report = get(api, "/api/v1/organizations/nchs/report")
    mine = [r for r in datasets_of("datajson/cdc.gov.data.json") if (r.get("publisher") or {}).get("name") == NCHS]
    assert report["datasets"] == len(mine)
    assert sum(report["freshness"].values()) == len(mine)
    assert report["stale"]["total"] == report["freshness"]["stale"] == len(report["stale"]["results"])
    assert all(item["freshness"] == "stale" for item in report["stale"]["results"])
    lowest = [item["quality"] for item in report["lowest_scores"]["results"]]
    assert lowest == sorted(lowest)
    kinds = report["problems"]["kinds"]
    assert len({k["kind"] for k in kinds if not k["repaired"]}) == len([k for k in kinds if not k["repaired"]])
    assert report["problems"]["records"] <= len(mine)
    assert report["broken_links"] == {
        "results": [],
        "note": "the link checker has not checked this catalog's links yet",
    }
    assert report["quality_history"][-1]["day"] == NOW.date().isoformat() or report["quality_history"]


def test_report_csv_lists(api: TestClient) -> None:
    report = get(api, "/api/v1/organizations/nchs/report")
    for name, total in (("stale", report["stale"]["total"]), ("problems", len(report["problems"]["kinds"]))):
        response = api.get("/api/v1/organizations/nchs/report", params={"list": name, "format": "csv"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert f"nchs-{name}.csv" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == total
    lowest = api.get("/api/v1/organizations/nchs/report", params={"list": "lowest_scores", "format": "csv"})
    scores = [int(r["quality"]) for r in csv.DictReader(io.StringIO(lowest.text))]
    assert scores == sorted(scores)
    assert len(scores) == report["datasets"]
    one = get(api, "/api/v1/organizations/nchs/report", list="stale")
    assert set(one) == {"organization", "generated_at", "stale"}


@pytest.mark.parametrize(
    ("params", "status"), [({"format": "csv"}, 400), ({"list": "nothing"}, 400), ({"colour": "red"}, 400)]
)
def test_report_refuses_what_it_cannot_do(api: TestClient, params: dict[str, str], status: int) -> None:
    response = api.get("/api/v1/organizations/nchs/report", params=params)
    assert response.status_code == status
    assert response.json()["error"]["code"] == "bad_parameter"
    assert api.get("/api/v1/organizations/nobody/report").status_code == 404


def test_report_page(api: TestClient) -> None:
    page = api.get("/organization/nchs/report")
    assert page.status_code == 200
    assert "Stale datasets" in page.text
    assert "list=stale&amp;format=csv" in page.text
    assert "Metadata problems by kind" in page.text


def test_cached_answers_are_versioned_by_the_minute() -> None:
    """Freshness moves with the clock, not the index: a cached search answer lives at most a minute."""
    from catalog_api.judging import minute_versioned

    versioned = minute_versioned(lambda: 7)
    found = versioned()
    assert isinstance(found, tuple)
    assert found[0] == 7
    assert minute_versioned(lambda: None)() is None  # a backend that cannot tell is never cached


def test_blank_values_are_not_given(api: TestClient) -> None:
    """An OpenSearch client fills a parameter it has no value for with nothing: it is not a filter."""
    everything = get(api, per_page=1)["total"]
    assert get(api, quality_min="", freshness="", per_page=1)["total"] == everything
    assert api.get("/", params={"quality_min": "lots"}).status_code == 400
    assert api.get("/", params={"freshness": "rotten"}).status_code == 400
