"""What data.gov's harvester would do with Nutmeg's data.json, in DCAT-US 1.1 and 3.0.

data.gov validates each dataset of a harvested catalog on its own, with its own schemas (JSON Schema
2020-12 and a format checker), and rejects a dataset on any error. These tests harvest every data.json
fixture and the demo catalogs with the catalog's defaults set, export ``/dcat-us/1.1/data.json`` and
``/dcat-us/3.0/data.json``, and run exactly that check with data.gov's files as committed upstream
(``tests/data/schema/datagov-harvester``), read here with plain ``jsonschema`` — independent of the
copies and the validators inside ``mappings/``. ``rfc3987`` (test extra) lets ``jsonschema`` check
``uri`` and ``iri`` formats.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from catalog_api.app import create_app
from catalog_api.cli import demo_root, harvest_demo
from catalog_api.services import Services, build_services
from index.duplicates import merged_away
from tests.conftest import DATA, add_source, make_settings
from tests.support.httpserver import LoopbackServer, Route

pytestmark = pytest.mark.slow  # harvests about 7,000 records once per module

DATAGOV = DATA / "schema" / "datagov-harvester"
DCATUS3 = "https://resources.data.gov/dcat-us/3.0.0/definitions/"
FIXTURES = [p.name for p in sorted((DATA / "datajson").glob("*.json")) if p.name != "pod-dashboard-baddata.json"]
DEFAULTS = {
    "default_publisher": "State of Example",
    "default_contact_name": "Open Data Team",
    "default_contact_email": "opendata@example.gov",
    "default_access_level": "public",
}


def datagov_v11(profile: str = "non-federal") -> Draft202012Validator:
    schema = json.loads((DATAGOV / f"dcatus1.1/{profile}_dataset.json").read_text())
    return Draft202012Validator(schema, format_checker=FormatChecker())


def datagov_v30(definition: str = "dataset") -> Draft202012Validator:
    """data.gov's 3.0 definition, its ``$ref``s resolved from the definition files (offline)."""
    registry: Registry[Any] = Registry()
    for path in sorted((DATAGOV / "dcatus3.0/definitions").glob("*.json")):
        contents = json.loads(path.read_text())
        registry = registry.with_resource(contents["$id"], Resource.from_contents(contents, DRAFT202012))
    schema = registry.contents(DCATUS3 + definition)
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def rejected(validator: Draft202012Validator, datasets: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """Each dataset data.gov would reject, with its first errors (as its harvester checks: one by one)."""
    found = []
    for dataset in datasets:
        errors = [f"{'/'.join(map(str, e.path))}: {e.message[:120]}" for e in validator.iter_errors(dataset)]
        if errors:
            found.append((str(dataset.get("identifier")), errors[:3]))
    return found


@pytest.fixture(scope="module")
def harvested() -> Iterator[Services]:
    """Every data.json fixture (one source each, over loopback HTTP) and the demo catalogs, with defaults."""
    with LoopbackServer() as server:
        services = build_services(make_settings(demo_root=str(demo_root()), **DEFAULTS))
        for i, name in enumerate(FIXTURES):
            add_source(services, f"fixture-{i}", server.route(f"/{name}", Route(body=DATA / "datajson" / name)))
            assert services.runner.harvest(f"fixture-{i}").status == "succeeded", name
        harvest_demo(services)
        yield services
        services.close()


@pytest.fixture(scope="module")
def exports(harvested: Services) -> dict[str, Any]:
    with TestClient(create_app(harvested.settings, harvested)) as client:
        return {
            version: (
                client.get(f"/dcat-us/{version}/data.json").json(),
                client.get("/api/v1/export/datajson/report", params={"version": version}).json(),
            )
            for version in ("1.1", "3.0")
        }


def _accounted(services: Services, document: dict[str, Any], report: dict[str, Any]) -> None:
    assert len(document["dataset"]) == report["exported"]
    merged_away_records = len(merged_away(services.store)[0])  # one dataset listed by several sources
    assert report["exported"] + len(report["excluded"]) == services.store.live_count() - merged_away_records
    for excluded in report["excluded"]:
        # left out only when no truthful repair exists: no description, or an identifier already published
        assert {(p["path"], p["code"]) for p in excluded["problems"]} in (
            {("description", "schema")},
            {("identifier", "duplicate")},
        ), excluded


def test_no_dataset_of_the_1_1_export_is_rejected_by_datagov(harvested: Services, exports: dict[str, Any]) -> None:
    document, report = exports["1.1"]
    assert len(document["dataset"]) > 5000  # identifiers published by two sources appear once
    assert rejected(datagov_v11(), document["dataset"]) == []
    assert (
        list(
            Draft202012Validator(json.loads((DATAGOV / "dcatus1.1/catalog.json").read_text())).iter_errors(
                {**document, "dataset": []}
            )
        )
        == []
    )
    _accounted(harvested, document, report)


def test_no_dataset_of_the_3_0_export_is_rejected_by_datagov(harvested: Services, exports: dict[str, Any]) -> None:
    document, report = exports["3.0"]
    assert len(document["dataset"]) == len(exports["1.1"][0]["dataset"])
    assert rejected(datagov_v30(), document["dataset"]) == []
    assert list(datagov_v30("catalog").iter_errors({**document, "dataset": document["dataset"][:50]})) == []
    _accounted(harvested, document, report)


def test_the_report_says_where_each_filled_value_came_from(exports: dict[str, Any]) -> None:
    adjusted = {(a["action"], a["field"], a["source"]): a["records"] for a in exports["1.1"][1]["adjusted"]}
    # cdc.gov lacks keywords on 200 records, the 2013 Socrata catalogs lack contacts, Philadelphia lacks modified
    assert adjusted[("filled", "contactPoint.hasEmail", "catalog default")] > 2000
    assert adjusted[("filled", "modified", "harvest: last change seen")] > 300
    assert adjusted[("filled", "keyword", "publisher")] > 200
    assert ("filled", "distribution.mediaType", "format") in adjusted
    assert all(source for (action, _, source) in adjusted if action == "filled")


def test_the_federal_profile_is_judged_by_datagovs_federal_schema() -> None:
    with LoopbackServer() as server:
        settings = make_settings(federal=True, default_bureau_code="015:11", default_program_code="015:001", **DEFAULTS)
        services = build_services(settings)
        for name in ("gsa-harvester-dcatus.json", "ckanext-datajson-ny.data.json", "cdc.gov.data.json"):
            add_source(services, name, server.route(f"/{name}", Route(body=DATA / "datajson" / name)))
            services.runner.harvest(name)
        with TestClient(create_app(services.settings, services)) as client:
            document = client.get("/data.json").json()
        services.close()
    assert len(document["dataset"]) > 1300
    assert rejected(datagov_v11("federal"), document["dataset"]) == []


def test_datagov_would_have_rejected_what_was_repaired(tmp_path: Path) -> None:
    """The fixtures really need the repairs: as harvested, data.gov's schema rejects many records."""
    validator = datagov_v11()
    records = json.loads((DATA / "datajson/cdc.gov.data.json").read_bytes())["dataset"]
    assert len(rejected(validator, records)) > 200
