"""The dcat harvester: every RDF fixture, Hydra paging, content negotiation, DCAT-AP forms, isomorphism."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.term import Node

from catalog_api.services import Services
from harvesters.rdfsource import dataset_nodes, description, identifier_of, parse_rdf, rdf_format
from mappings.model import Dataset
from mappings.rdf_out import dataset_graph
from mappings.rdfterms import best_literal
from mappings.vocab import DCAT, DCTERMS, RDF
from tests.conftest import DATA, add_source
from tests.harvesters.contract import PagedHarvesterContract, Scenario
from tests.support.httpserver import LoopbackServer, Route, Seen

RDF_FIXTURES = sorted(p.name for p in (DATA / "rdf").iterdir())
NOT_A_CATALOG = {
    "ckanext-dcat-dataset.ttl": "not valid turtle",  # uses an undeclared prefix upstream
    "udata-geonetwork-csw-GetRecords-dcat-page-1.xml": "not valid xml RDF",  # a CSW envelope, not RDF/XML
    "udata-paged-collection-1.jsonld": "data.test.org",  # its next page lives on a host we cannot reach
}
PAGED_HOST = "http://data.test.org"


class PagedCatalog(Scenario):
    """udata's two-page Hydra collection, its absolute page links pointed at the loopback server."""

    kind = "dcat"
    content_type = "application/ld+json"

    def __init__(self, server: LoopbackServer) -> None:
        super().__init__(server)
        self.pages = {
            "1": (DATA / "rdf/udata-paged-collection-1.jsonld").read_bytes(),
            "2": (DATA / "rdf/udata-paged-collection-2.jsonld").read_bytes(),
        }
        self.mount("/catalog.jsonld")

    def source_url(self) -> str:
        return self.server.url("/catalog.jsonld?page=1")

    def answer(self, seen: Seen) -> Route:
        page = seen.param("page", "1") or "1"
        if self.repeating and page == "2":
            page = "1"
        body = self.pages[page].replace(PAGED_HOST.encode(), self.server.url("").encode())
        return Route(body=body, content_type=self.content_type)

    def expected(self) -> set[str]:
        return {"1", "2", "3", "4"}

    def change(self) -> str:
        self.pages["1"] = self.pages["1"].replace(b"Dataset 1 description", b"Dataset 1, revised")
        return "1"

    def check_incremental(self, unchanged: object, changed: object, services: Services) -> None:
        """A paged collection is re-read whole (a first page's ETag says nothing of later pages)."""
        assert all("If-None-Match" not in s.headers for s in self.server.requests)


class TestDcatContract(PagedHarvesterContract):
    @pytest.fixture
    def scenario(self, http_server: LoopbackServer) -> Scenario:
        return PagedCatalog(http_server)


# -- every fixture -------------------------------------------------------------------------------


def fixture_graph(name: str) -> Graph:
    data = (DATA / "rdf" / name).read_bytes()
    return parse_rdf(data, rdf_format("", name, data[:512]), base=f"http://fixtures.test/{name}")


@pytest.mark.parametrize("name", RDF_FIXTURES)
def test_every_rdf_fixture(services: Services, http_server: LoopbackServer, name: str) -> None:
    add_source(services, "rdf", http_server.route(f"/{name}", Route(body=DATA / "rdf" / name)), kind="dcat")
    report = services.runner.harvest("rdf")
    if name in NOT_A_CATALOG:
        assert report.status == "failed"
        assert NOT_A_CATALOG[name] in (report.message or "")
        return
    assert report.status == "succeeded", report.message
    graph = fixture_graph(name)
    expected = {identifier_of(graph, node) for node in dataset_nodes(graph)} - {None}
    assert {r.original_identifier for r in services.store.iter_records()} == expected
    assert report.failed == 0
    for record in services.store.iter_records():
        subject = next(n for n in dataset_nodes(graph) if identifier_of(graph, n) == record.original_identifier)
        assert isomorphic(core(graph, subject), core(dataset_graph(Dataset.model_validate(record.dataset), "x:d"))), (
            record.original_identifier
        )


CORE_TEXT = (DCTERMS.title, DCTERMS.description)
CORE_DATES = (DCTERMS.modified, DCTERMS.issued)
CORE_LINKS = (DCAT.landingPage,)
DIST_LINKS = (DCAT.downloadURL, DCAT.accessURL)
CORE = Namespace("urn:core:")


