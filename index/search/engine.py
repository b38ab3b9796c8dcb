"""The search backend for Elasticsearch 8/9 and OpenSearch 2/3 (``NUTMEG_SEARCH_URL``).

Documents live in versioned indexes (``<alias>-000001``, ``-000002``, …) behind one alias, the
``NUTMEG_SEARCH_INDEX`` name; every read and write goes through the alias. :meth:`EngineIndex.rebuild`
(``nutmeg reindex``) fills a new version with refresh off, turns refresh back on, swaps the alias in one
atomic ``_aliases`` call and only then deletes the old version, so searches keep answering throughout. A
rebuild that fails deletes its half-built index and leaves the alias where it was.

Writes are bulk requests in batches (by count and by bytes). A batch or an item refused with 429 is retried
with exponential backoff; while a batch is being retried the producer waits (at most ``concurrency``
batches are in flight), which is the backpressure a busy cluster asks for. An engine that does not answer
raises :class:`~index.search.base.BackendUnavailable`: the harvest runner keeps such records for later and
the API answers 503. The connection is made lazily, so Nutmeg starts (and harvests into the store) while the
engine is down.

Visibility: bulk writes do not force a refresh (a forced refresh per harvest batch halves indexing
throughput); the index refreshes itself every second, and a process that wrote refreshes before its own
next read and when it closes the backend, so a write is searchable in that process as soon as ``index()``
returns (the interface's promise), and in every other process within a second or once the writer is done.

During a harvest job (:meth:`EngineIndex.bulk_load`) that writes more than one batch, the index refreshes
every 30 s instead (refreshing every second while a long harvest writes made the engine spend more CPU
merging tiny segments than indexing: a first harvest ran 20% slower on a 2-core machine); the job's end
restores the interval and refreshes, so its writes are searchable as soon as it ends. A job that dies half-way
leaves the 30 s interval behind: its writes still become visible, within 30 s; the next start of ``nutmeg
worker``, ``harvest``, ``serve`` or ``doctor`` puts the normal interval back when no job runs anywhere
(:meth:`EngineIndex.settle`), and a job that starts meanwhile finds it and restores it when it ends.

Options ride on the URL's query string: ``?shards=1&replicas=1&refresh=wait_for`` (defaults: one shard,
no replicas — a single node —, and ``refresh=false``: the bulk requests' refresh parameter as above).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from index.search import engine_dsl as dsl
from index.search import judged
from index.search.base import (
    Annotation,
    BackendHealth,
    BackendUnavailable,
    SearchBackend,
    SearchDoc,
    SearchError,
    SearchQuery,
    SearchResult,
)
from index.search.engine_clients import (
    EngineBusy,
    EngineClient,
    EngineError,
    EngineMissing,
    ProductInfo,
    connect,
    detect,
    dumps_lines,
    redact,
)

log = logging.getLogger("nutmeg.engine")

REFRESH_INTERVAL = "1s"
BULK_REFRESH_INTERVAL = "30s"

BATCH_DOCS = 1000
BATCH_BYTES = 8 << 20
HEALTH_TIMEOUT = 5.0
ClientFactory = Callable[[str], EngineClient]


class IndexingError(EngineError):
    """The engine rejected documents for a reason retrying will not fix (reported with the first ids)."""


@dataclass(frozen=True, slots=True)
class EngineOptions:
    shards: int = 1
    replicas: int = 0
    refresh: str = "false"
    retries: int = 8
    backoff: float = 0.25
    concurrency: int = 2
    batch_docs: int = BATCH_DOCS
    batch_bytes: int = BATCH_BYTES

    @classmethod
    def from_query(cls, query: str) -> EngineOptions:
        values = dict(urllib.parse.parse_qsl(query))
        unknown = set(values) - {"shards", "replicas", "refresh"}
        if unknown:
            raise ValueError(f"unknown NUTMEG_SEARCH_URL option(s) {sorted(unknown)}; known: shards, replicas, refresh")
        refresh = values.get("refresh", "false")
        if refresh not in ("true", "false", "wait_for"):
            raise ValueError(f"NUTMEG_SEARCH_URL refresh={refresh!r}: use true, wait_for or false")
        return cls(shards=int(values.get("shards", 1)), replicas=int(values.get("replicas", 0)), refresh=refresh)


def open_engine(url: str, index_name: str) -> EngineIndex:
    """The backend for ``NUTMEG_SEARCH_URL`` (called by :func:`index.search.factory.open_backend`)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"NUTMEG_SEARCH_URL={redact(url)!r} must be http(s)://[user:password@]host:port")
    options = EngineOptions.from_query(parts.query)
    return EngineIndex(urllib.parse.urlunsplit(parts._replace(query="")), index_name, options)


