"""Claims in the store, on SQLite and a real PostgreSQL: one worker gets a due run; a worker that looked
before someone else ran the source, or while another holds the lease, does not; a lease expires."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from index.governance import update_source
from index.schedules import claim_source, claim_task, finish_task, record_run, release_source, task_next_runs
from index.store import NewSource, Store

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres])])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else f"sqlite:///{tmp_path}/s.db"
    opened = Store(url)
    opened.migrate()
    yield opened
    opened.close()


def test_one_claim_wins_and_a_stale_view_loses(store: Store) -> None:
    seen = store.add_source(NewSource("s", "datajson", "https://example.gov/data.json", schedule="PT1H"), NOW)
    assert claim_source(store, seen, "a/pid:1", NOW, LEASE)
    assert not claim_source(store, seen, "b/pid:2", NOW, LEASE)  # the lease is a's
    assert claim_source(store, seen, "b/pid:2", NOW + LEASE, LEASE)  # … until it expires
    release_source(store, seen.id, "a/pid:1")  # not a's any more: nothing happens
    assert not claim_source(store, seen, "c/pid:3", NOW + LEASE, LEASE)

    store.save_harvest_state(seen.id, last_job_at=NOW + LEASE)  # b ran it
    record_run(store, seen.id, NOW + 2 * LEASE, 0)  # and planned the next run, freeing its lease
    assert not claim_source(store, seen, "c/pid:3", NOW + 3 * LEASE, LEASE)  # c looked before: refused
    fresh = store.get_source("s")
    assert claim_source(store, fresh, "c/pid:3", NOW + 3 * LEASE, LEASE)
    release_source(store, fresh.id, "c/pid:3")
    assert claim_source(store, fresh, "d/pid:4", NOW + 3 * LEASE, LEASE)


def test_a_disabled_source_is_not_claimed(store: Store) -> None:
    seen = store.add_source(NewSource("s", "datajson", "https://example.gov/data.json", schedule="PT1H"), NOW)
    update_source(store, "s", enabled=False)
    assert not claim_source(store, seen, "a/pid:1", NOW, LEASE)


def test_a_task_runs_once_per_time(store: Store) -> None:
    assert claim_task(store, "link checks", "a/pid:1", NOW, LEASE)
    assert not claim_task(store, "link checks", "b/pid:2", NOW, LEASE)
    finish_task(store, "link checks", NOW + timedelta(hours=6), "checked 10 links", NOW)
    assert not claim_task(store, "link checks", "b/pid:2", NOW + LEASE, LEASE)  # not due yet
    assert task_next_runs(store) == {"link checks": NOW + timedelta(hours=6)}
    assert claim_task(store, "link checks", "b/pid:2", NOW + timedelta(hours=6), LEASE)
