"""Pick the search backend from the configuration: the embedded index unless a search URL is set."""

from __future__ import annotations

import importlib

from index.search.base import SearchBackend
from index.search.embedded import EmbeddedIndex


def open_backend(*, search_url: str | None, index_path: str, index_name: str) -> SearchBackend:
    """The embedded index at ``index_path``, or the engine at ``search_url`` (Elasticsearch/OpenSearch)."""
    if not search_url:
        return EmbeddedIndex(index_path)
    try:
        module = importlib.import_module("index.search.engine")
    except ImportError as exc:  # the optional extra is missing
        raise RuntimeError(
            f"NUTMEG_SEARCH_URL is set but the engine backend cannot load ({exc}); "
            "install it with: pip install 'nutmeg-catalog[elasticsearch]'"
        ) from exc
    backend: SearchBackend = module.open_engine(search_url, index_name)
    return backend
