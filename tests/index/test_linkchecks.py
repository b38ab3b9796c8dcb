"""Link checks in the store, on SQLite and on a real PostgreSQL server: links follow the records, states and
a bounded history are written in batches, and the report functions count and list them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from index.linkchecks import (
    CheckWrite,
    broken_links,
    due_links,
    finish_run,
    last_run,
    link_counts,
    link_counts_by_source,
    link_history,
    link_states,
    link_statuses,
    record_link_states,
    records_using,
    reindex_records,
    save_checks,
    start_run,
    sync_links,
)
from index.store import Conflict, NewSource, RecordWrite, Store

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path}/store.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    opened = Store(url)
    opened.migrate()
    yield opened
    opened.close()


def write(source_id: int, identifier: str, *urls: tuple[str, str], hash_: str = "h1") -> RecordWrite:
    distribution: list[dict[str, Any]] = [{field: url} for field, url in urls]
    return RecordWrite(
        id=f"{source_id}-{identifier}",
        source_id=source_id,
        original_identifier=identifier,
        content_hash=hash_,
        source_record=b"{}",
        dataset={"identifier": identifier, "title": f"T {identifier}", "distribution": distribution},
        datajson=b"{}",
        export_problems={},
        issues=[],
        title=f"T {identifier}",
        modified_at=None,
    )


def ids_by_url(store: Store) -> dict[str, int]:
    return {link.url: link.id for link in due_links(store)}


def test_links_follow_the_records(store: Store) -> None:
    source = store.add_source(NewSource("a", "datajson", "https://a.gov/data.json"), T0)
    shared = "https://files.a.gov/shared.csv"
    store.write_records(
        [
            write(source.id, "r1", ("downloadURL", "https://files.a.gov/1.csv"), ("accessURL", shared)),
            write(source.id, "r2", ("downloadURL", shared)),
            write(source.id, "r3"),
        ],
        [],
        T0,
    )
    assert sync_links(store).records == 3
    assert sorted(ids_by_url(store)) == ["https://files.a.gov/1.csv", shared]  # a link shared by two is one row
    assert sync_links(store).records == 0  # nothing changed: nothing read again

    store.write_records([], [write(source.id, "r1", ("downloadURL", "https://files.a.gov/1b.csv"), hash_="h2")], T0)
    store.withdraw_missing(source.id, {"1-r1", "1-r3"}, T0)  # r2 (the other user of the shared link) is gone
    synced = sync_links(store)
    assert (synced.records, synced.removed) == (1, 1)
    assert sorted(ids_by_url(store)) == ["https://files.a.gov/1b.csv"]  # unused links are dropped


def test_checks_are_written_in_a_batch_with_a_bounded_history(store: Store) -> None:
    source = store.add_source(NewSource("a", "datajson", "https://a.gov/data.json"), T0)
    urls = [f"https://files.a.gov/{i}.csv" for i in range(3)]
    store.write_records([write(source.id, f"r{i}", ("downloadURL", u)) for i, u in enumerate(urls)], [], T0)
    sync_links(store)
    ids = ids_by_url(store)
    for day in range(4):
        at = T0 + timedelta(days=day)
        batch = [CheckWrite(ids[u], at, "ok", 200, method="HEAD", etag=f'"{day}"') for u in urls[:2]]
        batch.append(CheckWrite(ids[urls[2]], at, "broken", 404, method="HEAD", message="HTTP 404"))
        save_checks(store, batch, keep=3)
    history = link_history(store, urls[0])
    assert [h.checked_at for h in history] == [T0 + timedelta(days=d) for d in (3, 2, 1)]
    assert link_statuses(store, urls)[urls[2]].status == "broken"
    assert {link.url: link.etag for link in due_links(store)} == {urls[0]: '"3"', urls[1]: '"3"', urls[2]: None}
    assert due_links(store, checked_before=T0 + timedelta(days=3)) == []
    assert len(due_links(store, checked_before=T0 + timedelta(days=4))) == 3


def test_counts_and_broken_links_per_source(store: Store) -> None:
    one = store.add_source(NewSource("one", "datajson", "https://a.gov/data.json"), T0)
    two = store.add_source(NewSource("two", "datajson", "http://10.0.0.5/data.json", allow_private=True), T0)
    store.write_records(
        [
            write(one.id, "a", ("downloadURL", "https://a.gov/a.csv"), ("accessURL", "https://a.gov/gone")),
            write(two.id, "b", ("downloadURL", "http://10.0.0.5/b.csv")),
        ],
        [],
        T0,
    )
    sync_links(store)
    ids = ids_by_url(store)
    save_checks(
        store,
        [
            CheckWrite(ids["https://a.gov/a.csv"], T0, "ok", 200),
            CheckWrite(ids["https://a.gov/gone"], T0, "broken", 410, message="HTTP 410"),
            CheckWrite(ids["http://10.0.0.5/b.csv"], T0, "redirected", 301, final_url="http://10.0.0.5/c.csv"),
        ],
    )
    assert link_counts(store, source_id=one.id) == {"ok": 1, "redirected": 0, "broken": 1, "unchecked": 0}
    assert link_counts_by_source(store)[two.id]["redirected"] == 1
    [gone] = broken_links(store, source_id=one.id)
    assert (gone.source, gone.field, gone.http_status, gone.position) == ("one", "accessURL", 410, 1)
    assert broken_links(store, source_id=two.id) == []
    assert [b.status for b in broken_links(store, states=("broken", "redirected"))] == ["broken", "redirected"]
    assert record_link_states(store, [f"{one.id}-a", f"{two.id}-b", "nope"]) == {
        f"{one.id}-a": {"ok": 1, "redirected": 0, "broken": 1, "unchecked": 0},
        f"{two.id}-b": {"ok": 0, "redirected": 1, "broken": 0, "unchecked": 0},
    }
    assert records_using(store, ["https://a.gov/gone", "http://10.0.0.5/b.csv"]) == [f"{one.id}-a", f"{two.id}-b"]
    assert link_states(store, ["https://a.gov/gone", "https://a.gov/new"]) == {
        "https://a.gov/gone": "broken",
        "https://a.gov/new": "unchecked",
    }
    store.mark_indexed([(f"{one.id}-a", "h1"), (f"{two.id}-b", "h1")])
    reindex_records(store, [f"{one.id}-a"])
    assert store.pending_index_ids() == [f"{one.id}-a"]
    private = {link.url: link.allow_private for link in due_links(store)}
    assert private == {"https://a.gov/a.csv": False, "https://a.gov/gone": False, "http://10.0.0.5/b.csv": True}


def test_one_pass_at_a_time_anywhere(store: Store) -> None:
    first = start_run(store, T0, None, stale_before=T0)
    with pytest.raises(Conflict, match="a link-check pass is under way"):
        start_run(store, T0 + timedelta(minutes=1), "a", stale_before=T0)
    finish_run(store, first, "finished", {"checked": 3}, T0 + timedelta(minutes=2))
    second = start_run(store, T0 + timedelta(minutes=3), None, stale_before=T0)
    later = T0 + timedelta(hours=1)
    third = start_run(store, later, None, stale_before=later - timedelta(minutes=10))  # the second went silent
    newest = last_run(store, finished=False)
    assert newest is not None
    assert (newest.id, newest.running) == (third, True)
    statuses = {run.id: run.status for run in _runs(store)}
    assert statuses == {first: "finished", second: "abandoned", third: "running"}


def _runs(store: Store) -> list[Any]:
    from sqlalchemy import select

    from index.tables import link_check_runs

    with store.engine.connect() as connection:
        return list(connection.execute(select(link_check_runs)))
