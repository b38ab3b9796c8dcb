"""The system of record: sources, harvest jobs, records and per-record errors (SQLAlchemy Core).

SQLite (WAL) by default, PostgreSQL with a ``postgresql+psycopg://`` URL; only portable SQL here. The
search index is derived from this store and can always be rebuilt from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    RowMapping,
    and_,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from index.rows import JobRow as JobRow  # the row types live in index/rows.py (light: no SQLAlchemy)
from index.rows import SourceRow as SourceRow
from index.rows import job_row, newest_revisions, source_row
from index.tables import harvest_jobs, organizations, record_errors, records, sources

RUNNING = "running"


class StoreError(Exception):
    """Base for store errors the API and CLI turn into messages."""


class NotFound(StoreError):
    pass


class Conflict(StoreError):
    pass


@dataclass(frozen=True, slots=True)
class NewSource:
    name: str
    kind: str
    url: str
    title: str | None = None
    description: str | None = None
    publisher: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    federal: bool = False
    allow_private: bool = False
    schedule: str | None = None
    credentials: Mapping[str, Any] | None = None
    organization_id: int | None = None


@dataclass(frozen=True, slots=True)
class JobOutcome:
    status: str
    message: str | None = None
    listed: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    failed: int = 0
    skipped: int = 0
    stats: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordState:
    """What the runner needs to know about a stored record to classify a harvested one."""

    id: str
    content_hash: str
    withdrawn: bool
    locator: str | None = None
    first_seen: datetime | None = None


@dataclass(frozen=True, slots=True)
class RecordWrite:
    """A new or changed record as the runner hands it to the store."""

    id: str
    source_id: int
    original_identifier: str
    content_hash: str
    source_record: bytes
    dataset: dict[str, Any]
    datajson: bytes
    export_problems: dict[str, list[dict[str, Any]]]
    issues: list[dict[str, Any]]
    title: str
    modified_at: datetime | None
    locator: str | None = None
    organization_id: int | None = None


@dataclass(frozen=True, slots=True)
class RecordRow:
    id: str
    source_id: int
    source: str
    original_identifier: str
    content_hash: str
    dataset: dict[str, Any]
    datajson: bytes
    export_problems: dict[str, list[dict[str, Any]]]
    issues: list[dict[str, Any]]
    title: str
    modified_at: datetime | None
    first_seen: datetime
    last_changed: datetime
    last_seen: datetime
    withdrawn: bool
    withdrawn_at: datetime | None
    indexed_hash: str | None
    organization_id: int | None = None
    organization: str | None = None  # the owning organization's title (the publisher facet's value)
    overrides: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ExportRow:
    id: str
    original_identifier: str
    title: str
    source: str
    datajson: bytes
    export_problems: dict[str, list[dict[str, Any]]]
    last_changed: datetime


# the columns an ExportRow is made of, in its fields' order
EXPORT_COLUMNS = (
    records.c.id,
    records.c.original_identifier,
    records.c.title,
    sources.c.name,
    records.c.datajson,
    records.c.export_problems,
    records.c.last_changed,
)


@dataclass(frozen=True, slots=True)
class ErrorRow:
    job_id: int
    source_id: int
    record_id: str | None
    original_identifier: str | None
    path: str
    message: str
    severity: str
    code: str


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite gets WAL, foreign keys and a busy timeout; ``:memory:`` one shared
    connection."""
    json_options: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, **json_options)
    memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=StaticPool if memory else None,
        **json_options,
    )
    event.listen(engine, "connect", _sqlite_pragmas(memory))
    return engine


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


