"""Read-side queries behind the catalog's published outputs: the catalog's version (for ETags), pages of
live records in a stable order (DCAT catalog pages, CKAN's package_list), sitemap chunks, and when
records changed (feeds).

Live records are listed in id order everywhere, so page N of the catalog and sitemap file N hold the same
records for as long as nothing is harvested in between.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from index.duplicates import HIDDEN, last_regrouped, merged_rows
from index.store import RecordRow, Store
from index.tables import records

_IN_BATCH = 500


@dataclass(frozen=True, slots=True)
class CatalogVersion:
    """What changes whenever a published output changes: live count, newest change, newest withdrawal."""

    live: int
    newest_change: datetime | None
    newest_withdrawal: datetime | None

    @property
    def fingerprint(self) -> str:
        changed = self.newest_change.isoformat() if self.newest_change else ""
        withdrawn = self.newest_withdrawal.isoformat() if self.newest_withdrawal else ""
        return f"{self.live}-{changed}-{withdrawn}"

    @property
    def last_modified(self) -> datetime | None:
        """When the published catalog last changed, as far as the store can tell."""
        moments = [m for m in (self.newest_change, self.newest_withdrawal) if m is not None]
        return max(moments) if moments else None


@dataclass(frozen=True, slots=True)
class Chunk:
    """One run of ``size`` live records in id order (a sitemap file): its number, size and newest change."""

    number: int
    count: int
    last_changed: datetime


@dataclass(frozen=True, slots=True)
class Listed:
    """A live record as lists need it: id, title, when it last changed and the dataset's own ``modified``
    (parsed; None when it is not a date)."""

    id: str
    title: str
    last_changed: datetime
    modified_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Moments:
    first_seen: datetime
    last_changed: datetime


_LIVE = and_(records.c.withdrawn.is_(False), records.c.id.not_in(HIDDEN))  # published: live, not merged away


def catalog_version(store: Store) -> CatalogVersion:
    """Read from ``ix_records_withdrawn_id_changed`` and the few withdrawn rows, never the wide rows.

    (A record that comes back has its ``withdrawn_at`` cleared, so only withdrawn rows carry one.)
    """
    live = select(func.count(), func.max(records.c.last_changed)).where(_LIVE)
    withdrawn = select(func.max(records.c.withdrawn_at)).where(records.c.withdrawn.is_(True))
    with store.engine.connect() as connection:
        count, changed = connection.execute(live).one()
        newest_withdrawal = connection.execute(withdrawn).scalar()
    regrouped = last_regrouped(store)  # a merged dataset changes when another source's record does
    if regrouped is not None and (changed is None or regrouped > changed):
        changed = regrouped
    return CatalogVersion(int(count), changed, newest_withdrawal)


def list_live(store: Store, *, offset: int, limit: int) -> list[Listed]:
    """Live records ``offset``… in id order (ids, titles and change times only)."""
    query = (
        select(records.c.id, records.c.title, records.c.last_changed, records.c.modified_at)
        .where(_LIVE)
        .order_by(records.c.id)
        .offset(offset)
        .limit(limit)
    )
    with store.engine.connect() as connection:
        return [Listed(*row) for row in connection.execute(query)]


def iter_live(store: Store, *, offset: int, limit: int, batch: int = 10_000) -> Iterator[Listed]:
    """Like :func:`list_live`, fetched in batches (keyset-paged after the first) to bound memory."""
    first = list_live(store, offset=offset, limit=min(batch, limit))
    yield from first
    remaining = limit - len(first)
    last = first[-1].id if first else None
    while remaining > 0 and last is not None and len(first) == batch:
        query = (
            select(records.c.id, records.c.title, records.c.last_changed, records.c.modified_at)
            .where(_LIVE, records.c.id > last)
            .order_by(records.c.id)
            .limit(min(batch, remaining))
        )
        with store.engine.connect() as connection:
            first = [Listed(*row) for row in connection.execute(query)]
        yield from first
        remaining -= len(first)
        last = first[-1].id if first else None


def record_page(store: Store, *, offset: int, limit: int) -> list[RecordRow]:
    """Whole live records ``offset``… in id order (a catalog page)."""
    ids = [item.id for item in list_live(store, offset=offset, limit=limit)]
    found = {row.id: row for row in merged_rows(store, store.get_records(ids))}
    return [found[i] for i in ids if i in found and not found[i].withdrawn]


def chunks(store: Store, size: int) -> list[Chunk]:
    """The live records cut into runs of ``size`` in id order, each with its newest change."""
    numbered = (
        select(records.c.last_changed, (func.row_number().over(order_by=records.c.id) - 1).label("n"))
        .where(_LIVE)
        .subquery()
    )
    number = (numbered.c.n // size).label("chunk")
    query = select(number, func.count(), func.max(numbered.c.last_changed)).group_by(number).order_by(number)
    with store.engine.connect() as connection:
        return [Chunk(int(n) + 1, int(count), changed) for n, count, changed in connection.execute(query)]


def moments(store: Store, ids: Sequence[str]) -> dict[str, Moments]:
    """When each record was first seen and last changed."""
    out: dict[str, Moments] = {}
    for start in range(0, len(ids), _IN_BATCH):
        query = select(records.c.id, records.c.first_seen, records.c.last_changed).where(
            records.c.id.in_(ids[start : start + _IN_BATCH])
        )
        with store.engine.connect() as connection:
            out.update({i: Moments(first, changed) for i, first, changed in connection.execute(query)})
    return out
