"""The socrata harvester against a loopback Discovery API paging real results (offset and scroll_id)."""

from __future__ import annotations

import copy
import json
from typing import Any, ClassVar

import pytest

from catalog_api.harvesting import HarvestReport
from catalog_api.services import Services
from harvesters.errors import ParseError
from harvesters.socrata import asset_to_dcatus, discovery_url, is_public
from tests.conftest import DATA, add_source, load
from tests.harvesters.contract import PagedHarvesterContract, Scenario
from tests.support.httpserver import LoopbackServer, Route, Seen

CATALOG = "/api/catalog/v1"


def real_results() -> list[dict[str, Any]]:
    return copy.deepcopy(load("socrata/sodapy-catalog-v1-get_datasets.json")["results"])


class FakeDiscovery(Scenario):
    kind = "socrata"
    content_type = "application/json"
    options: ClassVar[dict[str, Any]] = {"limit": 3}

    def __init__(self, server: LoopbackServer, results: list[dict[str, Any]] | None = None) -> None:
        super().__init__(server)
        self.results = results if results is not None else real_results()
        self.mount(CATALOG)

    def source_url(self) -> str:
        return self.server.url(f"{CATALOG}?domains=data.example.gov")

    def answer(self, seen: Seen) -> Route:
        limit = int(seen.param("limit", "100") or 100)
        scroll_id = seen.param("scroll_id")
        if scroll_id is not None:
            ordered = sorted(self.results, key=lambda r: r["resource"]["id"])
            page = [r for r in ordered if r["resource"]["id"] > scroll_id][:limit]
        else:
            offset = 0 if self.repeating else int(seen.param("offset", "0") or 0)
            page = self.results[offset : offset + limit]
        body = {"results": page, "resultSetSize": len(self.results), "timings": {"serviceMillis": 1}}
        return Route(body=json.dumps(body).encode(), content_type=self.content_type, conditional=False)

    def expected(self) -> set[str]:
        return {f"https://{r['metadata']['domain']}/api/views/{r['resource']['id']}" for r in self.results}

    def change(self) -> str:
        self.results[1]["resource"]["description"] = "Revised description"
        return next(i for i in self.expected() if i.endswith(self.results[1]["resource"]["id"]))

    def check_incremental(self, unchanged: HarvestReport, changed: HarvestReport, services: Services) -> None:
        """The Discovery API has no changed-since filter: a re-read costs a hash per asset, no writes."""
        assert unchanged.unchanged == len(self.results)
        assert changed.unchanged == len(self.results) - 1


class TestSocrataContract(PagedHarvesterContract):
    @pytest.fixture
    def scenario(self, http_server: LoopbackServer) -> Scenario:
        return FakeDiscovery(http_server)


def test_scroll_paging(http_server: LoopbackServer, services: Services) -> None:
    fake = FakeDiscovery(http_server)
    add_source(services, "s", fake.source_url(), kind="socrata", options={"limit": 2, "paging": "scroll"})
    report = services.runner.harvest("s")
    assert report.new == 7
    assert report.stats["paging"] == "scroll"
    scrolls = [s.param("scroll_id") for s in http_server.seen(CATALOG)]
    assert scrolls[0] == ""
    assert scrolls[1:] == sorted(r["resource"]["id"] for r in fake.results)[1::2]


def test_private_unpublished_and_hidden_assets_are_never_public(
    http_server: LoopbackServer, services: Services
) -> None:
    results = real_results()
    results[0]["metadata"]["is_public"] = False
    results[1]["resource"]["publication_stage"] = "unpublished"
    results[2]["metadata"]["visibility"] = "internal"
    fake = FakeDiscovery(http_server, results)
    add_source(services, "s", fake.source_url(), kind="socrata")
    report = services.runner.harvest("s")
    assert (report.new, report.stats["not_public"]) == (4, 3)
    ids = {r.original_identifier.rsplit("/", 1)[-1] for r in services.store.iter_records()}
    assert not ids & {r["resource"]["id"] for r in results[:3]}


def test_an_asset_made_private_later_is_withdrawn(http_server: LoopbackServer, services: Services) -> None:
    fake = FakeDiscovery(http_server)
    add_source(services, "s", fake.source_url(), kind="socrata")
    services.runner.harvest("s")
    fake.results[3]["metadata"]["is_public"] = False
    report = services.runner.harvest("s")
    assert report.withdrawn == 1
    assert services.store.live_count() == 6


def test_asset_fields() -> None:
    record = asset_to_dcatus(real_results()[0])
    assert record["identifier"] == "https://data.cityofboston.gov/api/views/msk6-43c6"
    assert record["title"] == "Approved Building Permits"
    assert record["publisher"] == {"name": "Inspectional Services Division"}
    assert record["theme"] == ["Permitting", "housing & development", "infrastructure"]
    assert record["keyword"] == ["permits", "construction", "building"]
    assert record["modified"] == "2017-07-21T10:01:47.000Z"
    assert record["license"] == "https://creativecommons.org/licenses/by/3.0/"
    assert record["landingPage"] == "https://data.cityofboston.gov/d/msk6-43c6"
    formats = [d.get("mediaType") or d.get("format") for d in record["distribution"]]
    assert formats == ["text/csv", "application/json", "application/geo+json", "API"]  # it has a Location column
    assert is_public(real_results()[0])


def test_url_forms() -> None:
    assert discovery_url("https://data.ct.gov/") == ("https://data.ct.gov/api/catalog/v1", {"domains": "data.ct.gov"})
    endpoint, params = discovery_url("https://api.us.socrata.com/api/catalog/v1?domains=data.ct.gov&categories=x")
    assert (endpoint, params) == (
        "https://api.us.socrata.com/api/catalog/v1",
        {"domains": "data.ct.gov", "categories": "x"},
    )
    with pytest.raises(ParseError, match="domains="):
        discovery_url("https://api.us.socrata.com/api/catalog/v1")


def test_a_socrata_error_body_fails_the_job(http_server: LoopbackServer, services: Services) -> None:
    http_server.route(CATALOG, Route(body=load_bytes("socrata/sodapy-403_response.json"), status=403))
    add_source(services, "s", http_server.url(f"{CATALOG}?domains=x.example"), kind="socrata")
    report = services.runner.harvest("s")
    assert report.status == "failed"
    assert "HTTP 403" in (report.message or "")


def load_bytes(relative: str) -> bytes:
    return (DATA / relative).read_bytes()
