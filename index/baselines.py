"""Each source's baseline: the body digest of its last complete harvest, the job that read that body and
how many live records the job left (issue 16; the runner's side is ``catalog_api/baselines.py``).

A later job whose body has the same digest copies that job's per-record errors (:func:`carry_errors`)
instead of reading the body again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, literal, select

from index.store import Store
from index.tables import harvest_baselines, record_errors

_ERROR_COLUMNS = tuple(c.name for c in record_errors.c if c.name not in ("id", "job_id"))


@dataclass(frozen=True, slots=True)
class Baseline:
    job_id: int
    digest: str
    live: int


def baseline(store: Store, source_id: int) -> Baseline | None:
    """The source's baseline, None when its last job did not leave one."""
    columns = (harvest_baselines.c.job_id, harvest_baselines.c.digest, harvest_baselines.c.live)
    query = select(*columns).where(harvest_baselines.c.source_id == source_id)
    with store.engine.connect() as connection:
        row = connection.execute(query).first()
    return Baseline(int(row[0]), str(row[1]), int(row[2])) if row is not None else None


def save_baseline(store: Store, source_id: int, found: Baseline) -> None:
    values = {"source_id": source_id, "job_id": found.job_id, "digest": found.digest, "live": found.live}
    with store.engine.begin() as connection:
        connection.execute(delete(harvest_baselines).where(harvest_baselines.c.source_id == source_id))
        connection.execute(insert(harvest_baselines).values(**values))


def clear_baseline(store: Store, source_id: int) -> None:
    with store.engine.begin() as connection:
        connection.execute(delete(harvest_baselines).where(harvest_baselines.c.source_id == source_id))


def carry_errors(store: Store, from_job: int, to_job: int) -> int:
    """Copy a job's per-record errors to another job (in one statement); returns how many."""
    columns = [record_errors.c[name] for name in _ERROR_COLUMNS]
    source = (
        select(literal(to_job).label("job_id"), *columns)
        .where(record_errors.c.job_id == from_job)
        .order_by(record_errors.c.id)
    )
    statement = insert(record_errors).from_select(["job_id", *_ERROR_COLUMNS], source)
    with store.engine.begin() as connection:
        return int(connection.execute(statement).rowcount or 0)
