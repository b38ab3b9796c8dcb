"""Every harvest is bounded — in time, pages, records, field sizes, nesting and memory — and a source
that goes past a bound fails its own job with our words while what it gave before stays as it was."""

from __future__ import annotations

import bz2
import json
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from catalog_api.harvesting import HarvestReport
from catalog_api.services import Services, build_services
from tests.conftest import DATA, add_source, make_settings
from tests.support.drip import DripServer
from tests.support.httpserver import LoopbackServer, Route, Seen

V11 = "https://project-open-data.cio.gov/v1.1/schema"
GOOD = DATA / "datajson/gsa-harvester-dcatus.json"


def snapshot(services: Services) -> set[tuple[str, str, bool]]:
    return {(r.original_identifier, r.content_hash, r.withdrawn) for r in services.store.iter_records(live=None)}


def harvested_before(services: Services, server: LoopbackServer, kind: str = "datajson") -> set[tuple[str, str, bool]]:
    """A good first harvest of source "src" (data.json), and what it stored."""
    server.route("/src", Route(body=GOOD))
    add_source(services, "src", server.url("/src"), kind=kind)
    first = services.runner.harvest("src")
    assert (first.status, first.new) == ("succeeded", 7)
    return snapshot(services)


def rerun(services: Services, server: LoopbackServer, route: Route) -> HarvestReport:
    server.route("/src", route)
    return services.runner.harvest("src", full=True)


def _failed_keeping(report: HarvestReport, before: set[tuple[str, str, bool]], services: Services, words: str) -> None:
    assert report.status == "failed", report.message
    assert words in (report.message or ""), report.message
    assert "nothing was withdrawn" in (report.message or "")
    assert snapshot(services) == before


# -- charsets ------------------------------------------------------------------------------------

DOCUMENT = json.dumps({"conformsTo": V11, "dataset": [{"identifier": "x", "title": "y"}]}).encode()
BOMB = bz2.compress(b"[" + b" " * (200 << 20), 1)  # 200 MB of JSON-ish whitespace in a few hundred bytes


@pytest.mark.parametrize(
    ("charset", "body"),
    [
        ("bz2", BOMB),
        ("bz2_codec", BOMB),
        ("zlib", zlib.compress(b" " * (50 << 20))),
        ("base64", b"eyJkYXRhc2V0IjogW119"),
        ("rot13", DOCUMENT),
        ("hex", DOCUMENT.hex().encode()),
        ("uu", DOCUMENT),
        ("quopri", DOCUMENT),
    ],
)
def test_a_charset_that_is_a_codec_is_refused_before_decoding(
    services: Services, http_server: LoopbackServer, charset: str, body: bytes
) -> None:
    before = harvested_before(services, http_server)
    started = time.monotonic()
    report = rerun(services, http_server, Route(body=body, content_type=f"application/json; charset={charset}"))
    _failed_keeping(report, before, services, f"declares charset '{charset}', which is not a character set")
    assert time.monotonic() - started < 5


def test_an_unknown_charset_is_a_clear_failure(services: Services, http_server: LoopbackServer) -> None:
    before = harvested_before(services, http_server)
    report = rerun(services, http_server, Route(body=DOCUMENT, content_type="application/json; charset=x-no-such"))
    _failed_keeping(report, before, services, "not a known character set")


@pytest.mark.parametrize("charset", ["utf-16", "utf-16-le", "utf-32", "cp037"])
def test_a_charset_that_does_not_match_the_bytes_is_a_job_error(
    services: Services, http_server: LoopbackServer, charset: str
) -> None:
    before = harvested_before(services, http_server)
    body = GOOD.read_bytes()
    report = rerun(services, http_server, Route(body=body, content_type=f"application/json; charset={charset}"))
    assert report.status == "failed", report.message
    assert snapshot(services) == before


@pytest.mark.parametrize("kind", ["dcat", "rss", "html"])
def test_a_codec_charset_fails_every_kind(services: Services, http_server: LoopbackServer, kind: str) -> None:
    url = http_server.route("/x", Route(body=BOMB, content_type="text/turtle; charset=bz2"))
    add_source(services, "x", url, kind=kind)
    report = services.runner.harvest("x")
    assert report.status == "failed"
    assert "not a character set" in (report.message or "")


