"""The embedded search index: SQLite FTS5 (BM25) for words, in-memory columns for everything else.

No server: one SQLite file beside the store (or ``:memory:``). Documents live in ``docs``, their words in
an external-content FTS5 table (Porter-stemmed) weighted title 10, keywords 5, publisher 2, description 1,
identifiers and landing page 3, and their titles once more unstemmed in ``fts_exact``: each word or phrase
found there adds a fixed bonus to the score, so an exact title word outranks a stemmed one. Boxes and
coverage periods are columns of ``docs``, loaded into the in-memory columns for the ``bbox`` and
``temporal`` filters. Facets, filters, date ranges, sorting and paging run on
:class:`~index.search.columns.Columns`, which each process keeps in memory and brings up to date from the
file when another process (a harvest running beside the server) has written to it: new rows are read by
rowid, removals from the ``removed`` log, and a rebuild changes the generation, which triggers a full
reload.
"""

from __future__ import annotations

import bisect
import logging
import sqlite3
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from index.search.base import (
    DERIVED_FACETS,
    FACETS,
    Annotation,
    AnyOf,
    BackendHealth,
    Box,
    Clause,
    Hit,
    Match,
    Not,
    Range,
    SearchBackend,
    SearchDoc,
    SearchError,
    SearchQuery,
    SearchResult,
    SortKey,
    Words,
    check_order,
    check_where,
)
from index.search.columns import BoolArray, Columns, FloatArray, IntArray, LoadedDoc
from index.search.judged import QUALITY, derived_facets, judged_mask, judged_row, quality_averages
from index.search.text import Term, parse, to_fts5

log = logging.getLogger("nutmeg.index")

