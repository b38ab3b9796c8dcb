"""The worker's plan in the store: who runs a due source or task, and when it runs next.

Several workers (processes, or machines on one PostgreSQL) share the work by *claiming*: one ``UPDATE …
WHERE`` per source that succeeds for exactly one of them — it checks, in the same statement, that the
source is still due as the worker saw it (nobody ran it since: ``last_job_at`` and ``next_run_at``
unchanged) and that no other worker holds an unexpired lease on it. On PostgreSQL a second worker's
``UPDATE`` waits for the first's row lock and then re-reads the row, so it finds the lease taken; on SQLite
writes are serialized. The lease only covers the moment between the claim and the job's start: the job row
itself (``uq_harvest_jobs_running``) keeps a second job of the source from starting while one runs, whether
a worker or ``nutmeg harvest`` tries. When a job ends, :func:`record_run` plans the next run and frees the
lease; a worker that dies before its job starts loses the lease when it expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from index.store import SourceRow, Store
from index.tables import sources, worker_tasks


def _lease_free(table: object, now: datetime) -> ColumnElement[bool]:
    columns = table.c  # type: ignore[attr-defined]
    return or_(columns.lease_until.is_(None), columns.lease_until <= now)


def claim_source(store: Store, seen: SourceRow, owner: str, now: datetime, lease: timedelta) -> bool:
    """Take the due run of ``seen`` (a source as the worker read it); False if another worker took it,
    or it ran, was planned again, disabled or removed since."""
    statement = (
        update(sources)
        .where(
            sources.c.id == seen.id,
            sources.c.enabled.is_(True),
            sources.c.last_job_at.is_not_distinct_from(seen.last_job_at),
            sources.c.next_run_at.is_not_distinct_from(seen.next_run_at),
            _lease_free(sources, now),
        )
        .values(lease_owner=owner, lease_until=now + lease)
    )
    with store.engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def release_source(store: Store, source_id: int, owner: str) -> None:
    """Give a claimed run back unrun (its job could not start: another one is running)."""
    statement = (
        update(sources)
        .where(sources.c.id == source_id, sources.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
    with store.engine.begin() as connection:
        connection.execute(statement)


def record_run(store: Store, source_id: int, next_run_at: datetime | None, failures: int) -> None:
    """After a job ended: its source's next run, its failures in a row, and no lease."""
    values = {"next_run_at": next_run_at, "consecutive_failures": failures, "lease_owner": None, "lease_until": None}
    with store.engine.begin() as connection:
        connection.execute(update(sources).where(sources.c.id == source_id).values(**values))


def source_by_id(store: Store, source_id: int) -> SourceRow | None:
    with store.engine.connect() as connection:
        row = connection.execute(select(sources.c.name).where(sources.c.id == source_id)).first()
    return store.get_source(row[0]) if row is not None else None


def replan(store: Store, name: str) -> None:
    """Forget a source's planned run (its schedule changed): the next one follows the new schedule."""
    with store.engine.begin() as connection:
        connection.execute(update(sources).where(sources.c.name == name).values(next_run_at=None))


# -- periodic tasks --------------------------------------------------------------------------------


def claim_task(store: Store, name: str, owner: str, now: datetime, lease: timedelta) -> bool:
    """Take task ``name`` if its time has come and no other worker holds it."""
    try:
        with store.engine.begin() as connection:
            connection.execute(insert(worker_tasks).values(name=name))
    except IntegrityError:
        pass  # it has a row already
    due = or_(worker_tasks.c.next_run_at.is_(None), worker_tasks.c.next_run_at <= now)
    statement = (
        update(worker_tasks)
        .where(and_(worker_tasks.c.name == name, due, _lease_free(worker_tasks, now)))
        .values(lease_owner=owner, lease_until=now + lease, last_started_at=now)
    )
    with store.engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def finish_task(store: Store, name: str, next_run_at: datetime | None, message: str | None, now: datetime) -> None:
    values = {
        "next_run_at": next_run_at,
        "lease_owner": None,
        "lease_until": None,
        "last_finished_at": now,
        "last_message": message,
    }
    with store.engine.begin() as connection:
        connection.execute(update(worker_tasks).where(worker_tasks.c.name == name).values(**values))


def task_next_runs(store: Store) -> dict[str, datetime | None]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(worker_tasks.c.name, worker_tasks.c.next_run_at)).all()
    return {name: when for name, when in rows}
