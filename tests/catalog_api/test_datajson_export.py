"""/data.json: valid against the official DCAT-US 1.1 schemas, whatever was harvested."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from index.duplicates import merged_away
from tests.conftest import DATA, add_source, make_settings
from tests.support.httpserver import LoopbackServer, Route

SCHEMAS = Path(__file__).resolve().parents[2] / "mappings" / "schemas"
FIXTURES = [p.name for p in sorted((DATA / "datajson").glob("*.json")) if p.name != "pod-dashboard-baddata.json"]
DEFAULTS = {
    "default_publisher": "State of Example",
    "default_contact_name": "Open Data Team",
    "default_contact_email": "opendata@example.gov",
    "default_access_level": "public",
}


def catalog_validator(folder: str) -> Draft4Validator:
    """The official catalog schema with its $refs resolved from the files (independent of mappings/)."""
    registry: Registry[Any] = Registry()
    for path in (SCHEMAS / folder).glob("*.json"):
        contents = json.loads(path.read_text())
        registry = registry.with_resource(contents["id"].rstrip("#"), Resource.from_contents(contents, DRAFT4))
    schema = json.loads((SCHEMAS / folder / "catalog.json").read_text())
    checker = FormatChecker(formats=())
    checker.checks("uri")(lambda v: not isinstance(v, str) or (":" in v and " " not in v))
    return Draft4Validator(schema, registry=registry, format_checker=checker)


def harvest_all(services: Services, server: LoopbackServer) -> None:
    for i, name in enumerate(FIXTURES):
        add_source(services, f"s{i}", server.route(f"/{name}", Route(body=DATA / "datajson" / name)))
        assert services.runner.harvest(f"s{i}").status == "succeeded", name


@pytest.fixture(scope="module")
def everything() -> Any:
    with LoopbackServer() as server:
        services = build_services(make_settings(**DEFAULTS))
        harvest_all(services, server)
        yield services
        services.close()


def test_every_fixture_exports_valid_non_federal(everything: Services) -> None:
    with TestClient(create_app(everything.settings, everything)) as client:
        response = client.get("/data.json")
        report = client.get("/api/v1/export/datajson/report").json()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    errors = list(catalog_validator("dcat-us-1.1-non-federal").iter_errors(document))
    assert errors == [], errors[:3]
    assert len(document["dataset"]) == report["exported"]
    merged_away_records = len(merged_away(everything.store)[0])  # one dataset listed by several sources
    assert merged_away_records > 400  # data.cdc.gov and healthdata.gov list the same CDC datasets
    assert report["exported"] + len(report["excluded"]) == everything.store.live_count() - merged_away_records
    identifiers = [d["identifier"] for d in document["dataset"]]
    assert len(identifiers) == len(set(identifiers))
    for excluded in report["excluded"]:
        # only a required value with no default, or an identifier another source already published
        problems = {(p["path"], p["code"]) for p in excluded["problems"]}
        assert problems in ({("description", "schema")}, {("identifier", "duplicate")}), excluded


def test_without_defaults_gaps_are_left_out_and_listed(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        services = build_services(make_settings())
        add_source(
            services,
            "sea",
            server.route("/s.json", Route(body=DATA / "datajson/socrata-v1.0-2013-data.seattle.gov.json")),
        )
        services.runner.harvest("sea")
        with TestClient(create_app(services.settings, services)) as client:
            document = client.get("/data.json").json()
            report = client.get("/api/v1/export/datajson/report").json()
        services.close()
    assert document["dataset"] == []  # no record has publisher or contactPoint
    assert len(report["excluded"]) == 168
    paths = {p["path"] for p in report["excluded"][0]["problems"]}
    assert {"publisher", "contactPoint"} <= paths
    assert list(catalog_validator("dcat-us-1.1-non-federal").iter_errors(document)) == []


def test_federal_profile_is_valid_against_the_federal_schema() -> None:
    with LoopbackServer() as server:
        settings = make_settings(federal=True, default_bureau_code="015:11", default_program_code="015:001", **DEFAULTS)
        services = build_services(settings)
        for name in (
            "gsa-harvester-dcatus.json",
            "gsa-harvester-dcatus_single_record_non-federal.json",
            "ckanext-datajson-ny.data.json",
        ):
            add_source(services, name, server.route(f"/{name}", Route(body=DATA / "datajson" / name)))
            services.runner.harvest(name)
        with TestClient(create_app(services.settings, services)) as client:
            document = client.get("/data.json").json()
        services.close()
    assert list(catalog_validator("dcat-us-1.1").iter_errors(document)) == []
    assert len(document["dataset"]) == 8  # 9 records, one identifier (cftc-dc1) published by two sources
    defaulted = [d["identifier"] for d in document["dataset"] if d["bureauCode"] == ["015:11"]]
    assert defaulted == ["https://data.ny.gov/api/views/22ew-dxez"]  # the non-federal record got the codes


def test_withdrawn_records_leave_data_json() -> None:
    with LoopbackServer() as server:
        services = build_services(make_settings(**DEFAULTS))
        records = json.loads((DATA / "datajson/gsa-harvester-dcatus.json").read_bytes())
        route = Route(body=json.dumps(records).encode())
        add_source(services, "cftc", server.route("/d.json", route))
        services.runner.harvest("cftc")
        records["dataset"] = records["dataset"][1:]
        route.body = json.dumps(records).encode()
        assert services.runner.harvest("cftc").withdrawn == 1
        with TestClient(create_app(services.settings, services)) as client:
            identifiers = {d["identifier"] for d in client.get("/data.json").json()["dataset"]}
        services.close()
    assert identifiers == {d["identifier"] for d in records["dataset"]}


def test_round_trip_through_the_datajson_harvester(everything: Services) -> None:
    """Nutmeg's own data.json, harvested by Nutmeg, gives the same datasets."""
    with TestClient(create_app(everything.settings, everything)) as client:
        published = client.get("/data.json").content
    with LoopbackServer() as server:
        second = build_services(make_settings())
        add_source(second, "first", server.route("/data.json", Route(body=published)))
        report = second.runner.harvest("first")
        assert report.status == "succeeded"
        assert report.skipped == 0
        again = {r.original_identifier: r.dataset for r in second.store.iter_records()}
        second.close()
    original = json.loads(published)["dataset"]
    assert len(again) == len(original)
    for record in original:
        mapped = again[record["identifier"]]
        assert mapped["title"] == record["title"]
        assert mapped.get("keyword", []) == record.get("keyword", [])
        assert len(mapped.get("distribution", [])) == len(record.get("distribution", []))
