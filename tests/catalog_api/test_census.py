"""The census: a checklist matched to a harvested catalog (loopback HTTP) and scored; the expected scores
are computed here from the harvested records themselves, by this file's own rules, not Nutmeg's code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.census import load_checklist
from catalog_api.services import build_services
from tests.conftest import add_source, make_settings, serve_json
from tests.support.httpserver import LoopbackServer
from tests.support.servers import OpenSearchNode

TODAY = datetime.now(UTC)
CHECKLIST = """
[[item]]
key = "budget"
title = "Budget"
q = ["budget"]
max_age_days = 365

[[item]]
key = "crime"
title = "Crime"
q = ["crime", "arrests"]
max_age_days = 100

[[item]]
key = "restaurant-inspections"
title = "Restaurant inspections"
q = ["restaurant inspections"]
filters = { keyword = ["health"] }
max_age_days = 30

[[item]]
key = "election-results"
title = "Election results"
q = ["election results"]
"""
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
CC_BY_NC = "https://creativecommons.org/licenses/by-nc/4.0/"


def day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).date().isoformat()


def record(identifier: str, title: str, distribution: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "title": title,
        "description": "Published by the state.",
        "keyword": ["state"],
        "publisher": {"name": "State of Example"},
        "contactPoint": {"fn": "Open Data Team", "hasEmail": "mailto:opendata@example.gov"},
        "accessLevel": "public",
        "distribution": distribution,
        **extra,
    }


def csv(url: str) -> dict[str, Any]:
    return {"downloadURL": url, "mediaType": "text/csv"}


RECORDS = [
    record("b1", "State budget 2026", [csv("https://x.gov/budget.csv")], license=CC0, modified=day(10)),
    record(
        "b2",
        "Budget book",
        [{"downloadURL": "https://x.gov/book.pdf", "mediaType": "application/pdf"}],
        modified="2015-01-01",
    ),
    record(
        "c1",
        "Crime incidents",
        [{"accessURL": "https://x.gov/api/crime", "format": "API"}],
        license=CC_BY_NC,
        modified=day(50),
    ),
    record(
        "c2",
        "Arrests by county",
        [{"downloadURL": "https://x.gov/arrests.xlsx"}],
        license="Public Domain",
        modified=day(200),
    ),
    record(
        "r1",
        "Restaurant inspections",
        [csv("https://x.gov/food.csv")],
        license=CC_BY,
        modified=day(40),
        keyword=["health"],
    ),
    record("r2", "Restaurant inspections archive", [csv("https://x.gov/old.csv")], license=CC0, modified=day(1)),
    record("o1", "Parks", [csv("https://x.gov/parks.csv")], license=CC0, modified=day(1)),
]

# -- this test's own judgement of the records ------------------------------------------------------

READABLE = {"text/csv", "csv", "xlsx", "api", "json", "xml", "geojson"}
OPEN = {CC0, CC_BY, "Public Domain"}
ITEMS = {  # key → (words any of which must all be in the title, keyword every match must have, max age)
    "budget": ([["budget"]], None, 365),
    "crime": ([["crime"], ["arrests"]], None, 100),
    "restaurant-inspections": ([["restaurant", "inspections"]], "health", 30),
    "election-results": ([["election", "results"]], None, 365),
}


def readable(dist: dict[str, Any]) -> bool:
    url = dist.get("downloadURL") or dist.get("accessURL") or ""
    kinds = {str(dist.get("mediaType", "")).lower(), str(dist.get("format", "")).lower(), url.rsplit(".", 1)[-1]}
    return bool(kinds & READABLE)


def judge(r: dict[str, Any], max_age: int) -> dict[str, bool]:
    modified = datetime.fromisoformat(r["modified"]).replace(tzinfo=UTC)
    return {
        "machine_readable": any(readable(d) for d in r["distribution"]),
        "open_license": r.get("license") in OPEN,
        "bulk_download": any("downloadURL" in d and readable(d) for d in r["distribution"]),
        "up_to_date": TODAY - modified <= timedelta(days=max_age),
    }


def expected(key: str) -> tuple[list[str], dict[str, bool], int]:
    """(identifiers matched, the best one's criteria, score 0–100)."""
    any_words, keyword, max_age = ITEMS[key]
    matched = [
        r
        for r in RECORDS
        if any(all(w in r["title"].lower() for w in words) for words in any_words)
        and (keyword is None or keyword in r["keyword"])
    ]
    if not matched:
        return [], dict.fromkeys(("machine_readable", "open_license", "bulk_download", "up_to_date"), False), 0
    best = max((judge(r, max_age) for r in matched), key=lambda c: sum(c.values()))
    return sorted(r["identifier"] for r in matched), best, round(100 * (1 + sum(best.values())) / 5)


@pytest.fixture(params=["embedded", pytest.param("engine", marks=pytest.mark.engine)])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    checklist = tmp_path / "census.toml"
    checklist.write_text(CHECKLIST)
    engine: dict[str, Any] = {}
    if request.param == "engine":
        node: OpenSearchNode = request.getfixturevalue("opensearch_node")
        engine = {"search_url": node.url, "search_index": f"nutmeg-census-{id(request)}"}
    settings = make_settings(census_checklist=str(checklist), **engine)
    with LoopbackServer() as server:
        services = build_services(settings)
        add_source(services, "state", serve_json(server, "/data.json", {"dataset": RECORDS}))
        assert services.runner.harvest("state").ok
        with TestClient(create_app(settings, services)) as test_client:
            yield test_client
        services.close()
    if engine:
        httpx.delete(f"{engine['search_url']}/{engine['search_index']}-*", timeout=30)


def test_each_item_is_scored_as_its_records_say(client: TestClient) -> None:
    body = client.get("/api/v1/census").json()
    assert [i["key"] for i in body["items"]] == list(ITEMS)
    by_key = {i["key"]: i for i in body["items"]}
    ids = {r["id"]: r for r in client.get("/api/v1/datasets", params={"per_page": 100}).json()["results"]}
    scores = []
    for key in ITEMS:
        matched, criteria, score = expected(key)
        item = by_key[key]
        assert sorted(ids[d["id"]]["identifier"] for d in item["datasets"]) == matched, key
        assert (item["matches"], item["available"]) == (len(matched), bool(matched)), key
        assert item["criteria"] == criteria, key
        assert item["score"] == score, key
        scores.append(score)
    assert body["score"] == round(sum(scores) / len(scores))
    assert body["available"] == sum(1 for k in ITEMS if expected(k)[0])
    assert expected("budget")[2] == 100
    assert expected("election-results")[2] == 0


def test_the_census_page_shows_where_the_state_stands(client: TestClient) -> None:
    page = client.get("/census")
    assert page.status_code == 200
    body = client.get("/api/v1/census").json()
    assert f"<strong>{body['score']}</strong> out of 100" in page.text
    assert "State budget 2026" in page.text
    assert "Not found" in page.text


def test_the_bundled_checklist_is_the_state_census_kind() -> None:
    keys = [i.key for i in load_checklist(None)]
    for key in ["budget", "spending", "legislation", "election-results", "business-registrations", "crime"]:
        assert key in keys
    assert {"school-locations", "restaurant-inspections", "statewide-map"} <= set(keys)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("[[item]]\nkey = 'x'\n", "title"),
        ("[[item]]\nkey = 'x'\ntitle = 'X'\nq = ['a']\nfilters = { colour = ['red'] }\n", "colour"),
        ("not toml [", "census checklist"),
    ],
)
def test_a_bad_checklist_is_a_clear_error(tmp_path: Path, text: str, word: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    settings = make_settings(census_checklist=str(path))
    services = build_services(settings)
    with TestClient(create_app(settings, services)) as test_client:
        response = test_client.get("/api/v1/census")
    services.close()
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "bad_checklist"
    assert word in response.json()["error"]["message"]
    assert str(path) in response.json()["error"]["message"]
