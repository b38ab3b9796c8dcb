"""No fetch outside the guarded client: no parser opens a URL or a file on its own, at any depth.

A canary listens on another loopback address (127.0.0.2); every hostile document points at it (and at
``file:///etc/passwd`` and ``file:///dev/zero``), in every place a parser might follow a reference. The
canary must receive nothing, and job messages must carry our words, never an exception's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph
from rdflib.plugins.parsers import jsonld as rdflib_jsonld

from catalog_api.harvesting import HarvestReport
from catalog_api.services import Services
from harvesters.errors import ParseError
from harvesters.jsonld import ContextRefused, _install_offline_loader, offline_document, references
from tests.conftest import DATA, add_source
from tests.support.httpserver import LoopbackServer, Route

FILES = ("file:///etc/passwd", "file:///dev/zero")
LEAKS = ("Error", "Errno", "No such file", "root:", "urlopen", "Traceback", "/dev/zero", "/etc/passwd")
DCAT = "http://www.w3.org/ns/dcat#"


@pytest.fixture
def canary() -> Iterator[LoopbackServer]:
    with LoopbackServer(host="127.0.0.2") as server:
        yield server


def _clean(report: HarvestReport, canary: LoopbackServer) -> None:
    assert canary.requests == [], f"the canary was reached: {[r.path for r in canary.requests]}"
    message = report.message or ""
    assert not any(leak in message for leak in LEAKS), message


def _targets(canary: LoopbackServer) -> list[str]:
    return [canary.url("/ctx.jsonld"), *FILES, "ftp://127.0.0.2/ctx.jsonld", "relative-ctx.jsonld"]


def _dataset(**extra: Any) -> dict[str, Any]:
    return {
        "@id": "http://example.org/d/1",
        "@type": "dcat:Dataset",
        "dct:identifier": "d-1",
        "dct:title": "One dataset",
        **extra,
    }


PREFIXES = {"dcat": DCAT, "dct": "http://purl.org/dc/terms/"}


def jsonld_documents(target: str) -> dict[str, Any]:
    """One document per place a context can be named, each pointing at ``target``."""
    return {
        "top-level": {"@context": [target, PREFIXES], **_dataset()},
        "node": {"@context": PREFIXES, "@graph": [{"@context": target, **_dataset()}]},
        "term-scoped": {
            "@context": {**PREFIXES, "about": {"@id": "dct:subject", "@context": target}},
            **_dataset(about={"name": "x"}),
        },
        "type-scoped": {
            "@context": {**PREFIXES, "Thing": {"@id": "http://example.org/Thing", "@context": target}},
            **_dataset(**{"dct:subject": {"@type": "Thing", "name": "x"}}),
        },
        "import": {"@context": {"@version": 1.1, "@import": target, **PREFIXES}, **_dataset()},
        "import-in-scoped": {
            "@context": {
                "@version": 1.1,
                **PREFIXES,
                "about": {"@id": "dct:subject", "@context": {"@import": target}},
            },
            **_dataset(about={"name": "x"}),
        },
        "nested-context-document": {"@context": [{"@context": target}, PREFIXES], **_dataset()},
        "scoped-in-scoped": {
            "@context": {
                **PREFIXES,
                "about": {"@id": "dct:subject", "@context": {"inner": {"@id": "dct:x", "@context": target}}},
            },
            **_dataset(about={"inner": {"name": "x"}}),
        },
    }


PLACES = list(jsonld_documents("x"))


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("which", range(5))
def test_dcat_jsonld_contexts_at_any_depth_are_never_fetched(
    services: Services, http_server: LoopbackServer, canary: LoopbackServer, place: str, which: int
) -> None:
    target = _targets(canary)[which]
    document = jsonld_documents(target)[place]
    url = http_server.route(
        "/catalog.jsonld", Route(body=json.dumps(document).encode(), content_type="application/ld+json")
    )
    add_source(services, "ld", url, kind="dcat")
    report = services.runner.harvest("ld")
    _clean(report, canary)
    assert http_server.seen("/relative-ctx.jsonld") == []
    assert report.status == "succeeded", report.message
    record = next(services.store.iter_records())
    assert record.original_identifier == "d-1"
    assert any(i["code"] == "unmapped" and "not fetched" in i["message"] for i in record.issues)


def test_the_rewrite_leaves_no_reference_and_keeps_bundled_ones(canary: LoopbackServer) -> None:
    for document in jsonld_documents(canary.url("/ctx")).values():
        notes: list[str] = []
        assert list(references(offline_document(document, notes))) == []
        assert notes
    pod = {"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld", "title": "x"}
    rewritten = offline_document(pod, [])
    assert rewritten["@context"]["title"] == "dc:title"


@pytest.mark.parametrize("place", PLACES)
def test_rdflib_itself_is_refused_the_network(canary: LoopbackServer, place: str) -> None:
    """Without the rewrite, rdflib's own loader (replaced) refuses every remote context."""
    _install_offline_loader()
    document = jsonld_documents(canary.url("/ctx.jsonld"))[place]
    with pytest.raises(ContextRefused):
        rdflib_jsonld.to_rdf(document, Graph())
    assert canary.requests == []


