"""The OpenSearch 1.1 description document: how a browser or a portal's search appliance searches this
catalog (HTML, Atom, RSS, JSON and type-ahead suggestions), from ``/opensearch.xml``."""

from __future__ import annotations

from catalog_api.settings import Settings
from catalog_api.xmltext import DECLARATION, element, wrap

OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
MOZILLA = "http://www.mozilla.org/2006/browser/search/"
DESCRIPTION_MEDIA = "application/opensearchdescription+xml"
SUGGESTIONS_MEDIA = "application/x-suggestions+json"
SHORT_NAME_MAX = 16
LONG_NAME_MAX = 48
DESCRIPTION_MAX = 1024

# (media type, path and query template): every way the catalog can be searched.
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("text/html", "/?q={searchTerms}&page={startPage?}"),
    ("application/atom+xml", "/search.atom?q={searchTerms}&page={startPage?}&per_page={count?}"),
    ("application/rss+xml", "/search.rss?q={searchTerms}&page={startPage?}&per_page={count?}"),
    ("application/json", "/api/v1/datasets?q={searchTerms}&page={startPage?}&per_page={count?}"),
    (SUGGESTIONS_MEDIA, "/api/v1/suggest?q={searchTerms}"),
)


# Url rel values other than the default ("results").
REL = {SUGGESTIONS_MEDIA: "suggestions"}


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0]
    return cut if 0 < len(cut) <= limit else text[:limit]


def description_document(settings: Settings, example: str | None = None) -> bytes:
    """The description: only the attributes OpenSearch 1.1 defines (``Url``: ``type``, ``template``,
    ``rel``; ``rel="suggestions"`` for type-ahead, as the suggestions extension says)."""
    base = settings.base_url
    urls = [
        element("Url", attributes={"type": media, "template": base + path, "rel": REL.get(media)})
        for media, path in TEMPLATES
    ]
    urls.append(
        element("Url", attributes={"type": DESCRIPTION_MEDIA, "rel": "self", "template": f"{base}/opensearch.xml"})
    )
    parts = [
        element("ShortName", shorten(settings.catalog_title, SHORT_NAME_MAX)),
        element("LongName", shorten(settings.catalog_title, LONG_NAME_MAX)),
        element("Description", shorten(settings.catalog_description, DESCRIPTION_MAX)),
        element("Tags", "open data datasets catalog"),
        *([element("Contact", settings.default_contact_email)] if settings.default_contact_email else []),
        *urls,
        *([element("Query", attributes={"role": "example", "searchTerms": example})] if example else []),
        element("Developer", "Nutmeg"),
        element("SyndicationRight", "open"),
        element("AdultContent", "false"),
        element("InputEncoding", "UTF-8"),
        element("OutputEncoding", "UTF-8"),
        element("moz:SearchForm", f"{base}/"),
    ]
    root = wrap("OpenSearchDescription", parts, {"xmlns": OPENSEARCH, "xmlns:moz": MOZILLA})
    return (DECLARATION + root).encode("utf-8")
