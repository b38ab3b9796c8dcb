"""/data.json as data.gov reads it: every fixture catalog re-exported is valid against the official
non-federal and federal schemas (checked by plain jsonschema, with RFC 3987 URIs), records with gaps are
repaired rather than dropped where the catalog's defaults fit, and conditional GETs answer 304."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.exporting import ExportTally, datajson_chunks
from catalog_api.merging import split_record
from catalog_api.services import Services, build_services
from catalog_api.settings import Settings
from index.duplicates import dataset_of
from index.governance import OPERATOR
from index.ids import record_id
from tests.conftest import DATA, harvest_file, make_settings
from tests.support.dcatus import catalog_errors
from tests.support.httpserver import LoopbackServer

FIXTURES = sorted(p.name for p in (DATA / "datajson").glob("*.json") if p.name != "pod-dashboard-baddata.json")

DEFAULTS: dict[str, Any] = {
    "default_publisher": "State of Example",
    "default_contact_name": "Open Data Team",
    "default_contact_email": "opendata@example.gov",
    "default_access_level": "public",
    "default_bureau_code": "015:11",
    "default_program_code": "015:001",
}
REQUIRED = {
    "non-federal": {"title", "description", "publisher", "contactPoint", "identifier", "accessLevel"},
    "federal": {"title", "description", "publisher", "contactPoint", "identifier", "accessLevel", "keyword"}
    | {"modified", "bureauCode", "programCode"},
}


def _export(services: Services, settings: Settings, tally: ExportTally | None = None) -> Any:
    return json.loads(b"".join(datajson_chunks(services.store, settings, tally)))


@pytest.fixture
def filled() -> Iterator[Services]:
    built = build_services(make_settings(**DEFAULTS))
    yield built
    built.close()


LARGE = {p.name for p in (DATA / "datajson").glob("*.json") if p.stat().st_size > 900_000}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in LARGE else n for n in FIXTURES])
def test_every_fixture_reexports_valid(filled: Services, http_server: LoopbackServer, name: str) -> None:
    harvest_file(filled, http_server, f"datajson/{name}")
    stored = filled.store.live_count()
    for federal in (False, True):
        settings = make_settings(**DEFAULTS, federal=federal)
        profile = settings.profile.value
        tally = ExportTally()
        document = _export(filled, settings, tally)
        assert catalog_errors(document, profile) == []
        assert len(document["dataset"]) == tally.exported == stored - len(tally.excluded)
        for left_out in tally.excluded:
            # a record is only ever left out for a required field nothing could fill
            assert {p.path.split(".")[0].split("[")[0] for p in left_out.problems} <= REQUIRED[profile], left_out
        if not federal:  # with the catalog's defaults set, only a missing description keeps a record out
            assert all({p.path for p in e.problems} == {"description"} for e in tally.excluded)
            identifiers = {d["identifier"] for d in document["dataset"]}
            left_out = {e.id for e in tally.excluded}
            assert identifiers == {r.original_identifier for r in filled.store.iter_records() if r.id not in left_out}


def test_repairs_are_reported(filled: Services, http_server: LoopbackServer) -> None:
    harvest_file(filled, http_server, "datajson/socrata-v1.0-2013-data.raleighnc.gov.json")
    client = TestClient(create_app(filled.settings, filled))
    report = client.get("/api/v1/export/datajson/report").json()
    assert all({p["path"] for p in e["problems"]} == {"description"} for e in report["excluded"])
    adjusted = {(a["action"], a["field"]): a["records"] for a in report["adjusted"]}
    # v1.0 Socrata records: no publisher or contact (filled from settings), licences written as prose
    assert adjusted[("filled", "publisher")] == report["exported"]
    assert adjusted[("filled", "contactPoint.fn")] == report["exported"]
    assert adjusted[("normalized", "license")] > 0
    document = client.get("/data.json").json()
    prose = [d for d in document["dataset"] if d.get("rights", "").startswith("Public Domain")]
    assert prose
    # a licence in prose is the rights statement; the URL written in it, if any, is the licence
    assert all("license" not in d or f"({d['license']})" in d["rights"] for d in prose)
    assert any(d.get("license") == "http://quickfacts.census.gov/qfd/states/37/3755000.html" for d in prose)


def test_a_record_without_a_default_is_left_out_with_its_reason(
    services: Services, client: TestClient, http_server: LoopbackServer
) -> None:
    # Socrata's 2013 data.json has no publisher and no contact; this catalog sets no defaults for them
    harvest_file(services, http_server, "datajson/socrata-v1.0-2013-data.consumerfinance.gov.json")
    report = client.get("/api/v1/export/datajson/report").json()
    document = client.get("/data.json").json()
    assert catalog_errors(document, "non-federal") == []
    assert report["exported"] == len(document["dataset"]) == 0
    assert len(report["excluded"]) == services.store.live_count() == 6
    for left_out in report["excluded"]:  # some also lack a description
        assert {"publisher", "contactPoint"} <= {p["path"] for p in left_out["problems"]}
        # no publisher and no themes: nothing truthful to take keywords from either
        assert {p["path"] for p in left_out["problems"]} <= {"publisher", "contactPoint", "description", "keyword"}
        assert all("required" in p["message"] for p in left_out["problems"])


def test_etag_and_last_modified_answer_304(filled: Services, http_server: LoopbackServer) -> None:
    harvest_file(filled, http_server, "datajson/ckanext-datajson-arm.data.json")
    client = TestClient(create_app(filled.settings, filled))
    first = client.get("/data.json")
    assert first.status_code == 200
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"')
    assert first.headers["cache-control"] == "public, no-cache"

    again = client.get("/data.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert client.get("/data.json", headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get("/data.json", headers={"If-Modified-Since": modified}).status_code == 304
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
    stale = client.get("/data.json", headers={"If-None-Match": '"stale"', "If-Modified-Since": modified})
    assert stale.status_code == 200
    assert client.get("/data.json", headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}).status_code == 200
    head = client.head("/data.json")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == etag

    harvest_file(filled, http_server, "datajson/ckanext-datajson-ny.data.json", name="ny")
    changed = client.get("/data.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert len(changed.json()["dataset"]) == 4


def test_etag_follows_the_settings_that_shape_the_document(filled: Services, http_server: LoopbackServer) -> None:
    harvest_file(filled, http_server, "datajson/ckanext-datajson-arm.data.json")
    plain = TestClient(create_app(filled.settings, filled)).get("/data.json").headers["etag"]
    federal = make_settings(**DEFAULTS, federal=True)
    other = Services(federal, filled.store, filled.index, filled.runner)
    assert TestClient(create_app(federal, other)).get("/data.json").headers["etag"] != plain


def test_a_dataset_two_sources_list_is_published_once(filled: Services, http_server: LoopbackServer) -> None:
    harvest_file(filled, http_server, "datajson/ckanext-datajson-geospatial.data.json", name="state")
    harvest_file(filled, http_server, "datajson/catalog.data.gov-harvest-source.data.json", name="federal")
    tally = ExportTally()
    document = _export(filled, filled.settings, tally)
    identifiers = [d["identifier"] for d in document["dataset"]]
    # the two listings of the county shapefile are one merged dataset: published once, nothing left out
    assert len(identifiers) == len(set(identifiers)) == filled.store.live_count() - 1
    assert "tl_2013_us_county.shp.xml" in identifiers
    assert not [e for e in tally.excluded if e.problems[0].code == "duplicate"]


def test_an_identifier_published_twice_after_a_split_is_left_out_once(
    filled: Services, http_server: LoopbackServer
) -> None:
    harvest_file(filled, http_server, "datajson/ckanext-datajson-geospatial.data.json", name="state")
    harvest_file(filled, http_server, "datajson/catalog.data.gov-harvest-source.data.json", name="federal")
    dataset = dataset_of(filled.store, record_id("federal", "tl_2013_us_county.shp.xml"))
    assert dataset is not None
    merged = filled.store.get_record(dataset)
    loser = "state" if merged.source == "federal" else "federal"
    split_record(filled, dataset, loser, "tl_2013_us_county.shp.xml", OPERATOR)  # an admin: not one dataset
    tally = ExportTally()
    document = _export(filled, filled.settings, tally)
    identifiers = [d["identifier"] for d in document["dataset"]]
    assert len(identifiers) == len(set(identifiers)) == filled.store.live_count() - 1
    (duplicate,) = tally.excluded
    assert duplicate.problems[0].code == "duplicate"
    assert "tl_2013_us_county.shp.xml" in duplicate.problems[0].message
