"""The catalog as DCAT RDF: /catalog.{ttl,rdf,jsonld,nt} pages linked with Hydra and each dataset by
content negotiation, parsed back by rdflib and checked by pyshacl against the DCAT-AP 3.0.1 shapes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from mappings.rdf_model import dataset_from_graph
from mappings.vocab import DCAT, DCTERMS, FOAF, HYDRA, RDF, SCHEMA, SKOS, XSD
from tests.conftest import DATA, add_source, harvest_file, make_settings, serve_json
from tests.support.httpserver import LoopbackServer
from tests.support.rdfcompare import parse, same_graph
from tests.support.shacl import shacl_results, violations

FIXTURES = sorted(p.name for p in (DATA / "datajson").glob("*.json") if p.name != "pod-dashboard-baddata.json")
LARGE = {p.name for p in (DATA / "datajson").glob("*.json") if p.stat().st_size > 900_000}
MEDIA = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "nt": "application/n-triples",
}
SAMPLE = 120  # datasets checked per large fixture (pyshacl needs ~0.2 s per 1,000 triples)


@pytest.fixture
def paged() -> Iterator[Services]:
    built = build_services(make_settings(catalog_page_size=3, default_publisher="State of Example"))
    yield built
    built.close()


def _client(services: Services) -> TestClient:
    return TestClient(create_app(services.settings, services))


def _get(client: TestClient, url: str, fmt: str) -> Graph:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(MEDIA[fmt])
    return parse(response.content, fmt)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in LARGE else n for n in FIXTURES])
def test_every_fixture_conforms_to_dcat_ap(http_server: LoopbackServer, name: str) -> None:
    size = SAMPLE if name in LARGE else 10_000
    services = build_services(make_settings(catalog_page_size=size))
    try:
        harvest_file(services, http_server, f"datajson/{name}")
        client = _client(services)
        graph = _get(client, "/catalog.ttl?page=1", "ttl")
        datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
        assert len(datasets) == min(size, services.store.live_count())
        assert violations(graph) == {}
        if name in LARGE:  # the last page too: a different part of the catalog
            pages = -(-services.store.live_count() // size)
            assert violations(_get(client, f"/catalog.nt?page={pages}", "nt")) == {}
    finally:
        services.close()


def test_pages_are_linked_with_hydra(paged: Services, http_server: LoopbackServer) -> None:
    harvest_file(paged, http_server, "datajson/gsa-harvester-dcatus.json")  # 7 datasets, 3 a page
    client = _client(paged)
    base = "http://catalog.test/catalog.ttl?page="
    seen: list[URIRef] = []
    for page, (previous, following) in enumerate([(None, 2), (1, 3), (2, None)], start=1):
        graph = _get(client, f"/catalog.ttl?page={page}", "ttl")
        catalog = URIRef("http://catalog.test/catalog")
        view = URIRef(f"{base}{page}")
        assert (catalog, HYDRA.view, view) in graph
        assert (view, RDF.type, HYDRA.PartialCollectionView) in graph
        assert graph.value(view, HYDRA.totalItems) == Literal(7)
        assert graph.value(view, HYDRA.itemsPerPage) == Literal(3)
        assert graph.value(view, HYDRA.first) == URIRef(f"{base}1")
        assert graph.value(view, HYDRA.last) == URIRef(f"{base}3")
        for predicates, number in (
            ((HYDRA.previous, HYDRA.previousPage), previous),
            ((HYDRA.next, HYDRA.nextPage), following),
        ):
            for predicate in predicates:
                assert graph.value(view, predicate) == (URIRef(f"{base}{number}") if number else None)
        page_datasets = list(graph.objects(catalog, DCAT.dataset))
        assert len(page_datasets) == (3 if page < 3 else 1)
        seen += page_datasets
    assert len(seen) == len(set(seen)) == 7
    missing = client.get("/catalog.ttl?page=4")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert "3 page(s)" in missing.json()["error"]["message"]


def test_every_format_carries_the_same_graph(paged: Services, http_server: LoopbackServer) -> None:
    harvest_file(paged, http_server, "datajson/ckanext-datajson-geospatial.data.json")
    client = _client(paged)
    graphs = {fmt: _without_paging(_get(client, f"/catalog.{fmt}?page=1", fmt)) for fmt in MEDIA}
    assert len(graphs["ttl"]) > 100
    for fmt, graph in graphs.items():
        assert same_graph(graphs["ttl"], graph), fmt
    assert client.get("/catalog.xml").status_code == 404
    assert client.get("/catalog.ttl?page=0").status_code == 400


def _without_paging(graph: Graph) -> Graph:
    """The page minus its Hydra view (whose links name the format's own pages)."""
    for view in list(graph.objects(None, HYDRA.view)):
        graph.remove((view, None, None))
        graph.remove((None, HYDRA.view, view))
    return graph


def test_the_catalog_describes_itself(paged: Services, http_server: LoopbackServer) -> None:
    harvest_file(paged, http_server, "datajson/ckanext-datajson-arm.data.json")
    graph = _get(_client(paged), "/catalog.ttl", "ttl")
    catalog = URIRef("http://catalog.test/catalog")
    assert graph.value(catalog, DCTERMS.title) == Literal(paged.settings.catalog_title)
    publisher = graph.value(catalog, DCTERMS.publisher)
    assert graph.value(publisher, FOAF.name) == Literal("State of Example")
    assert graph.value(catalog, FOAF.homepage) == URIRef("http://catalog.test/")
    for dataset in graph.objects(catalog, DCAT.dataset):
        record = URIRef(f"{dataset}#record")
        assert (catalog, DCAT.record, record) in graph
        assert graph.value(record, FOAF.primaryTopic) == dataset
        assert graph.value(record, DCTERMS.modified) is not None


def test_conditional_get_and_negotiation(paged: Services, http_server: LoopbackServer) -> None:
    harvest_file(paged, http_server, "datajson/ckanext-datajson-arm.data.json")
    client = _client(paged)
    first = client.get("/catalog.ttl?page=1")
    etag = first.headers["etag"]
    assert client.get("/catalog.ttl?page=1", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/catalog.nt?page=1").headers["etag"] != etag
    assert client.get("/catalog.ttl?page=1", headers={"If-None-Match": etag}).headers["etag"] == etag
    negotiated = client.get("/catalog", headers={"Accept": "application/ld+json"})
    assert negotiated.headers["content-type"].startswith("application/ld+json")
    assert negotiated.headers["content-location"] == "/catalog.jsonld?page=1"
    assert client.get("/catalog").headers["content-type"].startswith("text/turtle")
    refused = client.get("/catalog", headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert refused.json()["error"]["code"] == "not_acceptable"


@pytest.mark.parametrize("fmt", sorted(MEDIA))
def test_each_dataset_by_accept_and_extension(
    client: TestClient, services: Services, http_server: LoopbackServer, fmt: str
) -> None:
    harvest_file(services, http_server, "datajson/gsa-harvester-dcatus.json")
    listed = client.get("/api/v1/datasets", params={"per_page": 50}).json()["results"]
    for summary in listed:
        page = summary["html_url"].removeprefix("http://catalog.test")
        by_accept = client.get(page, headers={"Accept": MEDIA[fmt]})
        assert by_accept.headers["content-type"].startswith(MEDIA[fmt])
        assert "Accept" in by_accept.headers["vary"]
        graph = parse(by_accept.content, fmt)
        assert same_graph(graph, _get(client, f"{page}.{fmt}", fmt))
        dataset = URIRef(summary["html_url"])
        assert (dataset, RDF.type, DCAT.Dataset) in graph
        assert graph.value(dataset, DCTERMS.title) == Literal(summary["title"])
        assert violations(graph) == {}
    html = client.get(listed[0]["html_url"].removeprefix("http://catalog.test"))
    assert html.headers["content-type"].startswith("text/html")


def test_what_dcat_ap_needs_is_filled_or_left_out(
    services: Services, client: TestClient, http_server: LoopbackServer
) -> None:
    """Socrata's 2013 records: no description on some, licences in prose, downloads without access URLs,
    frequencies and formats as words — all conformant once published."""
    harvest_file(services, http_server, "datajson/socrata-v1.0-2013-data.consumerfinance.gov.json")
    graph = _get(client, "/catalog.ttl", "ttl")
    for dataset in graph.subjects(RDF.type, DCAT.Dataset):
        assert graph.value(dataset, DCTERMS.description) is not None
        for distribution in graph.objects(dataset, DCAT.distribution):
            assert graph.value(distribution, DCAT.accessURL) is not None
    results = shacl_results(graph, recommended=True)
    assert not [r for r in results if r[0] == "Violation"]


def test_hostile_text_still_makes_parseable_rdf(
    services: Services, client: TestClient, http_server: LoopbackServer
) -> None:
    nasty = 'NUL \x00, bell \x07, vertical tab \x0b, quote " backslash \\ newline \n and ]]> <tag> & \ud800'
    record = {
        "title": f"Hostile {nasty}",
        "description": nasty,
        "identifier": "hostile-1",
        "keyword": [nasty],
        "theme": [nasty],
        "publisher": {"name": nasty},
        "distribution": [{"downloadURL": "https://example.gov/a b.csv", "title": nasty}],
        "accessLevel": "public",
    }
    add_source(services, "hostile", serve_json(http_server, "/hostile.json", {"dataset": [record]}))
    assert services.runner.harvest("hostile").new == 1
    page = client.get("/api/v1/datasets").json()["results"][0]["html_url"].removeprefix("http://catalog.test")
    for fmt in MEDIA:
        for url in (f"/catalog.{fmt}", f"{page}.{fmt}"):
            graph = _get(client, url, fmt)
            titles = [str(t) for t in graph.objects(None, DCTERMS.title) if str(t).startswith("Hostile")]
            assert titles, (fmt, url)
            assert "]]> <tag> &" in titles[0]
            assert violations(graph) == {}


def _record(identifier: str, **fields: object) -> dict[str, object]:
    base = {
        "title": f"Dataset {identifier}",
        "description": "Found on a real catalog.",
        "identifier": identifier,
        "accessLevel": "public",
        "keyword": ["COVID-19", "Public Safety"],
        "publisher": {"name": "City of Example"},
        "contactPoint": {"fn": "Open Data", "hasEmail": "mailto:open@example.gov"},
        "modified": "2024-05-01",
    }
    return {**base, **fields}


def test_dates_and_theme_iris_keep_what_was_published(
    services: Services, client: TestClient, http_server: LoopbackServer
) -> None:
    """Real catalogs write ``modified`` as ``R/P1W`` (a frequency) or ``20201117`` (ISO 8601's basic format),
    and themes as IRIs: the DCAT-AP RDF keeps them all and stays valid against the shapes."""
    records = [
        _record("weekly", modified="R/P1W", issued="N/A"),
        _record("basic", modified="20201117", issued="20190102T030405Z"),
        _record("month", modified="2020-11"),
        _record(
            "themes",
            theme=[
                "http://publications.europa.eu/resource/authority/data-theme/HEAL",
                "https://example.gov/themes/public_safety",
                "Transportation",
            ],
        ),
    ]
    catalog = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": records}
    add_source(services, "real", serve_json(http_server, "/real.json", catalog))
    assert services.runner.harvest("real").new == 4
    graph = _get(client, "/catalog.ttl", "ttl")
    by_identifier = {str(graph.value(d, DCTERMS.identifier)): d for d in graph.subjects(RDF.type, DCAT.Dataset)}
    weekly, basic, month = by_identifier["weekly"], by_identifier["basic"], by_identifier["month"]
    assert graph.value(weekly, DCTERMS.modified) is None  # DCAT-AP wants a typed date there...
    assert graph.value(weekly, SCHEMA.dateModified) == Literal("R/P1W")  # ...so it stays as published here
    assert graph.value(weekly, SCHEMA.datePublished) == Literal("N/A")
    assert graph.value(basic, DCTERMS.modified) == Literal("2020-11-17", datatype=XSD.date)
    assert graph.value(basic, DCTERMS.issued) == Literal("2019-01-02T03:04:05Z", datatype=XSD.dateTime)
    assert graph.value(basic, SCHEMA.dateModified) is None
    assert graph.value(month, DCTERMS.modified) == Literal("2020-11", datatype=XSD.gYearMonth)
    themes = set(graph.objects(by_identifier["themes"], DCAT.theme))
    labels = {str(t): str(graph.value(t, SKOS.prefLabel)) for t in themes}
    assert labels == {
        "http://publications.europa.eu/resource/authority/data-theme/HEAL": "Health",
        "https://example.gov/themes/public_safety": "public safety",
        "http://catalog.test/?theme=Transportation": "Transportation",
    }
    assert all((t, RDF.type, SKOS.Concept) in graph for t in themes)
    assert {str(k) for k in graph.objects(weekly, DCAT.keyword)} == {"COVID-19", "Public Safety"}
    assert violations(graph) == {}
    assert not [r for r in shacl_results(graph, recommended=True) if r[0] == "Violation"]
    # read back as any DCAT consumer of this catalog would: the published modified comes back
    assert dataset_from_graph(graph, weekly).modified == "R/P1W"
    assert dataset_from_graph(graph, basic).modified == "2020-11-17"
