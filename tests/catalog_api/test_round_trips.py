"""Nutmeg harvesting Nutmeg: a second catalog harvests the first one's /data.json (and, once the ``dcat``
harvester exists, its /catalog.ttl) over real HTTP and ends up with the same datasets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from harvesters.registry import UnknownHarvester, get_harvester
from index.duplicates import merged_away
from mappings.dcat_ap import typed_date
from mappings.model import Dataset
from mappings.validation import Profile, problems_key
from tests.conftest import add_source, harvest_file, make_settings
from tests.support.httpserver import LoopbackServer
from tests.support.liveserver import LiveServer

FIXTURES = (
    "ckanext-datajson-arm.data.json",
    "ckanext-datajson-geospatial.data.json",
    "ckanext-datajson-collection-1-parent-2-children.data.json",
    "catalog.data.gov-harvest-source.data.json",
    "gsa-harvester-dcatus.json",
    "socrata-v1.0-2013-data.seattle.gov.json",
)
DEFAULTS: dict[str, Any] = {
    "default_publisher": "State of Example",
    "default_contact_name": "Open Data Team",
    "default_contact_email": "opendata@example.gov",
    "default_access_level": "public",
}


@pytest.fixture(scope="module")
def first() -> Iterator[LiveServer]:
    """The catalog being harvested, served on loopback: several real catalogs, some needing the export's
    repairs. Its public URL is the address it is served at, so the links it publishes (Hydra pages) work."""
    server = LiveServer()
    services = build_services(make_settings(**DEFAULTS, catalog_page_size=40, base_url=server.url))
    with LoopbackServer() as sources:
        for number, name in enumerate(FIXTURES):
            harvest_file(services, sources, f"datajson/{name}", f"src{number}")
    server.app = create_app(services.settings, services)
    with server:
        yield server
    services.close()


def _services(server: LiveServer) -> Services:
    assert server.app is not None
    services: Services = server.app.state.services
    return services


@pytest.fixture
def second() -> Iterator[Services]:
    services = build_services(make_settings(base_url="http://second.test"))
    yield services
    services.close()


def _exported(url: str) -> dict[str, dict[str, Any]]:
    document = httpx.get(f"{url}/data.json").json()
    return {d["identifier"]: d for d in document["dataset"]}


def test_data_json_round_trip(first: LiveServer, second: Services) -> None:
    published = _exported(first.url)
    report = httpx.get(f"{first.url}/api/v1/export/datajson/report").json()
    # one dataset is listed by two sources (merged: published once); records without a description (no
    # default fits) are left out
    store = _services(first).store
    merged = len(merged_away(store)[0])
    assert merged >= 1
    assert len(published) == report["exported"] == store.live_count() - merged - len(report["excluded"]) > 150
    assert {p["path"] for e in report["excluded"] for p in e["problems"]} == {"description"}
    add_source(second, "nutmeg", f"{first.url}/data.json")
    report = second.runner.harvest("nutmeg")
    assert report.status == "succeeded", report.message
    assert (report.new, report.failed, report.skipped) == (len(published), 0, 0)
    harvested = {r.original_identifier: r for r in second.store.iter_records()}
    assert set(harvested) == set(published)
    for identifier, record in harvested.items():
        # what the second catalog holds is exactly what the first one published
        assert orjson.loads(record.datajson) == published[identifier], identifier
        assert record.export_problems == {problems_key(Profile.NON_FEDERAL): []}  # valid as data.gov judges it
    # and it republishes the same datasets
    with LiveServer(create_app(second.settings, second)) as again:
        assert _exported(again.url) == published
    # nothing changed: the first catalog answers the second's If-None-Match with 304
    assert second.runner.harvest("nutmeg").status == "unchanged"


def _dcat_harvester_missing() -> str | None:
    try:
        get_harvester("dcat")
    except UnknownHarvester:
        return "needs the dcat harvester (issue #3): harvesters.registry has no 'dcat' yet"
    return None


def _as_dcat_ap_writes(modified: str | None) -> str | None:
    """``modified`` survives DCAT-AP: a date in ISO 8601's extended form (``20200908`` → ``2020-09-08``),
    anything else as published."""
    if not modified or not modified.strip():
        return None
    typed = typed_date(modified)
    return str(typed) if typed is not None else " ".join(modified.split())


def _core(dataset: Dataset) -> dict[str, Any]:
    """What must survive DCAT-AP: the text, keywords, publisher, dates and every link to the data.

    DCAT-AP requires a description (the title stands in) and an access URL on every distribution (a
    download URL is one too), so those are compared in that form.
    """
    links = {d.download_url for d in dataset.distribution if d.download_url}
    links |= {d.access_url or d.download_url for d in dataset.distribution}
    modified = _as_dcat_ap_writes(dataset.modified)
    return {
        "title": dataset.title,
        "description": (dataset.description or "").strip() or dataset.title,
        "keyword": sorted(dataset.keyword),
        "publisher": dataset.publisher.name if dataset.publisher else None,
        "modified": modified,
        "links": sorted(link for link in links if link),
    }


@pytest.mark.skipif(_dcat_harvester_missing() is not None, reason=_dcat_harvester_missing() or "")
def test_catalog_ttl_round_trip(first: LiveServer, second: Services) -> None:
    source = _services(first)
    add_source(second, "nutmeg", f"{first.url}/catalog.ttl", kind="dcat")
    report = second.runner.harvest("nutmeg")
    assert report.status == "succeeded", report.message
    assert source.store.live_count() > 2 * source.settings.catalog_page_size  # it followed the Hydra pages
    published = {r.original_identifier: Dataset.model_validate(r.dataset) for r in source.store.iter_records()}
    harvested = {r.original_identifier: Dataset.model_validate(r.dataset) for r in second.store.iter_records()}
    assert set(harvested) == set(published)
    for identifier, dataset in harvested.items():
        assert _core(dataset) == _core(published[identifier]), identifier