def _default_factory(url: str) -> EngineClient:
    return connect(url, detect(url))


class EngineIndex(SearchBackend):
    """Search on an Elasticsearch or OpenSearch cluster, through an alias over versioned indexes."""

    name = "engine"
    # The index's ``max_result_window``: deeper pages are reached with ``search_after`` (tests lower it).
    result_window = dsl.RESULT_WINDOW

    def __init__(
        self,
        url: str,
        alias: str,
        options: EngineOptions | None = None,
        client_factory: ClientFactory = _default_factory,
    ) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", alias):
            raise ValueError(f"NUTMEG_SEARCH_INDEX={alias!r}: use lower-case letters, digits, '-', '_' or '.'")
        self.url = url
        self.alias = alias
        self.options = options or EngineOptions()
        self._factory = client_factory
        self._lock = threading.Lock()
        self._conn: EngineClient | None = None
        self._ensured = False
        self._dirty = False  # this process wrote since its last refresh
        self._bulk_jobs = 0  # harvest jobs inside bulk_load() now
        self._bulk_writes = 0  # index() calls since the first of them began
        self._relaxed = False  # the refresh interval is BULK_REFRESH_INTERVAL because of them

    # -- connection --------------------------------------------------------------------------------

    @property
    def info(self) -> ProductInfo:
        return self._client().info

    def _client(self) -> EngineClient:
        with self._lock:
            if self._conn is None:
                self._conn = self._factory(self.url)
                self.name = self._conn.info.product
            if not self._ensured:
                self._ensure_alias(self._conn)
                self._ensured = True
            return self._conn

    def _ensure_alias(self, client: EngineClient) -> None:
        """Create the first versioned index behind the alias if there is none (safe to race); an index made
        by an older Nutmeg gets the fields added since (its mapping is strict: documents with a field it
        lacks would be refused)."""
        if self._alias_targets(client):
            self._add_new_fields(client)
            return
        if self._exists(client, self.alias):
            raise EngineError(400, f"{self.alias!r} is an index, not an alias; remove it or choose another name")
        first = self._version_name(1)
        try:
            client.call("PUT", f"/{first}", self._index_body())
        except EngineError as exc:
            if "resource_already_exists" not in exc.reason:
                raise
        client.call("POST", "/_aliases", {"actions": [{"add": {"index": first, "alias": self.alias}}]})

    def _add_new_fields(self, client: EngineClient) -> None:
        """Put fields added since an index was made into its mapping, so writes of new documents are
        accepted (older documents get them at the next ``nutmeg reindex``)."""
        try:
            client.call("PUT", f"/{self.alias}/_mapping", {"properties": dsl.ADDED_PROPERTIES})
        except EngineError as exc:
            log.warning("could not add new fields to %s's mapping (run `nutmeg reindex`): %s", self.alias, exc)

    def _index_body(self, refresh_interval: str = REFRESH_INTERVAL) -> dict[str, Any]:
        o = self.options
        return dsl.index_body(shards=o.shards, replicas=o.replicas, refresh_interval=refresh_interval)

    def _alias_targets(self, client: EngineClient) -> list[str]:
        try:
            found = client.call("GET", f"/_alias/{self.alias}")
        except EngineMissing:
            return []
        return sorted(found)

    def _versions(self, client: EngineClient) -> dict[str, bool]:
        """Every versioned index of this alias → whether the alias points at it."""
        found = client.call("GET", f"/{self.alias}-*/_alias", params={"ignore_unavailable": "true"})
        pattern = re.compile(re.escape(self.alias) + r"-\d{6}")
        return {name: self.alias in (v.get("aliases") or {}) for name, v in found.items() if pattern.fullmatch(name)}

    def _exists(self, client: EngineClient, name: str) -> bool:
        try:
            client.call("GET", f"/{name}", params={"filter_path": "*.settings.index.uuid"})
        except EngineMissing:
            return False
        return True

    def _version_name(self, number: int) -> str:
        return f"{self.alias}-{number:06d}"

    def _retrying_missing(self, action: Callable[[EngineClient], Any]) -> Any:
        """Run ``action``; if the alias vanished (someone deleted it), recreate it once and retry."""
        try:
            return action(self._client())
        except EngineMissing:
            with self._lock:
                self._ensured = False
            return action(self._client())

    def close(self) -> None:
        """Release the connection; writes not yet refreshed are made visible first (a CLI harvest that
        ends is searchable, and ``nutmeg doctor`` right after it sees everything)."""
        with self._lock:
            if self._conn is not None:
                with suppress(EngineError, BackendUnavailable):
                    self._refresh_if_dirty(self._conn)
                self._conn.close()
                self._conn = None
                self._ensured = False

    # -- writing -----------------------------------------------------------------------------------

    def index(self, docs: Sequence[SearchDoc]) -> None:
        if docs:
            unique = list({d.id: d for d in docs}.values())
            self._relax_during_bulk()
            self._dirty = True
            self._writer(self.alias, self.options.refresh, concurrency=1).write(unique)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        with self._lock:
            self._bulk_jobs += 1
            first = self._bulk_jobs == 1
        if first:
            self._adopt_leftover_relaxation()
        try:
            yield
        finally:
            with self._lock:
                self._bulk_jobs -= 1
                restore = self._bulk_jobs == 0 and self._relaxed
                if self._bulk_jobs == 0:
                    self._bulk_writes = 0
                    self._relaxed = False
            if restore:
                with suppress(EngineError, BackendUnavailable):
                    self._set_refresh_interval(REFRESH_INTERVAL)
                    with self._lock:
                        if self._conn is not None:
                            self._refresh_if_dirty(self._conn)

    def _adopt_leftover_relaxation(self) -> None:
        """A job killed half-way leaves the relaxed interval behind: the next job takes it over, so its
        end restores the normal one."""
        if BULK_REFRESH_INTERVAL in self._refresh_intervals():
            log.info("a killed harvest left the refresh interval relaxed; this job restores it when it ends")
            with self._lock:
                self._relaxed = True

    def settle(self) -> bool:
        """Put back the normal refresh interval a killed job left relaxed (not while this process runs a
        bulk load; the caller checks that no other process does)."""
        with self._lock:
            if self._bulk_jobs:
                return False
        if BULK_REFRESH_INTERVAL not in self._refresh_intervals():
            return False
        try:
            self._set_refresh_interval(REFRESH_INTERVAL)
            self._client().call("POST", f"/{self.alias}/_refresh")  # what the killed job wrote: searchable now
        except (EngineError, BackendUnavailable) as exc:
            log.warning("could not put back the refresh interval a killed harvest left relaxed: %s", exc)
            return False
        log.info(
            "put back the refresh interval (%s) a killed harvest left at %s", REFRESH_INTERVAL, BULK_REFRESH_INTERVAL
        )
        return True

    def _refresh_intervals(self) -> set[str | None]:
        try:
            found = self._client().call(
                "GET", f"/{self.alias}/_settings/index.refresh_interval", params={"flat_settings": "true"}
            )
        except (EngineError, BackendUnavailable):
            return set()
        return {v.get("settings", {}).get("index.refresh_interval") for v in found.values()}

    def _relax_during_bulk(self) -> None:
        """From a bulk job's second batch on, refresh every 30 s (one batch alone is not worth two
        settings changes); only when bulk requests do not refresh by themselves (``refresh=false``)."""
        with self._lock:
            if not self._bulk_jobs or self._relaxed or self.options.refresh != "false":
                return
            self._bulk_writes += 1
            if self._bulk_writes < 2:
                return
            self._relaxed = True
        try:
            self._set_refresh_interval(BULK_REFRESH_INTERVAL)
        except (EngineError, BackendUnavailable) as exc:
            log.info("could not relax the refresh interval for a bulk load: %s", exc)

    def _set_refresh_interval(self, interval: str) -> None:
        self._client().call("PUT", f"/{self.alias}/_settings", {"index": {"refresh_interval": interval}})

    def remove(self, ids: Sequence[str]) -> None:
        if ids:
            client = self._client()
            self._dirty = True
            for start in range(0, len(ids), self.options.batch_docs):
                lines = dsl.delete_actions(self.alias, ids[start : start + self.options.batch_docs])
                _Writer(client, self.options, self.options.refresh, 1).send_lines(lines)

    def annotate(self, values: Mapping[str, Annotation]) -> None:
        if values:
            self._dirty = True
            lines = dsl.annotate_actions(self.alias, values)
            _Writer(self._client(), self.options, self.options.refresh, 1).send_lines(lines)

    def rebuild(self, docs: Iterable[SearchDoc]) -> int:
        client = self._client()
        versions = self._versions(client)
        for leftover in (name for name, live in versions.items() if not live):
            log.warning("deleting %s, left behind by a rebuild that did not finish", leftover)
            client.call("DELETE", f"/{leftover}")
        current = [name for name, live in versions.items() if live]
        new = self._version_name(max((int(n.rsplit("-", 1)[1]) for n in versions), default=0) + 1)
        body = self._index_body(refresh_interval="-1")
        body["settings"]["index"]["translog.durability"] = "async"  # a failed build is thrown away anyway
        client.call("PUT", f"/{new}", body)
        try:
            count = _Writer(client, self.options, "false", self.options.concurrency, index=new).write(docs)
            settled = {"refresh_interval": REFRESH_INTERVAL, "translog.durability": "request"}
            client.call("PUT", f"/{new}/_settings", {"index": settled})
            client.call("POST", f"/{new}/_refresh")
            actions = [{"remove": {"index": old, "alias": self.alias}} for old in current]
            client.call("POST", "/_aliases", {"actions": [*actions, {"add": {"index": new, "alias": self.alias}}]})
        except BaseException:
            with suppress(EngineError, BackendUnavailable):
                client.call("DELETE", f"/{new}")
            raise
        for old in current:
            with suppress(EngineMissing):
                client.call("DELETE", f"/{old}")
        return count

    def _writer(self, index: str, refresh: str, concurrency: int) -> _Writer:
        return _Writer(self._client(), self.options, refresh, concurrency, index=index)

    # -- reading -----------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        try:
            body = dsl.search_body(query)
            if query.after is None and query.offset and query.offset + query.limit > self.result_window:
                body = self._past_window(body, query.offset)
            response = self._search_raw(body)
        except EngineBusy as exc:
            raise BackendUnavailable(f"the search engine is overloaded: {exc.reason}") from exc
        except EngineError as exc:
            if exc.status == 400:
                raise SearchError(f"the search engine cannot run this query: {exc.reason}") from exc
            raise
        hits = dsl.hits(query.sort, response, ordered=bool(query.order))
        derived, averages = judged.engine_results(response.get("aggregations") or {})
        facets = dsl.facets(response, query.facet_limit) | derived
        return SearchResult(dsl.total(response), hits, facets, averages)

    def _past_window(self, body: dict[str, Any], offset: int) -> dict[str, Any]:
        """A page deeper than the engine's result window (``from + size`` must stay inside it): walk the
        sort values of the hits before it with ``search_after`` (no documents, no counts), then ask for the
        page after the last of them; a page past the end asks for nothing (but still counts and facets)."""
        step = {"query": body["query"], "sort": body["sort"], "_source": False, "track_total_hits": False}
        after: list[Any] | None = None
        left = offset
        while left > 0:
            size = min(left, self.result_window)
            page = self._search_raw({**step, "size": size, **({"search_after": after} if after else {})})
            found = page["hits"]["hits"]
            if len(found) < size:
                return {**body, "from": 0, "size": 0}
            after = found[-1]["sort"]
            left -= size
        deeper = {k: v for k, v in body.items() if k != "from"}
        return {**deeper, "search_after": after}

    def _search_raw(self, body: Mapping[str, Any]) -> Any:
        return self._retrying_missing(lambda client: self._read(client, body))

    def _read(self, client: EngineClient, body: Mapping[str, Any]) -> Any:
        self._refresh_if_dirty(client)
        return client.call("POST", f"/{self.alias}/_search", body)

    def _refresh_if_dirty(self, client: EngineClient) -> None:
        """Make this process's own writes visible to its next read (others see them within a second)."""
        if self._dirty and self.options.refresh == "false":
            client.call("POST", f"/{self.alias}/_refresh")
            self._dirty = False

    def hashes(self) -> dict[str, str]:
        out: dict[str, str] = {}
        after: str | None = None
        while True:
            response = self._search_raw(dsl.hashes_body(after))
            page = response["hits"]["hits"]
            for hit in page:
                out[hit["_id"]] = (hit.get("_source") or {}).get("hash", "")
            if len(page) < dsl.HASH_PAGE:
                return out
            after = str(page[-1]["sort"][0])

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        if len(prefix.strip()) < 2:
            return []
        response = self._search_raw(dsl.suggest_body(prefix, limit))
        titles = [(h.get("_source") or {}).get("title") for h in response["hits"]["hits"]]
        return list(dict.fromkeys(" ".join(t.split()) for t in titles if t))[:limit]

    def health(self) -> BackendHealth:
        try:
            client = self._client()
            cluster = client.call("GET", "/_cluster/health", timeout=HEALTH_TIMEOUT)
            self._refresh_if_dirty(client)
            count = client.call("GET", f"/{self.alias}/_count", timeout=HEALTH_TIMEOUT)["count"]
        except BackendUnavailable as exc:
            return BackendHealth(False, self.name, detail=str(exc))
        except EngineError as exc:
            return BackendHealth(False, self.name, self._conn.info.label if self._conn else None, str(exc))
        status = str(cluster.get("status"))
        detail = f"cluster {cluster.get('cluster_name')} is {status}; alias {self.alias}"
        return BackendHealth(status != "red", self.name, client.info.label, detail, int(count))


