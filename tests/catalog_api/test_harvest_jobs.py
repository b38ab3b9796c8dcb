"""Harvest jobs end to end over loopback HTTP: every fixture, counts across runs, the deletion guard."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from catalog_api.search import SearchParams, run_search
from catalog_api.services import Services
from tests.conftest import DATA, add_source, datasets_of, harvest_file, serve_json
from tests.support.httpserver import LoopbackServer, Route

DATAJSON = sorted(p.name for p in (DATA / "datajson").glob("*.json"))
UNPARSEABLE = {"pod-dashboard-baddata.json"}


def _total(services: Services, **filters: tuple[str, ...]) -> int:
    return run_search(services, SearchParams(filters=filters, per_page=1)).result.total


@pytest.mark.parametrize("name", DATAJSON)
def test_every_fixture_harvests(services: Services, http_server: LoopbackServer, name: str) -> None:
    report = harvest_file(services, http_server, f"datajson/{name}")
    if name in UNPARSEABLE:
        assert report.status == "failed"
        assert "valid JSON" in (report.message or "")
        return
    assert report.status == "succeeded", report.message
    records = datasets_of(f"datajson/{name}")
    assert report.listed == len(records)
    assert report.new + report.skipped + report.failed == report.listed
    assert report.failed == 0
    # everything stored is searchable, and nothing else is
    assert _total(services, source=("src",)) == report.new == services.store.live_count()


def test_identifier_and_title_are_required(services: Services, http_server: LoopbackServer) -> None:
    for name, path in (("a", "gsa-harvester-dcatus_no_identifier.json"), ("b", "gsa-harvester-missing_title.json")):
        report = harvest_file(services, http_server, f"datajson/{path}", name)
        assert (report.new, report.skipped) == (0, 1)
        _, errors = services.store.list_errors(job_id=report.job_id)
        assert errors[0].path.endswith(("identifier", "title"))
        assert "no identifier" in errors[0].message or "no title" in errors[0].message


def test_duplicates_keep_the_first(services: Services, http_server: LoopbackServer) -> None:
    records = datasets_of("datajson/gsa-harvester-dcatus.json")
    twin = copy.deepcopy(records[0])
    twin["title"] = "A later duplicate"
    catalog = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [*records, twin]}
    add_source(services, "dup", serve_json(http_server, "/d.json", catalog))
    report = services.runner.harvest("dup")
    assert (report.new, report.skipped) == (len(records), 1)
    _, errors = services.store.list_errors(job_id=report.job_id)
    assert errors[0].code == "duplicate"
    assert "first record" in errors[0].message
    titles = {r.title for r in services.store.iter_records()}
    assert "A later duplicate" not in titles
    assert records[0]["title"] in titles


def test_invalid_records_are_kept_with_field_errors(services: Services, http_server: LoopbackServer) -> None:
    report = harvest_file(services, http_server, "datajson/gsa-harvester-dcatus_multiple_invalid.json")
    assert report.new == 1
    record = next(services.store.iter_records())
    paths = {issue["path"] for issue in record.issues if issue["code"] == "schema"}
    assert {"contactPoint.hasEmail", "distribution[0].accessURL", "license"} <= paths
    _, errors = services.store.list_errors(job_id=report.job_id)
    assert {e.path for e in errors} >= paths


def test_dcat_us_3_is_harvested_and_unmapped_fields_reported(services: Services, http_server: LoopbackServer) -> None:
    report = harvest_file(services, http_server, "datajson/gsa-harvester-dcatus3_0.json")
    assert report.new == 4
    assert report.stats["dialect"] == "3.0"
    identifiers = {r.original_identifier for r in services.store.iter_records()}
    assert "https://example.gov/datasets/three" in identifiers  # an identifier object's @id
    assert "NCDC-CLIMATE-OBS-2024" in identifiers  # no @id: its notation
    _, errors = services.store.list_errors(job_id=report.job_id)
    assert any(e.code == "unmapped" for e in errors) or all(
        not r.issues or any(i["code"] == "unmapped" for i in r.issues) for r in services.store.iter_records()
    )


LEGACY = "datajson/socrata-v1.0-2013-data.seattle.gov.json"


def test_legacy_1_0_catalog(services: Services, http_server: LoopbackServer) -> None:
    report = harvest_file(services, http_server, LEGACY)
    assert report.stats["dialect"] == "1.0"
    assert report.skipped == 1  # the entry that describes data.json itself
    record = next(r for r in services.store.iter_records() if r.original_identifier == "e3zj-s4zh")
    dataset = record.dataset
    assert dataset["keyword"] == ["crime", "violent", "seattle"]
    assert dataset["accessLevel"] == "public"
    assert dataset["license"] == "http://creativecommons.org/publicdomain/zero/1.0/legalcode"
    assert {d.get("mediaType") for d in dataset["distribution"]} >= {"text/csv", "application/json"}
    # licences written as prose with URLs in brackets: the URL (a known licence's first), never the bracket
    licences = {r.original_identifier: r.dataset.get("license") for r in services.store.iter_records()}
    published = {d["identifier"]: d.get("license") for d in datasets_of(LEGACY) if d.get("identifier")}
    bracketed = [i for i, text in published.items() if text and "(http" in text]
    assert len(bracketed) > 40
    for identifier in bracketed:
        assert licences[identifier].startswith("http"), published[identifier]
        assert not licences[identifier].endswith((")", ".")), published[identifier]
        if "creativecommons.org" in published[identifier]:
            assert "creativecommons.org" in licences[identifier]
        else:
            assert f"({licences[identifier]})" in published[identifier]
    utilities = next(
        i for i, text in published.items() if text == "Public Domain\nSeattle Public Utilities(http://www.seattle.gov)"
    )
    record = next(r for r in services.store.iter_records() if r.original_identifier == utilities)
    assert record.dataset["license"] == "http://www.seattle.gov"
    assert record.dataset["rights"] == "Public Domain Seattle Public Utilities(http://www.seattle.gov)"


def _catalog(records: list[dict[str, Any]]) -> bytes:
    return json.dumps({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": records}).encode()


def test_new_updated_unchanged_withdrawn_over_three_harvests(services: Services, http_server: LoopbackServer) -> None:
    records = datasets_of("datajson/gsa-harvester-dcatus.json")
    route = Route(body=_catalog(records))
    add_source(services, "cftc", http_server.route("/data.json", route))

    first = services.runner.harvest("cftc")
    assert (first.new, first.updated, first.unchanged, first.withdrawn) == (7, 0, 0, 0)

    edited = copy.deepcopy(records)
    edited[0]["title"] = "Commitment of Traders (revised)"
    edited.append({**copy.deepcopy(records[1]), "identifier": "brand-new", "title": "A new dataset"})
    del edited[2]
    route.body = _catalog(edited)
    second = services.runner.harvest("cftc")
    assert (second.new, second.updated, second.unchanged, second.withdrawn) == (1, 1, 5, 1)

    route.body = _catalog(edited)
    third = services.runner.harvest("cftc")
    assert third.status == "unchanged"  # same bytes: the server answers 304 to our If-None-Match
    assert http_server.seen("/data.json")[-1].headers.get("If-None-Match")

    withdrawn_id = next(r.id for r in services.store.iter_records(live=False))
    assert services.store.get_record(withdrawn_id).withdrawn
    assert _total(services) == 7
    hits = run_search(services, SearchParams(q="revised")).result.hits
    assert [h.summary["title"] for h in hits] == ["Commitment of Traders (revised)"]


def test_unchanged_records_are_not_rewritten(services: Services, http_server: LoopbackServer) -> None:
    records = datasets_of("datajson/gsa-harvester-dcatus.json")
    route = Route(body=_catalog(records), conditional=False)
    add_source(services, "cftc", http_server.route("/data.json", route))
    services.runner.harvest("cftc")
    before = {r.id: r.last_changed for r in services.store.iter_records()}
    indexed_before = services.index.hashes()
    again = services.runner.harvest("cftc")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 7)
    assert {r.id: r.last_changed for r in services.store.iter_records()} == before
    assert services.index.hashes() == indexed_before
    assert all(r.last_seen > before[r.id] for r in services.store.iter_records())


def test_304_ends_the_job_without_reading_anything(services: Services, http_server: LoopbackServer) -> None:
    """(How fast: benchmarks/run.py measures the 304 path at 100k datasets.)"""
    harvest_file(services, http_server, "datajson/cdc.gov.data.json", "cdc")
    report = services.runner.harvest("cdc")
    assert report.status == "unchanged"
    assert (report.listed, report.new, report.updated, report.unchanged, report.withdrawn) == (0, 0, 0, 0, 0)
    second = http_server.seen("/datajson/cdc.gov.data.json")[-1]
    assert second.headers.get("If-None-Match")
    assert second.headers.get("If-Modified-Since")
    assert services.store.live_count() == 1359


GUARD_CASES: dict[str, Route] = {
    "truncated body": Route(body=(DATA / "datajson/gsa-harvester-dcatus_with_none.json"), truncate_at=400_000),
    "HTTP 500": Route(body=b"oops", status=500, content_type="text/plain"),
    "HTML error page with 200": Route(
        body=b"<!doctype html><html><body><h1>Maintenance</h1></body></html>", content_type="text/html"
    ),
    "empty catalog": Route(body=_catalog([])),
    "90% shrink": Route(body=b""),  # filled in the test
    "not a catalog": Route(body=b'{"hello": "world"}'),
    "empty body": Route(body=b""),
}


@pytest.mark.parametrize("case", sorted(GUARD_CASES))
def test_deletion_guard_keeps_every_earlier_record(services: Services, http_server: LoopbackServer, case: str) -> None:
    source = DATA / "datajson/gsa-harvester-dcatus_with_none.json"
    route = Route(body=source)
    add_source(services, "phl", http_server.route("/data.json", route))
    first = services.runner.harvest("phl")
    assert first.status == "succeeded"
    assert first.new == 402

    bad = GUARD_CASES[case]
    if case == "90% shrink":
        bad = Route(body=_catalog(datasets_of("datajson/gsa-harvester-dcatus_with_none.json")[:40]))
    http_server.route("/data.json", bad)
    report = services.runner.harvest("phl", full=True)
    assert report.status in ("failed", "suspicious"), report
    assert report.withdrawn == 0
    assert "nothing was withdrawn" in (report.message or "")
    assert services.store.live_count() == 402
    assert _total(services) == 402


def test_accept_shrink_withdraws(services: Services, http_server: LoopbackServer) -> None:
    records = datasets_of("datajson/gsa-harvester-dcatus_with_none.json")
    route = Route(body=_catalog(records))
    add_source(services, "phl", http_server.route("/data.json", route))
    services.runner.harvest("phl")
    route.body = _catalog(records[:40])
    assert services.runner.harvest("phl").status == "suspicious"
    report = services.runner.harvest("phl", accept_shrink=True)
    assert (report.status, report.withdrawn) == ("succeeded", 362)
    assert _total(services) == 40


def test_source_publisher_fills_missing_publishers(services: Services, http_server: LoopbackServer) -> None:
    url = http_server.route("/s.json", Route(body=DATA / "datajson/socrata-v1.0-2013-data.seattle.gov.json"))
    add_source(services, "seattle", url, publisher="City of Seattle")
    services.runner.harvest("seattle")
    assert _total(services, publisher=("city of seattle",)) == 168


def test_a_record_that_turns_bad_keeps_its_stored_version(services: Services, http_server: LoopbackServer) -> None:
    records = datasets_of("datajson/gsa-harvester-dcatus.json")
    route = Route(body=_catalog(records))
    add_source(services, "cftc", http_server.route("/data.json", route))
    services.runner.harvest("cftc")
    broken = copy.deepcopy(records)
    broken[0]["title"] = {"not": "a string"}  # has a "title", but nothing that maps to one
    route.body = _catalog(broken)
    report = services.runner.harvest("cftc")
    assert (report.skipped, report.withdrawn, report.unchanged) == (1, 0, 6)
    assert services.store.live_count() == 7
    kept = next(r for r in services.store.iter_records() if r.original_identifier == records[0]["identifier"])
    assert kept.title == records[0]["title"]
    _, errors = services.store.list_errors(job_id=report.job_id)
    assert any("no title" in e.message for e in errors)
