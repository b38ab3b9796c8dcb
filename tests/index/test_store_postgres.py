"""The store on SQLite and on a real PostgreSQL server (same migrations, portable SQL): the tests of
``test_store`` again (when that module is present) and a life of records, both against both databases."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from index.ids import record_id
from index.store import Conflict, ErrorRow, JobOutcome, NewSource, NotFound, RecordWrite, Store

if importlib.util.find_spec("tests.index.test_store") is not None:
    from tests.index.test_store import *  # noqa: F403 (the SQLite store tests, re-run with the fixture below)

T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path}/store.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    opened = Store(url)
    opened.migrate()
    yield opened
    opened.close()


def _write(source_id: int, identifier: str, title: str, content_hash: str, source: str = "s") -> RecordWrite:
    return RecordWrite(
        id=record_id(source, identifier),
        source_id=source_id,
        original_identifier=identifier,
        content_hash=content_hash,
        source_record=b'{"raw": true}',
        dataset={"identifier": identifier, "title": title, "keyword": ["a", "b"]},
        datajson=b'{"identifier": "' + identifier.encode() + b'"}',
        export_problems={},
        issues=[{"path": "title", "code": "note", "message": "ok", "severity": "info"}],
        title=title,
        modified_at=T0,
    )


def test_migrations_create_the_schema_and_run_twice(store: Store) -> None:
    store.migrate()
    tables = set(inspect(store.engine).get_table_names())
    assert {"sources", "harvest_jobs", "records", "record_errors", "alembic_version"} <= tables
    assert store.server_version().split()[0] in ("SQLite", "PostgreSQL")


def test_source_rows_round_trip(store: Store) -> None:
    added = store.add_source(NewSource("s", "datajson", "https://x.test/data.json", options={"k": [1, 2]}), T0)
    assert added.created_at == T0
    assert added.created_at.tzinfo is not None
    assert added.options == {"k": [1, 2]}
    with pytest.raises(Conflict):
        store.add_source(NewSource("s", "datajson", "https://other.test"), T0)
    store.save_harvest_state(added.id, etag='"abc"', last_success_at=T0)
    assert store.get_source("s").etag == '"abc"'
    assert [s.name for s in store.list_sources()] == ["s"]
    store.remove_source("s")
    with pytest.raises(NotFound):
        store.get_source("s")


def test_jobs_refuse_a_second_run_and_take_over_a_stale_one(store: Store) -> None:
    source = store.add_source(NewSource("s", "datajson", "https://x.test"), T0)
    first = store.start_job(source.id, T0, owner="elsewhere/pid:1")
    with pytest.raises(Conflict):
        store.start_job(source.id, T0 + timedelta(minutes=5))
    assert store.beat(first, T0 + timedelta(minutes=6))
    [(running, _)] = store.running_jobs()
    assert (running.owner, running.heartbeat_at) == ("elsewhere/pid:1", T0 + timedelta(minutes=6))
    assert store.end_running_job(first, "failed", "abandoned", T0 + timedelta(hours=7))  # what reaping does
    second = store.start_job(source.id, T0 + timedelta(hours=7))
    assert store.get_job(first).status == "failed"
    store.finish_job(second, JobOutcome("succeeded", new=3, stats={"dialect": "1.1"}), T0 + timedelta(hours=8))
    job = store.get_job(second)
    assert (job.status, job.new, job.stats) == ("succeeded", 3, {"dialect": "1.1"})
    assert [j.id for j in store.list_jobs(source.id)] == [second, first]
    assert store.count_jobs(source.id) == 2


def test_records_through_a_life(store: Store) -> None:
    source = store.add_source(NewSource("s", "datajson", "https://x.test"), T0)
    a, b = _write(source.id, "a", "Alpha", "h1"), _write(source.id, "b", "Beta", "h2")
    store.write_records([a, b], [], T0)
    assert {k: (v.content_hash, v.withdrawn) for k, v in store.record_states(source.id).items()} == {
        "a": ("h1", False),
        "b": ("h2", False),
    }
    record = store.get_record(a.id)
    assert (record.title, record.source, record.dataset["keyword"], record.modified_at) == (
        "Alpha",
        "s",
        ["a", "b"],
        T0,
    )
    assert record.first_seen == T0

    later = T0 + timedelta(days=1)
    store.write_records([], [_write(source.id, "a", "Alpha 2", "h3")], later)
    assert store.get_record(a.id).last_changed == later
    assert store.get_record(a.id).first_seen == T0

    assert set(store.pending_index_ids()) == {a.id, b.id}
    store.mark_indexed([(a.id, "h3"), (b.id, "h2")])
    assert store.pending_index_ids() == []
    assert store.withdraw_missing(source.id, {a.id}, later) == [b.id]
    assert store.live_count() == 1
    assert store.pending_removal_ids() == [b.id]  # still in the index until removed from it
    store.mark_indexed([(b.id, None)])
    assert store.pending_removal_ids() == []
    assert sorted(store.index_states()) == sorted([(a.id, "h3", "h3", False), (b.id, "h2", None, True)])
    store.clear_indexed()
    assert store.pending_index_ids() == [a.id]


def test_paging_and_export_walk_everything_once(store: Store) -> None:
    source = store.add_source(NewSource("s", "datajson", "https://x.test"), T0)
    writes = [_write(source.id, f"id{i}", f"T{i}", f"h{i}") for i in range(57)]
    store.write_records(writes, [], T0)
    walked = [r.id for r in store.iter_records(batch=10)]
    assert walked == sorted(w.id for w in writes)
    exported = [row.id for batch in store.iter_export_rows(batch=10) for row in batch]
    assert exported == walked
    assert len(store.get_records(walked[:30])) == 30
    store.withdraw_missing(source.id, set(walked[1:]), T0 + timedelta(seconds=1))
    assert [row.id for batch in store.iter_export_rows(batch=10) for row in batch] == walked[1:]


def test_errors_are_searchable(store: Store) -> None:
    source = store.add_source(NewSource("s", "datajson", "https://x.test"), T0)
    job = store.start_job(source.id, T0)
    store.add_errors(
        [
            ErrorRow(job, source.id, None, "rec-1", "contactPoint.hasEmail", "not an email", "error", "schema"),
            ErrorRow(job, source.id, None, "rec-2", "title", "Missing Title", "error", "schema"),
        ]
    )
    total, rows = store.list_errors(job_id=job, text="missing")
    assert total == 1
    assert rows[0].original_identifier == "rec-2"
    assert store.list_errors(job_id=job)[0] == 2


def test_naive_datetimes_never_reach_the_database(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        store.add_source(NewSource("s", "datajson", "https://x.test"), datetime(2026, 1, 1))  # noqa: DTZ001
