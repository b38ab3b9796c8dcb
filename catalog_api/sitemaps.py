"""Sitemaps (sitemaps.org 0.9) and robots.txt, so search engines find every dataset page.

``/sitemap.xml`` is a sitemap index: a small ``pages`` sitemap (the home page) and one file per run of
``NUTMEG_SITEMAP_SIZE`` (at most 50,000) live datasets in id order, each with its newest change as
``lastmod``; a dataset's own ``lastmod`` is its ``modified`` date where it has one (not in the future),
else when the catalog last saw it change. A dataset file is streamed in chunks; its URLs are the dataset
pages' canonical URLs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from catalog_api.settings import Settings
from catalog_api.xmltext import DECLARATION, element, text, wrap
from index.ids import slug_path
from index.publishing import Chunk, Listed, iter_live
from index.store import Store

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
CHUNK = 5_000


def w3c(moment: datetime) -> str:
    """A W3C datetime (what ``lastmod`` takes), to the second."""
    return moment.isoformat(timespec="seconds")


def index_document(settings: Settings, chunks: list[Chunk], newest: datetime | None) -> bytes:
    base = settings.base_url
    entries = [_sitemap(f"{base}/sitemaps/pages.xml", newest)]
    entries += [_sitemap(f"{base}/sitemaps/datasets-{c.number}.xml", c.last_changed) for c in chunks]
    return (DECLARATION + wrap("sitemapindex", entries, {"xmlns": SITEMAP})).encode("utf-8")


def _sitemap(loc: str, lastmod: datetime | None) -> str:
    parts = [element("loc", loc)] + ([element("lastmod", w3c(lastmod))] if lastmod else [])
    return wrap("sitemap", parts)


def pages_document(settings: Settings, newest: datetime | None) -> bytes:
    home = [element("loc", f"{settings.base_url}/")] + ([element("lastmod", w3c(newest))] if newest else [])
    return (DECLARATION + wrap("urlset", [wrap("url", home)], {"xmlns": SITEMAP})).encode("utf-8")


def dataset_file(settings: Settings, store: Store, number: int) -> Iterator[bytes]:
    """Sitemap file ``number`` (from 1), streamed."""
    size = settings.sitemap_size
    prefix = f"<url><loc>{text(settings.base_url)}/dataset/"
    yield (DECLARATION + f'<urlset xmlns="{SITEMAP}">').encode("utf-8")
    lines: list[str] = []
    now = datetime.now(UTC)
    for item in iter_live(store, offset=(number - 1) * size, limit=size):
        lastmod = w3c(lastmod_of(item, now))
        lines.append(f"{prefix}{slug_path(item.title, item.id)}</loc><lastmod>{lastmod}</lastmod></url>")
        if len(lines) >= CHUNK:
            yield "".join(lines).encode("utf-8")
            lines.clear()
    yield ("".join(lines) + "</urlset>").encode("utf-8")


def lastmod_of(item: Listed, now: datetime) -> datetime:
    """The dataset's own modified date, unless it has none or claims the future."""
    own = item.modified_at
    return own if own is not None and own <= now else item.last_changed


def robots_txt(settings: Settings) -> str:
    """Crawl the pages; leave the machine interfaces (JSON API, CKAN API, feeds) to machines."""
    return (
        f"# {settings.catalog_title}\n"
        "User-agent: *\n"
        "Disallow: /api/\n"
        "Disallow: /search.atom\n"
        "Disallow: /search.rss\n"
        "Allow: /\n"
        "\n"
        f"Sitemap: {settings.base_url}/sitemap.xml\n"
    )