# -- time ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_a_dripping_server_is_cut_at_the_jobs_deadline(phase: str) -> None:
    services = build_services(make_settings(harvest_max_seconds=2.0, harvest_timeout=5.0, harvest_retries=3))
    try:
        with DripServer(phase, interval=0.2) as server:
            add_source(services, "drip", server.url)
            started = time.monotonic()
            report = services.runner.harvest("drip")
            took = time.monotonic() - started
        assert report.status == "failed"
        assert "NUTMEG_HARVEST_MAX_SECONDS" in (report.message or ""), report.message
        assert took < 4.0, f"the job ran {took:.1f} s past a 2 s deadline"
    finally:
        services.close()


def test_the_deadline_spans_the_whole_job_not_each_page(http_server: LoopbackServer) -> None:
    """Pages that each answer in time still stop when the job as a whole runs out."""
    services = build_services(make_settings(harvest_max_seconds=1.5))
    try:
        http_server.respond(SEARCH, lambda seen: _forever_page(seen, delay=0.3))
        add_source(services, "ckan", http_server.url("/"), kind="ckan", options={"rows": 1})
        started = time.monotonic()
        report = services.runner.harvest("ckan")
        assert report.status == "failed"
        assert "NUTMEG_HARVEST_MAX_SECONDS" in (report.message or "")
        assert time.monotonic() - started < 3.0
    finally:
        services.close()


# -- pages and records ---------------------------------------------------------------------------

SEARCH = "/api/3/action/package_search"


def _package(number: int) -> dict[str, Any]:
    return {
        "id": f"pkg-{number:06d}",
        "name": f"package-{number}",
        "title": f"Package {number}",
        "notes": "A package.",
        "metadata_modified": f"2024-01-01T00:00:{number % 60:02d}.000000",
        "state": "active",
    }


def _forever_page(seen: Seen, *, count: str = "growing", delay: float = 0.0) -> Route:
    """A CKAN that never ends: one new package per page, a count always ahead (or none at all)."""
    start = int(seen.param("start", "0") or 0)
    result: dict[str, Any] = {"results": [_package(start)]}
    if count == "growing":
        result["count"] = start + 10
    body = json.dumps({"success": True, "result": result}).encode()
    return Route(body=body, conditional=False, delay=delay)


def _real_ckan(seen: Seen) -> Route:
    start = int(seen.param("start", "0") or 0)
    packages = [_package(n) for n in range(5)][start : start + 2]
    body = json.dumps({"success": True, "result": {"count": 5, "results": packages}}).encode()
    return Route(body=body, conditional=False)


@pytest.mark.parametrize("count", ["growing", "none"])
def test_a_ckan_that_pages_forever_stops_at_the_page_cap(http_server: LoopbackServer, count: str) -> None:
    services = build_services(make_settings(harvest_max_pages=40))
    try:
        http_server.respond(SEARCH, _real_ckan)
        add_source(services, "ckan", http_server.url("/"), kind="ckan", options={"rows": 2})
        assert services.runner.harvest("ckan").new == 5
        before = snapshot(services)
        http_server.respond(SEARCH, lambda seen: _forever_page(seen, count=count))
        requests_before = len(http_server.seen(SEARCH))
        report = services.runner.harvest("ckan", full=True)
        _failed_keeping_live(report, services, "NUTMEG_HARVEST_MAX_PAGES")
        assert len(http_server.seen(SEARCH)) - requests_before == 40
        assert {(i, h) for i, h, w in snapshot(services) if not w} >= {(i, h) for i, h, w in before}
    finally:
        services.close()


def _failed_keeping_live(report: HarvestReport, services: Services, words: str) -> None:
    assert report.status == "failed", report.message
    assert words in (report.message or ""), report.message
    assert "nothing was withdrawn" in (report.message or "")
    assert not [r for r in services.store.iter_records(live=None) if r.withdrawn]


def test_records_per_job_are_capped(http_server: LoopbackServer) -> None:
    services = build_services(make_settings(harvest_max_records=7))
    try:
        before = harvested_before(services, http_server)
        many = {"conformsTo": V11, "dataset": [{"identifier": f"r{n}", "title": f"R {n}"} for n in range(20)]}
        report = rerun(services, http_server, Route(body=json.dumps(many).encode()))
        _failed_keeping_live(report, services, "NUTMEG_HARVEST_MAX_RECORDS")
        assert before <= snapshot(services)
    finally:
        services.close()


# -- field sizes ---------------------------------------------------------------------------------


