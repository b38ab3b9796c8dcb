"""The quality store (problems over live records, the daily history) on SQLite and a real PostgreSQL
server: a real harvest of Seattle's 2013 data.json, then the counts, the grouping and two days kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from catalog_api.reports import problem_tally
from catalog_api.services import Services, build_services
from index.quality import averages, history, keep_today, problem_count, problem_rows
from tests.conftest import DATA, add_source, make_settings
from tests.support.httpserver import LoopbackServer, Route

DAY = datetime(2020, 1, 2, 12, tzinfo=UTC)  # before the harvest's own day (the runner's real clock)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    url = f"sqlite:///{tmp_path}/store.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    built = build_services(make_settings(database_url=url))
    with LoopbackServer() as server:
        body = DATA / "datajson/socrata-v1.0-2013-data.seattle.gov.json"
        add_source(built, "seattle", server.route("/s.json", Route(body=body)))
        assert built.runner.harvest("seattle").ok
        yield built
    built.close()


def test_problems_over_live_records(services: Services) -> None:
    source = services.store.get_source("seattle")
    rows = [row for batch in problem_rows(services.store, source_id=source.id, batch=50) for row in batch]
    assert len(rows) == services.store.live_count(source.id)
    assert [r.export.id for r in rows] == sorted(r.export.id for r in rows)
    counted = problem_count(services.store, source.id)
    tally = problem_tally(services, source_id=source.id)
    assert counted.records == len(tally.records | tally.repaired_records)
    assert counted.problems == tally.problems + tally.repairs > 1000


def test_two_days_kept_and_the_last_write_of_a_day_wins(services: Services) -> None:
    keep_today(services.store, services.index, DAY - timedelta(days=1))
    keep_today(services.store, services.index, DAY)
    keep_today(services.store, services.index, DAY)
    kept = history(services.store)[:2]
    assert [d.day for d in kept] == [(DAY - timedelta(days=1)).date(), DAY.date()]
    [source] = averages(services.index, "source")
    assert kept[-1].average == pytest.approx(source.mean)
    assert kept[-1].datasets == source.count == services.store.live_count()
    by_source = history(services.store, "source:seattle", since=DAY.date())
    assert (by_source[0].day, by_source[0].datasets) == (DAY.date(), source.count)
    assert len(by_source) == 2  # that day, and the harvest's
