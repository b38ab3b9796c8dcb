"""Read-only reads of an SQLite store through the standard library, for commands that must start fast.

``nutmeg source list`` reads sources and jobs only; importing SQLAlchemy to do that would cost it more
than its whole start-up budget (``benchmarks/cli.py``). :func:`open_reader` opens an SQLite store
read-only (``mode=ro``) when it exists and its recorded migration is the newest one, and returns None
otherwise (PostgreSQL, an in-memory or missing database, one that needs migrating, a URL with options):
the caller then goes the usual way, through :class:`index.store.Store`. The rows it returns are the
store's own (:mod:`index.rows`), with the values SQLAlchemy's column types would give: UTC-aware
datetimes, decoded JSON, booleans.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.rows import JobRow, SourceRow, job_row, newest_revisions, source_row

_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")
_DATETIMES = frozenset(
    {"created_at", "last_success_at", "last_full_harvest_at", "last_job_at", "next_run_at", "lease_until"}
    | {"started_at", "finished_at", "heartbeat_at"}
)
_JSON = frozenset({"options", "credentials", "stats"})
_BOOLEANS = frozenset({"federal", "allow_private", "enabled"})
_JOB_ORDER = "order by started_at desc, id desc"

ReadError = sqlite3.Error  # a read that failed part-way (locked past the timeout, a damaged file)


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite store URL; None for other databases, in-memory ones and URLs with options
    (those go through SQLAlchemy, which knows what they mean)."""
    prefix = next((p for p in _PREFIXES if url.startswith(p)), None)
    if prefix is None:
        return None
    name = url.removeprefix(prefix)
    if not name or name == ":memory:" or any(c in name for c in "?%#"):
        return None
    return Path(name)


def open_reader(url: str) -> SqliteReader | None:
    """A read-only reader of the store at ``url``, or None when it must be opened the usual way."""
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return None
    reader = SqliteReader(connection)
    try:
        current = reader.recorded_revisions()
    except sqlite3.Error:  # no alembic_version table: never migrated
        current = set()
    if current != newest_revisions():
        reader.close()
        return None
    return reader


class SqliteReader:
    """The reads of :class:`index.rows.SourceReads` over a read-only SQLite connection, in one snapshot."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        connection.isolation_level = None  # transactions only where begun below
        connection.row_factory = sqlite3.Row
        self._connection = connection
        self._connection.execute("begin")  # one consistent snapshot for every read

    def close(self) -> None:
        self._connection.close()

    def recorded_revisions(self) -> set[str]:
        return {str(v) for (v,) in self._connection.execute("select version_num from alembic_version")}

    def list_sources(self) -> list[SourceRow]:
        rows = self._connection.execute("select * from sources order by name")
        return [source_row(_typed(r)) for r in rows]

    def list_jobs(self, source_id: int, *, limit: int = 50, offset: int = 0) -> list[JobRow]:
        query = f"select * from harvest_jobs where source_id = ? {_JOB_ORDER} limit ? offset ?"
        return [job_row(_typed(r)) for r in self._connection.execute(query, (source_id, limit, offset))]

    def last_job_with_status(self, source_id: int, status: str) -> JobRow | None:
        query = f"select * from harvest_jobs where source_id = ? and status = ? {_JOB_ORDER} limit 1"
        row = self._connection.execute(query, (source_id, status)).fetchone()
        return job_row(_typed(row)) if row is not None else None

    def error_count(self, job_id: int) -> int:
        query = "select count(*) from record_errors where job_id = ?"
        return int(self._connection.execute(query, (job_id,)).fetchone()[0])

    def live_count(self, source_id: int | None = None) -> int:
        query, arguments = "select count(*) from records where withdrawn = 0", []
        if source_id is not None:
            query, arguments = f"{query} and source_id = ?", [source_id]
        return int(self._connection.execute(query, arguments).fetchone()[0])


def _typed(row: sqlite3.Row) -> dict[str, Any]:
    """A row's values as the store's column types make them (``index/tables.py``)."""
    return {key: _value(key, row[key]) for key in row.keys()}  # noqa: SIM118 (sqlite3.Row iterates values)


def _value(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in _DATETIMES:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if key in _JSON:
        return json.loads(value)
    if key in _BOOLEANS:
        return bool(value)
    return value
