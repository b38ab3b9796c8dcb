"""The worker for real, with an injected clock: loopback sources over HTTP, a store on disk.

* a source that changes between runs: the worker harvests it when its schedule comes round, not before,
  and the second run picks up the change;
* a source that keeps failing backs off (exponentially, capped) and is flagged in `source list`, the API,
  the source pages and `doctor`; one success clears the flag;
* a worker killed with SIGKILL mid-job: the next worker start marks the job failed, and the next run
  starts clean and succeeds;
* periodic tasks with their own schedules, run by one worker per scheduled time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.cli import main
from catalog_api.doctor import check_schedules
from catalog_api.services import Services, build_services
from catalog_api.settings import Settings
from catalog_api.worker import PeriodicTask, Worker, default_tasks
from index.schedules import task_next_runs
from index.search.base import SearchQuery
from index.store import NewSource
from tests.conftest import make_settings
from tests.support.httpserver import LoopbackServer, Route

ROOT = Path(__file__).resolve().parents[2]
START = datetime.now(UTC).replace(microsecond=0)
HOUR = timedelta(hours=1)


class Clock:
    """The time every schedule decision reads; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


def catalog(count: int, revision: int = 0) -> bytes:
    datasets = [
        {
            "identifier": f"ds-{i}",
            "title": f"Dataset {i} (revision {revision})",
            "description": f"Record {i}, revision {revision}.",
            "keyword": ["test"],
            "modified": "2026-01-01",
            "publisher": {"name": "Agency"},
            "contactPoint": {"fn": "Data team", "hasEmail": "mailto:data@example.gov"},
            "accessLevel": "public",
        }
        for i in range(count)
    ]
    return json.dumps({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": datasets}).encode()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        database_url=f"sqlite:///{tmp_path}/worker.db", index_path=str(tmp_path / "index.db"), harvest_retries=0
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    built = build_services(settings, clock)
    yield built
    built.close()


def add(services: Services, name: str, url: str, schedule: str | None) -> None:
    services.store.add_source(NewSource(name, "datajson", url, allow_private=True, schedule=schedule), START)


def titles(services: Services, name: str) -> set[str]:
    source = services.store.get_source(name)
    return {r.title for r in services.store.iter_records(source_id=source.id)}


def test_the_worker_harvests_when_due_and_picks_up_a_change(
    services: Services, settings: Settings, clock: Clock, http_server: LoopbackServer
) -> None:
    route = Route(body=catalog(3))
    add(services, "changing", http_server.route("/changing.json", route), "PT6H")
    add(services, "manual", http_server.route("/manual.json", Route(body=catalog(2))), None)
    worker = Worker(services, default_tasks(settings))

    worker.run_once()
    assert [r.source for r in worker.harvested] == ["changing"]  # never harvested: due at once
    assert titles(services, "changing") == {f"Dataset {i} (revision 0)" for i in range(3)}
    assert services.store.get_source("changing").next_run_at == START + 6 * HOUR

    route.body = catalog(4, revision=1)  # the source changes: one record more, every title new
    clock.advance(6 * HOUR - timedelta(seconds=1))
    worker.run_once()
    assert worker.harvested == []  # not due yet
    assert len(http_server.seen("/changing.json")) == 1

    clock.advance(timedelta(seconds=1))
    worker.run_once()
    [report] = worker.harvested
    assert (report.source, report.status, report.new, report.updated) == ("changing", "succeeded", 1, 3)
    assert titles(services, "changing") == {f"Dataset {i} (revision 1)" for i in range(4)}
    assert services.store.get_source("changing").next_run_at == START + 12 * HOUR
    assert services.index.search(SearchQuery(text="revision")).total == 4  # and searchable
    clock.advance(6 * HOUR)
    worker.run_once()
    assert worker.harvested[0].status == "unchanged"  # HTTP 304: the same catalog
    assert http_server.seen("/manual.json") == []  # on demand only


def _cli_json(settings: Settings) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["source", "list", "--json"], env={"NUTMEG_DATABASE_URL": settings.database_url})
    assert result.exit_code == 0, result.output
    return {item["name"]: item for item in json.loads(result.output)}


def test_a_failing_source_backs_off_is_flagged_everywhere_and_recovers(
    services: Services, settings: Settings, clock: Clock, http_server: LoopbackServer
) -> None:
    route = Route(body=b"oops", status=500)
    add(services, "flaky", http_server.route("/flaky.json", route), "PT1H")
    worker = Worker(services, default_tasks(settings))
    planned = []
    for _ in range(4):
        clock.now = services.store.get_source("flaky").next_run_at or clock.now
        worker.run_once()
        assert worker.harvested[0].status == "failed"
        source = services.store.get_source("flaky")
        planned.append(source.next_run_at - clock.now)  # type: ignore[operator]
    assert planned == [HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR]  # exponential
    assert services.store.get_source("flaky").consecutive_failures == 4

    clock.advance(7 * HOUR)
    worker.run_once()
    assert worker.harvested == []  # backing off: not tried before its time
    assert len(http_server.seen("/flaky.json")) == 4

    listed = _cli_json(settings)["flaky"]
    assert (listed["failing"], listed["consecutive_failures"]) == (True, 4)
    assert datetime.fromisoformat(listed["next_run_at"]) == clock.now + HOUR
    table = CliRunner().invoke(main, ["source", "list"], env={"NUTMEG_DATABASE_URL": settings.database_url})
    assert "FAILING" in table.output
    with TestClient(create_app(settings, services)) as client:
        api = client.get("/api/v1/sources/flaky").json()
        assert (api["failing"], api["consecutive_failures"]) == (True, 4)
        assert datetime.fromisoformat(api["next_run_at"]) == clock.now + HOUR
        page = client.get("/source/flaky").text
        assert "Failing:" in page
        assert "the last 4 harvests failed in a row" in page
        assert "failing (4 in a row)" in client.get("/source").text
    finding = check_schedules(services.store, settings, clock.now)
    assert not finding.ok
    assert finding.details == (f"flaky: 4 failed runs in a row; next try {clock.now + HOUR:%Y-%m-%d %H:%M} UTC",)

    route.status, route.body = 200, catalog(2)  # fixed
    clock.advance(HOUR)
    worker.run_once()
    assert worker.harvested[0].status == "succeeded"
    source = services.store.get_source("flaky")
    assert (source.consecutive_failures, source.next_run_at) == (0, clock.now + HOUR)
    assert _cli_json(settings)["flaky"]["failing"] is False
    assert check_schedules(services.store, settings, clock.now).ok


def test_a_failing_nightly_source_skips_nights_up_to_the_cap(
    services: Services, settings: Settings, clock: Clock, http_server: LoopbackServer
) -> None:
    add(services, "nightly", http_server.route("/n.json", Route(body=b"", status=404)), "30 2 * * *")
    worker = Worker(services, default_tasks(settings))
    nights = []
    for _ in range(6):
        worker.run_once()
        assert worker.harvested[0].status == "failed"
        after = services.store.get_source("nightly").next_run_at
        assert after is not None
        assert (after.hour, after.minute) == (2, 30)  # always on the schedule's own time
        nights.append(round((after - clock.now) / timedelta(days=1)))
        clock.now = after
    assert nights[1:] == [2, 4, 8, 8, 8]  # skips 1, 3, then capped a week past the normal night


def test_periodic_tasks_run_on_their_own_schedule_by_one_worker_at_a_time(
    services: Services, settings: Settings, clock: Clock
) -> None:
    ran: list[str] = []

    def task(name: str) -> Callable[[Worker], str | None]:
        def run(worker: Worker) -> str:
            ran.append(worker.name)
            return f"checked by {worker.name}"

        return run

    def tasks(name: str) -> list[PeriodicTask]:
        return [*default_tasks(settings), PeriodicTask("link checks", task(name), "PT6H")]

    first = Worker(services, tasks("a"), name="node-a/pid:1")
    second = Worker(services, tasks("b"), name="node-b/pid:2")
    results = first.run_once()
    assert [r.task for r in results] == ["harvests", "index catch-up", "link checks"]
    assert results[-1].message == "checked by node-a/pid:1"
    assert [r.task for r in second.run_once()] == ["harvests", "index catch-up"]  # not due again yet
    assert task_next_runs(services.store)["link checks"] == START + 6 * HOUR
    clock.advance(6 * HOUR)
    second.run_once()
    first.run_once()
    assert ran == ["node-a/pid:1", "node-b/pid:2"]


def test_a_task_that_raises_does_not_stop_the_others(services: Services, settings: Settings) -> None:
    def broken(worker: Worker) -> str:
        raise RuntimeError("a bug")

    worker = Worker(services, [PeriodicTask("broken", broken, "PT1H"), *default_tasks(settings)])
    results = worker.run_once()
    assert [(r.task, r.failed) for r in results] == [("broken", True), ("harvests", False), ("index catch-up", False)]


# -- a worker killed mid-job -------------------------------------------------------------------------------


def _wait(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_a_worker_killed_mid_job_is_failed_at_the_next_start_and_the_next_run_starts_clean(
    services: Services, settings: Settings, clock: Clock, http_server: LoopbackServer, tmp_path: Path
) -> None:
    route = Route(body=catalog(2000), conditional=False, chunk_delay=0.05)
    add(services, "slow", http_server.route("/slow.json", route), "PT1H")
    env = {
        **os.environ,
        "NUTMEG_DATABASE_URL": settings.database_url,
        "NUTMEG_INDEX_PATH": str(tmp_path / "index.db"),
        "NUTMEG_HARVEST_ALLOW_PRIVATE": "1",
        "NUTMEG_HARVEST_WORKERS": "1",
        "NUTMEG_HARVEST_BATCH": "100",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "catalog_api.cli", "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    source = services.store.get_source("slow")
    try:
        _wait(lambda: services.store.list_jobs(source.id), 60, "the worker to start the job")
        _wait(lambda: services.store.live_count(source.id) > 0, 60, "the job to write")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    [job] = services.store.list_jobs(source.id)
    assert job.status == "running"
    claimed = services.store.get_source("slow")
    assert claimed.next_run_at is None  # never planned: the job did not end

    route.chunk_delay = 0
    clock.now = datetime.now(UTC)
    worker = Worker(services, default_tasks(settings))
    assert worker.start() == [f"job {job.id} of slow was left running (process {process.pid} is gone); marked failed"]
    assert services.store.get_job(job.id).status == "failed"
    after = services.store.get_source("slow")
    assert after.consecutive_failures == 1
    assert after.next_run_at == job.started_at + HOUR  # planned from the killed run's start
    assert 0 < services.store.live_count(source.id) < 2000  # what it wrote stays; nothing was withdrawn

    clock.now = after.next_run_at
    worker.run_once()
    [report] = worker.harvested
    assert (report.status, report.new + report.updated + report.unchanged) == ("succeeded", 2000)
    clean = services.store.get_source("slow")
    assert (clean.consecutive_failures, clean.next_run_at) == (0, clock.now + HOUR)
    assert services.store.live_count(source.id) == 2000
    assert services.store.running_jobs() == []
