"""Usage in the store: how often each dataset was viewed, asked for through the API and downloaded, per
UTC day.

Only aggregates are kept — (dataset, day, kind) → count. No client address, user agent, cookie, referrer
or time of day is ever stored, so nothing here can identify or follow a visitor. Counts arrive in
batches (``catalog_api/usage.py`` buffers them in memory) and are *added* to what is stored with one
upsert per batch, so any number of server processes can flush side by side on SQLite or PostgreSQL
without losing a count.

Popularity, the figure ``sort=popular`` orders by, is the page views and downloads of the last
:data:`POPULAR_DAYS` days: what people did, not what programs polled (API requests are shown, not ranked).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from index.store import Store
from index.tables import records, usage_daily

Kind = Literal["view", "api", "download"]
KINDS: tuple[Kind, ...] = ("view", "api", "download")
POPULAR_KINDS: tuple[Kind, ...] = ("view", "download")
POPULAR_DAYS = 30
_BATCH = 500

CountKey = tuple[str, date, Kind]  # dataset id, UTC day, kind


@dataclass(frozen=True, slots=True)
class Figures:
    """One kind of use of one dataset: the last 30 days (today included) and all time."""

    last_30_days: int = 0
    all_time: int = 0


@dataclass(frozen=True, slots=True)
class Usage:
    views: Figures = Figures()
    api: Figures = Figures()
    downloads: Figures = Figures()


_FIELD_OF: dict[str, str] = {"view": "views", "api": "api", "download": "downloads"}


def add_counts(store: Store, counts: Mapping[CountKey, int]) -> None:
    """Add a batch of counts to the stored ones (an upsert adding to the row: safe from many processes).

    Rows go in key order: two processes upserting overlapping keys then lock them in the same order, so
    PostgreSQL never finds them waiting on each other (in any order it aborted one with a deadlock)."""
    ordered = sorted(counts.items())
    rows = [{"dataset_id": i, "day": d, "kind": k, "count": n} for (i, d, k), n in ordered if n > 0]
    if not rows:
        return
    dialect = postgresql if store.engine.dialect.name == "postgresql" else sqlite
    with store.engine.begin() as connection:
        for start in range(0, len(rows), _BATCH):
            statement = dialect.insert(usage_daily).values(rows[start : start + _BATCH])
            statement = statement.on_conflict_do_update(
                index_elements=["dataset_id", "day", "kind"],
                set_={"count": usage_daily.c.count + statement.excluded.count},
            )
            connection.execute(statement)


def window_start(today: date, days: int = POPULAR_DAYS) -> date:
    """The first day of the ``days`` days ending with ``today``."""
    return today - timedelta(days=days - 1)


def usage_of(store: Store, dataset_id: str, today: date) -> Usage:
    """A dataset's figures of every kind."""
    recent = func.sum(usage_daily.c.count).filter(usage_daily.c.day >= window_start(today))
    query = (
        select(usage_daily.c.kind, func.coalesce(recent, 0), func.sum(usage_daily.c.count))
        .where(usage_daily.c.dataset_id == dataset_id)
        .group_by(usage_daily.c.kind)
    )
    with store.engine.connect() as connection:
        found = {kind: Figures(int(last), int(total)) for kind, last, total in connection.execute(query)}
    return Usage(**{_FIELD_OF[k]: v for k, v in found.items() if k in _FIELD_OF})


def popularity(store: Store, ids: Sequence[str], today: date) -> dict[str, int]:
    """The popularity (views and downloads in the last 30 days) of each of ``ids`` that has any."""
    out: dict[str, int] = {}
    for start in range(0, len(ids), _BATCH):
        query = (
            select(usage_daily.c.dataset_id, func.sum(usage_daily.c.count))
            .where(
                usage_daily.c.dataset_id.in_(ids[start : start + _BATCH]),
                usage_daily.c.kind.in_(POPULAR_KINDS),
                usage_daily.c.day >= window_start(today),
            )
            .group_by(usage_daily.c.dataset_id)
        )
        with store.engine.connect() as connection:
            out.update({i: int(n) for i, n in connection.execute(query)})
    return out