def test_a_bundled_hydra_context_is_read_offline(services: Services, http_server: LoopbackServer) -> None:
    page = {
        "@context": ["http://www.w3.org/ns/hydra/context.jsonld", PREFIXES],
        "@id": "http://example.org/catalog",
        "@type": "Collection",
        "member": [_dataset()],
        "view": {"@id": "http://example.org/catalog?page=1", "@type": "PartialCollectionView"},
    }
    url = http_server.route("/hydra.jsonld", Route(body=json.dumps(page).encode(), content_type="application/ld+json"))
    add_source(services, "h", url, kind="dcat")
    report = services.runner.harvest("h")
    assert (report.status, report.new) == ("succeeded", 1)
    record = next(services.store.iter_records())
    assert not [i for i in record.issues if i["code"] == "unmapped" and "context" in i["message"]]


def _html_page(canary: LoopbackServer) -> bytes:
    ctx = canary.url("/ctx.jsonld")
    script = json.dumps(
        {
            "@context": {"@vocab": "http://schema.org/", "about": {"@id": "about", "@context": ctx}},
            "@type": "Dataset",
            "@id": "http://example.org/ds",
            "name": "A page dataset",
            "identifier": "page-1",
            "about": {"name": "x"},
        }
    )
    return f"""<!DOCTYPE html SYSTEM "{canary.url("/dtd")}">
<html><head><title>Data</title><link rel="stylesheet" href="{canary.url("/style.css")}">
<script type="application/ld+json">{script}</script>
<script type="application/ld+json">{{"@context": "file:///etc/passwd", "@type": "Dataset", "name": "x"}}</script>
<base href="{canary.url("/")}"></head>
<body vocab="{canary.url("/vocab#")}" prefix="ex: {canary.url("/prefix#")}">
<div typeof="Dataset" resource="{canary.url("/rdfa")}"><span property="name">RDFa set</span>
<link property="ex:profile" href="{canary.url("/profile")}"></div>
<div itemscope itemtype="{canary.url("/Type")}" itemref="x"><span itemprop="name">micro</span></div>
<img src="{canary.url("/img.png")}"><iframe src="file:///etc/passwd"></iframe>
<a href="file:///etc/passwd">passwd</a><a href="{canary.url("/data.csv")}">csv</a>
</body></html>""".encode()


def test_html_pages_open_nothing_they_name(
    services: Services, http_server: LoopbackServer, canary: LoopbackServer
) -> None:
    url = http_server.route("/page.html", Route(body=_html_page(canary), content_type="text/html"))
    add_source(services, "page", url, kind="html", options={"max_pages": 5})
    report = services.runner.harvest("page")
    _clean(report, canary)
    assert report.status == "succeeded", report.message
    assert [r.path for r in http_server.requests] == ["/page.html"]


RDF_DOCUMENTS = {
    "turtle": "@prefix dcat: <{dcat}> . @prefix dct: <http://purl.org/dc/terms/> .\n"
    '@base <{canary}/base/> .\n<{canary}/d> a dcat:Dataset ; dct:identifier "t-1" ; dct:title "T" ; '
    "dct:conformsTo <file:///etc/passwd> ; dct:source <relative> .",
    "nt": "<{canary}/d> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{dcat}Dataset> .\n"
    '<{canary}/d> <http://purl.org/dc/terms/title> "N" .\n<{canary}/d> <http://purl.org/dc/terms/identifier> "n-1" .',
    "trig": "@prefix dcat: <{dcat}> . {{ <{canary}/d> a dcat:Dataset ; "
    '<http://purl.org/dc/terms/identifier> "g-1" ; <http://purl.org/dc/terms/title> "G" . }}',
    "n3": '@prefix dcat: <{dcat}> . <{canary}/d> a dcat:Dataset ; <http://purl.org/dc/terms/identifier> "3-1" ; '
    '<http://purl.org/dc/terms/title> "N3" ; <http://www.w3.org/2002/07/owl#imports> <{canary}/onto> .',
    "xml": '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:dct="http://purl.org/dc/terms/" xmlns:dcat="{dcat}" xml:base="{canary}/">'
    '<dcat:Dataset rdf:about="{canary}/d"><dct:identifier>x-1</dct:identifier><dct:title>X</dct:title>'
    '<dct:source rdf:resource="file:///etc/passwd"/></dcat:Dataset></rdf:RDF>',
}
MEDIA = {
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "trig": "application/trig",
    "n3": "text/n3",
    "xml": "application/rdf+xml",
}


