"""The ``bbox`` and ``temporal_from``/``temporal_to`` filters on every search surface (the JSON API, the
Atom feed, CKAN's ``package_search`` with ``ext_bbox``, the search page), on both backends, against
counts computed here straight from the fixture files.

The oracle is this file's own: it reads each record's ``spatial`` as a ``w,s,e,n`` string, as
ckanext-datajson's ``[[lat, lon], [lat, lon]]``, or as one of the two place names these fixtures use
(their boxes written down below from the Census Bureau's county file), and each ``temporal`` as an ISO 8601
interval; an unforeseen value fails the test instead of being guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.services import build_services
from catalog_api.settings import Settings
from tests.conftest import DATA, add_source, datasets_of, make_settings
from tests.support.httpserver import LoopbackServer, Route
from tests.support.servers import OpenSearchNode

SOURCES = {
    "phl": "datajson/gsa-harvester-dcatus_with_none.json",
    "datagov": "datajson/catalog.data.gov-harvest-source.data.json",
    "geo": "datajson/ckanext-datajson-geospatial.data.json",
    "health": "datajson/healthdata.gov-dkan-2020.data.json",
    "invalid": "datajson/gsa-harvester-dcatus_multiple_invalid.json",
}
Box = tuple[float, float, float, float]
# Philadelphia County (coterminous with the city), from the Census Bureau's 2017 county boundaries.
NAMED: dict[str, Box] = {
    "Philadelphia, Pennsylvania": (-75.28, 39.867, -74.956, 40.138),
    "Worldwide": (-180.0, -90.0, 180.0, 90.0),
}
PENNSYLVANIA: Box = (-80.52, 39.72, -74.69, 42.27)

AREAS: dict[str, Box] = {
    "center-city": (-75.2, 39.94, -75.14, 39.97),
    "pittsburgh": (-80.1, 40.35, -79.85, 40.5),
    "europe": (0.0, 45.0, 10.0, 50.0),
    "southern-ocean": (0.0, -80.0, 10.0, -70.0),
    "ann-arbor": (-83.8, 42.2, -83.6, 42.35),
}
PERIODS: dict[str, tuple[str | None, str | None]] = {
    "2005": ("2005-01-01", "2005-12-31"),
    "from-2015-07": ("2015-07-01", None),
    "to-1980": (None, "1980-12-31"),
    "one-day": ("2000-06-15", "2000-06-15"),
}


def _box(spatial: Any) -> Box | None:
    if not spatial:
        return None
    text = str(spatial).strip()
    if text in NAMED:
        return NAMED[text]
    numbers = [float(n) for n in re.findall(r"[-+]?\d+(?:\.\d+)?", text)]
    assert len(numbers) == 4, f"the oracle does not know {text!r}"
    if text.startswith("[["):
        south, west, north, east = numbers
        return west, south, east, north
    west, south, east, north = numbers
    return west, south, east, north


def _intersects(a: Box, b: Box) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _period(temporal: Any) -> tuple[datetime, datetime] | None:
    if not temporal:
        return None
    start, end = str(temporal).split("/")
    return _moment(start), _moment(end)


def records() -> list[dict[str, Any]]:
    """Every titled record, a dataset two files list (by identifier) once: the catalog merges them."""
    found: dict[str, dict[str, Any]] = {}
    for number, path in enumerate(SOURCES.values()):
        for index, record in enumerate(datasets_of(path)):
            if record.get("title"):
                found.setdefault(str(record.get("identifier") or f"{number}-{index}"), record)
    return list(found.values())


def in_area(box: Box) -> int:
    return sum(1 for r in records() if (b := _box(r.get("spatial"))) is not None and _intersects(b, box))


def in_period(start: str | None, end: str | None) -> int:
    low = datetime.fromisoformat(start).replace(tzinfo=UTC) if start else None
    high = datetime.fromisoformat(end).replace(hour=23, minute=59, second=59, tzinfo=UTC) if end else None
    count = 0
    for record in records():
        covered = _period(record.get("temporal"))
        if covered and (low is None or covered[1] >= low) and (high is None or covered[0] <= high):
            count += 1
    return count


def _engine_settings(request: pytest.FixtureRequest) -> Settings:
    node: OpenSearchNode = request.getfixturevalue("opensearch_node")
    return make_settings(search_url=node.url, search_index="nutmeg-where-when")


@pytest.fixture(scope="module", params=["embedded", pytest.param("engine", marks=pytest.mark.engine)])
def api(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    settings = _engine_settings(request) if request.param == "engine" else make_settings()
    with LoopbackServer() as server:
        services = build_services(settings)
        for name, path in SOURCES.items():
            add_source(services, name, server.route(f"/{name}.json", Route(body=DATA / path)))
            assert services.runner.harvest(name).status == "succeeded"
        with TestClient(create_app(services.settings, services)) as client:
            yield client
        if request.param == "engine":
            import httpx

            httpx.delete(f"{settings.search_url}/nutmeg-where-when-*", timeout=30)
        services.close()


def total(api: TestClient, **params: Any) -> int:
    response = api.get("/api/v1/datasets", params={"per_page": 1, **params})
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def test_the_fixtures_cover_places_and_periods() -> None:
    spatial = [r for r in records() if _box(r.get("spatial"))]
    assert len(spatial) > 290
    assert in_area(AREAS["center-city"]) > 290
    assert 0 < in_area(AREAS["southern-ocean"]) < 10
    assert in_period(*PERIODS["2005"]) > 100


@pytest.mark.parametrize("area", AREAS)
def test_bbox_counts_match_the_files(api: TestClient, area: str) -> None:
    box = AREAS[area]
    want = in_area(box)
    bbox = ",".join(map(str, box))
    assert total(api, bbox=bbox) == want
    ckan = api.get("/api/3/action/package_search", params={"ext_bbox": bbox, "rows": 0}).json()
    assert ckan["success"], ckan
    assert ckan["result"]["count"] == want
    feed = feedparser.parse(api.get("/search.atom", params={"bbox": bbox, "per_page": 100}).content)
    assert len(feed.entries) == min(want, 100)


def test_a_place_name_is_a_box(api: TestClient) -> None:
    assert total(api, bbox="Pennsylvania") == in_area(PENNSYLVANIA)
    assert total(api, bbox="Philadelphia County, PA") == in_area(NAMED["Philadelphia, Pennsylvania"])


@pytest.mark.parametrize("name", PERIODS)
def test_temporal_counts_match_the_files(api: TestClient, name: str) -> None:
    start, end = PERIODS[name]
    params = {k: v for k, v in (("temporal_from", start), ("temporal_to", end)) if v}
    assert total(api, **params) == in_period(start, end)


def test_area_period_and_words_combine(api: TestClient) -> None:
    everything = total(api, bbox="-180,-90,180,90", temporal_from="1900-01-01")
    assert everything == 0  # no fixture record has both a place and a period
    assert 0 < total(api, q="health", temporal_from="2005-01-01") < in_period("2005-01-01", None)


def test_the_search_page_filters_and_keeps_the_area(api: TestClient) -> None:
    box = AREAS["pittsburgh"]
    page = api.get("/", params={"bbox": ",".join(map(str, box)), "q": "data"})
    assert page.status_code == 200
    assert 'name="bbox"' in page.text
    assert "-80.1,40.35,-79.85,40.5" in page.text
    want = total(api, bbox=",".join(map(str, box)), q="data")
    assert f"{want} dataset" in page.text.replace(",", "")
    when = api.get("/", params={"temporal_from": "2005", "temporal_to": "2005-12"})
    assert f"{in_period('2005-01-01', '2005-12-31'):,} datasets" in when.text
    assert "Time covered" in when.text


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "10,80,20,70"}, "bbox"),  # south above north
        ({"bbox": "200,0,210,10"}, "bbox"),
        ({"bbox": "Atlantis"}, "bbox"),
        ({"temporal_from": "2021-01-01", "temporal_to": "2020-01-01"}, "temporal_from"),
        ({"temporal_from": "soon"}, "temporal_from"),
    ],
)
def test_bad_areas_and_periods_are_400(api: TestClient, params: dict[str, str], word: str) -> None:
    response = api.get("/api/v1/datasets", params=params)
    assert response.status_code in (400, 422), response.text
    assert word in json.dumps(response.json())
    if "temporal_from" not in params or params["temporal_from"] != "soon":
        page = api.get("/", params=params)
        assert page.status_code == 400
    ckan = api.get("/api/3/action/package_search", params={"ext_bbox": params.get("bbox", "x")})
    assert ckan.status_code == 409


def test_the_dataset_page_maps_its_extent(api: TestClient) -> None:
    box = ",".join(map(str, AREAS["center-city"]))
    hits = api.get("/api/v1/datasets", params={"bbox": box, "source": "phl"}).json()
    page = api.get(hits["results"][0]["html_url"].split("127.0.0.1:8000")[-1])
    assert page.status_code == 200
    assert '<svg class="map" id="extent-map"' in page.text
    assert 'class="extent"' in page.text
    assert "/?bbox=-75.2768%2C39.8654%2C-74.9645%2C40.1378" in page.text  # Philadelphia County, from the gazetteer
