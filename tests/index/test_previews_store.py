"""The previews' store (index/previews.py) on SQLite and on a real PostgreSQL: a preview round-trips
(nested JSON cells, UTC times), is replaced in place, noted as checked, pruned, and goes with its record."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from index.previews import PreviewRow, get_preview, mark_checked, record_previews, remove_previews, save_preview
from index.store import NewSource, RecordWrite, Store

T0 = datetime(2026, 11, 28, 9, 30, 15, 250000, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path}/store.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    opened = Store(url)
    opened.migrate()
    yield opened
    opened.close()


def _record(store: Store) -> str:
    source = store.add_source(NewSource("s", "datajson", "https://x.test/data.json"), T0)
    write = RecordWrite(
        id="r1",
        source_id=source.id,
        original_identifier="a",
        content_hash="h",
        source_record=b"{}",
        dataset={"identifier": "a", "title": "A"},
        datajson=b"{}",
        export_problems={},
        issues=[],
        title="A",
        modified_at=None,
    )
    store.write_records([write], [], T0)
    return write.id


def test_a_preview_round_trips_and_goes_with_its_record(store: Store) -> None:
    record = _record(store)
    row = PreviewRow(
        record,
        0,
        "https://x.test/a.geojson",
        "geojson",
        "ok",
        T0,
        etag='"e1"',
        bytes=4254,
        encoding="utf-8",
        row_count=1,
        columns=[{"name": "core", "type": "object"}, {"name": "geometry_type", "type": "string"}],
        rows=[[{"road_names": ["I-80", "I-35"], "n": 1.5, "ok": True}, "LineString"]],
        errors=[{"type": "type-error", "message": 'Type error in the cell "x"', "row": 3, "field": "core"}],
        error_count=7,
        fetched_at=T0,
    )
    save_preview(store, row)
    assert get_preview(store, record, 0) == row
    replaced = replace(row, row_count=2, checked_at=T0 + timedelta(days=1))
    save_preview(store, replaced)
    assert get_preview(store, record, 0) == replaced
    mark_checked(store, record, 0, T0 + timedelta(days=2), "the last check failed")
    kept = get_preview(store, record, 0)
    assert kept is not None
    assert (kept.row_count, kept.checked_at, kept.message) == (2, T0 + timedelta(days=2), "the last check failed")
    save_preview(store, replace(row, position=3, status="failed", message="HTTP 404"))
    assert sorted(record_previews(store, record)) == [0, 3]
    assert remove_previews(store, record, keep=[0]) == 1
    assert sorted(record_previews(store, record)) == [0]
    store.remove_source("s")
    assert get_preview(store, record, 0) is None