@pytest.mark.parametrize("fmt", list(RDF_DOCUMENTS))
def test_rdf_parsers_open_nothing(
    services: Services, http_server: LoopbackServer, canary: LoopbackServer, fmt: str
) -> None:
    body = RDF_DOCUMENTS[fmt].format(dcat=DCAT, canary=canary.url("")).encode()
    url = http_server.route(f"/catalog.{fmt}", Route(body=body, content_type=MEDIA[fmt]))
    add_source(services, "rdf", url, kind="dcat")
    report = services.runner.harvest("rdf")
    _clean(report, canary)
    assert (report.status, report.new) == ("succeeded", 1), report.message
    assert [r.path for r in http_server.requests] == [f"/catalog.{fmt}"]


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rdf:RDF SYSTEM "{canary}/dtd">',
        '<!DOCTYPE rdf:RDF SYSTEM "file:///dev/zero">',
        '<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{canary}/e">]>',
        '<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_rdfxml_external_references_are_refused(
    services: Services, http_server: LoopbackServer, canary: LoopbackServer, doctype: str
) -> None:
    document = RDF_DOCUMENTS["xml"].replace("<rdf:RDF", doctype + "\n<rdf:RDF", 1)
    body = document.format(dcat=DCAT, canary=canary.url("")).encode()
    add_source(services, "x", http_server.route("/c.rdf", Route(body=body, content_type=MEDIA["xml"])), kind="dcat")
    report = services.runner.harvest("x")
    _clean(report, canary)
    assert report.status == "failed"
    assert "refused" in (report.message or "")


