"""Data previews in the store: one row per previewable distribution of a record (``position`` is its
index in the record's distribution list, from 0), holding the profile of the file and its first rows.

The rows are written by ``catalog_api.previews`` (which fetches and profiles the files) and read by the
dataset page and ``/api/v1/datasets/{id}/distributions/{n}/preview``. Deleting a record deletes its
previews (foreign key, ``ON DELETE CASCADE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, delete, insert, select, update

from index.store import Store
from index.tables import distribution_previews as previews

KINDS = ("csv", "tsv", "xlsx", "json", "geojson")


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """A distribution's stored preview: what the profile found, or why there is none (``failed``)."""

    record_id: str
    position: int
    url: str
    kind: str
    status: str  # "ok" | "failed"
    checked_at: datetime
    message: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    bytes: int | None = None
    truncated: bool = False
    encoding: str | None = None
    row_count: int | None = None
    columns: list[dict[str, str]] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    fetched_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def get_preview(store: Store, record_id: str, position: int) -> PreviewRow | None:
    query = select(previews).where(previews.c.record_id == record_id, previews.c.position == position)
    with store.engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return None if row is None else _preview(row)


def record_previews(store: Store, record_id: str) -> dict[int, PreviewRow]:
    """Every stored preview of one record, by position."""
    query = select(previews).where(previews.c.record_id == record_id).order_by(previews.c.position)
    with store.engine.connect() as connection:
        return {r.position: r for r in (_preview(m) for m in connection.execute(query).mappings())}


@dataclass(frozen=True, slots=True)
class PreviewState:
    """What deciding whether to fetch a file again needs of its stored preview (no rows)."""

    url: str
    status: str
    etag: str | None
    last_modified: str | None
    sha256: str | None
    fetched_at: datetime | None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def preview_states(store: Store, record_ids: Iterable[str] | None = None) -> dict[tuple[str, int], PreviewState]:
    """The stored previews' states by (record, position): of every record, or of ``record_ids``."""
    columns = [previews.c.record_id, previews.c.position, *(previews.c[f] for f in PreviewState.__slots__)]
    query = select(*columns)
    ids = None if record_ids is None else list(record_ids)
    out: dict[tuple[str, int], PreviewState] = {}
    with store.engine.connect() as connection:
        for start in range(0, len(ids) if ids is not None else 1, 500):
            chunk = query if ids is None else query.where(previews.c.record_id.in_(ids[start : start + 500]))
            for record_id, position, *state in connection.execute(chunk):
                out[(record_id, position)] = PreviewState(*state)
    return out


def save_preview(store: Store, preview: PreviewRow) -> None:
    """Insert or replace the preview of (record, position)."""
    values = asdict(preview)
    key = and_(previews.c.record_id == preview.record_id, previews.c.position == preview.position)
    with store.engine.begin() as connection:
        changed = connection.execute(update(previews).where(key).values(**values)).rowcount
        if not changed:
            connection.execute(insert(previews).values(**values))


def mark_checked(store: Store, record_id: str, position: int, checked_at: datetime, message: str | None) -> None:
    """The file did not change (or could not be fetched this time): keep the preview, note the check."""
    key = and_(previews.c.record_id == record_id, previews.c.position == position)
    with store.engine.begin() as connection:
        connection.execute(update(previews).where(key).values(checked_at=checked_at, message=message))


def remove_previews(store: Store, record_id: str, keep: Iterable[int]) -> int:
    """Drop the record's previews at positions not in ``keep`` (a distribution removed or no longer a
    data file); how many were dropped."""
    kept = list(keep)
    query = delete(previews).where(previews.c.record_id == record_id)
    if kept:
        query = query.where(previews.c.position.not_in(kept))
    with store.engine.begin() as connection:
        return int(connection.execute(query).rowcount or 0)


def _preview(row: RowMapping) -> PreviewRow:
    values = {k: row[k] for k in PreviewRow.__slots__}
    values["truncated"] = bool(values["truncated"])
    return PreviewRow(**values)
