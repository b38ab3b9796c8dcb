"""Counting use: page views, API requests and download clicks, buffered in memory and flushed in batches.

What is counted (``docs/usage.md`` says the same for readers):

* a **view**: a dataset's HTML page (``GET /dataset/{slug-id}``);
* an **api** request: ``GET /api/v1/datasets/{id}`` and ``…/history``, the dataset's JSON and RDF forms
  (``/dataset/{slug-id}.json`` …), CKAN's ``package_show`` and ``resource_show``;
* a **download**: ``GET /datasets/{id}/distributions/{n}/download``, the counting redirect every
  Download button on the pages goes through.

Search results are not counted: a dataset listed among 20 hits was not used, and counting listings would
feed ``sort=popular`` its own output.

Not counted, so obvious machines do not rank datasets: requests whose ``User-Agent`` is empty or names a
crawler (:data:`BOT_PATTERN`), and prefetches (``Purpose``/``Sec-Purpose: prefetch``). The user agent is
only read to decide this; no address, user agent or cookie is kept — in memory or in the store — only
(dataset, UTC day, kind) → count.

Counting never touches the database on the request's path: :class:`UsageCounter` adds to a dict under a
lock (a few microseconds) and a background thread flushes it every ``NUTMEG_USAGE_FLUSH_SECONDS`` as one
additive upsert, so several server processes count side by side. After a flush the popularity of the
datasets it touched, and once a day of every recently used dataset, is sent to the search index in one
batch. What a page or the API shows is what was stored: at most one flush interval behind.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from datetime import UTC, date, datetime

from starlette.requests import Request

from index.annotations import refresh
from index.search.base import BackendUnavailable, SearchBackend
from index.store import Store
from index.usage import CountKey, Kind, add_counts, recently_used

log = logging.getLogger("nutmeg.usage")

# crawlers, link previewers and uptime checkers name themselves in their user agent
BOT_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|monitor|pingdom|uptime|lighthouse",
    re.IGNORECASE,
)
MAX_PENDING = 100_000  # distinct (dataset, day, kind) keys held before a flush is forced
IDLE_FLUSHES = 20  # empty flushes in a row after which the flusher thread ends until the next count


def counted(request: Request) -> bool:
    """Whether a request is one a person (or a program acting openly for one) made: not a crawler."""
    if request.method == "HEAD":  # checks that a link works, not uses
        return False
    agent = request.headers.get("user-agent", "").strip()
    if not agent or BOT_PATTERN.search(agent):
        return False
    purpose = (request.headers.get("sec-purpose") or request.headers.get("purpose") or "").lower()
    return "prefetch" not in purpose


class UsageCounter:
    """Counts in memory; :meth:`flush` adds them to the store and refreshes the index's popularity."""

    def __init__(self, store: Store, index: SearchBackend, flush_seconds: float) -> None:
        self.store = store
        self.index = index
        self.flush_seconds = flush_seconds
        self._pending: Counter[CountKey] = Counter()
        self._unindexed: set[str] = set()  # popularity not yet sent (the engine was down)
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refreshed_on: date | None = None

    def count(self, request: Request, dataset_id: str, kind: Kind) -> None:
        """Count one use of ``dataset_id`` if ``request`` is counted; never waits on the store."""
        if not counted(request):
            return
        key = (dataset_id, datetime.now(UTC).date(), kind)
        with self._lock:
            self._pending[key] += 1
            full = len(self._pending) >= MAX_PENDING
            start = self._thread is None and not self.store.in_memory and not self._stop.is_set()
            if start:
                self._thread = threading.Thread(target=self._run, name="usage-flush", daemon=True)
        if start and self._thread is not None:
            self._thread.start()
        if full:  # a flood of distinct keys between two flushes: store them now, never failing the request
            try:
                self.flush()
            except Exception:
                log.exception("could not store usage counts; they are kept for the next flush")

    def flush(self) -> int:
        """Store what was counted and refresh the popularity of what it touched; returns the uses stored.

        If the store fails, the counts go back into the buffer for the next flush."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, Counter()
            try:
                add_counts(self.store, batch)
            except Exception:
                with self._lock:
                    self._pending.update(batch)
                raise
            self._refresh_index({i for i, _, kind in batch if kind != "api"})
            return sum(batch.values())

    def _refresh_index(self, touched: set[str]) -> None:
        today = datetime.now(UTC).date()
        ids = touched | self._unindexed
        if self._refreshed_on != today:  # views older than 30 days leave the window
            ids |= set(recently_used(self.store, today))
        if not ids:
            self._refreshed_on = today
            return
        try:
            refresh(self.store, self.index, sorted(ids), today)
        except BackendUnavailable as exc:
            log.warning("search engine unavailable; popularity of %d datasets sent later: %s", len(ids), exc)
            self._unindexed = ids
            return
        self._unindexed = set()
        self._refreshed_on = today

    def _run(self) -> None:
        idle = 0
        while not self._stop.wait(self.flush_seconds):
            try:
                idle = 0 if self.flush() else idle + 1
            except Exception:  # a failed flush keeps its counts; the next one tries again
                log.exception("could not store usage counts; they are kept for the next flush")
            with self._lock:
                if idle >= IDLE_FLUSHES and not self._pending and not self._unindexed:
                    self._thread = None  # the next count starts another
                    return

    def close(self) -> None:
        """Stop the flusher and store what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        try:
            self.flush()
        except Exception:
            log.exception("could not store the last usage counts")


def usage_counter(request: Request) -> UsageCounter | None:
    """The app's counter (None when counting is off)."""
    found: UsageCounter | None = getattr(request.app.state, "usage", None)
    return found


def count_use(request: Request, dataset_id: str, kind: Kind) -> None:
    counter = usage_counter(request)
    if counter is not None:
        counter.count(request, dataset_id, kind)
