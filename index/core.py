"""Core datasets in the store: datasets an admin marked as ones many agencies rely on (school locations,
parcels, the budget), with the organizations that rely on each.

Who may mark is decided by the API (``catalog_api/routes/core.py``); this module only keeps the facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select

from index.governance import get_organization
from index.store import Store
from index.tables import core_datasets, core_users, organizations, records


@dataclass(frozen=True, slots=True)
class User:
    """An organization relying on a core dataset."""

    slug: str
    title: str


@dataclass(frozen=True, slots=True)
class CoreRow:
    dataset_id: str
    note: str | None
    marked_by: str
    marked_at: datetime
    used_by: tuple[User, ...]


def mark_core(
    store: Store, dataset_id: str, users: Sequence[str], note: str | None, marked_by: str, now: datetime
) -> CoreRow:
    """Mark a dataset as core relied on by the organizations ``users`` (slugs; replaces any earlier list).

    Raises ``NotFound`` naming an unknown organization before anything changes."""
    organization_ids = [get_organization(store, slug).id for slug in dict.fromkeys(users)]
    with store.engine.begin() as connection:
        connection.execute(delete(core_users).where(core_users.c.dataset_id == dataset_id))
        connection.execute(delete(core_datasets).where(core_datasets.c.dataset_id == dataset_id))
        values = {"dataset_id": dataset_id, "note": note, "marked_by": marked_by, "marked_at": now}
        connection.execute(insert(core_datasets).values(**values))
        if organization_ids:
            rows = [{"dataset_id": dataset_id, "organization_id": o} for o in organization_ids]
            connection.execute(insert(core_users), rows)
    found = core_of(store, dataset_id)
    assert found is not None
    return found


def unmark_core(store: Store, dataset_id: str) -> bool:
    """No longer core; whether it was."""
    with store.engine.begin() as connection:
        connection.execute(delete(core_users).where(core_users.c.dataset_id == dataset_id))
        gone = connection.execute(delete(core_datasets).where(core_datasets.c.dataset_id == dataset_id))
    return bool(gone.rowcount)


def core_of(store: Store, dataset_id: str) -> CoreRow | None:
    rows = _core_rows(store, [dataset_id])
    return rows[0] if rows else None


def core_ids(store: Store, ids: Sequence[str] | None = None) -> set[str]:
    """Which of ``ids`` (all when None) are core."""
    query = select(core_datasets.c.dataset_id)
    if ids is not None:
        query = query.where(core_datasets.c.dataset_id.in_(list(ids)))
    with store.engine.connect() as connection:
        return set(connection.execute(query).scalars())


def any_core(store: Store) -> bool:
    """Whether any dataset is marked core (the search page offers the filter only then)."""
    with store.engine.connect() as connection:
        return connection.execute(select(core_datasets.c.dataset_id).limit(1)).first() is not None


def list_core(store: Store) -> list[CoreRow]:
    """Every core dataset, most relied on first."""
    with store.engine.connect() as connection:
        ids = list(connection.execute(select(core_datasets.c.dataset_id)).scalars())
    return sorted(_core_rows(store, ids), key=lambda r: (-len(r.used_by), r.dataset_id))


@dataclass(frozen=True, slots=True)
class ReliedOn:
    """A live core dataset an organization relies on, with how many organizations rely on it."""

    id: str
    title: str
    users: int


def relied_on_by(store: Store, organization_id: int) -> list[ReliedOn]:
    """The live core datasets ``organization_id`` relies on, most relied on first (then by title)."""
    users = select(core_users.c.dataset_id, func.count().label("users")).group_by(core_users.c.dataset_id).subquery()
    mine = select(core_users.c.dataset_id).where(core_users.c.organization_id == organization_id)
    query = (
        select(records.c.id, records.c.title, users.c.users)
        .join(users, users.c.dataset_id == records.c.id)
        .where(records.c.id.in_(mine), records.c.withdrawn.is_(False))
        .order_by(users.c.users.desc(), records.c.title, records.c.id)
    )
    with store.engine.connect() as connection:
        return [ReliedOn(i, t, int(n)) for i, t, n in connection.execute(query)]


def _core_rows(store: Store, ids: Sequence[str]) -> list[CoreRow]:
    if not ids:
        return []
    marks = select(core_datasets).where(core_datasets.c.dataset_id.in_(list(ids)))
    users = (
        select(core_users.c.dataset_id, organizations.c.slug, organizations.c.title)
        .join(organizations, organizations.c.id == core_users.c.organization_id)
        .where(core_users.c.dataset_id.in_(list(ids)))
        .order_by(organizations.c.title, organizations.c.slug)
    )
    with store.engine.connect() as connection:
        found = list(connection.execute(marks).mappings())
        by_dataset: dict[str, list[User]] = {}
        for dataset_id, slug, title in connection.execute(users):
            by_dataset.setdefault(dataset_id, []).append(User(slug, title))
    return [
        CoreRow(r["dataset_id"], r["note"], r["marked_by"], r["marked_at"], tuple(by_dataset.get(r["dataset_id"], ())))
        for r in found
    ]
