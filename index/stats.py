"""Read-only catalog statistics from the store for dashboards: recent jobs, additions, newest records.

Portable SQL only: per-period counts are range counts on an index, so no date functions (which differ
between SQLite and PostgreSQL) are needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from sqlalchemy import func, select

from index.duplicates import HIDDEN
from index.store import JobRow, Store
from index.tables import harvest_jobs, records, sources


@dataclass(frozen=True, slots=True)
class NewRecord:
    id: str
    title: str
    source: str
    first_seen: datetime


def jobs_since(store: Store, since: datetime, *, limit: int = 10_000) -> list[tuple[str, JobRow]]:
    """(source name, job) of every job started at or after ``since``, oldest first."""
    query = (
        select(sources.c.name, harvest_jobs)
        .join(sources, sources.c.id == harvest_jobs.c.source_id)
        .where(harvest_jobs.c.started_at >= since)
        .order_by(harvest_jobs.c.started_at, harvest_jobs.c.id)
        .limit(limit)
    )
    with store.engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [(row["name"], JobRow(**{k: row[k] for k in JobRow.__slots__})) for row in rows]


def additions(store: Store, bounds: Sequence[datetime]) -> list[int]:
    """Live records first seen in each period ``[bounds[i], bounds[i + 1])``.

    One indexed range count per period: together they visit each record of the span once, where a
    single scan with a CASE per period would test every record against every period.
    """
    counts: list[int] = []
    with store.engine.connect() as connection:
        for low, high in pairwise(bounds):
            query = (
                select(func.count())
                .select_from(records)
                .where(records.c.withdrawn.is_(False), records.c.first_seen >= low, records.c.first_seen < high)
                .where(records.c.id.not_in(HIDDEN))
            )
            counts.append(int(connection.execute(query).scalar_one()))
    return counts


def newest_records(store: Store, limit: int = 10) -> list[NewRecord]:
    """The live records first seen most recently (ties by id, so the index alone orders them)."""
    query = (
        select(records.c.id, records.c.title, sources.c.name, records.c.first_seen)
        .join(sources, sources.c.id == records.c.source_id)
        .where(records.c.withdrawn.is_(False), records.c.id.not_in(HIDDEN))
        .order_by(records.c.first_seen.desc(), records.c.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as connection:
        return [NewRecord(*row) for row in connection.execute(query)]
