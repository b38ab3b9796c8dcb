"""Feeds: ``feed`` makes a feed discoverable as one dataset; ``rss`` turns each announced item into one.

``feed`` — a DOT's real-time XML incident feed, an agency's RSS or Atom — is registered with its
descriptive metadata (``nutmeg source add NAME URL --kind feed --title T --description D --publisher P
--keyword K --license L --frequency R/PT5M``) and becomes one dataset whose distribution is the feed
itself. Every harvest records the feed's liveness (HTTP status, latency), item count and newest item
time in the job's stats, and the dataset's ``modified`` follows the newest item, so a stale real-time
feed shows. Generic XML feeds say where their items and times are with the ``item_xpath`` and
``time_xpath`` options.

``rss`` — a feed that announces datasets (a portal's "new datasets" feed) — makes each item a dataset
(title, description, link → landing page, categories → keywords, enclosures → distributions). A feed is
a window of recent items, so items that scroll out are not withdrawn unless ``window=false``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from harvesters.base import Harvester, HarvestItem, HarvestRun, HarvestState, OptionSpec, SkippedRecord
from harvesters.bodydigest import same_body
from harvesters.errors import ParseError
from harvesters.feedparse import Feed, Item, iso, parse_feed
from harvesters.http import Fetched
from harvesters.records import Record, dict_record, is_http, text_list

ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
FORMAT_LABELS = {"rss": "RSS", "rdf": "RSS", "atom": "Atom", "xml": "XML"}


class _FeedSource(Harvester):
    """Fetching and parsing shared by both kinds; liveness is recorded even when nothing changed."""

    def _fetch(self, state: HarvestState, run: HarvestRun) -> tuple[Fetched, Feed] | None:
        fetched, body = self.http.get_bytes(self.source.url, headers={"Accept": ACCEPT}, validators=state.validators)
        run.stats.update({"http_status": fetched.status, "latency_ms": round(fetched.elapsed * 1000, 1)})
        if fetched.not_modified:
            run.not_modified = True
            return None
        if same_body(state.body, fetched, body, run):  # liveness is recorded; the rest is the last harvest's
            return None
        options = self.source.options
        feed = parse_feed(
            body, where=fetched.url, item_xpath=options.get("item_xpath"), time_xpath=options.get("time_xpath")
        )
        run.validators = fetched.validators
        run.stats.update(
            {"bytes": len(body), "items": len(feed.items), "newest_item": iso(feed.newest), "feed_format": feed.format}
        )
        if feed.lenient:
            run.notes.append("the feed is not well-formed XML; it was read leniently")
        return fetched, feed


class FeedHarvester(_FeedSource):
    kind: ClassVar[str] = "feed"
    title: ClassVar[str] = "A feed as a dataset"
    summary: ClassVar[str] = "An XML, RSS or Atom feed registered with its metadata; one dataset, freshness tracked."
    option_specs: ClassVar[tuple[OptionSpec, ...]] = (
        OptionSpec("keywords", "keywords of the dataset (--keyword, repeatable)", multiple=True),
        OptionSpec("license", "licence URL or name (--license)"),
        OptionSpec("frequency", "ISO 8601 repeat such as R/PT5M (--frequency)"),
        OptionSpec("item_xpath", "generic XML: XPath selecting the items, e.g. /EventsFeed/Events/*"),
        OptionSpec("time_xpath", "generic XML: XPath, relative to an item, of its time, e.g. UpdatedAt"),
        OptionSpec("identifier", "the dataset's identifier (default: the feed URL)"),
    )
    parallel_safe: ClassVar[bool] = True

    def records(self, state: HarvestState, run: HarvestRun) -> Iterator[HarvestItem]:
        loaded = self._fetch(state, run)
        if loaded is None:
            return
        fetched, feed = loaded
        run.listed = 1
        record = feed_dataset(self.source.url, self.source.options, feed)
        if not record.get("title"):
            raise ParseError(f"{fetched.url} has no title; register the feed with --title")
        yield dict_record(record["identifier"], record)
        run.complete = True


def feed_dataset(url: str, options: dict[str, Any] | Any, feed: Feed) -> Record:
    """The one dataset a registered feed is: its metadata from the registration, freshness from the feed."""
    label = FORMAT_LABELS.get(feed.format, "XML")
    return {
        "identifier": options.get("identifier") or url,
        "title": options.get("title") or feed.title,
        "description": options.get("description") or feed.description or feed.title,
        "keyword": text_list(options.get("keywords")),
        "publisher": {"name": options["publisher"]} if options.get("publisher") else None,
        "license": options.get("license"),
        "accrualPeriodicity": options.get("frequency"),
        "modified": iso(feed.newest),
        "accessLevel": "public",
        "landingPage": feed.link if is_http(feed.link) else None,
        "distribution": [
            {
                "title": f"{label} feed",
                "description": f"The live feed ({len(feed.items)} items when last harvested)",
                "accessURL": url,
                "mediaType": feed.media_type,
                "format": label,
            }
        ],
    }


class RssHarvester(_FeedSource):
    kind: ClassVar[str] = "rss"
    title: ClassVar[str] = "A feed of datasets"
    summary: ClassVar[str] = "An RSS or Atom feed announcing datasets; each item becomes a dataset."
    option_specs: ClassVar[tuple[OptionSpec, ...]] = (
        OptionSpec("window", "true (default): the feed lists recent items only, so none is ever withdrawn"),
    )
    parallel_safe: ClassVar[bool] = True

    def records(self, state: HarvestState, run: HarvestRun) -> Iterator[HarvestItem]:
        loaded = self._fetch(state, run)
        if loaded is None:
            return
        _, feed = loaded
        seen: set[str] = set()
        for index, item in enumerate(feed.items):
            run.listed += 1
            yield self._item(item, index, seen)
        run.incremental = str(self.source.options.get("window", "true")).lower() != "false"
        run.complete = True

    def _item(self, item: Item, index: int, seen: set[str]) -> HarvestItem:
        where = f"item[{index}]"
        identifier = item.guid or item.link
        if not identifier:
            return SkippedRecord(None, f"{where} has neither a guid/id nor a link", where)
        if not item.title:
            return SkippedRecord(identifier, f"{where} has no title", f"{where}.title")
        if identifier in seen:
            return SkippedRecord(identifier, f"{where} repeats {identifier!r}", where, "duplicate")
        seen.add(identifier)
        return dict_record(identifier, item_dataset(identifier, item))


def item_dataset(identifier: str, item: Item) -> Record:
    return {
        "identifier": identifier,
        "title": item.title,
        "description": item.description or item.title,
        "keyword": item.categories,
        "modified": iso(item.updated or item.published),
        "issued": iso(item.published),
        "landingPage": item.link if is_http(item.link) else None,
        "accessLevel": "public",
        "distribution": [{"downloadURL": url, "mediaType": media} for url, media in item.enclosures if is_http(url)],
    }
