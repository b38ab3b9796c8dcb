"""The embedded search index: SQLite FTS5 (BM25) for words, in-memory columns for everything else.

No server: one SQLite file beside the store (or ``:memory:``). Documents live in ``docs``, their words in
an external-content FTS5 table weighted title 10, keywords 5, publisher 2, description 1. Facets,
filters, date ranges, sorting and paging run on :class:`~index.search.columns.Columns`, which each
process keeps in memory and brings up to date from the file when another process (a harvest running
beside the server) has written to it: new rows are read by rowid, removals from the ``removed`` log, and
a rebuild changes the generation, which triggers a full reload.
"""

from __future__ import annotations

import bisect
import sqlite3
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from index.search.base import (
    FACETS,
    BackendHealth,
    Hit,
    SearchBackend,
    SearchDoc,
    SearchError,
    SearchQuery,
    SearchResult,
    SortKey,
)
from index.search.columns import BoolArray, Columns, FloatArray, IntArray, LoadedDoc
from index.search.text import parse, to_fts5

WEIGHTS = (10.0, 5.0, 1.0, 2.0)  # title, keywords, description, publisher
_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL,
    title TEXT NOT NULL,
    keywords TEXT NOT NULL,
    description TEXT NOT NULL,
    publisher TEXT NOT NULL,
    title_sort TEXT NOT NULL,
    modified REAL,
    facets BLOB NOT NULL,
    summary BLOB NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, keywords, description, publisher,
    content='docs', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS removed (seq INTEGER PRIMARY KEY AUTOINCREMENT, rowid INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_FTS_COLUMNS = "title, keywords, description, publisher"
FTS_CACHE_SIZE = 64
_BATCH = 500


class EmbeddedIndex(SearchBackend):
    """Search without a server; safe for one writer process and many reader threads/processes."""

    name = "embedded"

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.RLock()
        self._columns = Columns()
        self._generation: str | None = None
        self._max_rowid = 0
        self._removed_seq = 0
        self._data_version: int | None = None
        self._fts_cache: OrderedDict[tuple[str, bool], tuple[IntArray, FloatArray]] = OrderedDict()
        self._written = False
        self._writes = 0  # this connection's own writes, which its data_version does not count
        self._setup()
        in_memory = self.path == ":memory:"
        self._watch = None if in_memory else sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._watch_lock = threading.Lock()

    def _setup(self) -> None:
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('generation', ?)", (uuid.uuid4().hex,))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        if self._watch is not None:
            with self._watch_lock:
                self._watch.close()

    # -- writing -----------------------------------------------------------------------------------

    def index(self, docs: Sequence[SearchDoc]) -> None:
        with self._lock, self._transaction():
            for start in range(0, len(docs), _BATCH):
                self._write(docs[start : start + _BATCH])
        self._written = True  # columns catch up on the next search (a harvest never searches)
        self._writes += 1

    def remove(self, ids: Sequence[str]) -> None:
        with self._lock, self._transaction():
            for start in range(0, len(ids), _BATCH):
                self._delete(ids[start : start + _BATCH])
        self._written = True  # columns catch up on the next search (a harvest never searches)
        self._writes += 1

    def rebuild(self, docs: Iterable[SearchDoc]) -> int:
        count = 0
        with self._lock, self._transaction():
            self._conn.execute("DELETE FROM docs")
            self._conn.execute("INSERT INTO fts(fts) VALUES ('delete-all')")
            self._conn.execute("DELETE FROM removed")
            self._conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (uuid.uuid4().hex,))
            for batch in _batches(docs, _BATCH):
                self._write(batch, replace=False)
                count += len(batch)
            self._conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        self._written = True  # columns catch up on the next search (a harvest never searches)
        self._writes += 1
        return count

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _write(self, docs: Sequence[SearchDoc], *, replace: bool = True) -> None:
        if replace:
            self._delete([d.id for d in docs])
        unique = list({d.id: d for d in docs}.values())
        before = self._conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM docs").fetchone()[0]
        before = max(before, self._sequence("docs"))
        self._conn.executemany(
            "INSERT INTO docs (id, hash, title, keywords, description, publisher, title_sort, modified,"
            " facets, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_row(d) for d in unique],
        )
        self._conn.execute(
            f"INSERT INTO fts(rowid, {_FTS_COLUMNS}) SELECT rowid, {_FTS_COLUMNS} FROM docs WHERE rowid > ?",
            (before,),
        )

    def _sequence(self, table: str) -> int:
        row = self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
        return int(row[0]) if row else 0

    def _delete(self, ids: Sequence[str]) -> None:
        marks = ",".join("?" * len(ids))
        rowids = [r for (r,) in self._conn.execute(f"SELECT rowid FROM docs WHERE id IN ({marks})", ids)]
        if not rowids:
            return
        in_rows = ",".join("?" * len(rowids))
        self._conn.execute(
            f"INSERT INTO fts(fts, rowid, {_FTS_COLUMNS}) "
            f"SELECT 'delete', rowid, {_FTS_COLUMNS} FROM docs WHERE rowid IN ({in_rows})",
            rowids,
        )
        self._conn.execute(f"DELETE FROM docs WHERE rowid IN ({in_rows})", rowids)
        self._conn.executemany("INSERT INTO removed (rowid) VALUES (?)", [(r,) for r in rowids])

    # -- keeping the columns current ---------------------------------------------------------------

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction around a whole search: the columns' catch-up, the FTS5 match and the
        summaries all see the same committed state, whatever another connection commits meanwhile (a
        document replaced or removed between reading its rowid and its summary was a ``KeyError``)."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    def _refresh(self) -> None:
        """Bring the in-memory columns up to the file: this connection's own writes (which
        ``data_version`` does not report) or another process's. Inside :meth:`_snapshot`, the first read
        here starts the snapshot, so ``data_version`` describes the state every later read sees."""
        with self._lock:
            generation = self._conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            unchanged = version == self._data_version and generation == self._generation
            if not self._written and unchanged:
                return
            self._written = False
            self._data_version = version
            self._fts_cache.clear()
            if generation != self._generation or self._needs_compaction():
                self._reload(generation)
            else:
                self._catch_up()

    def _needs_compaction(self) -> bool:
        columns = self._columns
        return columns.dead_entries > 1000 and columns.dead_entries > int(columns.alive.sum())

    def _reload(self, generation: str) -> None:
        self._columns = Columns()
        self._generation = generation
        self._max_rowid = 0
        self._removed_seq = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM removed").fetchone()[0]
        self._catch_up()

    def _catch_up(self) -> None:
        removed = self._conn.execute(
            "SELECT seq, rowid FROM removed WHERE seq > ? ORDER BY seq", (self._removed_seq,)
        ).fetchall()
        if removed:
            self._removed_seq = removed[-1][0]
            self._columns.kill(r for _, r in removed)
        rows = self._conn.execute(
            "SELECT rowid, id, modified, title_sort, facets FROM docs WHERE rowid > ? ORDER BY rowid",
            (self._max_rowid,),
        ).fetchall()
        if rows:
            self._max_rowid = rows[-1][0]
            self._columns.add(LoadedDoc(r[0], r[1], r[2], r[3], orjson.loads(r[4])) for r in rows)

    # -- searching ---------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        with self._lock, self._snapshot():
            self._refresh()
            columns = self._columns
            mask, scores, worded = self._matches(query)
            mask &= columns.alive
            for name, values in query.filters.items():
                if name not in columns.facets:
                    raise SearchError(f"unknown facet {name!r}; known: {', '.join(FACETS)}")
                for value in values:
                    mask &= columns.facets[name].matching(value, columns.size)
            dated = query.modified_since is not None or query.modified_before is not None
            if dated:
                mask &= _date_mask(columns.modified, query.modified_since, query.modified_before)
            matched = np.flatnonzero(mask)
            everything = not worded and not query.filters and not dated
            if everything:
                tallies = {name: columns.tally_all(name) for name in query.facets}
            else:
                tallies = columns.tallies(query.facets, mask, matched)
            facets = {name: columns.facets[name].top(tallies[name], query.facet_limit) for name in query.facets}
            rows, keys, hit_scores = self._page(query, mask, matched, scores, ranked=worded)
            summaries = self._summaries(rows)
        hits = [Hit(columns.ids[r] or "", s, k, summaries[r]) for r, k, s in zip(rows, keys, hit_scores, strict=True)]
        return SearchResult(len(matched), hits, facets)

    def _matches(self, query: SearchQuery) -> tuple[BoolArray, FloatArray, bool]:
        """Documents matching the words (all when there are none), their scores, and whether any word
        was searched for."""
        size = self._columns.size
        scores = np.zeros(size, dtype=np.float64)
        positive, negative = to_fts5(parse(query.text))
        if positive is None:
            mask = np.ones(size, dtype=bool)
        else:
            mask = np.zeros(size, dtype=bool)
            rowids, found_scores = self._ranked(positive, scored=query.sort == "relevance")
            keep = rowids < size
            mask[rowids[keep]] = True
            scores[rowids[keep]] = found_scores[keep]
        if negative is not None:
            excluded, _ = self._ranked(negative, scored=False)
            mask[excluded[excluded < size]] = False
        return mask, scores, positive is not None or negative is not None

    def _ranked(self, match: str, *, scored: bool) -> tuple[IntArray, FloatArray]:
        """Rowids and BM25 scores (higher is better) of the documents matching an FTS5 expression;
        without ``scored`` (sorting by date or title) ranking is skipped and the scores are zero.

        The last few expressions are cached until the index changes: paging through results or
        clicking facets repeats the same words, and ranking is most of a query's cost.
        """
        for key in ((match, True), (match, scored)):
            cached = self._fts_cache.get(key)
            if cached is not None:
                self._fts_cache.move_to_end(key)
                return cached
        weights = ", ".join(map(str, WEIGHTS))
        score = f"-bm25(fts, {weights})" if scored else "0.0"
        try:
            found = self._conn.execute(f"SELECT rowid, {score} FROM fts WHERE fts MATCH ?", (match,)).fetchall()
        except sqlite3.OperationalError as exc:
            raise SearchError(f"cannot search for {match!r}: {exc}") from exc
        table = np.fromiter(chain.from_iterable(found), dtype=np.float64, count=2 * len(found)).reshape(-1, 2)
        result = (table[:, 0].astype(np.int64), table[:, 1])
        self._fts_cache[(match, scored)] = result
        if len(self._fts_cache) > FTS_CACHE_SIZE:
            self._fts_cache.popitem(last=False)
        return result

    def _page(
        self, query: SearchQuery, mask: BoolArray, rows: IntArray, scores: FloatArray, *, ranked: bool
    ) -> tuple[list[int], list[SortKey], list[float]]:
        columns = self._columns
        if query.sort == "relevance" and ranked:
            wanted = query.offset + query.limit
            if query.after is None and wanted > 0 and 4 * wanted < len(rows):  # order only rows that can reach the page
                row_scores = scores[rows]
                threshold = np.partition(row_scores, len(rows) - wanted)[len(rows) - wanted]
                rows = rows[row_scores >= threshold]
            ordered = rows[np.lexsort((columns.id_rank()[rows], -scores[rows]))]
        else:
            order = columns.order(query.sort)  # without words every score is 0: relevance order is id order
            ordered = order[mask[order]]
        if query.after is not None:
            ordered = ordered[_after(query, columns, ordered, scores) :]
        else:
            ordered = ordered[query.offset :]
        page = [int(r) for r in ordered[: query.limit]]
        keys = [_sort_key(query.sort, columns, r, scores) for r in page]
        return page, keys, [float(scores[r]) for r in page]

    def _summaries(self, rowids: list[int]) -> dict[int, dict[str, Any]]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        rows = self._conn.execute(f"SELECT rowid, summary FROM docs WHERE rowid IN ({marks})", rowids)
        return {r: orjson.loads(s) for r, s in rows}

    def version(self) -> tuple[int, int]:
        """The file's ``data_version`` as a connection of its own sees it (so any commit, another
        process's or this one's, changes it) and this connection's write count; it never waits for a
        search or a write holding the index. An in-memory index has only this connection's writes."""
        if self._watch is None:
            return 0, self._writes
        with self._watch_lock:
            return int(self._watch.execute("PRAGMA data_version").fetchone()[0]), self._writes

    def warm(self) -> None:
        with self._lock, self._snapshot():
            self._refresh()
            self._columns.prepare()

    def drop_caches(self) -> None:
        """Forget cached query results (benchmarks use it to measure cold queries)."""
        with self._lock:
            self._fts_cache.clear()

    # -- the rest of the interface -----------------------------------------------------------------

    def hashes(self) -> dict[str, str]:
        with self._lock:
            return dict(self._conn.execute("SELECT id, hash FROM docs").fetchall())

    def health(self) -> BackendHealth:
        with self._lock:
            count = self._conn.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
        return BackendHealth(True, self.name, f"SQLite {sqlite3.sqlite_version} FTS5", documents=count)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        words = prefix.strip()
        if len(words) < 2:
            return []
        terms = parse(words)
        if not terms:
            return []
        last = terms[-1]
        terms[-1] = type(last)(last.text, phrase=last.phrase, prefix=True, negated=False)
        positive, _ = to_fts5([t for t in terms if not t.negated])
        if positive is None:
            return []
        sql = (
            "SELECT docs.title FROM fts JOIN docs ON docs.rowid = fts.rowid "
            "WHERE fts MATCH ? ORDER BY bm25(fts, 10.0, 5.0, 1.0, 2.0) LIMIT ?"
        )
        with self._lock:
            try:
                rows = self._conn.execute(sql, (f"title : ({positive})", limit * 3)).fetchall()
            except sqlite3.OperationalError:
                return []
        return list(dict.fromkeys(" ".join(title.split()) for (title,) in rows))[:limit]


