"""The ckan harvester against a loopback CKAN that pages real package dicts as package_search does."""

from __future__ import annotations

import copy
import json
import re
from typing import Any, ClassVar

import pytest

from catalog_api.harvesting import HarvestReport
from catalog_api.services import Services
from harvesters.ckan import package_to_dcatus, portal_url
from tests.conftest import DATA, add_source, load
from tests.harvesters.contract import PagedHarvesterContract, Scenario
from tests.support.httpserver import LoopbackServer, Route, Seen

SEARCH = "/api/3/action/package_search"
_SINCE = re.compile(r"metadata_modified:\[(\S+) TO \*\]")


def real_packages() -> list[dict[str, Any]]:
    """Real package dicts: demo.ckan.org's package_search, a ckanext-dcat legacy package, and a private
    catalog.data.gov package (which a public search would not list; the harvester must not publish it)."""
    packages: list[dict[str, Any]] = list(load("ckan/demo.ckan.org-package_search.json")["result"]["results"])
    packages.append(load("ckan/ckanext-dcat-full_ckan_dataset_legacy.json"))
    packages.append(load("ckan/catalog.data.gov-ckan_dataset.json"))
    return packages


class FakeCkan(Scenario):
    """package_search with rows/start, sorted by metadata_modified, honouring a metadata_modified fq."""

    kind = "ckan"
    content_type = "application/json"
    options: ClassVar[dict[str, Any]] = {"rows": 2}

    def __init__(self, server: LoopbackServer) -> None:
        super().__init__(server)
        self.packages = real_packages()
        self.mount(SEARCH)

    def source_url(self) -> str:
        return self.server.url("/")

    def answer(self, seen: Seen) -> Route:
        rows, start = int(seen.param("rows", "10") or 10), int(seen.param("start", "0") or 0)
        matching = sorted(self.packages, key=lambda p: p["metadata_modified"])
        since = _SINCE.search(seen.param("fq", "") or "")
        if since:
            matching = [p for p in matching if p["metadata_modified"] + "Z" >= since.group(1)]
        page = matching[:rows] if self.repeating else matching[start : start + rows]
        document = {"success": True, "result": {"count": len(matching), "results": page}}
        return Route(body=json.dumps(document).encode(), content_type=self.content_type, conditional=False)

    def expected(self) -> set[str]:
        return {p["id"] for p in self.packages if not p.get("private")}

    def change(self) -> str:
        package = self.packages[-2]
        package["title"] = "Zimbabwe Regional Geochemical Survey (revised)"
        package["metadata_modified"] = "2030-01-01T00:00:00.000000"
        return str(package["id"])

    def check_incremental(self, unchanged: HarvestReport, changed: HarvestReport, services: Services) -> None:
        last = self.server.seen(SEARCH)[-1]
        assert _SINCE.search(last.param("fq", "") or ""), "an incremental run asks only for recent changes"
        assert changed.listed < len(self.expected())
        assert services.store.get_source("src").bookmark == "2030-01-01T00:00:00.000000"


class TestCkanContract(PagedHarvesterContract):
    @pytest.fixture
    def scenario(self, http_server: LoopbackServer) -> Scenario:
        return FakeCkan(http_server)


def test_a_package_that_turns_private_is_withdrawn_on_a_full_run(
    http_server: LoopbackServer, services: Services
) -> None:
    fake = FakeCkan(http_server)
    add_source(services, "ckan", fake.source_url(), kind="ckan", options={"rows": 2})
    first = services.runner.harvest("ckan")
    assert first.new == 4
    assert first.stats["not_public"] == 1
    fake.packages[0]["private"] = True
    report = services.runner.harvest("ckan", full=True)
    assert (report.withdrawn, report.status) == (1, "succeeded")
    assert fake.packages[0]["id"] not in {r.original_identifier for r in services.store.iter_records(live=True)}


def test_fields_map_from_core_ckan_fields() -> None:
    package = load("ckan/demo.ckan.org-package_show-62513382.json")["result"]
    record = package_to_dcatus(package, "https://demo.ckan.org")
    assert record["title"] == "100 Validated Species of Plants"
    assert record["description"] == "This data includes the typical plants for machine learning test."
    assert record["keyword"] == ["flower", "image recognition", "machine learning"]
    assert record["modified"] == "2017-08-05T03:19:33.886925"
    assert record["landingPage"] == "https://demo.ckan.org/dataset/100-validated-species-of-plants"
    assert record["contactPoint"] == {"fn": "TKKIM", "hasEmail": "misoh049@gmail.com"}
    assert record["accessLevel"] == "public"
    distribution = record["distribution"][0]
    assert distribution["format"] == "CSV"
    assert distribution["downloadURL"].endswith("validated_100_species.csv")


