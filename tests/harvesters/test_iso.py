"""iso (a WAF of ISO 19139 / FGDC files) and csw (CSW 2.0.2 GetRecords, paged), over loopback."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pytest
from lxml import etree

from catalog_api.harvesting import HarvestReport
from catalog_api.services import Services
from harvesters.errors import ParseError
from harvesters.iso import NS, waf_links, xml_to_dcatus
from harvesters.xmlsafe import parse_xml
from tests.conftest import DATA, add_source
from tests.harvesters.contract import HarvesterContract, PagedHarvesterContract, Scenario
from tests.support.httpserver import LoopbackServer, Route, Seen

WAF_FILES = [
    "catalog.data.gov-iso_metadata_1.xml",
    "ckanext-spatial-gemini2.1-service1.xml",
    "ckanext-spatial-iso19139-dataset.xml",
    "datagov-harvester-valid_iso2.xml",
    "datagov-harvester-invalid_iso2.xml",
    "datagov-harvester-waf-USGSHydroCached-fgdc.xml",
    "pycsw-apiso-3e9a8c05.xml",
    "pycsw-apiso-pacioos-NS06agg.xml",
    "datagov-harvester-decode_error.xml",  # not decodable: skipped, the rest harvested
]


def identifier_of(name: str) -> str | None:
    try:
        record, _ = xml_to_dcatus(parse_xml((DATA / "iso" / name).read_bytes(), where=name), f"u/{name}")
    except ParseError:
        return None
    return str(record["identifier"])


class Waf(Scenario):
    kind = "iso"
    paged = False
    content_type = "text/html"

    def __init__(self, server: LoopbackServer) -> None:
        super().__init__(server)
        self.files = {f"/waf/{n}": (DATA / "iso" / n).read_bytes() for n in WAF_FILES}
        self.mount("/waf/", *self.files)

    def source_url(self) -> str:
        return self.server.url("/waf/")

    def answer(self, seen: Seen) -> Route:
        if seen.path == "/waf/":
            rows = "".join(
                f'<tr><td><a href="{p.rsplit("/", 1)[1]}">{p}</a></td><td>2024-01-02 10:00</td></tr>'
                for p in self.files
            )
            parent = '<tr><td><a href="../">Parent</a></td></tr>'
            page = f"<html><body><h1>Index of /waf</h1><table>{parent}{rows}</table></body></html>"
            return Route(body=page.encode(), content_type="text/html")
        return Route(body=self.files[seen.path], content_type="application/xml")

    def expected(self) -> set[str]:
        return {i for i in (identifier_of(n) for n in WAF_FILES) if i}

    def change(self) -> str:
        path = "/waf/pycsw-apiso-3e9a8c05.xml"
        self.files[path] = self.files[path].replace(b"test Title", b"test Title (revised)")
        return "3e9a8c05"

    def check_incremental(self, unchanged: HarvestReport, changed: HarvestReport, services: Services) -> None:
        """A WAF has no change feed: every file is re-read, unchanged ones cost a hash and no write."""
        assert unchanged.unchanged == len(self.expected())
        assert unchanged.skipped == 1


def csw_records() -> list[etree._Element]:
    records: list[etree._Element] = []
    for name in ("pycsw-csw-GetRecords-all-response.xml", "udata-geonetwork-csw-GetRecords-iso19139-page-1.xml"):
        results = parse_xml((DATA / "iso" / name).read_bytes(), where=name).find("csw:SearchResults", NS)
        assert results is not None
        records.extend(r for r in results if isinstance(r.tag, str))
    return records


class FakeCsw(Scenario):
    """GetRecords over POST, paged by startPosition/maxRecords, answering with real ISO records."""

    kind = "csw"
    content_type = "application/xml"
    options: ClassVar[dict[str, Any]] = {"page_size": 3}

    def __init__(self, server: LoopbackServer) -> None:
        super().__init__(server)
        self.records = csw_records()
        self.mount("/csw")

    def source_url(self) -> str:
        return self.server.url("/csw")

    def answer(self, seen: Seen) -> Route:
        start = int(re.search(rb'startPosition="(\d+)"', seen.body).group(1))  # type: ignore[union-attr]
        size = int(re.search(rb'maxRecords="(\d+)"', seen.body).group(1))  # type: ignore[union-attr]
        page = self.records[start - 1 : start - 1 + size]
        following = start + len(page) if start - 1 + size < len(self.records) else 0
        if self.repeating:
            following = start
        body = b"".join(etree.tostring(r) for r in page)
        envelope = (
            (
                f'<csw:GetRecordsResponse xmlns:csw="{NS["csw"]}"><csw:SearchResults numberOfRecordsMatched='
                f'"{len(self.records)}" numberOfRecordsReturned="{len(page)}" nextRecord="{following}">'
            ).encode()
            + body
            + b"</csw:SearchResults></csw:GetRecordsResponse>"
        )
        return Route(body=envelope, content_type=self.content_type, conditional=False)

    def expected(self) -> set[str]:
        return {str(xml_to_dcatus(r, "x")[0]["identifier"]) for r in self.records}

    def change(self) -> str:
        record = self.records[0]
        title = record.find(".//gmd:citation/gmd:CI_Citation/gmd:title/gco:CharacterString", NS)
        assert title is not None
        title.text = (title.text or "") + " (revised)"
        return str(xml_to_dcatus(record, "x")[0]["identifier"])

    def check_incremental(self, unchanged: HarvestReport, changed: HarvestReport, services: Services) -> None:
        assert unchanged.unchanged == len(self.records)
        assert all(s.method == "POST" for s in self.server.seen("/csw"))


class TestWafContract(HarvesterContract):
    @pytest.fixture
    def scenario(self, http_server: LoopbackServer) -> Scenario:
        return Waf(http_server)


class TestCswContract(PagedHarvesterContract):
    @pytest.fixture
    def scenario(self, http_server: LoopbackServer) -> Scenario:
        return FakeCsw(http_server)


def test_iso_fields() -> None:
    record, standard = xml_to_dcatus(
        parse_xml((DATA / "iso/ckanext-spatial-iso19139-dataset.xml").read_bytes(), where="d"),
        "https://waf.example/d.xml",
    )
    assert standard == "iso19139"
    assert (record["identifier"], record["title"]) == ("test-dataset-1", "Country Parks (Scotland)")
    assert record["spatial"] == "-8.97114,54.5299,0.205857,61.0607"
    assert record["temporal"] == "1998/2010"
    assert record["publisher"] == {"name": "Scottish Natural Heritage"}
    assert record["contactPoint"] == {"fn": "Lachlan Renwick", "hasEmail": "data_supply@snh.gov.uk"}
    assert len(record["distribution"]) == 2
    assert record["description"].startswith("Parks are set up by Local Authorities")


def test_fgdc_fields() -> None:
    root = parse_xml((DATA / "iso/datagov-harvester-waf-USGSHydroCached-fgdc.xml").read_bytes(), where="f")
    record, standard = xml_to_dcatus(root, "https://waf.example/f.xml")
    assert standard == "fgdc"
    assert record["title"].startswith("USGS Hydro Cached Base Map Service")
    assert record["spatial"] == "-179.999,17.625,-65,71.5"
    assert record["contactPoint"]["hasEmail"] == "tnm_help@usgs.gov"


def test_waf_links_stay_in_the_folder() -> None:
    listing = (
        b'<a href="a.xml">a</a> <a href="../up.xml">up</a> <a href="https://evil.example/x.xml">x</a>'
        b' <a href="sub/b.XML">b</a>'
    )
    assert waf_links(listing, "https://waf.example/iso/") == [
        "https://waf.example/iso/a.xml",
        "https://waf.example/iso/sub/b.XML",
    ]


def test_waf_reports_unreadable_files(services: Services, http_server: LoopbackServer) -> None:
    waf = Waf(http_server)
    add_source(services, "waf", waf.source_url(), kind="iso")
    report = services.runner.harvest("waf")
    assert (report.new, report.skipped) == (len(waf.expected()), 1)
    assert (report.stats["iso19139"], report.stats["fgdc"]) == (7, 1)
    _, errors = services.store.list_errors(job_id=report.job_id)
    assert errors[0].code == "unreadable"
    assert "decode_error" in errors[0].path


@pytest.mark.parametrize(
    "name", ["defusedxml-xmlbomb.xml", "defusedxml-external.xml", "defusedxml-quadratic.xml", "defusedxml-dtd.xml"]
)
def test_hostile_records_are_refused(services: Services, http_server: LoopbackServer, name: str) -> None:
    http_server.route("/waf/", Route(body=f'<a href="{name}">x</a>'.encode(), content_type="text/html"))
    http_server.route(f"/waf/{name}", Route(body=DATA / "hostile" / name, content_type="application/xml"))
    add_source(services, "w", http_server.url("/waf/"), kind="iso")
    report = services.runner.harvest("w")
    assert (report.new, report.skipped) == (0, 1)
    _, errors = services.store.list_errors(job_id=report.job_id)
    assert "entit" in errors[0].message or "neither ISO 19139 nor FGDC" in errors[0].message


def test_csw_exception_reports_fail_the_job(services: Services, http_server: LoopbackServer) -> None:
    report_xml = b'<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows"><ows:Exception><ows:ExceptionText>bad</ows:ExceptionText></ows:Exception></ows:ExceptionReport>'
    http_server.route("/csw", Route(body=report_xml, content_type="application/xml"))
    add_source(services, "c", http_server.url("/csw"), kind="csw")
    report = services.runner.harvest("c")
    assert report.status == "failed"
    assert "OWS exception" in (report.message or "")
