"""The store: migrations match the tables, and the record/job/source operations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from index.store import Conflict, JobOutcome, NewSource, NotFound, RecordWrite, Store
from index.tables import metadata

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def store() -> Store:
    created = Store("sqlite://")
    created.migrate()
    return created


def write(i: int, source_id: int = 1, hash_: str = "h") -> RecordWrite:
    return RecordWrite(
        id=f"r{i:03d}",
        source_id=source_id,
        original_identifier=f"id-{i}",
        content_hash=hash_,
        source_record=b"{}",
        dataset={"identifier": f"id-{i}", "title": f"T{i}"},
        datajson=b"{}",
        export_problems={},
        issues=[],
        title=f"T{i}",
        modified_at=None,
    )


def test_migrations_create_exactly_the_tables(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_migrate_is_idempotent(store: Store) -> None:
    store.migrate()
    assert store.list_sources() == []


def test_sources(store: Store) -> None:
    store.add_source(NewSource("a", "datajson", "https://a.gov/data.json", options={"x": 1}), NOW)
    with pytest.raises(Conflict):
        store.add_source(NewSource("a", "datajson", "https://b.gov/data.json"), NOW)
    with pytest.raises(NotFound):
        store.get_source("nope")
    assert store.get_source("a").options == {"x": 1}
    assert store.get_source("a").created_at.tzinfo is not None


def test_only_one_running_job_per_source(store: Store) -> None:
    source = store.add_source(NewSource("a", "datajson", "https://a.gov/"), NOW)
    job = store.start_job(source.id, NOW)
    with pytest.raises(Conflict):
        store.start_job(source.id, NOW + timedelta(minutes=5))
    assert store.beat(job, NOW + timedelta(minutes=6))
    [(running, name)] = store.running_jobs()
    assert (running.id, running.heartbeat_at, name) == (job, NOW + timedelta(minutes=6), "a")
    # ending a job whose process is gone (catalog_api.jobs.reap decides which) frees the source
    assert store.end_running_job(job, "failed", "abandoned", NOW + timedelta(hours=7))
    assert not store.end_running_job(job, "cancelled", "again", NOW + timedelta(hours=7))
    assert not store.beat(job, NOW + timedelta(hours=7))
    abandoned_later = store.start_job(source.id, NOW + timedelta(hours=7))
    assert store.get_job(job).status == "failed"
    store.finish_job(abandoned_later, JobOutcome("succeeded", new=3), NOW + timedelta(hours=8))
    assert [j.status for j in store.list_jobs(source.id)] == ["succeeded", "failed"]


def test_records_write_withdraw_and_last_seen(store: Store) -> None:
    source = store.add_source(NewSource("a", "datajson", "https://a.gov/"), NOW)
    store.write_records([write(i, source.id) for i in range(5)], [], NOW)
    assert store.live_count() == 5
    later = NOW + timedelta(days=1)
    store.save_harvest_state(source.id, last_full_harvest_at=later)
    assert all(r.last_seen == later for r in store.iter_records())
    withdrawn = store.withdraw_missing(source.id, {"r000", "r001"}, NOW + timedelta(days=2))
    assert sorted(withdrawn) == ["r002", "r003", "r004"]
    gone = store.get_record("r003")
    assert gone.withdrawn
    assert gone.last_seen == later  # the last complete harvest that still had it
    store.write_records([], [write(3, source.id, "h2")], NOW + timedelta(days=3))
    assert not store.get_record("r003").withdrawn
    assert store.live_count() == 3


def test_keyset_iteration_covers_everything(store: Store) -> None:
    source = store.add_source(NewSource("a", "datajson", "https://a.gov/"), NOW)
    store.write_records([write(i, source.id) for i in range(25)], [], NOW)
    assert [r.id for r in store.iter_records(batch=7)] == [f"r{i:03d}" for i in range(25)]
    assert sum(len(b) for b in store.iter_export_rows(batch=4)) == 25


def test_index_bookkeeping(store: Store) -> None:
    source = store.add_source(NewSource("a", "datajson", "https://a.gov/"), NOW)
    store.write_records([write(i, source.id) for i in range(3)], [], NOW)
    assert sorted(store.pending_index_ids()) == ["r000", "r001", "r002"]
    store.mark_indexed([("r000", "h"), ("r001", "stale")])
    assert sorted(store.pending_index_ids()) == ["r001", "r002"]


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        store.add_source(NewSource("a", "datajson", "https://a.gov/"), datetime(2026, 1, 1))  # noqa: DTZ001


def test_newest_revisions_read_without_alembic_match_alembics_heads() -> None:
    """``Store.migrate`` skips alembic when the store is at these revisions, so they must be alembic's heads."""
    from importlib import resources

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from index.store import newest_revisions

    config = Config()
    config.set_main_option("script_location", str(resources.files("index") / "migrations"))
    assert newest_revisions() == set(ScriptDirectory.from_config(config).get_heads())


def test_migrate_twice_is_a_no_op_and_reports_the_newest_schema() -> None:
    from index.store import Store

    store = Store("sqlite://")
    try:
        assert not store.at_newest_schema()
        store.migrate()
        assert store.at_newest_schema()
        store.migrate()
        assert store.at_newest_schema()
    finally:
        store.close()