def _feed(canary: LoopbackServer) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "{canary.url("/rss.dtd")}">
<rss version="2.0" xmlns:xi="http://www.w3.org/2001/XInclude"><channel><title>News</title>
<link>{canary.url("/")}</link><description>d</description>
<xi:include href="{canary.url("/inc.xml")}"/><xi:include href="file:///etc/passwd" parse="text"/>
<item><title>A dataset</title><link>{canary.url("/item")}</link><guid>item-1</guid>
<enclosure url="{canary.url("/data.csv")}" type="text/csv" length="1"/></item>
</channel></rss>""".encode()


@pytest.mark.parametrize("kind", ["rss", "feed"])
def test_xml_feeds_open_nothing(
    services: Services, http_server: LoopbackServer, canary: LoopbackServer, kind: str
) -> None:
    url = http_server.route("/feed.xml", Route(body=_feed(canary), content_type="application/rss+xml"))
    add_source(services, "f", url, kind=kind, options={"title": "Feed"})
    report = services.runner.harvest("f")
    _clean(report, canary)
    assert [r.path for r in http_server.requests] == ["/feed.xml"]


def test_iso_waf_follows_no_link_off_its_folder(
    services: Services, http_server: LoopbackServer, canary: LoopbackServer
) -> None:
    record = (DATA / "iso").glob("*.xml").__next__().read_bytes()
    listing = f"""<html><body><a href="{canary.url("/waf/a.xml")}">a</a><a href="file:///etc/passwd.xml">b</a>
    <a href="ftp://127.0.0.2/waf/c.xml">c</a><a href="good.xml">good</a></body></html>""".encode()
    http_server.route("/waf/", Route(body=listing, content_type="text/html"))
    http_server.route("/waf/good.xml", Route(body=record, content_type="application/xml"))
    add_source(services, "waf", http_server.url("/waf/"), kind="iso")
    report = services.runner.harvest("waf")
    _clean(report, canary)
    assert {r.path for r in http_server.requests} == {"/waf/", "/waf/good.xml"}


KINDS = ["datajson", "dcat", "ckan", "socrata", "feed", "rss", "html", "iso", "csw"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("url", ["file:///etc/passwd", "file:///dev/zero", "ftp://127.0.0.2/x", "gopher://127.0.0.2/"])
def test_non_http_source_urls_are_refused_for_every_kind(
    services: Services, canary: LoopbackServer, kind: str, url: str
) -> None:
    add_source(services, "s", url, kind=kind, options={"title": "T"})
    report = services.runner.harvest("s")
    _clean(report, canary)
    assert report.status == "failed"
    assert "only http and https URLs are harvested" in (report.message or "")


@pytest.mark.parametrize("target", [*FILES, "ftp://127.0.0.2/x", "data:text/plain,hello"])
def test_redirects_to_other_schemes_are_refused(
    services: Services, http_server: LoopbackServer, canary: LoopbackServer, target: str
) -> None:
    url = http_server.route("/data.json", Route(status=302, redirect_to=target))
    add_source(services, "r", url)
    report = services.runner.harvest("r")
    _clean(report, canary)
    assert report.status == "failed"
    assert "refused" in (report.message or "") or "redirected without a usable Location" in (report.message or "")


@pytest.mark.parametrize("target", [*FILES, "ftp://127.0.0.2/page2"])
def test_a_hydra_next_page_on_another_scheme_is_refused(
    services: Services, http_server: LoopbackServer, canary: LoopbackServer, target: str
) -> None:
    page = (
        f"@prefix dcat: <{DCAT}> . @prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
        '<http://example.org/d> a dcat:Dataset ; <http://purl.org/dc/terms/identifier> "h-1" ; '
        '<http://purl.org/dc/terms/title> "H" .\n'
        f"<http://example.org/c> hydra:view [ a hydra:PartialCollectionView ; hydra:next <{target}> ] ."
    ).encode()
    add_source(services, "h", http_server.route("/c.ttl", Route(body=page, content_type="text/turtle")), kind="dcat")
    report = services.runner.harvest("h")
    _clean(report, canary)
    assert report.status == "failed"
    assert "only http and https URLs are harvested" in (report.message or "")


def test_a_parse_error_message_is_ours(services: Services, http_server: LoopbackServer) -> None:
    body = b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c ;; ex:d ."
    add_source(services, "t", http_server.route("/bad.ttl", Route(body=body, content_type="text/turtle")), kind="dcat")
    report = services.runner.harvest("t")
    assert report.status == "failed"
    assert (report.message or "").startswith(f"{http_server.url('/bad.ttl')} is not valid turtle RDF")
    assert "Bad syntax" not in (report.message or "")


def test_parse_error_is_a_source_error() -> None:
    assert issubclass(ContextRefused, ParseError)


def _pointing_at(canary: LoopbackServer, relative: str) -> bytes:
    """A real fixture with every http(s) URL in it moved to the canary (and some to file:)."""
    text = (DATA / relative).read_text("utf-8")
    text = re.sub(r"https?://[^\"/\s]+", canary.url("").rstrip("/"), text)
    return text.replace(canary.url("/").rstrip("/") + "/", "file:///etc/passwd#", 3).encode()


def test_ckan_packages_open_nothing_they_name(
    services: Services, http_server: LoopbackServer, canary: LoopbackServer
) -> None:
    body = _pointing_at(canary, "ckan/demo.ckan.org-package_search.json")
    http_server.route("/api/3/action/package_search", Route(body=body, conditional=False))
    add_source(services, "c", http_server.url("/"), kind="ckan", options={"rows": 1000})
    report = services.runner.harvest("c")
    _clean(report, canary)
    assert (report.status, report.new > 0) == ("succeeded", True), report.message


def test_socrata_assets_open_nothing_they_name(
    services: Services, http_server: LoopbackServer, canary: LoopbackServer
) -> None:
    body = _pointing_at(canary, "socrata/sodapy-catalog-v1-get_datasets.json")
    http_server.route("/api/catalog/v1", Route(body=body, conditional=False))
    add_source(services, "s", http_server.url("/api/catalog/v1?domains=data.example.gov"), kind="socrata")
    report = services.runner.harvest("s")
    _clean(report, canary)
    assert report.status == "succeeded", report.message


def test_csw_records_open_nothing_they_name(
    services: Services, http_server: LoopbackServer, canary: LoopbackServer
) -> None:
    record = (DATA / "iso/catalog.data.gov-iso_metadata_1.xml").read_text("utf-8")
    record = re.sub(r">\s*https?://[^<\"/\s]+", ">" + canary.url("").rstrip("/"), record)  # links, not namespaces
    record = record.split("?>", 1)[1] if record.lstrip().startswith("<?xml") else record
    assert canary.url("") in record
    answer = (
        '<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">'
        f'<csw:SearchResults numberOfRecordsMatched="1" numberOfRecordsReturned="1" nextRecord="0">{record}'
        "</csw:SearchResults></csw:GetRecordsResponse>"
    ).encode()
    add_source(services, "w", http_server.route("/csw", Route(body=answer, content_type="application/xml")), kind="csw")
    report = services.runner.harvest("w")
    _clean(report, canary)
    assert (report.status, report.new) == ("succeeded", 1), report.message