WEIGHTS = (10.0, 5.0, 1.0, 2.0, 3.0)  # title, keywords, description, publisher, identifiers
EXACT_BONUS = 10.0  # added for each word or phrase found unstemmed in the title, on top of BM25
SCHEMA_VERSION = "3"  # 3: due_at, stale_at, quality (issue 13)
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
    summary BLOB NOT NULL,
    created REAL,
    changed REAL,
    identifiers TEXT NOT NULL DEFAULT '',
    west REAL, south REAL, east REAL, north REAL,
    t_start REAL, t_end REAL,
    due_at REAL, stale_at REAL, quality REAL
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, keywords, description, publisher, identifiers,
    content='docs', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts_exact USING fts5(
    title, content='docs', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS removed (seq INTEGER PRIMARY KEY AUTOINCREMENT, rowid INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS annotations (
    id TEXT PRIMARY KEY, core INTEGER NOT NULL DEFAULT 0, popularity INTEGER NOT NULL DEFAULT 0
);
"""
_FTS_COLUMNS = "title, keywords, description, publisher, identifiers"
FTS_COLUMN = {"title": "title", "keyword": "keywords", "description": "description", "publisher": "publisher"}
_FTS_TABLES = (("fts", _FTS_COLUMNS), ("fts_exact", "title"))
_OLD_TABLES = ("fts", "fts_exact", "docs", "removed")
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
        self._annotated: str | None = None  # the annotations token the columns were loaded at
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
        self._conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        found = self._conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        has_docs = self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'docs'").fetchone()
        if has_docs and (found is None or found[0] != SCHEMA_VERSION):
            log.warning("the search index %s has an older layout: emptied; run `nutmeg reindex`", self.path)
            for table in _OLD_TABLES:
                self._conn.execute(f"DROP TABLE IF EXISTS {table}")
            self._conn.execute("DELETE FROM meta WHERE key = 'generation'")
        self._conn.executescript(_SCHEMA)
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
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
            self._conn.execute("INSERT INTO fts_exact(fts_exact) VALUES ('delete-all')")
            self._conn.execute("DELETE FROM removed")
            self._conn.execute("DELETE FROM annotations")
            self._conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (uuid.uuid4().hex,))
            for batch in _batches(docs, _BATCH):
                self._write(batch, replace=False)
                count += len(batch)
            self._conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")
            self._conn.execute("INSERT INTO fts_exact(fts_exact) VALUES ('optimize')")
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
            " facets, summary, created, changed, identifiers, west, south, east, north, t_start, t_end,"
            " due_at, stale_at, quality)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_row(d) for d in unique],
        )
        self._write_annotations({d.id: Annotation(d.core, d.popularity) for d in unique})
        for table, columns in _FTS_TABLES:
            self._conn.execute(
                f"INSERT INTO {table}(rowid, {columns}) SELECT rowid, {columns} FROM docs WHERE rowid > ?",
                (before,),
            )

    # -- annotations: a table by id beside the documents, loaded whole when its token changes ---------

    def annotate(self, values: Mapping[str, Annotation]) -> None:
        if not values:
            return
        with self._lock, self._transaction():
            known = dict(values)
            for start in range(0, len(known), _BATCH):
                chunk = list(known)[start : start + _BATCH]
                marks = ",".join("?" * len(chunk))
                found = {i for (i,) in self._conn.execute(f"SELECT id FROM docs WHERE id IN ({marks})", chunk)}
                self._write_annotations({i: known[i] for i in chunk if i in found})
        self._written = True
        self._writes += 1

    def _write_annotations(self, values: Mapping[str, Annotation]) -> None:
        """Keep the non-default annotations (others are deleted) and change the token other processes watch."""
        kept = [(i, int(a.core), a.popularity) for i, a in values.items() if a != Annotation()]
        dropped = [(i,) for i, a in values.items() if a == Annotation()]
        self._conn.executemany("INSERT OR REPLACE INTO annotations (id, core, popularity) VALUES (?, ?, ?)", kept)
        self._conn.executemany("DELETE FROM annotations WHERE id = ?", dropped)
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('annotations', ?)", (uuid.uuid4().hex,))

    def _load_annotations(self) -> None:
        token = self._conn.execute("SELECT value FROM meta WHERE key = 'annotations'").fetchone()
        token = token[0] if token else None
        if token == self._annotated:
            return
        self._annotated = token
        rows = self._conn.execute("SELECT id, core, popularity FROM annotations").fetchall()
        self._columns.set_annotations({i: (bool(c), int(p)) for i, c, p in rows})

    def _sequence(self, table: str) -> int:
        row = self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
        return int(row[0]) if row else 0

    def _delete(self, ids: Sequence[str]) -> None:
        marks = ",".join("?" * len(ids))
        rowids = [r for (r,) in self._conn.execute(f"SELECT rowid FROM docs WHERE id IN ({marks})", ids)]
        if not rowids:
            return
        in_rows = ",".join("?" * len(rowids))
        for table, columns in _FTS_TABLES:
            self._conn.execute(
                f"INSERT INTO {table}({table}, rowid, {columns}) "
                f"SELECT 'delete', rowid, {columns} FROM docs WHERE rowid IN ({in_rows})",
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
            self._load_annotations()

    def _needs_compaction(self) -> bool:
        columns = self._columns
        return columns.dead_entries > 1000 and columns.dead_entries > int(columns.alive.sum())

    def _reload(self, generation: str) -> None:
        self._columns = Columns()
        self._annotated = None
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
            "SELECT rowid, id, modified, title_sort, facets, created, changed, west, south, east, north,"
            " t_start, t_end, due_at, stale_at, quality FROM docs WHERE rowid > ? ORDER BY rowid",
            (self._max_rowid,),
        ).fetchall()
        if rows:
            self._max_rowid = rows[-1][0]
            self._columns.add(
                LoadedDoc(r[0], r[1], r[2], r[3], orjson.loads(r[4]), r[5], r[6], r[7:11], r[11:13], r[13:16])
                for r in rows
            )

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
            if query.where is not None:
                check_where(query.where)
                mask &= self._where(query.where)
            if query.core is not None:
                mask &= columns.core_mask() if query.core else ~columns.core_mask()
            if query.judged:
                mask &= judged_mask(columns.judged, query)
            if query.bbox is not None:
                mask &= columns.intersecting(query.bbox)
            timed = query.temporal_from is not None or query.temporal_to is not None
            if timed:
                mask &= columns.overlapping(_seconds(query.temporal_from), _seconds(query.temporal_to))
            matched = np.flatnonzero(mask)
            placed = query.bbox is not None or timed
            everything = not worded and not query.filters and not dated and query.where is None and not placed
            everything = everything and not query.judged
            stored = tuple(f for f in query.facets if f not in DERIVED_FACETS)
            everything = everything and query.core is None
            if everything:
                tallies = {name: columns.tally_all(name) for name in stored}
            else:
                tallies = columns.tallies(stored, mask, matched)
            facets = {name: columns.facets[name].top(tallies[name], query.facet_limit) for name in stored}
            facets |= derived_facets(columns.judged, mask, matched, query)
            averages = quality_averages(columns, mask, query)
            rows, keys, hit_scores = self._page(query, mask, matched, scores, ranked=worded)
            summaries = self._summaries(rows)
        hits = [Hit(columns.ids[r] or "", s, k, summaries[r]) for r, k, s in zip(rows, keys, hit_scores, strict=True)]
        return SearchResult(len(matched), hits, facets, averages)

    def _matches(self, query: SearchQuery) -> tuple[BoolArray, FloatArray, bool]:
        """Documents matching the words (all when there are none), their scores, and whether any word
        was searched for."""
        size = self._columns.size
        scores = np.zeros(size, dtype=np.float64)
        terms = parse(query.text)
        positive, negative = to_fts5(terms)
        if positive is None:
            mask = np.ones(size, dtype=bool)
        else:
            mask = np.zeros(size, dtype=bool)
            scored = query.sort == "relevance" or any(o.field == "score" for o in query.order)
            rowids, found_scores = self._ranked(positive, scored=scored)
            keep = rowids < size
            mask[rowids[keep]] = True
            scores[rowids[keep]] = found_scores[keep]
            for exact in _exact_terms(terms) if scored else ():
                found, _ = self._ranked(exact, scored=False, table="fts_exact")  # which rows, not how well
                found = found[found < size]
                scores[found[mask[found]]] += EXACT_BONUS
        if negative is not None:
            excluded, _ = self._ranked(negative, scored=False)
            mask[excluded[excluded < size]] = False
        return mask, scores, positive is not None or negative is not None

    def _ranked(self, match: str, *, scored: bool, table: str = "fts") -> tuple[IntArray, FloatArray]:
        """Rowids and BM25 scores (higher is better) of the documents matching an FTS5 expression;
        without ``scored`` (sorting by date or title) ranking is skipped and the scores are zero.

        The last few expressions are cached until the index changes: paging through results or
        clicking facets repeats the same words, and ranking is most of a query's cost.
        """
        for key in ((f"{table}:{match}", True), (f"{table}:{match}", scored)):
            cached = self._fts_cache.get(key)
            if cached is not None:
                self._fts_cache.move_to_end(key)
                return cached
        score = f"-bm25({table}, {', '.join(map(str, WEIGHTS))})" if scored else "0.0"
        try:
            found = self._conn.execute(f"SELECT rowid, {score} FROM {table} WHERE {table} MATCH ?", (match,)).fetchall()
        except sqlite3.OperationalError as exc:
            raise SearchError(f"cannot search for {match!r}: {exc}") from exc
        pairs = np.fromiter(chain.from_iterable(found), dtype=np.float64, count=2 * len(found)).reshape(-1, 2)
        result = (pairs[:, 0].astype(np.int64), pairs[:, 1])
        self._fts_cache[(f"{table}:{match}", scored)] = result
        if len(self._fts_cache) > FTS_CACHE_SIZE:
            self._fts_cache.popitem(last=False)
        return result

    def _where(self, clause: Clause) -> BoolArray:
        """The documents (alive or not) a ``where`` clause matches, as a mask over rowids."""
        columns, size = self._columns, self._columns.size
        if isinstance(clause, Match):
            if clause.field == "id":
                return columns.id_mask(clause.value)
            if clause.field == "core":
                return columns.core_mask() if clause.value.lower() == "true" else ~columns.core_mask()
            column = columns.facets[clause.field]
            return column.matching_exactly(clause.value, size) if clause.exact else column.matching(clause.value, size)
        if isinstance(clause, Range):
            return _range_mask(columns.dates(clause.field), clause)
        if isinstance(clause, Words):
            return self._words(clause)
        if isinstance(clause, Not):
            return ~self._where(clause.clause)
        masks = [self._where(inner) for inner in clause.clauses]
        if isinstance(clause, AnyOf):
            return np.logical_or.reduce(masks) if masks else np.zeros(size, dtype=bool)
        return np.logical_and.reduce(masks) if masks else np.ones(size, dtype=bool)

    def _words(self, clause: Words) -> BoolArray:
        size = self._columns.size
        positive, negative = to_fts5(parse(clause.text))
        scope = "{" + " ".join(FTS_COLUMN[f] for f in clause.fields) + "}"
        mask = np.ones(size, dtype=bool)
        if positive is not None:
            mask[:] = False
            found, _ = self._ranked(f"{scope} : ({positive})", scored=False)
            mask[found[found < size]] = True
        if negative is not None:
            excluded, _ = self._ranked(f"{scope} : ({negative})", scored=False)
            mask[excluded[excluded < size]] = False
        return mask

    def _page(
        self, query: SearchQuery, mask: BoolArray, rows: IntArray, scores: FloatArray, *, ranked: bool
    ) -> tuple[list[int], list[SortKey], list[float]]:
        columns = self._columns
        if query.order:
            check_order(query.order)
            ordered = columns.ordered(rows, query.order, scores)[query.offset :]
            page = [int(r) for r in ordered[: query.limit]]
            keys = [columns.order_key(r, query.order, scores) for r in page]
            return page, keys, [float(scores[r]) for r in page]
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
        sql = (  # unstemmed titles: "parking" suggests "Parking Meters", not "Parks"
            "SELECT docs.title FROM fts_exact JOIN docs ON docs.rowid = fts_exact.rowid "
            "WHERE fts_exact MATCH ? ORDER BY bm25(fts_exact) LIMIT ?"
        )
        with self._lock:
            try:
                rows = self._conn.execute(sql, (positive, limit * 3)).fetchall()
            except sqlite3.OperationalError:
                return []
        return list(dict.fromkeys(" ".join(title.split()) for (title,) in rows))[:limit]


def _exact_terms(terms: list[Term]) -> list[str]:
    """FTS5 expressions for the unstemmed title table, one per positive word or phrase."""
    return ['"' + t.text.replace('"', '""') + '"' for t in terms if not t.negated and not t.prefix]


def _seconds(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _box_row(box: Box | None) -> tuple[float | None, ...]:
    return (None, None, None, None) if box is None else box


def _period_row(doc: SearchDoc) -> tuple[float | None, float | None]:
    """Coverage as seconds; an open end is ±infinity (stored as ±1e300), no coverage is NULL."""
    if doc.temporal is None:
        return None, None
    start, end = doc.temporal
    return (-1e300 if start is None else start.timestamp(), 1e300 if end is None else end.timestamp())


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
        doc.created.timestamp() if doc.created is not None else None,
        doc.changed.timestamp() if doc.changed is not None else None,
        " ".join(doc.identifiers),
        *_box_row(doc.bbox),
        *_period_row(doc),
        *judged_row(doc),
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


def _range_mask(values: FloatArray, clause: Range) -> BoolArray:
    """Dated values within a range's bounds (NaN, undated, never matches)."""
    mask = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        if clause.low is not None:
            low = clause.low.timestamp()
            mask &= values >= low if clause.low_inclusive else values > low
        if clause.high is not None:
            high = clause.high.timestamp()
            mask &= values <= high if clause.high_inclusive else values < high
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
    if sort == "popular":
        return (int(columns.popularity()[rowid]), id_)
    if sort == "quality":
        value = columns.judged[rowid, QUALITY]
        return (None if np.isnan(value) else float(value), id_)
    return (float(scores[rowid]), id_)


def _comparable(sort: str, key: SortKey) -> tuple[Any, ...]:
    """A tuple that grows in result order, for comparing hits with a cursor."""
    if sort == "title":
        return (str(key[0]), str(key[1]))
    if sort in ("modified", "quality"):
        undated = key[0] is None
        return (undated, 0.0 if undated else -float(key[0]), str(key[1]))
    return (-float(key[0]), str(key[1]))  # relevance and popular: highest first
