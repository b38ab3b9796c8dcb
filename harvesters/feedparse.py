"""RSS 2.0, RSS 1.0 (RDF), Atom and generic XML feeds read into one small shape: the feed and its items.

Parsed with the safe XML parser (entities and network off); feeds are often ill-formed (a stray ``&`` in
a link), so a feed that is not well-formed is read again leniently and the run notes it. Item times come
from the elements each format uses (``pubDate``, ``dc:date``, ``updated``/``published``...), or for
generic XML from a configurable XPath relative to each item.
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from harvesters.errors import ParseError
from harvesters.xmlsafe import local_name, parse_xml, text_of

# Local names of the elements each part is read from, in order of preference (namespaces vary by version).
ITEM_TIMES = ("updated", "modified", "date", "pubDate", "published", "issued", "created")
FEED_TIMES = ("lastBuildDate", "updated", "modified", "date", "pubDate")
DESCRIPTIONS = ("description", "summary", "subtitle", "content", "tagline")
XHTML = "http://www.w3.org/1999/xhtml"
MEDIA_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml", "rdf": "application/rss+xml"}


@dataclass
class Item:
    title: str | None = None
    link: str | None = None
    guid: str | None = None
    description: str | None = None
    updated: datetime | None = None
    published: datetime | None = None
    categories: list[str] = field(default_factory=list)
    enclosures: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class Feed:
    format: str
    title: str | None = None
    link: str | None = None
    description: str | None = None
    updated: datetime | None = None
    items: list[Item] = field(default_factory=list)
    lenient: bool = False

    @property
    def newest(self) -> datetime | None:
        times = [t for i in self.items for t in (i.updated, i.published) if t is not None]
        return max(times) if times else self.updated

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.format, "application/xml")


def parse_feed(data: bytes, *, where: str, item_xpath: str | None = None, time_xpath: str | None = None) -> Feed:
    """Read ``data`` as RSS/Atom, or as generic XML whose items ``item_xpath`` selects."""
    try:
        root, lenient = parse_xml(data, where=where), False
    except ParseError as strict:
        if "entities" in str(strict) or not data.strip():
            raise
        root, lenient = parse_xml(data, where=where, recover=True), True
    kind = local_name(root).lower()
    _refuse_non_feed(root, kind, lenient and not item_xpath, where)
    if item_xpath:
        feed = _generic(root, item_xpath, time_xpath, where)
    elif kind in ("rss", "rdf"):
        feed = _rss(root, kind)
    elif kind == "feed":
        feed = _atom(root)
    else:
        feed = _generic(root, "/*/*", time_xpath, where)
    feed.lenient = lenient
    return feed


def _refuse_non_feed(root: etree._Element, kind: str, guessed: bool, where: str) -> None:
    """An HTML page (an error or login page served with status 200) is never a feed, and neither is a body
    that is not even well-formed XML unless it is RSS or Atom: the job fails, the dataset stays as it was."""
    if kind == "html" or etree.QName(root).namespace == XHTML:
        raise ParseError(f"{where} answered with an HTML page, not a feed; nothing was changed")
    if guessed and kind not in ("rss", "rdf", "feed"):
        raise ParseError(f"{where} is neither RSS, Atom nor well-formed XML (root {kind!r}); nothing was changed")


def _children(element: etree._Element, *names: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and local_name(c) in names]


def _first(element: etree._Element, names: Iterable[str]) -> str | None:
    for name in names:
        for child in _children(element, name):
            found = text_of(child)
            if found:
                return found
    return None


def _time(element: etree._Element, names: Iterable[str]) -> datetime | None:
    for name in names:
        for child in _children(element, name):
            found = parse_time(text_of(child))
            if found is not None:
                return found
    return None


def _rss(root: etree._Element, kind: str) -> Feed:
    channel = next(iter(_children(root, "channel")), root)
    feed = Feed(kind, _first(channel, ["title"]), _first(channel, ["link"]), _first(channel, DESCRIPTIONS))
    feed.updated = _time(channel, FEED_TIMES)
    containers = [channel, root] if kind == "rdf" else [channel]
    for container in containers:
        for element in _children(container, "item"):
            feed.items.append(_rss_item(element))
    return feed


def _rss_item(element: etree._Element) -> Item:
    guid = _first(element, ["guid", "identifier"]) or element.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
    enclosures = [(e.get("url", ""), e.get("type")) for e in _children(element, "enclosure") if e.get("url")]
    return Item(
        title=_first(element, ["title"]),
        link=_first(element, ["link"]),
        guid=guid,
        description=_first(element, DESCRIPTIONS),
        updated=_time(element, ("updated", "modified", "date", "pubDate")),
        published=_time(element, ("pubDate", "issued", "created", "date")),
        categories=[t for t in (text_of(c) for c in _children(element, "category", "subject")) if t],
        enclosures=enclosures,
    )


def _atom_link(element: etree._Element) -> str | None:
    links = _children(element, "link")
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href")
    return links[0].get("href") if links else None


def _atom(root: etree._Element) -> Feed:
    feed = Feed("atom", _first(root, ["title"]), _atom_link(root), _first(root, ["subtitle", "tagline"]))
    feed.updated = _time(root, ("updated", "modified"))
    for entry in _children(root, "entry"):
        enclosures = [
            (link.get("href", ""), link.get("type"))
            for link in _children(entry, "link")
            if link.get("rel") == "enclosure" and link.get("href")
        ]
        feed.items.append(
            Item(
                title=_first(entry, ["title"]),
                link=_atom_link(entry),
                guid=_first(entry, ["id"]),
                description=_first(entry, ("summary", "content")),
                updated=_time(entry, ("updated", "modified")),
                published=_time(entry, ("published", "issued", "created")),
                categories=[c.get("term", "") for c in _children(entry, "category") if c.get("term")],
                enclosures=enclosures,
            )
        )
    return feed


def _generic(root: etree._Element, item_xpath: str, time_xpath: str | None, where: str) -> Feed:
    try:
        found = root.xpath(item_xpath)
    except etree.XPathError as exc:
        raise ParseError(f"option item_xpath={item_xpath!r} is not a valid XPath: {exc}") from exc
    if not isinstance(found, list):
        raise ParseError(f"option item_xpath={item_xpath!r} selects a value, not elements")
    items = [e for e in found if isinstance(e, etree._Element)]
    feed = Feed("xml", title=None)
    feed.updated = _time(root, ("UpdateTimestamp", "updated", "lastUpdated", "timestamp", "generated"))
    for element in items:
        updated = _xpath_time(element, time_xpath, where) if time_xpath else _time(element, ITEM_TIMES)
        feed.items.append(Item(title=_first(element, ["Name", "name", "title"]), updated=updated))
    return feed


def _xpath_time(element: etree._Element, time_xpath: str, where: str) -> datetime | None:
    try:
        found = element.xpath(time_xpath)
    except etree.XPathError as exc:
        raise ParseError(f"option time_xpath={time_xpath!r} is not a valid XPath: {exc}") from exc
    values = found if isinstance(found, list) else [found]
    times = [parse_time(text_of(v) if isinstance(v, etree._Element) else str(v)) for v in values]
    valid = [t for t in times if t is not None]
    return max(valid) if valid else None


def parse_time(text: str | None) -> datetime | None:
    """An aware UTC datetime from ISO 8601 or RFC 822 text; None when it is neither (or has no zone, UTC
    is assumed)."""
    if not text:
        return None
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None
