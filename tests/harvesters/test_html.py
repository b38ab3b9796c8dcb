"""The html harvester: schema.org Dataset markup (JSON-LD, microdata), pages of data links, following."""

from __future__ import annotations

import pytest

from catalog_api.harvesting import HarvestReport
from catalog_api.services import Services
from tests.conftest import DATA, add_source
from tests.harvesters.contract import HarvesterContract, Scenario
from tests.support.httpserver import LoopbackServer, Route, Seen

OPENACTIVE = (DATA / "html/openactive-dataset-example.jsonld").read_text("utf-8")


def page_with(jsonld: str, title: str = "Open data") -> bytes:
    """An agency page embedding a real schema.org Dataset document, as dataset sites do."""
    return (
        f"<!doctype html><html><head><title>{title}</title>"
        f'<script type="application/ld+json">{jsonld}</script></head><body><h1>{title}</h1></body></html>'
    ).encode()


LINK_PAGE = b"""<!doctype html><html><head><title>Road Safety Data</title>
<meta name="description" content="Crash records and traffic counts published by the Department of Transportation.">
</head><body><ul>
<li><a href="/files/crashes-2023.csv">Crashes 2023 (CSV)</a></li>
<li><a href="files/counts.xlsx">Traffic counts</a></li>
<li><a href="https://gis.state.example/roads.geojson">Road network</a></li>
<li><a href="/about.html">About us</a></li><li><a href="mailto:data@state.example">Contact</a></li>
</ul></body></html>"""


class DatasetSite(Scenario):
    kind = "html"
    paged = False
    one_body = True
    content_type = "text/html"

    def __init__(self, server: LoopbackServer) -> None:
        super().__init__(server)
        self.body = page_with(OPENACTIVE)
        self.mount("/dataset-site/")

    def source_url(self) -> str:
        return self.server.url("/dataset-site/")

    def answer(self, seen: Seen) -> Route:
        return Route(body=self.body, content_type="text/html")

    def expected(self) -> set[str]:
        return {"https://opendata.fusion-lifestyle.com/OpenActive/"}

    def change(self) -> str:
        self.body = self.body.replace(
            b"Fusion Lifestyle Sessions and Facilities", b"Fusion Lifestyle Sessions (revised)"
        )
        return "https://opendata.fusion-lifestyle.com/OpenActive/"


class TestHtmlContract(HarvesterContract):
    @pytest.fixture
    def scenario(self, http_server: LoopbackServer) -> Scenario:
        return DatasetSite(http_server)


def harvest(services: Services, url: str, **options: object) -> HarvestReport:
    add_source(services, "page", url, kind="html", options=options)
    return services.runner.harvest("page")


def test_a_schema_org_dataset_maps_through_the_dcat_tables(services: Services, http_server: LoopbackServer) -> None:
    report = harvest(services, http_server.route("/ds", Route(body=page_with(OPENACTIVE), content_type="text/html")))
    assert report.new == 1
    dataset = next(services.store.iter_records()).dataset
    assert dataset["title"] == "Fusion Lifestyle Sessions and Facilities"
    assert dataset["description"].startswith("Near real-time availability")
    assert "Sessions" in dataset["keyword"]
    assert dataset["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert dataset["landingPage"] == "https://opendata.fusion-lifestyle.com/OpenActive/"
    downloads = {d["downloadURL"] for d in dataset["distribution"]}
    assert "https://www.example.com/feeds/scheduled-sessions" in downloads
    # the model keeps the media type as published; data.json export drops the parameter
    assert {d.get("mediaType") for d in dataset["distribution"]} == {"application/vnd.openactive.rpde+json; version=1"}
    assert any("openactive.io" in n for n in report.stats["notes"])  # its second context was not fetched


def test_microdata_datasets_are_read(services: Services, http_server: LoopbackServer) -> None:
    page = b"""<html><head><title>x</title></head><body><div itemscope itemtype="https://schema.org/Dataset">
    <h1 itemprop="name">Park inventory</h1><p itemprop="description">Every city park.</p>
    <meta itemprop="identifier" content="parks-2024"><span itemprop="keywords">parks, recreation</span>
    <div itemprop="distribution" itemscope itemtype="https://schema.org/DataDownload">
    <a itemprop="contentUrl" href="https://city.example/parks.csv">CSV</a></div></div></body></html>"""
    report = harvest(services, http_server.route("/parks", Route(body=page, content_type="text/html")))
    assert report.new == 1
    dataset = next(services.store.iter_records()).dataset
    assert (dataset["identifier"], dataset["title"]) == ("parks-2024", "Park inventory")
    assert dataset["keyword"] == ["parks", "recreation"]
    assert dataset["distribution"][0]["downloadURL"] == "https://city.example/parks.csv"


def test_a_page_of_data_links_is_one_dataset(services: Services, http_server: LoopbackServer) -> None:
    url = http_server.route("/road-safety/", Route(body=LINK_PAGE, content_type="text/html"))
    report = harvest(services, url)
    assert report.new == 1
    dataset = next(services.store.iter_records()).dataset
    assert dataset["title"] == "Road Safety Data"
    assert dataset["description"].startswith("Crash records")
    assert [d["downloadURL"] for d in dataset["distribution"]] == [
        http_server.url("/files/crashes-2023.csv"),
        http_server.url("/road-safety/files/counts.xlsx"),
        "https://gis.state.example/roads.geojson",
    ]
    assert [d["format"] for d in dataset["distribution"]] == ["CSV", "XLSX", "GEOJSON"]


def test_same_site_pages_are_followed_up_to_the_limit(services: Services, http_server: LoopbackServer) -> None:
    http_server.route("/about.html", Route(body=page_with(OPENACTIVE, "About"), content_type="text/html"))
    url = http_server.route("/road-safety/", Route(body=LINK_PAGE, content_type="text/html"))
    report = harvest(services, url, max_pages=2)
    assert (report.new, report.stats["pages"]) == (2, 2)
    assert len(http_server.seen("/about.html")) == 1


@pytest.mark.parametrize(
    "name", ["extruct-CreativeWork.001.html", "extruct-JSONLD_with_JS_comment.html", "extruct-null_ld_mock.html"]
)
def test_pages_without_datasets_fail_clearly(services: Services, http_server: LoopbackServer, name: str) -> None:
    report = harvest(
        services, http_server.route(f"/{name}", Route(body=DATA / "html" / name, content_type="text/html"))
    )
    assert report.status == "failed"
    assert "no schema.org Dataset markup and no links to data files" in (report.message or "")