def _row(doc: SearchDoc) -> tuple[Any, ...]:
    facets = {name: list(doc.facet_values(name)) for name in FACETS}
    modified = doc.modified.timestamp() if doc.modified is not None else None
    return (
        doc.id,
        doc.content_hash,
        doc.title,
        " ".join(doc.keywords),
        doc.description,
        doc.publisher or "",
        doc.title.strip().lower(),
        modified,
        orjson.dumps(facets),
        orjson.dumps(dict(doc.summary)),
    )


def _batches(docs: Iterable[SearchDoc], size: int) -> Iterator[list[SearchDoc]]:
    batch: list[SearchDoc] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _date_mask(modified: FloatArray, since: datetime | None, before: datetime | None) -> BoolArray:
    mask = np.ones(len(modified), dtype=bool)
    with np.errstate(invalid="ignore"):
        if since is not None:
            mask &= modified >= since.timestamp()
        if before is not None:
            mask &= modified < before.timestamp()
    return mask


def _after(query: SearchQuery, columns: Columns, ordered: IntArray, scores: FloatArray) -> int:
    """Position in ``ordered`` of the first hit strictly after the cursor's key (binary search)."""
    assert query.after is not None
    cursor = _comparable(query.sort, query.after)

    def key(position: int) -> tuple[Any, ...]:
        return _comparable(query.sort, _sort_key(query.sort, columns, int(ordered[position]), scores))

    return bisect.bisect_right(range(len(ordered)), cursor, key=key)


def _sort_key(sort: str, columns: Columns, rowid: int, scores: FloatArray) -> SortKey:
    id_ = columns.ids[rowid] or ""
    if sort == "title":
        return (columns.titles[rowid] or "", id_)
    if sort == "modified":
        value = columns.modified[rowid]
        return (None if np.isnan(value) else float(value), id_)
    return (float(scores[rowid]), id_)


def _comparable(sort: str, key: SortKey) -> tuple[Any, ...]:
    """A tuple that grows in result order, for comparing hits with a cursor."""
    if sort == "title":
        return (str(key[0]), str(key[1]))
    if sort == "modified":
        undated = key[0] is None
        return (undated, 0.0 if undated else -float(key[0]), str(key[1]))
    return (-float(key[0]), str(key[1]))
