"""Everything a running Nutmeg needs, built once from Settings (by ``create_app`` and the CLI alike)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from catalog_api.harvesting import HarvestRunner, utcnow
from catalog_api.secret import signing_key
from catalog_api.settings import Settings
from harvesters.http import HttpClient
from index.collections import KnownCollections
from index.search.base import SearchBackend
from index.search.factory import open_backend
from index.store import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    index: SearchBackend
    runner: HarvestRunner
    # signs API cursors (catalog_api/secret.py); services built by hand get a key of their own
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    # the clock freshness is judged by (tests put a fixed one)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # the collections searches filter and facet by, re-read at most once a second (issue 14)
    collections: KnownCollections = None  # type: ignore[assignment]  # made from the store below

    def __post_init__(self) -> None:
        if self.collections is None:
            self.collections = KnownCollections(self.store)

    def with_base_url(self, base_url: str) -> Services:
        """The same services, publishing links under ``base_url`` (one request's view; closes nothing)."""
        return replace(self, settings=self.settings.model_copy(update={"base_url": base_url}))

    def close(self) -> None:
        self.index.close()
        self.store.close()


def build_services(settings: Settings, clock: Callable[[], datetime] = utcnow) -> Services:
    """Open the store (migrated to the newest schema), the search backend and the harvest runner; ``clock``
    is the one every job, schedule and freshness decision reads."""
    store = Store(settings.database_url)
    store.migrate()
    index = open_backend(
        search_url=settings.search_url,
        index_path=settings.resolved_index_path,
        index_name=settings.search_index,
    )

    def http_factory(allow_private: bool) -> HttpClient:
        return HttpClient(settings.http_policy(allow_private=allow_private))

    runner = HarvestRunner(store, index, settings, http_factory, clock)
    return Services(settings, store, index, runner, signing_key(settings), clock)