def _sqlite_pragmas(memory: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


class Store:
    """Typed access to the system of record."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    def close(self) -> None:
        self.engine.dispose()

    # -- schema ------------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent; a store already there costs one query)."""
        if self.at_newest_schema():
            return
        from alembic import command  # only here: importing alembic costs every CLI command start-up time
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(resources.files("index") / "migrations"))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def at_newest_schema(self) -> bool:
        """Whether the store's recorded migration is the newest one (read without importing alembic)."""
        try:
            with self.engine.connect() as connection:
                current = {
                    str(v) for v in connection.exec_driver_sql("select version_num from alembic_version").scalars()
                }
        except SQLAlchemyError:
            return False
        return current == newest_revisions()

    def server_version(self) -> str:
        with self.engine.connect() as connection:
            if self.engine.dialect.name == "sqlite":
                version = connection.exec_driver_sql("select sqlite_version()").scalar()
                return f"SQLite {version}"
            return str(connection.exec_driver_sql("select version()").scalar())

    # -- sources -----------------------------------------------------------------------------------

    def add_source(self, new: NewSource, now: datetime) -> SourceRow:
        values = {**_source_values(new), "created_at": now, "enabled": True}
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(sources).values(**values))
        except IntegrityError as exc:
            raise Conflict(f"a source named {new.name!r} already exists") from exc
        return self.get_source(new.name)

    def get_source(self, name: str) -> SourceRow:
        with self.engine.connect() as connection:
            row = connection.execute(select(sources).where(sources.c.name == name)).mappings().first()
        if row is None:
            raise NotFound(f"no source named {name!r}")
        return source_row(row)

    def list_sources(self) -> list[SourceRow]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(sources).order_by(sources.c.name)).mappings().all()
        return [source_row(r) for r in rows]

    def remove_source(self, name: str) -> None:
        source = self.get_source(name)
        with self.engine.begin() as connection:
            for table in (record_errors, records, harvest_jobs):
                connection.execute(delete(table).where(table.c.source_id == source.id))
            connection.execute(delete(sources).where(sources.c.id == source.id))

    def save_harvest_state(self, source_id: int, **values: Any) -> None:
        """Store the conditional-GET validators, bookmark and timestamps a run leaves behind."""
        allowed = {"etag", "last_modified", "bookmark", "last_success_at", "last_full_harvest_at", "last_job_at"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"not harvest state: {sorted(unknown)}")
        with self.engine.begin() as connection:
            connection.execute(update(sources).where(sources.c.id == source_id).values(**values))

    # -- jobs --------------------------------------------------------------------------------------

    def start_job(self, source_id: int, now: datetime, owner: str | None = None) -> int:
        """Open a job; refuses while another job of the same source is running (a job whose process is
        gone is ended first by ``catalog_api.jobs.reap``). The partial unique index
        ``uq_harvest_jobs_running`` decides, in the one statement that opens the job, so it holds between
        processes and machines too."""
        values = {name: 0 for name in ("listed", "new", "updated", "unchanged", "withdrawn", "failed", "skipped")}
        statement = insert(harvest_jobs).values(
            source_id=source_id, started_at=now, status=RUNNING, stats={}, owner=owner, heartbeat_at=now, **values
        )
        try:
            with self.engine.begin() as connection:
                result = connection.execute(statement)
        except IntegrityError as exc:
            raise Conflict(self._still_running(source_id)) from exc
        job_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        assert isinstance(job_id, int)
        return job_id

    def _still_running(self, source_id: int) -> str:
        query = select(harvest_jobs.c.id, harvest_jobs.c.started_at).where(
            harvest_jobs.c.source_id == source_id, harvest_jobs.c.status == RUNNING
        )
        with self.engine.connect() as connection:
            running = connection.execute(query).first()
        if running is None:  # it ended between the two statements
            return "another job of this source was running a moment ago; try again"
        job_id, started = running
        return (
            f"job {job_id} of this source is still running (started {started:%Y-%m-%d %H:%M} UTC); "
            f"if it is stuck, `nutmeg job cancel {job_id}`"
        )

    def running_jobs(self) -> list[tuple[JobRow, str]]:
        """Every job marked running, with its source's name, oldest first."""
        query = (
            select(harvest_jobs, sources.c.name.label("source_name"))
            .join(sources, sources.c.id == harvest_jobs.c.source_id)
            .where(harvest_jobs.c.status == RUNNING)
            .order_by(harvest_jobs.c.id)
        )
        with self.engine.connect() as connection:
            return [(job_row(r), r["source_name"]) for r in connection.execute(query).mappings()]

    def beat(self, job_id: int, now: datetime) -> bool:
        """A running job's sign of life; False when the job is no longer running (cancelled, or ended
        by another process that took it for dead)."""
        statement = (
            update(harvest_jobs)
            .where(harvest_jobs.c.id == job_id, harvest_jobs.c.status == RUNNING)
            .values(heartbeat_at=now)
        )
        with self.engine.begin() as connection:
            return connection.execute(statement).rowcount == 1

    def end_running_job(self, job_id: int, status: str, message: str, now: datetime) -> bool:
        """End a job that is still marked running (cancelled, or abandoned by its process); False when it
        was not running."""
        statement = (
            update(harvest_jobs)
            .where(harvest_jobs.c.id == job_id, harvest_jobs.c.status == RUNNING)
            .values(status=status, message=message, finished_at=now)
        )
        with self.engine.begin() as connection:
            return connection.execute(statement).rowcount == 1

    @property
    def in_memory(self) -> bool:
        """One connection shared by every thread (``sqlite://``): nothing outside this process sees it."""
        return self.url in ("sqlite://", "sqlite:///:memory:")

    def finish_job(self, job_id: int, outcome: JobOutcome, now: datetime) -> None:
        values = {
            "status": outcome.status,
            "message": outcome.message,
            "listed": outcome.listed,
            "new": outcome.new,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "withdrawn": outcome.withdrawn,
            "failed": outcome.failed,
            "skipped": outcome.skipped,
            "stats": dict(outcome.stats),
            "finished_at": now,
        }
        with self.engine.begin() as connection:
            connection.execute(update(harvest_jobs).where(harvest_jobs.c.id == job_id).values(**values))

    def list_jobs(self, source_id: int, *, limit: int = 50, offset: int = 0) -> list[JobRow]:
        query = (
            select(harvest_jobs)
            .where(harvest_jobs.c.source_id == source_id)
            .order_by(harvest_jobs.c.started_at.desc(), harvest_jobs.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as connection:
            return [job_row(r) for r in connection.execute(query).mappings()]

    def last_job_with_status(self, source_id: int, status: str) -> JobRow | None:
        """The newest of a source's jobs that ended with ``status`` (e.g. its last failure)."""
        query = (
            select(harvest_jobs)
            .where(harvest_jobs.c.source_id == source_id, harvest_jobs.c.status == status)
            .order_by(harvest_jobs.c.started_at.desc(), harvest_jobs.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return job_row(row) if row is not None else None

    def count_jobs(self, source_id: int) -> int:
        query = select(func.count()).select_from(harvest_jobs).where(harvest_jobs.c.source_id == source_id)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def get_job(self, job_id: int) -> JobRow:
        with self.engine.connect() as connection:
            row = connection.execute(select(harvest_jobs).where(harvest_jobs.c.id == job_id)).mappings().first()
        if row is None:
            raise NotFound(f"no harvest job {job_id}")
        return job_row(row)

    # -- per-record errors -------------------------------------------------------------------------

    def add_errors(self, rows: Sequence[ErrorRow]) -> None:
        if not rows:
            return
        with self.engine.begin() as connection:
            connection.execute(insert(record_errors), [_error_values(r) for r in rows])

    def list_errors(
        self,
        *,
        job_id: int | None = None,
        record_id: str | None = None,
        text: str | None = None,
        code: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[int, list[ErrorRow]]:
        conditions = []
        if job_id is not None:
            conditions.append(record_errors.c.job_id == job_id)
        if code is not None:
            conditions.append(record_errors.c.code == code)
        if record_id is not None:
            conditions.append(record_errors.c.record_id == record_id)
        if text:
            pattern = f"%{text.lower()}%"
            conditions.append(
                func.lower(record_errors.c.message).like(pattern)
                | func.lower(record_errors.c.original_identifier).like(pattern)
                | func.lower(record_errors.c.path).like(pattern)
            )
        where = and_(*conditions) if conditions else None
        base = select(record_errors)
        counter = select(func.count()).select_from(record_errors)
        if where is not None:
            base, counter = base.where(where), counter.where(where)
        query = base.order_by(record_errors.c.id).limit(limit).offset(offset)
        with self.engine.connect() as connection:
            total = int(connection.execute(counter).scalar_one())
            rows = [_error(r) for r in connection.execute(query).mappings()]
        return total, rows

    def error_count(self, job_id: int) -> int:
        """How many problems job ``job_id`` logged."""
        return self.list_errors(job_id=job_id, limit=0)[0]

    def error_kinds(self, job_id: int) -> list[tuple[str, str, int]]:
        """A job's problems counted by kind: ``(code, severity, count)``, the most frequent first."""
        count = func.count().label("n")
        query = (
            select(record_errors.c.code, record_errors.c.severity, count)
            .where(record_errors.c.job_id == job_id)
            .group_by(record_errors.c.code, record_errors.c.severity)
            .order_by(count.desc(), record_errors.c.code)
        )
        with self.engine.connect() as connection:
            return [(str(c), str(s), int(n)) for c, s, n in connection.execute(query)]

    # -- records -----------------------------------------------------------------------------------

    def record_states(self, source_id: int) -> dict[str, RecordState]:
        """original identifier → (id, hash, withdrawn, locator, first seen) for every record of a source."""
        columns = (records.c.original_identifier, records.c.id, records.c.content_hash, records.c.withdrawn)
        query = select(*columns, records.c.locator, records.c.first_seen).where(records.c.source_id == source_id)
        with self.engine.connect() as connection:
            return {
                ident: RecordState(id_, hash_, bool(w), locator, first)
                for ident, id_, hash_, w, locator, first in connection.execute(query)
            }

    def write_records(self, new: Sequence[RecordWrite], changed: Sequence[RecordWrite], now: datetime) -> None:
        """Insert new records and rewrite changed ones (un-withdrawing any that came back)."""
        with self.engine.begin() as connection:
            if new:
                rows = [_record_values(r, now) | {"first_seen": now} for r in new]
                if connection.dialect.name == "sqlite":
                    _insert_rows(connection, rows)
                else:
                    connection.execute(insert(records), rows)
            if changed:
                self._update_changed(connection, changed, now)

    def _update_changed(self, connection: Connection, changed: Sequence[RecordWrite], now: datetime) -> None:
        values: dict[str, Any] = {c: bindparam(f"v_{c}") for c in _WRITE_COLUMNS}
        statement = update(records).where(records.c.id == bindparam("v_key")).values(**values)
        rows = [{f"v_{k}": v for k, v in _record_values(r, now).items()} | {"v_key": r.id} for r in changed]
        connection.execute(statement, rows)

    def touch_seen(self, ids: Iterable[str], now: datetime) -> None:
        """Set last_seen of records seen by a run that did not complete (complete runs set the source's
        ``last_full_harvest_at`` instead, which every live record inherits)."""
        with self.engine.begin() as connection:
            statement = update(records).where(records.c.id == bindparam("key")).values(last_seen=now)
            batch = [{"key": i} for i in ids]
            if batch:
                connection.execute(statement, batch)

    def withdraw_missing(self, source_id: int, seen: set[str], now: datetime) -> list[str]:
        """Mark live records of the source that are not in ``seen`` as withdrawn; returns their ids.

        Their ``last_seen`` becomes the source's previous complete harvest, the last time a full listing
        had them. ``indexed_hash`` is left alone: they are in the search index until the runner removes them
        (see :meth:`pending_removal_ids`).
        """
        live = select(records.c.id).where(records.c.source_id == source_id, records.c.withdrawn.is_(False))
        previous = select(sources.c.last_full_harvest_at).where(sources.c.id == source_id)
        with self.engine.begin() as connection:
            last_full = connection.execute(previous).scalar()
            missing = [i for (i,) in connection.execute(live) if i not in seen]
            for start in range(0, len(missing), 500):
                self._withdraw(connection, missing[start : start + 500], last_full, now)
        return missing

    def _withdraw(self, connection: Connection, ids: list[str], last_full: datetime | None, now: datetime) -> None:
        seen_at = select(records.c.id, records.c.last_seen).where(records.c.id.in_(ids))
        rows = [{"key": i, "seen": max(at, last_full) if last_full else at} for i, at in connection.execute(seen_at)]
        statement = (
            update(records)
            .where(records.c.id == bindparam("key"))
            .values(withdrawn=True, withdrawn_at=now, last_seen=bindparam("seen"))
        )
        connection.execute(statement, rows)

    def live_count(self, source_id: int | None = None) -> int:
        query = select(func.count()).select_from(records).where(records.c.withdrawn.is_(False))
        if source_id is not None:
            query = query.where(records.c.source_id == source_id)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def get_record(self, record_id: str) -> RecordRow:
        query = _record_select().where(records.c.id == record_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            raise NotFound(f"no dataset with id {record_id!r}")
        return _record(row)

    def iter_records(
        self, *, live: bool | None = True, source_id: int | None = None, batch: int = 1000
    ) -> Iterator[RecordRow]:
        """Every record (by default the live ones) in id order, fetched in keyset-paged batches."""
        last = ""
        while True:
            query = _record_select().where(records.c.id > last).order_by(records.c.id).limit(batch)
            if live is not None:
                query = query.where(records.c.withdrawn.is_(not live))
            if source_id is not None:
                query = query.where(records.c.source_id == source_id)
            with self.engine.connect() as connection:
                rows = [_record(r) for r in connection.execute(query).mappings()]
            yield from rows
            if len(rows) < batch:
                return
            last = rows[-1].id

    def iter_export_rows(self, *, batch: int = 2000) -> Iterator[list[ExportRow]]:
        """Live records' precomputed data.json objects, in id order, a batch at a time."""
        columns = EXPORT_COLUMNS
        last = ""
        while True:
            query = (
                select(*columns)
                .join(sources, sources.c.id == records.c.source_id)
                .where(records.c.withdrawn.is_(False), records.c.id > last)
                .order_by(records.c.id)
                .limit(batch)
            )
            with self.engine.connect() as connection:
                rows = [ExportRow(*r) for r in connection.execute(query)]
            if rows:
                yield rows
            if len(rows) < batch:
                return
            last = rows[-1].id

    def index_states(self) -> Iterator[tuple[str, str, str | None, bool]]:
        """(id, content hash, indexed hash, withdrawn) of every record, in id order."""
        query = select(records.c.id, records.c.content_hash, records.c.indexed_hash, records.c.withdrawn)
        with self.engine.connect() as connection:
            for id_, hash_, indexed, withdrawn in connection.execute(query.order_by(records.c.id)):
                yield id_, hash_, indexed, bool(withdrawn)

    def mark_indexed(self, pairs: Sequence[tuple[str, str | None]]) -> None:
        """Record which content hash the search index holds for each id (None: not indexed).

        A hash is only recorded while it is still the record's current one: if the record changed after
        that version was sent to the index, it stays pending (see :meth:`pending_index_ids`).
        """
        indexed = [(h, i, h) for i, h in pairs if h is not None]
        removed = [(i,) for i, h in pairs if h is None]
        with self.engine.begin() as connection:  # plain driver executemany: a harvest marks every record
            mark = _mark(connection)
            if indexed:
                sql = f"UPDATE records SET indexed_hash = {mark} WHERE id = {mark} AND content_hash = {mark}"
                connection.exec_driver_sql(sql, indexed)
            if removed:
                connection.exec_driver_sql(f"UPDATE records SET indexed_hash = NULL WHERE id = {mark}", removed)

    def clear_indexed(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(records).values(indexed_hash=None))

    def pending_index_ids(self) -> list[str]:
        """Live records whose current version is not (yet) in the search index.

        Writing a record clears its ``indexed_hash`` and indexing it sets it, so this is one seek on
        ``ix_records_withdrawn_indexed`` — cheap enough for every job to ask.
        """
        query = select(records.c.id).where(records.c.withdrawn.is_(False), records.c.indexed_hash.is_(None))
        with self.engine.connect() as connection:
            return [i for (i,) in connection.execute(query)]

    def pending_removal_ids(self) -> list[str]:
        """Withdrawn records still in the search index (their removal failed while the engine was down)."""
        query = select(records.c.id).where(records.c.withdrawn.is_(True), records.c.indexed_hash.is_not(None))
        with self.engine.connect() as connection:
            return [i for (i,) in connection.execute(query)]

    def get_records(self, ids: Sequence[str]) -> list[RecordRow]:
        out: list[RecordRow] = []
        for start in range(0, len(ids), 500):
            query = _record_select().where(records.c.id.in_(ids[start : start + 500]))
            with self.engine.connect() as connection:
                out.extend(_record(r) for r in connection.execute(query).mappings())
        return out


_WRITE_COLUMNS = (
    "content_hash",
    "source_record",
    "dataset",
    "datajson",
    "export_problems",
    "issues",
    "title",
    "modified_at",
    "last_changed",
    "last_seen",
    "withdrawn",
    "withdrawn_at",
    "indexed_hash",
    "locator",
    "organization_id",
)


def _mark(connection: Connection) -> str:
    """The driver's placeholder (qmark for sqlite3, format for psycopg)."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def _insert_rows(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert records with the driver's ``executemany``, each value through its column type's own bind
    processor (the same stored values as ``insert(records)``, without SQLAlchemy's per-row parameter
    handling, which costs about as much as SQLite's own insert)."""
    names = list(rows[0])
    dialect = connection.dialect
    processors = [records.c[name].type.bind_processor(dialect) for name in names]
    mark = _mark(connection)
    sql = f"INSERT INTO records ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
    params = [
        tuple(
            value if process is None else process(value)
            for process, value in zip(processors, row.values(), strict=True)
        )
        for row in rows
    ]
    connection.exec_driver_sql(sql, params)


def _record_values(r: RecordWrite, now: datetime) -> dict[str, Any]:
    return {
        "id": r.id,
        "source_id": r.source_id,
        "original_identifier": r.original_identifier,
        "content_hash": r.content_hash,
        "source_record": r.source_record,
        "dataset": r.dataset,
        "datajson": r.datajson,
        "export_problems": r.export_problems,
        "issues": r.issues,
        "title": r.title,
        "modified_at": r.modified_at,
        "last_changed": now,
        "last_seen": now,
        "withdrawn": False,
        "withdrawn_at": None,
        "indexed_hash": None,  # not in the search index until mark_indexed says so
        "locator": r.locator,
        "organization_id": r.organization_id,
    }


def _source_values(new: NewSource) -> dict[str, Any]:
    return {
        "name": new.name,
        "kind": new.kind,
        "url": new.url,
        "title": new.title,
        "description": new.description,
        "publisher": new.publisher,
        "options": dict(new.options),
        "federal": new.federal,
        "allow_private": new.allow_private,
        "schedule": new.schedule,
        "credentials": dict(new.credentials) if new.credentials else None,
        "organization_id": new.organization_id,
    }


def _error_values(row: ErrorRow) -> dict[str, Any]:
    return {k: getattr(row, k) for k in ErrorRow.__slots__}


def _error(row: RowMapping) -> ErrorRow:
    return ErrorRow(**{k: row[k] for k in ErrorRow.__slots__})


def _record_select() -> Any:
    """Records with their source's name; a live record's ``last_seen`` is at least the source's last
    complete harvest (every live record was in it), so harvests need not touch every row."""
    last_seen = case(
        (
            and_(records.c.withdrawn.is_(False), sources.c.last_full_harvest_at > records.c.last_seen),
            sources.c.last_full_harvest_at,
        ),
        else_=records.c.last_seen,
    ).label("last_seen")
    columns = [c for c in records.c if c.name not in ("source_record", "last_seen")]
    return (
        select(*columns, last_seen, sources.c.name.label("source"), organizations.c.title.label("organization"))
        .join(sources, sources.c.id == records.c.source_id)
        .outerjoin(organizations, organizations.c.id == records.c.organization_id)
    )


def _record(row: RowMapping) -> RecordRow:
    return RecordRow(**{k: row[k] for k in RecordRow.__slots__})