def core(graph: Graph, subject: Node | None = None) -> Graph:
    """What every DCAT mapping must keep, read with plain rdflib (no mapping table involved): title and
    description (English or untagged), keywords, dates, landing page, and each distribution's links —
    as plain strings under a fixed subject, so a source graph and our output compare by isomorphism."""
    if subject is None:
        subject = dataset_nodes(graph)[0]
    out = Graph()
    root = CORE.dataset
    for predicate in (*CORE_TEXT, *CORE_DATES, *CORE_LINKS):
        value = best_literal(graph.objects(subject, predicate))
        if value is not None:
            out.add((root, predicate, Literal(str(value).strip())))
    for keyword in graph.objects(subject, DCAT.keyword):
        out.add((root, DCAT.keyword, Literal(str(keyword))))
    for distribution in graph.objects(subject, DCAT.distribution):
        links = [(p, Literal(str(o))) for p in DIST_LINKS for o in graph.objects(distribution, p)]
        if links:
            node = BNode()
            out.add((root, DCAT.distribution, node))
            for predicate, value in links:
                out.add((node, predicate, value))
    return out


# -- particular behaviour ------------------------------------------------------------------------


def test_format_comes_from_content_type_then_extension_then_the_bytes() -> None:
    assert rdf_format("text/turtle", "http://x/catalog", b"") == "turtle"
    assert rdf_format("text/plain", "http://x/catalog.rdf", b"") == "xml"
    assert rdf_format("", "http://x/catalog", b'  {"@graph": []}') == "json-ld"
    assert rdf_format("application/octet-stream", "http://x/c", b"<?xml version='1.0'?><rdf:RDF/>") == "xml"
    assert rdf_format("", "http://x/c", b"@prefix dcat: <http://www.w3.org/ns/dcat#> .") == "turtle"


def test_content_negotiation_and_conditional_get(services: Services, http_server: LoopbackServer) -> None:
    url = http_server.route(
        "/catalog", Route(body=DATA / "rdf/ckanext-dcat-catalog.rdf", content_type="application/rdf+xml")
    )
    add_source(services, "neg", url, kind="dcat")
    assert services.runner.harvest("neg").new == 2
    assert http_server.seen("/catalog")[0].headers["Accept"].startswith("text/turtle")
    assert services.runner.harvest("neg").status == "unchanged"


def test_dcat_ap_vocabularies_read_into_dcat_us(services: Services, http_server: LoopbackServer) -> None:
    add_source(
        services, "ap", http_server.route("/d.rdf", Route(body=DATA / "rdf/ckanext-dcat-dataset.rdf")), kind="dcat"
    )
    services.runner.harvest("ap")
    dataset = next(services.store.iter_records()).dataset
    assert dataset["identifier"] == "9df8df51-63db-37a8-e044-0003ba9b0d98"
    assert dataset["accrualPeriodicity"] == "R/P1D"  # an EU frequency IRI
    assert dataset["language"] == ["en", "es", "ca"]
    assert dataset["publisher"]["name"] == "Publishing Organization for dataset 1"


def test_dataset_without_identifier_takes_its_iri(services: Services, http_server: LoopbackServer) -> None:
    turtle = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    <https://data.state.example/ds/roads> a dcat:Dataset ; dct:title "State roads" .
    [] a dcat:Dataset ; dct:title "An anonymous dataset" ."""
    add_source(
        services, "iri", http_server.route("/c.ttl", Route(body=turtle, content_type="text/turtle")), kind="dcat"
    )
    report = services.runner.harvest("iri")
    assert (report.new, report.skipped) == (1, 1)
    record = next(services.store.iter_records())
    assert record.original_identifier == record.dataset["identifier"] == "https://data.state.example/ds/roads"


def test_untrusted_rdf_xml_and_remote_contexts(services: Services, http_server: LoopbackServer) -> None:
    bomb = DATA / "hostile/defusedxml-xmlbomb.xml"
    add_source(services, "bomb", http_server.route("/bomb.rdf", Route(body=bomb)), kind="dcat")
    report = services.runner.harvest("bomb")
    assert report.status == "failed"
    assert "declares XML entities" in (report.message or "")
    jsonld = b"""{"@context": ["https://evil.example/context.jsonld", {"dct": "http://purl.org/dc/terms/",
      "dcat": "http://www.w3.org/ns/dcat#"}], "@id": "https://d.example/1", "@type": "dcat:Dataset",
      "dct:title": "Offline"}"""
    add_source(
        services,
        "ctx",
        http_server.route("/c.jsonld", Route(body=jsonld, content_type="application/ld+json")),
        kind="dcat",
    )
    report = services.runner.harvest("ctx")
    assert report.new == 1
    assert any("evil.example" in note for note in report.stats["notes"])
    assert all("evil" not in r.path for r in http_server.requests)
    assert next(services.store.iter_records()).issues[0]["code"] == "unmapped"


def test_rdf_type_is_required_for_datasets() -> None:
    graph = Graph()
    graph.add((URIRef("https://d.example/x"), DCTERMS.title, Literal("untyped")))
    assert dataset_nodes(graph) == []
    graph.add((URIRef("https://d.example/x"), RDF.type, DCAT.Dataset))
    assert len(description(graph, URIRef("https://d.example/x"))) == 2