def recently_used(store: Store, today: date) -> list[str]:
    """Every dataset used in the last 31 days: those whose popularity may have changed since yesterday."""
    query = select(usage_daily.c.dataset_id).where(usage_daily.c.day >= window_start(today, POPULAR_DAYS + 1))
    with store.engine.connect() as connection:
        return list(dict.fromkeys(connection.execute(query.distinct()).scalars()))


@dataclass(frozen=True, slots=True)
class Ranked:
    id: str
    title: str
    count: int


def most_used(store: Store, today: date, kinds: Iterable[Kind] = POPULAR_KINDS, limit: int = 10) -> list[Ranked]:
    """The live datasets most used (``kinds``) in the last 30 days, most first (ties by title)."""
    total = func.sum(usage_daily.c.count).label("total")
    query = (
        select(records.c.id, records.c.title, total)
        .join(records, records.c.id == usage_daily.c.dataset_id)
        .where(usage_daily.c.kind.in_(tuple(kinds)), usage_daily.c.day >= window_start(today))
        .where(records.c.withdrawn.is_(False))
        .group_by(records.c.id, records.c.title)
        .order_by(total.desc(), records.c.title, records.c.id)
        .limit(limit)
    )
    with store.engine.connect() as connection:
        return [Ranked(i, t, int(n)) for i, t, n in connection.execute(query)]


def daily_totals(store: Store, today: date, days: int) -> dict[date, dict[str, int]]:
    """Every kind's total on each of the last ``days`` days (days without use: zeros), oldest first."""
    first = window_start(today, days)
    out: dict[date, dict[str, int]] = {first + timedelta(days=n): dict.fromkeys(KINDS, 0) for n in range(days)}
    query = (
        select(usage_daily.c.day, usage_daily.c.kind, func.sum(usage_daily.c.count))
        .where(usage_daily.c.day >= first, usage_daily.c.day <= today)
        .group_by(usage_daily.c.day, usage_daily.c.kind)
    )
    with store.engine.connect() as connection:
        for day, kind, count in connection.execute(query):
            if day in out and kind in out[day]:
                out[day][kind] = int(count)
    return out


@dataclass(frozen=True, slots=True)
class DailyRow:
    """One line of the CSV export."""

    day: date
    dataset_id: str
    title: str | None
    views: int
    api: int
    downloads: int


def daily_rows(
    store: Store, since: date | None = None, until: date | None = None, dataset_id: str | None = None
) -> Iterator[DailyRow]:
    """Per dataset per day, every kind side by side, by day then dataset id (streamed)."""
    kind = usage_daily.c.kind
    count = usage_daily.c.count
    query = (
        select(
            usage_daily.c.day,
            usage_daily.c.dataset_id,
            records.c.title,
            *(func.sum(count).filter(kind == k) for k in KINDS),
        )
        .outerjoin(records, records.c.id == usage_daily.c.dataset_id)
        .group_by(usage_daily.c.day, usage_daily.c.dataset_id, records.c.title)
        .order_by(usage_daily.c.day, usage_daily.c.dataset_id)
    )
    conditions: list[Any] = []
    if since is not None:
        conditions.append(usage_daily.c.day >= since)
    if until is not None:
        conditions.append(usage_daily.c.day <= until)
    if dataset_id is not None:
        conditions.append(usage_daily.c.dataset_id == dataset_id)
    if conditions:
        query = query.where(*conditions)
    with store.engine.connect() as connection:
        for day, id_, title, views, api, downloads in connection.execution_options(stream_results=True).execute(query):
            yield DailyRow(day, id_, title, int(views or 0), int(api or 0), int(downloads or 0))
