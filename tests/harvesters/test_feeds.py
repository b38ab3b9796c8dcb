"""feed (a feed as one dataset, freshness tracked) and rss (each item a dataset), over loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from catalog_api.cli import main
from catalog_api.services import Services
from harvesters.errors import ParseError
from harvesters.feedparse import parse_feed, parse_time
from tests.conftest import DATA, add_source
from tests.harvesters.contract import HarvesterContract, Scenario
from tests.support.httpserver import LoopbackServer, Route, Seen

MASSDOT = DATA / "feeds/massdot-itms-event-feed-sample.xml"
ATOM = DATA / "feeds/feedparser-sanitize_large_atom_feed_that_needs_css_sanitisation.xml"
INCIDENTS: dict[str, Any] = {
    "title": "Highway incidents (real time)",
    "description": "Planned and unplanned events on state highways, updated every few minutes.",
    "publisher": "Massachusetts Department of Transportation",
    "keywords": ["traffic", "incidents"],
    "frequency": "R/PT5M",
    "item_xpath": "/EventsFeed/Events/*",
    "time_xpath": "UpdatedAt",
}


class FileScenario(Scenario):
    paged = False
    path = "/feed.xml"

    def __init__(self, server: LoopbackServer, body: bytes) -> None:
        super().__init__(server)
        self.body = body
        self.mount(self.path)

    def source_url(self) -> str:
        return self.server.url(self.path)

    def answer(self, seen: Seen) -> Route:
        return Route(body=self.body, content_type=self.content_type)


class IncidentFeed(FileScenario):
    kind = "feed"
    one_body = True
    content_type = "application/xml"
    options: ClassVar[dict[str, Any]] = INCIDENTS

    def expected(self) -> set[str]:
        return {self.source_url()}

    def change(self) -> str:
        self.body = self.body.replace(
            b"<UpdatedAt>2006-05-04T18:13:51.0</UpdatedAt>", b"<UpdatedAt>2024-03-01T08:00:00</UpdatedAt>", 1
        )
        return self.source_url()


class AnnouncingFeed(FileScenario):
    kind = "rss"
    content_type = "application/atom+xml"

    def expected(self) -> set[str]:
        return {i.guid for i in parse_feed(ATOM.read_bytes(), where="atom").items if i.guid}

    def change(self) -> str:
        self.body = self.body.replace("Невидимая броня".encode(), b"Revised title", 1)
        return "tag:touchnokia.ru,2009://1.666"


class TestFeedContract(HarvesterContract):
    @pytest.fixture
    def scenario(self, http_server: LoopbackServer) -> Scenario:
        return IncidentFeed(http_server, MASSDOT.read_bytes())


class TestRssContract(HarvesterContract):
    @pytest.fixture
    def scenario(self, http_server: LoopbackServer) -> Scenario:
        return AnnouncingFeed(http_server, ATOM.read_bytes())


def test_a_feed_is_one_dataset_whose_freshness_shows(services: Services, http_server: LoopbackServer) -> None:
    feed = IncidentFeed(http_server, MASSDOT.read_bytes())
    add_source(services, "dot", feed.source_url(), kind="feed", options=INCIDENTS, publisher=INCIDENTS["publisher"])
    report = services.runner.harvest("dot")
    assert report.stats["http_status"] == 200
    assert report.stats["latency_ms"] >= 0
    assert (report.stats["items"], report.stats["newest_item"]) == (2, "2006-05-04T18:13:51Z")
    dataset = next(services.store.iter_records()).dataset
    assert dataset["title"] == INCIDENTS["title"]
    assert dataset["modified"] == "2006-05-04T18:13:51Z"
    assert dataset["keyword"] == ["traffic", "incidents"]
    assert dataset["accrualPeriodicity"] == "R/PT5M"
    assert dataset["publisher"]["name"] == INCIDENTS["publisher"]
    assert dataset["distribution"][0]["accessURL"] == feed.source_url()
    again = services.runner.harvest("dot")  # unchanged: a 304, and liveness is still recorded
    assert again.status == "unchanged"
    assert again.stats["http_status"] == 304
    assert services.store.get_job(again.job_id).stats["http_status"] == 304
    feed.change()
    third = services.runner.harvest("dot")
    assert third.updated == 1
    assert next(services.store.iter_records()).dataset["modified"] == "2024-03-01T08:00:00Z"


def test_a_dead_feed_fails_the_job_with_its_status(services: Services, http_server: LoopbackServer) -> None:
    http_server.route("/gone.xml", Route(body=b"gone", status=410))
    add_source(services, "dead", http_server.url("/gone.xml"), kind="feed", options={"title": "Dead"})
    report = services.runner.harvest("dead")
    assert report.status == "failed"
    assert "HTTP 410" in (report.message or "")


@pytest.mark.parametrize(
    "name",
    [
        "feedparser-namespace_rss2.0NSwithModules.xml",
        "feedparser-namespace_rss1.0withModules.xml",
        "feedparser-geo_georss_polygon.xml",
        "feedparser-illformed_rss_item_link_corrupted_ampersands.xml",
        "feedparser-illformed_chardet_shiftjis.xml",
    ],
)
def test_rss_atom_and_ill_formed_feeds_read(services: Services, http_server: LoopbackServer, name: str) -> None:
    add_source(
        services,
        "f",
        http_server.route(f"/{name}", Route(body=DATA / "feeds" / name)),
        kind="feed",
        options={"title": "A feed"},
    )
    report = services.runner.harvest("f")
    assert report.status == "succeeded", report.message
    assert report.stats["items"] == 1
    if "illformed" in name:
        assert report.stats["notes"] == ["the feed is not well-formed XML; it was read leniently"]


def test_rss_items_become_datasets_and_are_never_withdrawn(services: Services, http_server: LoopbackServer) -> None:
    feed = AnnouncingFeed(http_server, ATOM.read_bytes())
    add_source(services, "news", feed.source_url(), kind="rss")
    first = services.runner.harvest("news")
    assert first.new == 15
    record = next(r for r in services.store.iter_records() if r.original_identifier == "tag:touchnokia.ru,2009://1.666")
    assert (
        record.dataset["landingPage"] == "http://touchnokia.ru/2009/09/nevidimaja-bronja-dlja-vashego-nokia-5800.html"
    )
    assert record.dataset["issued"] == "2009-09-09T14:19:45Z"
    assert "Новости" in record.dataset["keyword"]
    feed.body = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>'  # the window moved on
    assert services.runner.harvest("news").withdrawn == 0
    assert services.store.live_count() == 15


def test_hostile_and_broken_xml_is_refused() -> None:
    for name in (
        "defusedxml-xmlbomb.xml",
        "defusedxml-external.xml",
        "defusedxml-quadratic.xml",
        "defusedxml-cyclic.xml",
    ):
        with pytest.raises(ParseError):
            parse_feed((DATA / "hostile" / name).read_bytes(), where=name)
    with pytest.raises(ParseError, match="not a valid XPath"):
        parse_feed(MASSDOT.read_bytes(), where="m", item_xpath="/Events[")


def test_times() -> None:
    assert parse_time("Sat, 28 Sep 2002 21:00:02 GMT").isoformat() == "2002-09-28T21:00:02+00:00"  # type: ignore[union-attr]
    assert parse_time("2006-05-04T18:13:51.0").isoformat() == "2006-05-04T18:13:51+00:00"  # type: ignore[union-attr]
    assert parse_time("yesterday") is None


def test_a_feed_added_from_the_cli(tmp_path: Path, http_server: LoopbackServer) -> None:
    url = http_server.route("/incidents.xml", Route(body=MASSDOT, content_type="application/xml"))
    env = {
        "NUTMEG_DATABASE_URL": f"sqlite:///{tmp_path}/n.db",
        "NUTMEG_HARVEST_ALLOW_PRIVATE": "1",
        "NUTMEG_DEFAULT_CONTACT_NAME": "Open Data Program",
        "NUTMEG_DEFAULT_CONTACT_EMAIL": "opendata@example.gov",  # data.gov requires a contact email
    }
    runner = CliRunner()
    added = runner.invoke(
        main,
        [
            "source",
            "add",
            "dot",
            url,
            "--kind",
            "feed",
            "--title",
            "Highway incidents",
            "--description",
            "Live events",
            "--publisher",
            "MassDOT",
            "--keyword",
            "traffic",
            "--keyword",
            "incidents",
            "--license",
            "https://creativecommons.org/publicdomain/zero/1.0/",
            "--frequency",
            "R/PT5M",
            "--option",
            "item_xpath=/EventsFeed/Events/*",
        ],
        env=env,
    )
    assert added.exit_code == 0, added.output
    harvested = runner.invoke(main, ["harvest", "dot"], env=env)
    assert harvested.exit_code == 0, harvested.output
    exported = runner.invoke(main, ["export", "datajson", str(tmp_path / "data.json")], env=env)
    assert exported.exit_code == 0, exported.output
    text = (tmp_path / "data.json").read_text()
    assert "Highway incidents" in text
    assert "R/PT5M" in text
    unknown = runner.invoke(main, ["source", "add", "x", url, "--kind", "nope"], env=env)
    assert unknown.exit_code != 0
    assert "no harvester 'nope'; known: ckan, csw, datajson, dcat, feed, html, iso, rss, socrata" in unknown.output