def test_an_over_long_field_is_kept_truncated_and_reported(services: Services, http_server: LoopbackServer) -> None:
    description = "é" * (150 << 10)  # 300 KB of two-byte characters
    spatial = "POLYGON((" + "1 2," * (400 << 10) + "1 2))"  # 1.6 MB of WKT
    record = {"identifier": "big", "title": "Big", "description": description, "spatial": spatial}
    http_server.route("/big.json", Route(body=json.dumps({"conformsTo": V11, "dataset": [record]}).encode()))
    add_source(services, "big", http_server.url("/big.json"))
    report = services.runner.harvest("big")
    assert (report.status, report.new) == ("succeeded", 1)
    stored = next(services.store.iter_records())
    assert len(stored.dataset["description"].encode()) <= 64 << 10
    assert stored.dataset["description"] == "é" * (32 << 10)
    truncated = {i["path"]: i for i in stored.issues if i["code"] == "truncated"}
    assert set(truncated) == {"description", "spatial"}
    assert "NUTMEG_HARVEST_MAX_FIELD_BYTES" in truncated["description"]["message"]
    assert "NUTMEG_HARVEST_MAX_SPATIAL_BYTES" in truncated["spatial"]["message"]


def test_an_over_long_literal_in_rdf_is_truncated(services: Services, http_server: LoopbackServer) -> None:
    long = "x" * (100 << 10)
    body = (
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
        f'<http://example.org/d> a dcat:Dataset ; dct:identifier "d" ; dct:title "T" ; dct:description "{long}"@en .'
    ).encode()
    add_source(services, "t", http_server.route("/c.ttl", Route(body=body, content_type="text/turtle")), kind="dcat")
    assert services.runner.harvest("t").new == 1
    stored = next(services.store.iter_records())
    assert stored.dataset["description"] == "x" * (64 << 10)
    assert [i["code"] for i in stored.issues if i["code"] == "truncated"] == ["truncated"]


# -- nesting -------------------------------------------------------------------------------------

PREFIX = b"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix ex: <http://example.org/> .\n"


def _deep_jsonld(depth: int) -> bytes:
    return (
        b'{"@context": {"@vocab": "http://example.org/"}, "@id": "http://example.org/d", "@type": '
        b'"http://www.w3.org/ns/dcat#Dataset", "p": ' + b'{"p": ' * depth + b"1" + b"}" * depth + b"}"
    )