def test_ckanext_dcat_legacy_extras() -> None:
    record = package_to_dcatus(load("ckan/ckanext-dcat-full_ckan_dataset_legacy.json"), "https://ckan.example")
    assert record["identifier"] == "9df8df51-63db-37a8-e044-0003ba9b0d98"  # the guid extra
    assert record["modified"] == "2012-05-10T21:04"  # dcat_modified wins over metadata_modified
    assert record["issued"] == "2012-05-10"
    assert record["spatial"] == "25,-22,33,-15"  # the GeoJSON polygon's envelope
    assert record["temporal"] == "1982/1986"
    assert record["language"] == ["en", "es", "ca"]
    assert record["contactPoint"]["hasEmail"] == "enquiries@bgs.ac.uk"
    assert record["publisher"] == {"name": "British Geological Survey (distributor)"}


def test_ckanext_datajson_fields_and_scheming_dcat_fields() -> None:
    datajson = package_to_dcatus(load("ckan/catalog.data.gov-ckan_dataset.json"), "https://catalog.example")
    assert datajson["identifier"] == "doi-123456789"
    assert datajson["publisher"] == {"name": "Department of the Interior"}
    assert (datajson["bureauCode"], datajson["programCode"]) == (["010:00"], ["010:001"])
    assert datajson["contactPoint"] == {"fn": "Tester", "hasEmail": "tester@fake.com"}
    scheming = package_to_dcatus(load("ckan/ckanext-dcat-ckan_full_dataset_dcat_ap.json"), "https://ckan.example")
    assert scheming["identifier"] == "xx-some-dataset-id-yy"
    assert scheming["modified"] == "2024-05-05"
    assert scheming["temporal"].count("/") == 1
    assert scheming["contactPoint"]["fn"]


def test_organization_becomes_the_publisher() -> None:
    package = copy.deepcopy(load("ckan/demo.ckan.org-package_search.json")["result"]["results"][2])
    assert package_to_dcatus(package, "https://demo.ckan.org")["publisher"] == {"name": "SDB"}


@pytest.mark.parametrize(
    ("url", "portal"),
    [
        ("https://data.city.example/", "https://data.city.example"),
        ("https://data.city.example/api/3/action/package_search?q=x", "https://data.city.example"),
        ("https://data.city.example/catalog/api/3", "https://data.city.example/catalog"),
    ],
)
def test_portal_url_forms(url: str, portal: str) -> None:
    assert portal_url(url) == portal


def test_ckan_error_answers_fail_the_job(http_server: LoopbackServer, services: Services) -> None:
    body = json.dumps({"success": False, "error": {"message": "Access denied"}}).encode()
    http_server.route(SEARCH, Route(body=body, conditional=False))
    add_source(services, "denied", http_server.url("/"), kind="ckan")
    report = services.runner.harvest("denied")
    assert report.status == "failed"
    assert "not a CKAN package_search answer" in (report.message or "")
    assert (DATA / "ckan").is_dir()


def test_an_incremental_source_gets_a_full_run_every_week(http_server: LoopbackServer, services: Services) -> None:
    """Deletions only show on full runs, so a bookmark older than NUTMEG_HARVEST_FULL_EVERY_DAYS is ignored."""
    from datetime import UTC, datetime, timedelta

    from catalog_api.harvesting import HarvestRunner

    ckan = FakeCkan(http_server)
    add_source(services, "src", ckan.source_url(), kind="ckan", options=ckan.options)
    now = [datetime(2030, 1, 1, tzinfo=UTC)]
    runner = HarvestRunner(
        services.store, services.index, services.settings, services.runner._http_factory, clock=lambda: now[0]
    )
    runner.harvest("src")
    now[0] += timedelta(days=1)
    runner.harvest("src")
    assert _SINCE.search(http_server.seen(SEARCH)[-1].param("fq", "") or "")
    removed = ckan.packages.pop(0)
    now[0] += timedelta(days=7)
    report = runner.harvest("src")
    assert not _SINCE.search(http_server.seen(SEARCH)[-1].param("fq", "") or "")
    assert report.withdrawn == (0 if removed.get("private") else 1)
