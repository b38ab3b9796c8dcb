"""Usage counts and core datasets in the store, on SQLite and on a real PostgreSQL server: additive
batches from several processes, the 30-day window, popularity, the CSV rows, and core marks."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from index.core import core_ids, core_of, list_core, mark_core, relied_on_by, unmark_core
from index.governance import NewOrganization, add_organization, get_organization
from index.ids import record_id
from index.store import NewSource, NotFound, RecordWrite, Store
from index.usage import CountKey, add_counts, daily_rows, daily_totals, most_used, popularity, recently_used, usage_of

TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store(store_url)
    opened.migrate()
    yield opened
    opened.close()


def _records(store: Store, *titles: str) -> list[str]:
    source = store.add_source(NewSource("s", "datajson", "https://x.test/data.json"), NOW)
    writes = [
        RecordWrite(
            id=record_id("s", title),
            source_id=source.id,
            original_identifier=title,
            content_hash=f"h-{title}",
            source_record=b"{}",
            dataset={"identifier": title, "title": title},
            datajson=b"{}",
            export_problems={},
            issues=[],
            title=title,
            modified_at=NOW,
        )
        for title in titles
    ]
    store.write_records(writes, [], NOW)
    return [w.id for w in writes]


def test_usage_tables_hold_no_visitor_columns(store: Store) -> None:
    columns = {c["name"] for c in inspect(store.engine).get_columns("usage_daily")}
    assert columns == {"dataset_id", "day", "kind", "count"}


def test_batches_add_up_and_figures_follow_the_window(store: Store) -> None:
    a, b = _records(store, "Alpha", "Beta")
    add_counts(store, {(a, TODAY, "view"): 2, (a, TODAY - timedelta(days=29), "view"): 3, (b, TODAY, "api"): 4})
    add_counts(store, {(a, TODAY, "view"): 5, (a, TODAY - timedelta(days=30), "view"): 7, (a, TODAY, "download"): 1})
    figures = usage_of(store, a, TODAY)
    assert (figures.views.last_30_days, figures.views.all_time) == (10, 17)  # day 30 back left the window
    assert (figures.downloads.last_30_days, figures.downloads.all_time) == (1, 1)
    assert (figures.api.last_30_days, figures.api.all_time) == (0, 0)
    assert usage_of(store, b, TODAY).api.last_30_days == 4
    assert popularity(store, [a, b, "unknown"], TODAY) == {a: 11}  # API requests do not rank
    assert set(recently_used(store, TODAY)) == {a, b}
    assert [(r.id, r.count) for r in most_used(store, TODAY)] == [(a, 11)]
    assert daily_totals(store, TODAY, 2)[TODAY] == {"view": 7, "api": 4, "download": 1}


def test_daily_rows_side_by_side_and_filtered(store: Store) -> None:
    a, b = _records(store, "Alpha", "Beta")
    yesterday = TODAY - timedelta(days=1)
    add_counts(
        store, {(b, TODAY, "view"): 1, (a, TODAY, "api"): 2, (a, TODAY, "view"): 3, (a, yesterday, "download"): 4}
    )
    rows = [(r.day, r.dataset_id, r.title, r.views, r.api, r.downloads) for r in daily_rows(store)]
    expected = sorted([(yesterday, a, "Alpha", 0, 0, 4), (TODAY, a, "Alpha", 3, 2, 0), (TODAY, b, "Beta", 1, 0, 0)])
    assert rows == expected
    assert [r.dataset_id for r in daily_rows(store, since=TODAY, dataset_id=a)] == [a]
    assert list(daily_rows(store, until=yesterday - timedelta(days=1))) == []


def _count_in_a_process(url: str, ids: list[str], seed: int) -> int:
    """One server process: many small batches of counts, each flushed as the counter would."""
    import random

    rng = random.Random(seed)
    opened = Store(url)
    total = 0
    try:
        for _ in range(40):
            batch: Counter[CountKey] = Counter()
            for _ in range(rng.randint(1, 20)):
                batch[(rng.choice(ids), TODAY, "view")] += 1
            add_counts(opened, batch)
            total += sum(batch.values())
    finally:
        opened.close()
    return total


def test_several_processes_flushing_at_once_lose_nothing(store: Store, store_url: str) -> None:
    ids = _records(store, "Alpha", "Beta", "Gamma")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(3, mp_context=context) as pool:
        totals = list(pool.map(_count_in_a_process, [store_url] * 3, [ids] * 3, [1, 2, 3]))
    stored = sum(usage_of(store, i, TODAY).views.all_time for i in ids)
    assert stored == sum(totals) > 100


def test_core_marks_users_and_lists(store: Store) -> None:
    school, parcels, budget = _records(store, "School locations", "Parcels", "Budget")
    for slug in ("education", "health", "planning"):
        add_organization(store, NewOrganization(slug, slug.title()), NOW)
    with pytest.raises(NotFound):
        mark_core(store, school, ["education", "nobody"], None, "cdo", NOW)
    assert core_of(store, school) is None  # nothing changed
    mark_core(store, school, ["education", "health", "planning"], "every agency maps schools", "cdo", NOW)
    mark_core(store, parcels, ["planning"], None, "cdo", NOW)
    mark_core(store, budget, [], None, "cdo", NOW)
    row = core_of(store, school)
    assert row is not None
    assert [u.slug for u in row.used_by] == ["education", "health", "planning"]
    assert row.marked_at == NOW
    assert core_ids(store) == {school, parcels, budget}
    assert next(r.dataset_id for r in list_core(store)) == school
    relied = relied_on_by(store, get_organization(store, "planning").id)
    assert [(r.title, r.users) for r in relied] == [("School locations", 3), ("Parcels", 1)]
    mark_core(store, school, ["health"], None, "cdo", NOW)  # the list is replaced
    assert [r.title for r in relied_on_by(store, get_organization(store, "planning").id)] == ["Parcels"]
    assert unmark_core(store, parcels)
    assert not unmark_core(store, parcels)
    assert relied_on_by(store, get_organization(store, "planning").id) == []
