"""A WAF file that cannot be read keeps its earlier record; a feed that answers with an HTML page (or any
non-feed body) with status 200 fails its job and leaves its datasets as they were. Over loopback; earlier
records are compared by count, content hash and stored content."""

from __future__ import annotations

from typing import Any

import pytest

from catalog_api.services import Services
from tests.conftest import DATA, add_source
from tests.support.httpserver import LoopbackServer, Route

WAF = {
    "a.xml": "ckanext-spatial-iso19139-dataset.xml",
    "b.xml": "datagov-harvester-valid_iso2.xml",
    "c.xml": "pycsw-apiso-3e9a8c05.xml",
}
HTML_ERROR = (
    b"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Service unavailable</title></head>"
    b"<body><h1>Sorry</h1><p>We are down for maintenance &amp; will be back soon.</p></body></html>"
)
RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>New datasets</title><link>https://data.example.gov/</link>
<description>Datasets as they are published</description>
<item><title>Bridge inspections</title><link>https://data.example.gov/d/1</link><guid>d-1</guid>
<description>Every bridge inspection since 2001.</description><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>
<item><title>Road closures</title><link>https://data.example.gov/d/2</link><guid>d-2</guid>
<description>Planned closures.</description><pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"""


def _snapshot(services: Services) -> dict[str, tuple[str, dict[str, Any], bool]]:
    return {r.id: (r.content_hash, r.dataset, r.withdrawn) for r in services.store.iter_records(live=None)}


def _serve_waf(server: LoopbackServer, files: dict[str, str]) -> str:
    for name, fixture in WAF.items():
        server.route(f"/waf/{name}", Route(body=DATA / "iso" / fixture, content_type="application/xml"))
    listing = "".join(f'<li><a href="{name}">{name}</a></li>' for name in files)
    return server.route(
        "/waf/", Route(body=f"<html><body><ul>{listing}</ul></body></html>".encode(), content_type="text/html")
    )


@pytest.mark.parametrize(
    "broken",
    [
        Route(body=DATA / "hostile" / "defusedxml-external.xml", content_type="application/xml"),  # XXE
        Route(body=DATA / "hostile" / "defusedxml-xmlbomb.xml", content_type="application/xml"),  # billion laughs
        Route(body=(DATA / "iso" / WAF["b.xml"]).read_bytes()[:900], content_type="application/xml"),  # malformed
        Route(body=b"forbidden", status=403, content_type="text/plain"),
    ],
    ids=["xxe", "billion-laughs", "malformed", "403"],
)
def test_an_unreadable_waf_file_keeps_its_earlier_record(
    services: Services, http_server: LoopbackServer, broken: Route
) -> None:
    add_source(services, "waf", _serve_waf(http_server, WAF), kind="iso")
    first = services.runner.harvest("waf")
    assert (first.status, first.new) == ("succeeded", 3)
    before = _snapshot(services)

    http_server.route("/waf/b.xml", broken)
    report = services.runner.harvest("waf")

    assert report.status == "succeeded"
    assert (report.unchanged, report.skipped, report.withdrawn) == (2, 1, 0)
    assert report.message == "1 of 3 files could not be read; their earlier records are kept (see the job's errors)"
    assert _snapshot(services) == before
    assert services.store.live_count() == 3
    _, errors = services.store.list_errors(job_id=report.job_id)
    assert [(e.code, e.path) for e in errors] == [("unreadable", http_server.url("/waf/b.xml"))]


def test_a_file_gone_from_the_listing_is_still_withdrawn(services: Services, http_server: LoopbackServer) -> None:
    add_source(services, "waf", _serve_waf(http_server, WAF), kind="iso")
    services.runner.harvest("waf")
    _serve_waf(http_server, {"a.xml": "", "c.xml": ""})
    report = services.runner.harvest("waf")
    assert (report.status, report.withdrawn, report.message) == ("succeeded", 1, None)
    assert services.store.live_count() == 2


NOT_FEEDS = [
    Route(body=HTML_ERROR, content_type="text/html"),
    Route(body=HTML_ERROR, content_type="application/rss+xml"),  # a lying Content-Type changes nothing
    Route(body=b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Log in</title></head><body/></html>'),
    Route(body=b'{"error": "rate limited"}', content_type="application/json"),
    Route(body=b"Service Unavailable", content_type="text/plain"),
]
NOT_FEED_IDS = ["html", "html-as-rss", "xhtml", "json", "text"]


@pytest.mark.parametrize("answer", NOT_FEEDS, ids=NOT_FEED_IDS)
def test_the_feed_kind_refuses_a_page_that_is_not_a_feed(
    services: Services, http_server: LoopbackServer, answer: Route
) -> None:
    options = {"title": "DOT incidents", "description": "Live incidents on state roads"}
    add_source(
        services,
        "dot",
        http_server.route("/feed.xml", Route(body=RSS, content_type="application/rss+xml")),
        kind="feed",
        options=options,
    )
    assert services.runner.harvest("dot").new == 1
    before = _snapshot(services)
    [(_, dataset, _)] = before.values()
    assert dataset["landingPage"] == "https://data.example.gov/"
    assert (dataset["description"], dataset["modified"]) == ("Live incidents on state roads", "2026-11-03T10:00:00Z")

    http_server.route("/feed.xml", answer)
    report = services.runner.harvest("dot")

    assert report.status == "failed"
    assert report.message is not None
    assert "nothing was withdrawn" in report.message
    assert any(words in report.message for words in ("HTML page, not a feed", "is not XML", "neither RSS, Atom"))
    assert _snapshot(services) == before


@pytest.mark.parametrize("answer", NOT_FEEDS, ids=NOT_FEED_IDS)
def test_the_rss_kind_refuses_a_page_that_is_not_a_feed(
    services: Services, http_server: LoopbackServer, answer: Route
) -> None:
    add_source(
        services, "news", http_server.route("/new.rss", Route(body=RSS, content_type="application/rss+xml")), kind="rss"
    )
    assert services.runner.harvest("news").new == 2
    before = _snapshot(services)

    http_server.route("/new.rss", answer)
    report = services.runner.harvest("news")

    assert (report.status, report.listed, report.new) == ("failed", 0, 0)
    assert _snapshot(services) == before
    assert services.store.live_count() == 2
