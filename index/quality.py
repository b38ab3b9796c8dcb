"""What the store knows about metadata problems and quality beyond one record (issue 13).

* :func:`problem_rows`: the live records of a source or an organization with their problems, a batch at a
  time (for grouping by kind, :mod:`mappings.problems`);
* the **daily history** of average quality (table ``quality_daily``, migration 0008): one row per day and
  scope (``catalog``; ``publisher:<title>``; ``source:<name>``) with the mean score and how many
  datasets it covers, written by :func:`record_day` (the last write of a day wins) and read by
  :func:`history`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select

from index.duplicates import HIDDEN
from index.rows import ProblemCount as ProblemCount  # light, for the pages and the CLI
from index.search.base import Average, BackendUnavailable, SearchBackend, SearchError, SearchQuery
from index.store import EXPORT_COLUMNS, ExportRow, Store
from index.tables import quality_daily, records, sources
from mappings.problems import distinct

log = logging.getLogger("nutmeg.quality")


@dataclass(frozen=True, slots=True)
class ProblemRow:
    """A live record with what its problems need: its harvest issues and data.gov problems, and the
    export row (to learn whether data.json repairs them)."""

    export: ExportRow
    issues: list[dict[str, Any]]


def problem_rows(
    store: Store, *, source_id: int | None = None, organization_id: int | None = None, batch: int = 1000
) -> Iterator[list[ProblemRow]]:
    """Live records of a source or an organization (or all), in id order, a batch at a time."""
    columns = (*EXPORT_COLUMNS, records.c.issues)
    last = ""
    while True:
        query = select(*columns).join(sources, sources.c.id == records.c.source_id)
        query = query.where(records.c.withdrawn.is_(False), records.c.id > last)
        if source_id is not None:
            query = query.where(records.c.source_id == source_id)
        if organization_id is not None:  # an organization's datasets: each merged dataset once
            query = query.where(records.c.organization_id == organization_id, records.c.id.not_in(HIDDEN))
        with store.engine.connect() as connection:
            found = connection.execute(query.order_by(records.c.id).limit(batch)).all()
        rows = [ProblemRow(ExportRow(*r[:7]), list(r[7] or [])) for r in found]
        if rows:
            yield rows
        if len(rows) < batch:
            return
        last = rows[-1].export.id


def problem_count(store: Store, source_id: int) -> ProblemCount:
    """Problems (harvest issues and data.gov schema problems) over a source's live records — what is true
    now, not what its last job logged (an unchanged record is not checked again, so a job logs few)."""
    query = select(records.c.issues, records.c.export_problems).where(
        records.c.source_id == source_id, records.c.withdrawn.is_(False)
    )
    carrying = total = 0
    with store.engine.connect() as connection:
        for issues, export_problems in connection.execute(query):
            schema = [p for found in (export_problems or {}).values() for p in found]
            found = len(distinct(issues or [], schema)) + len(schema)
            carrying += 1 if found else 0
            total += found
    return ProblemCount(carrying, total)


@dataclass(frozen=True, slots=True)
class DayAverage:
    day: date
    scope: str
    average: float
    datasets: int


def record_day(store: Store, day: date, averages: Sequence[tuple[str, float, int]]) -> None:
    """Keep ``day``'s averages (scope, mean score, datasets), replacing any kept earlier that day."""
    with store.engine.begin() as connection:
        connection.execute(delete(quality_daily).where(quality_daily.c.day == day))
        if averages:
            rows = [{"day": day, "scope": s, "average": a, "datasets": n} for s, a, n in averages]
            connection.execute(insert(quality_daily), rows)


def history(store: Store, scope: str = "catalog", *, since: date | None = None) -> list[DayAverage]:
    """One scope's daily averages, oldest first."""
    query = select(quality_daily).where(quality_daily.c.scope == scope)
    if since is not None:
        query = query.where(quality_daily.c.day >= since)
    with store.engine.connect() as connection:
        rows = connection.execute(query.order_by(quality_daily.c.day)).all()
    return [DayAverage(r.day, r.scope, float(r.average), int(r.datasets)) for r in rows]


def averages(index: SearchBackend, facet: str, filters: Mapping[str, tuple[str, ...]] | None = None) -> list[Average]:
    """The mean quality per value of ``facet`` (publisher, source) over the matching datasets."""
    query = SearchQuery(filters=dict(filters or {}), limit=0, facets=(), averages=(facet,))
    return index.search(query).averages.get(facet, [])


def keep_today(store: Store, index: SearchBackend, now: datetime) -> None:
    """Keep today's average quality of the catalog, each publisher and each source in the daily history
    (after every harvest job and reindex; the last of a day wins). Never fails the caller: a search
    engine that is down leaves the day as it was."""
    try:
        by_source = averages(index, "source")
        by_publisher = averages(index, "publisher")
    except (BackendUnavailable, SearchError) as exc:
        log.warning("quality history not kept today: %s", exc)
        return
    scored = sum(a.count for a in by_source)
    rows = [("catalog", sum(a.mean * a.count for a in by_source) / scored, scored)] if scored else []
    rows += [(f"publisher:{a.value}", a.mean, a.count) for a in by_publisher]
    rows += [(f"source:{a.value}", a.mean, a.count) for a in by_source]
    record_day(store, now.date(), rows)
