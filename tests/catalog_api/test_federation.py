"""Six sources of six kinds harvested into one catalog, searched together, exported as one data.json."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from catalog_api.app import create_app
from catalog_api.search import SearchParams, run_search
from catalog_api.services import Services, build_services
from mappings.validation import load_schema
from tests.conftest import add_source, make_settings, serve_file
from tests.harvesters.test_ckan import FakeCkan
from tests.harvesters.test_feeds import INCIDENTS, MASSDOT, IncidentFeed
from tests.harvesters.test_iso import Waf
from tests.harvesters.test_socrata import FakeDiscovery
from tests.support.httpserver import LoopbackServer

FOLDER = "dcat-us-1.1-non-federal"


@pytest.fixture
def catalog() -> Iterator[Services]:
    built = build_services(
        make_settings(
            default_publisher="State of Example",
            default_contact_name="Open Data Program",
            default_contact_email="opendata@state.example",
            default_access_level="public",
        )
    )
    yield built
    built.close()


def validator() -> Draft4Validator:
    catalog, dataset = load_schema(FOLDER, "catalog.json"), load_schema(FOLDER, "dataset-non-federal.json")
    registry: Registry = Registry().with_resources(
        (schema["id"].rstrip("#"), Resource.from_contents(schema, default_specification=DRAFT4))
        for schema in (catalog, dataset)
    )
    return Draft4Validator(catalog, registry=registry)


def test_six_kinds_in_one_catalog(catalog: Services, http_server: LoopbackServer) -> None:
    sources = {
        "state-datajson": ("datajson", serve_file(http_server, "datajson/ckanext-datajson-ny.data.json"), {}),
        "city-dcat": ("dcat", serve_file(http_server, "rdf/ckanext-dcat-catalog.rdf"), {}),
        "county-ckan": ("ckan", FakeCkan(http_server).source_url(), {"rows": 2}),
        "state-socrata": ("socrata", FakeDiscovery(http_server).source_url(), {}),
        "dot-feed": ("feed", IncidentFeed(http_server, MASSDOT.read_bytes()).source_url(), INCIDENTS),
        "gis-waf": ("iso", Waf(http_server).source_url(), {}),
    }
    for name, (kind, url, options) in sources.items():
        add_source(catalog, name, url, kind=kind, options=options)
        report = catalog.runner.harvest(name)
        assert report.status == "succeeded", (name, report.message)
        assert report.new > 0, name

    everything = run_search(catalog, SearchParams(per_page=1)).result
    assert everything.total == catalog.store.live_count()
    assert {f.value for f in everything.facets["source"]} == set(sources)
    # one query finds datasets from different kinds of source
    parks = run_search(catalog, SearchParams(q="parks", per_page=50)).result
    assert {h.summary["source"] for h in parks.hits} >= {"gis-waf"}
    permits = run_search(catalog, SearchParams(q="permits", per_page=50)).result
    assert "state-socrata" in {h.summary["source"] for h in permits.hits}

    live = catalog.store.live_count()
    with TestClient(create_app(catalog.settings, catalog)) as client:
        response = client.get("/data.json")
        assert response.status_code == 200
        document = response.json()
        report = client.get("/api/v1/export/datajson/report").json()
    errors = sorted(validator().iter_errors(document), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    exported_sources = {d["identifier"] for d in document["dataset"]}
    assert len(document["dataset"]) == report["exported"] == live - len(report["excluded"])
    assert len(document["dataset"]) > live // 2
    assert "https://data.cityofboston.gov/api/views/msk6-43c6" in exported_sources
    assert http_server.url("/feed.xml") in exported_sources
    assert json.dumps(document)  # serializable as one document
