"""Search results as Atom 1.0 (RFC 4287) and RSS 2.0 feeds with OpenSearch 1.1 response elements
(``totalResults``, ``startIndex``, ``itemsPerPage``, the ``Query`` that produced them) and paging links,
so a portal's search appliance or a feed reader can follow a search like a person would."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from catalog_api.xmltext import DECLARATION, element, wrap

ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
DC = "http://purl.org/dc/elements/1.1/"
GENERATOR = "Nutmeg"


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One dataset in a feed."""

    title: str
    description: str
    html_url: str
    api_url: str
    rdf_url: str
    updated: datetime
    published: datetime | None = None
    publisher: str | None = None
    categories: tuple[tuple[str, str], ...] = ()  # (term, scheme URL)
    formats: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedPage:
    """One page of search results and where it sits."""

    title: str
    subtitle: str
    author: str
    home_url: str
    self_url: str
    html_url: str
    json_url: str
    description_url: str
    total: int
    start_index: int
    per_page: int
    page: int
    updated: datetime
    search_terms: str | None = None
    links: dict[str, str] = field(default_factory=dict)  # first, previous, next, last
    items: tuple[FeedItem, ...] = ()


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def rfc822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _query(page: FeedPage) -> str:
    """The OpenSearch ``Query`` element describing the request (role="request")."""
    return element(
        "opensearch:Query",
        attributes={
            "role": "request",
            "searchTerms": page.search_terms or "",
            "startPage": page.page,
            "count": page.per_page,
        },
    )


def _opensearch(page: FeedPage) -> list[str]:
    return [
        element("opensearch:totalResults", page.total),
        element("opensearch:startIndex", page.start_index),
        element("opensearch:itemsPerPage", page.per_page),
        _query(page),
    ]


# -- Atom ------------------------------------------------------------------------------------------


def atom(page: FeedPage) -> bytes:
    head = [
        element("title", page.title),
        element("subtitle", page.subtitle),
        element("id", page.self_url),
        element("updated", rfc3339(page.updated)),
        wrap("author", [element("name", page.author), element("uri", page.home_url)]),
        element("generator", GENERATOR),
        _link("self", "application/atom+xml", page.self_url),
        _link("alternate", "text/html", page.html_url),
        _link("alternate", "application/json", page.json_url),
        _link("search", "application/opensearchdescription+xml", page.description_url, title=page.author),
        *(_link(rel, "application/atom+xml", url) for rel, url in page.links.items()),
        *_opensearch(page),
    ]
    entries = [_entry(item) for item in page.items]
    namespaces = {"xmlns": ATOM, "xmlns:opensearch": OPENSEARCH}
    return (DECLARATION + wrap("feed", [*head, *entries], namespaces)).encode("utf-8")


def _link(rel: str, media: str, href: str, title: str | None = None) -> str:
    return element("link", attributes={"rel": rel, "type": media, "href": href, "title": title})


def _entry(item: FeedItem) -> str:
    parts = [
        element("title", item.title),
        element("id", item.html_url),
        _link("alternate", "text/html", item.html_url),
        _link("alternate", "application/json", item.api_url),
        _link("alternate", "text/turtle", item.rdf_url),
        element("updated", rfc3339(item.updated)),
    ]
    if item.published is not None:
        parts.append(element("published", rfc3339(item.published)))
    if item.publisher:
        parts.append(wrap("author", [element("name", item.publisher)]))
    parts.append(element("summary", item.description or item.title, {"type": "text"}))
    parts += [element("category", attributes={"term": term, "scheme": scheme}) for term, scheme in item.categories]
    return wrap("entry", parts)


# -- RSS 2.0 ---------------------------------------------------------------------------------------


def rss(page: FeedPage) -> bytes:
    channel = [
        element("title", page.title),
        element("link", page.html_url),
        element("description", page.subtitle),
        element("lastBuildDate", rfc822(page.updated)),
        element("generator", GENERATOR),
        element("docs", "https://www.rssboard.org/rss-specification"),
        element("atom:link", attributes={"rel": "self", "type": "application/rss+xml", "href": page.self_url}),
        element(
            "atom:link",
            attributes={
                "rel": "search",
                "type": "application/opensearchdescription+xml",
                "href": page.description_url,
                "title": page.author,
            },
        ),
        *(
            element("atom:link", attributes={"rel": rel, "type": "application/rss+xml", "href": url})
            for rel, url in page.links.items()
        ),
        *_opensearch(page),
        *(_item(item) for item in page.items),
    ]
    namespaces = {"version": "2.0", "xmlns:atom": ATOM, "xmlns:opensearch": OPENSEARCH, "xmlns:dc": DC}
    return (DECLARATION + wrap("rss", [wrap("channel", channel)], namespaces)).encode("utf-8")


def _item(item: FeedItem) -> str:
    parts = [
        element("title", item.title),
        element("link", item.html_url),
        element("description", item.description or item.title),
        element("guid", item.html_url, {"isPermaLink": "true"}),
        element("pubDate", rfc822(item.updated)),
    ]
    if item.publisher:
        parts.append(element("dc:creator", item.publisher))
    parts += [element("category", term, {"domain": scheme}) for term, scheme in item.categories]
    return wrap("item", parts)