class _Writer:
    """Bulk requests in batches, with retries on 429 and at most ``concurrency`` batches in flight."""

    def __init__(
        self, client: EngineClient, options: EngineOptions, refresh: str, concurrency: int, index: str = ""
    ) -> None:
        self.client = client
        self.options = options
        self.refresh = refresh
        self.concurrency = max(1, concurrency)
        self.index = index

    def write(self, docs: Iterable[SearchDoc]) -> int:
        """Index every document; returns how many."""
        count = 0
        if self.concurrency == 1:
            for batch in self._batches(docs):
                self.send_lines(batch)
                count += len(batch) // 2
            return count
        in_flight: list[Future[None]] = []
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="nutmeg-bulk") as pool:
            try:
                for batch in self._batches(docs):
                    while len(in_flight) >= self.concurrency:  # backpressure: wait for a slot
                        in_flight.pop(0).result()
                    in_flight.append(pool.submit(self.send_lines, batch))
                    count += len(batch) // 2
                for future in in_flight:
                    future.result()
            except BaseException:
                for future in in_flight:
                    future.cancel()
                raise
        return count

    def _batches(self, docs: Iterable[SearchDoc]) -> Iterator[list[dict[str, Any]]]:
        batch: list[SearchDoc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= self.options.batch_docs:
                yield dsl.bulk_actions(self.index, batch)
                batch = []
        if batch:
            yield dsl.bulk_actions(self.index, batch)

    def send_lines(self, lines: list[dict[str, Any]]) -> None:
        """Send one batch of action (+ source) lines, retrying whatever was refused with 429."""
        pending = _pair(lines)
        delay = self.options.backoff
        for attempt in range(self.options.retries + 1):
            retry: list[Item] = []
            for items, body in _chunks(pending, self.options.batch_bytes):
                try:
                    response = self.client.bulk(body, self.refresh)
                except EngineBusy:
                    retry.extend(items)  # the whole request was refused
                    continue
                retry.extend(_refused(items, response))
            if not retry:
                return
            pending = retry
            if attempt < self.options.retries:
                log.info("search engine busy; retrying %d bulk items in %.2f s", len(pending), delay)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        raise BackendUnavailable(f"the search engine stayed overloaded; {len(pending)} documents not written")


Item = list[dict[str, Any]]


def _refused(items: list[Item], response: Mapping[str, Any]) -> list[Item]:
    """The items to retry (429) from one bulk response; raises for items refused for good."""
    if not response.get("errors"):
        return []
    retry: list[Item] = []
    failures: list[str] = []
    for item, outcome in zip(items, response["items"], strict=True):
        ((action, result),) = outcome.items()
        status = int(result.get("status", 0))
        if status == 429:
            retry.append(item)
        elif status >= 300 and not (action in ("delete", "update") and status == 404):
            failures.append(f"{result.get('_id')}: {_item_reason(result)}")
    if failures:
        raise IndexingError(400, f"{len(failures)} documents refused, e.g. {failures[0]}")
    return retry


def _pair(lines: list[dict[str, Any]]) -> list[Item]:
    """Group bulk lines per item: a delete is one line, an index action is two."""
    items: list[Item] = []
    i = 0
    while i < len(lines):
        size = 1 if "delete" in lines[i] else 2
        items.append(lines[i : i + size])
        i += size
    return items


def _chunks(items: list[Item], max_bytes: int) -> Iterator[tuple[list[Item], bytes]]:
    """Items with their NDJSON body, at most ``max_bytes`` a body (a single larger item goes alone)."""
    chunk: list[Item] = []
    body: list[bytes] = []
    size = 0
    for item in items:
        encoded = dumps_lines(item)
        if chunk and size + len(encoded) > max_bytes:
            yield chunk, b"".join(body)
            chunk, body, size = [], [], 0
        chunk.append(item)
        body.append(encoded)
        size += len(encoded)
    if chunk:
        yield chunk, b"".join(body)


def _item_reason(result: Mapping[str, Any]) -> str:
    error = result.get("error")
    if isinstance(error, Mapping):
        return f"{error.get('type')}: {error.get('reason')}"[:300]
    return str(error)[:300]
