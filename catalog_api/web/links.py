"""Paths of the pages, relative to the site root (so they work behind any host name)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from index.ids import slug_path, slugify


def dataset_path(title: str, id_: str) -> str:
    return f"/dataset/{slug_path(title, id_)}"


def organization_slug(name: str) -> str:
    return slugify(name, limit=80)


def organization_path(name: str) -> str:
    return f"/organization/{organization_slug(name)}"


def source_path(name: str) -> str:
    return f"/source/{quote(name, safe='')}"


def search_path(**filters: str) -> str:
    """``/?publisher=...``: the search page narrowed to the given facet values."""
    pairs = [(k, v) for k, v in filters.items() if v]
    return "/?" + urlencode(pairs) if pairs else "/"