DEEP = {
    "turtle-100k-blank-nodes": (
        PREFIX + b"ex:d a dcat:Dataset ; ex:p " + b"[ ex:p " * 100_000 + b"]" * 100_000 + b" .",
        "text/turtle",
    ),
    "turtle-100k-lists": (PREFIX + b"ex:d ex:p " + b"( " * 100_000 + b")" * 100_000 + b" .", "text/turtle"),
    "n3-100k-formulas": (PREFIX + b"ex:d ex:p " + b"{ ex:a ex:b " * 100_000 + b"}" * 100_000 + b" .", "text/n3"),
    "jsonld-500": (_deep_jsonld(500), "application/ld+json"),
    "jsonld-100k": (_deep_jsonld(100_000), "application/ld+json"),
    "jsonld-100k-arrays": (b'{"@id": "x", "p": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "application/ld+json"),
    "rdfxml-100k": (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
        + b'<rdf:Description><ex:p rdf:parseType="Resource">' * 100_000
        + b"</ex:p></rdf:Description>" * 100_000
        + b"</rdf:RDF>",
        "application/rdf+xml",
    ),
}


@pytest.mark.parametrize("name", list(DEEP))
def test_deep_documents_fail_the_job_cleanly(services: Services, http_server: LoopbackServer, name: str) -> None:
    body, media_type = DEEP[name]
    before = harvested_before(services, http_server)
    add_source(services, "deep", http_server.route("/deep", Route(body=body, content_type=media_type)), kind="dcat")
    report = services.runner.harvest("deep")
    assert report.status == "failed", report.message
    message = report.message or ""
    assert "deeper than" in message or "not valid" in message or "not well-formed" in message, message
    assert "Recursion" not in message
    assert "KeyError" not in message
    assert snapshot(services) == before


def test_deep_html_fails_the_job_cleanly(services: Services, http_server: LoopbackServer) -> None:
    nested = b"<div itemprop='about' itemscope itemtype='http://schema.org/Thing'>" * 300
    body = (
        b"<html><body><div itemscope itemtype='http://schema.org/Dataset'>"
        + nested
        + b"</div>" * 301
        + b"</body></html>"
    )
    add_source(services, "page", http_server.route("/p.html", Route(body=body, content_type="text/html")), kind="html")
    report = services.runner.harvest("page")
    assert report.status == "failed"
    assert "nests HTML elements deeper than" in (report.message or "")


def test_a_later_source_is_harvested_after_a_deep_one(services: Services, http_server: LoopbackServer) -> None:
    body, media_type = DEEP["jsonld-500"]
    add_source(services, "deep", http_server.route("/deep", Route(body=body, content_type=media_type)), kind="dcat")
    http_server.route("/src", Route(body=GOOD))
    add_source(services, "src", http_server.url("/src"))
    assert services.runner.harvest("deep").status == "failed"
    assert services.runner.harvest("src").new == 7


# -- memory --------------------------------------------------------------------------------------

CHILD = """
import json, sys
from catalog_api.services import build_services
from tests.conftest import add_source, make_settings
services = build_services(make_settings())
add_source(services, "big", sys.argv[1], kind=sys.argv[2], options={"title": "Big"})
report = services.runner.harvest("big")
import psutil
# VmHWM: this process's own peak (ru_maxrss would carry the forking parent's over the exec)
status = dict(line.split(":", 1) for line in open(f"/proc/{psutil.Process().pid}/status"))
peak = int(status["VmHWM"].split()[0]) * 1024
print(json.dumps({"status": report.status, "message": report.message, "new": report.new, "peak": peak}))
"""


def _endless(head: bytes, item: bytes, size: int, tail: bytes = b"") -> Any:
    def body() -> Iterator[bytes]:
        yield head
        block = item * max(1, (1 << 20) // len(item))
        for _ in range(size // len(block)):
            yield block
        if tail:
            yield tail

    return body


BIG = {
    "turtle": (
        "dcat",
        "text/turtle",
        PREFIX,
        b'ex:d a dcat:Dataset ; ex:title "A dataset with a title long enough to matter" .\n',
    ),
    "rdfxml": (
        "dcat",
        "application/rdf+xml",
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">',
        b'<rdf:Description rdf:about="http://example.org/d"><ex:t>A title</ex:t></rdf:Description>\n',
    ),
    "rss": (
        "rss",
        "application/rss+xml",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>',
        b"<item><title>An item</title><link>http://example.org/i</link><guid>g</guid></item>\n",
    ),
}


DESCRIPTION = (
    "datajson",
    "application/json",
    b'{"conformsTo": "' + V11.encode() + b'", "dataset": [{"identifier": "big", "title": "Big", "description": "',
    b"x" * 4096,
)
DESCRIPTION_END = b'"}]}'


@pytest.mark.parametrize("name", [*BIG, "datajson-200mb-description"])
def test_a_200_megabyte_document_stays_under_400_megabytes(http_server: LoopbackServer, name: str) -> None:
    """Measured in a fresh process: the harvest's peak RSS, whatever the parser."""
    kind, media_type, head, item = BIG.get(name, DESCRIPTION)
    tail = b"" if name in BIG else DESCRIPTION_END  # the datajson kind streams: the record is kept, cut
    body = _endless(head, item, 200 << 20, tail)
    url = http_server.route(f"/big-{name}", Route(body=body, content_type=media_type))
    result = subprocess.run(
        [sys.executable, "-c", CHILD, url, kind], capture_output=True, text=True, timeout=120, check=True
    )
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["peak"] < 400 << 20, f"peak RSS {outcome['peak'] >> 20} MB"
    if name in BIG:
        assert outcome["status"] == "failed"
        assert "NUTMEG_HARVEST_MAX_PARSE_BYTES" in outcome["message"]
    else:
        assert (outcome["status"], outcome["new"]) == ("succeeded", 1), outcome


def test_an_html_site_out_of_time_withdraws_nothing(http_server: LoopbackServer) -> None:
    """Pages after the deadline are not "skipped" (which would withdraw their datasets): the job fails."""
    services = build_services(make_settings(harvest_max_seconds=1.5))
    try:
        links = "".join(f'<a href="/p{n}.html">p{n}</a>' for n in range(5))
        for n in range(5):
            page = f'<html><title>P{n}</title><body>{links}<a href="/d{n}.csv">data</a></body></html>'.encode()
            http_server.route(f"/p{n}.html", Route(body=page, content_type="text/html"))
        add_source(services, "site", http_server.url("/p0.html"), kind="html", options={"max_pages": 5})
        assert services.runner.harvest("site").new == 5
        for n in range(1, 5):
            http_server.routes[f"/p{n}.html"].delay = 0.6
        report = services.runner.harvest("site", full=True)
        _failed_keeping_live(report, services, "NUTMEG_HARVEST_MAX_SECONDS")
        assert services.store.live_count() == 5
    finally:
        services.close()
