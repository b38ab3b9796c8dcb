"""Jobs under faults, for real: a source that crashes its harvester, a harvest killed with SIGKILL, a
job cancelled while it runs.

* a harvester raising something that is not a ``SourceError`` fails its own job (our words in the job, the
  detail in the log) and ``harvest --all`` / ``worker`` go on to the next source;
* a harvest process killed mid-job leaves its job ``running``: ``doctor`` reports it, its mapping worker
  processes die with it, and the next harvest marks it failed and runs;
* ``nutmeg job cancel`` ends a running job; the harvest stops at its next record and withdraws nothing.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from catalog_api.cli import main
from catalog_api.harvesting import HarvestReport
from catalog_api.jobs import reap, stuck_jobs
from catalog_api.services import Services, build_services
from harvesters import registry
from harvesters.base import HarvestItem, HarvestRun, HarvestState
from harvesters.datajson import DataJsonHarvester
from index.schedules import record_run
from index.store import Conflict, NewSource, Store
from index.tables import records
from tests.conftest import make_settings
from tests.support.httpserver import LoopbackServer, Route

ROOT = Path(__file__).resolve().parents[2]


class ExplodingHarvester(DataJsonHarvester):
    """data.json, except that a record whose identifier says "explode" trips a bug (a KeyError, as deep
    HTML once did in extruct) half-way through the listing."""

    kind = "explodes"

    def records(self, state: HarvestState, run: HarvestRun) -> Iterator[HarvestItem]:
        for item in super().records(state, run):
            if item.identifier and "explode" in item.identifier:
                raise KeyError("microdata")
            yield item


def _catalog(count: int, revision: int = 0, extra: list[dict[str, Any]] | None = None) -> bytes:
    datasets = [
        {
            "identifier": f"ds-{i}",
            "title": f"Dataset {i} (revision {revision})",
            "description": f"Record {i} of a catalog, revision {revision}.",
            "keyword": ["test"],
            "modified": "2026-01-01",
            "publisher": {"name": "Agency"},
            "contactPoint": {"fn": "Data team", "hasEmail": "mailto:data@example.gov"},
            "accessLevel": "public",
        }
        for i in range(count)
    ]
    document = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": datasets + (extra or [])}
    return json.dumps(document).encode()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "NUTMEG_DATABASE_URL": f"sqlite:///{tmp_path}/jobs.db",
        "NUTMEG_INDEX_PATH": str(tmp_path / "jobs-index.db"),
        "NUTMEG_HARVEST_ALLOW_PRIVATE": "1",
        "NUTMEG_HARVEST_RETRIES": "0",
        "NUTMEG_HARVEST_BATCH": "100",
        "NUTMEG_HARVEST_WORKERS": "2",
        "NUTMEG_JOB_HEARTBEAT_SECONDS": "0.2",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return values


@pytest.fixture
def exploding_kind() -> Iterator[None]:
    registry.register("explodes", f"{__name__}:ExplodingHarvester")
    yield
    registry._KINDS.pop("explodes")


def _services() -> Services:
    return build_services(
        make_settings(database_url=os.environ["NUTMEG_DATABASE_URL"], index_path=os.environ["NUTMEG_INDEX_PATH"])
    )


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def _hashes(services: Services, name: str) -> dict[str, str]:
    source = services.store.get_source(name)
    return {r.id: r.content_hash for r in services.store.iter_records(source_id=source.id)}


# -- one failing source never stops the others ---------------------------------------------------------


def _register_faulty_sources(server: LoopbackServer) -> tuple[Route, Route]:
    exploding = Route(body=_catalog(30), conditional=False)
    deep = Route(body=b'{"@context": {}, "@graph": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", conditional=False)
    for name, kind, path, route in (
        ("a-explodes", "explodes", "/explodes.json", exploding),
        ("b-deep", "dcat", "/deep.jsonld", deep),
        ("c-good", "datajson", "/good.json", Route(body=_catalog(5), conditional=False)),
    ):
        server.route(path, route)
        code, output = _cli("source", "add", name, server.url(path), "--kind", kind, "--schedule", "PT1H")
        assert code == 0, output
    deep.content_type = "application/ld+json"
    return exploding, deep


@pytest.mark.parametrize("command", [["harvest", "--all"], ["worker", "--once"]])
def test_a_crashing_source_fails_its_job_and_the_next_source_is_harvested(
    env: dict[str, str],
    http_server: LoopbackServer,
    exploding_kind: None,
    command: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    exploding, _ = _register_faulty_sources(http_server)
    code, output = _cli("harvest", "a-explodes")
    assert code == 0, output
    services = _services()
    before = _hashes(services, "a-explodes")
    assert len(before) == 30
    boom = {"identifier": "explode-me", "title": "A record that trips a bug"}
    exploding.body = _catalog(10, extra=[boom])  # the same first ten records, then the bug
    for source in services.store.list_sources():  # all due for the worker
        record_run(services.store, source.id, datetime.now(UTC) - timedelta(minutes=1), 0)

    with caplog.at_level(logging.ERROR, logger="nutmeg"):
        code, output = _cli(*command)

    assert code == (1 if command[0] == "harvest" else 0), output
    jobs = {s.name: services.store.list_jobs(s.id)[0] for s in services.store.list_sources()}
    assert jobs["c-good"].status == "succeeded"
    assert services.store.live_count(services.store.get_source("c-good").id) == 5
    crashed = jobs["a-explodes"]
    assert crashed.status == "failed"
    assert crashed.message == (
        f"internal error while harvesting (job {crashed.id}; the server log has the detail); nothing was withdrawn"
    )
    assert jobs["b-deep"].status == "failed"
    for job in (crashed, jobs["b-deep"]):
        assert not any(word in (job.message or "") for word in ("KeyError", "RecursionError", "Traceback"))
    logged = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], KeyError)]
    assert logged
    assert f"job {crashed.id}" in logged[0].getMessage()
    assert _hashes(services, "a-explodes") == before  # earlier records untouched, none withdrawn
    services.close()


# -- killed jobs ------------------------------------------------------------------------------------------


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _rewritten(services: Services) -> int:
    """Records the running job has rewritten so far (their titles say revision 1)."""
    query = select(func.count()).select_from(records).where(records.c.title.like("%(revision 1)"))
    with services.store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres])])
def test_a_killed_harvest_is_reported_its_workers_die_and_the_next_harvest_runs(
    env: dict[str, str],
    http_server: LoopbackServer,
    backend: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if backend == "postgres":
        env["NUTMEG_DATABASE_URL"] = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("NUTMEG_DATABASE_URL", env["NUTMEG_DATABASE_URL"])
    route = http_server.route("/slow.json", Route(body=_catalog(3000), conditional=False))
    assert _cli("source", "add", "slow", route)[0] == 0
    assert _cli("harvest", "slow")[0] == 0
    services = _services()
    source = services.store.get_source("slow")
    http_server.routes["/slow.json"] = Route(body=_catalog(3000, revision=1), conditional=False, chunk_delay=0.05)

    harvest = subprocess.Popen(
        [sys.executable, "-m", "catalog_api.cli", "harvest", "slow"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    parent = psutil.Process(harvest.pid)
    try:
        workers = _wait(lambda: [c for c in [parent.children(recursive=True)] if len(c) == 2], 60, "both workers")[0]
        _wait(lambda: _rewritten(services) > 0, 60, "the job to write")
    finally:
        harvest.send_signal(signal.SIGKILL)
        harvest.wait()
    written = _rewritten(services)
    assert len(workers) == 2
    _wait(lambda: all(_gone(w) for w in workers), 10, "the workers to die with their harvest")

    job = services.store.list_jobs(source.id)[0]
    assert job.status == "running"
    assert job.owner is not None
    assert job.owner.endswith(f"/pid:{harvest.pid}")
    code, output = _cli("doctor")
    assert code == 1
    assert "harvest jobs: 1 job(s) marked running whose process is gone" in output
    assert f"job {job.id} of slow" in output
    assert f"process {harvest.pid} is gone" in output
    assert f"nutmeg job cancel {job.id}" in output

    http_server.routes["/slow.json"].chunk_delay = 0
    code, output = _cli("harvest", "slow")
    assert code == 0, output
    assert f"job {job.id} of slow was left running (process {harvest.pid} is gone); marked failed" in output
    killed = services.store.get_job(job.id)
    assert (killed.status, killed.finished_at is not None) == ("failed", True)
    assert (
        killed.message
        == f"abandoned: the process running it stopped (process {harvest.pid} is gone); nothing was withdrawn"
    )
    assert 0 < written < 3000  # killed half-way
    assert services.store.list_jobs(source.id)[0].status == "succeeded"
    assert services.store.live_count(source.id) == 3000
    assert _rewritten(services) == 3000
    assert _cli("doctor")[0] == 0
    services.close()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres])])
def test_a_job_on_another_host_is_taken_as_dead_only_when_its_heartbeat_stops(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else f"sqlite:///{tmp_path}/s.db"
    store = Store(url)
    store.migrate()
    now = datetime.now(UTC)
    source = store.add_source(NewSource(name="s", kind="datajson", url="https://example.gov/data.json"), now)
    job_id = store.start_job(source.id, now - timedelta(minutes=30), owner="elsewhere/pid:1")
    stale = timedelta(seconds=120)

    store.beat(job_id, now - timedelta(seconds=30))
    assert reap(store, now, stale) == []
    with pytest.raises(Conflict, match=f"nutmeg job cancel {job_id}"):
        store.start_job(source.id, now)

    store.beat(job_id, now - timedelta(seconds=121))
    [stuck] = stuck_jobs(store, now, stale)
    assert stuck.reason.startswith("no sign of life since")
    assert [s.job.id for s in reap(store, now, stale)] == [job_id]
    assert store.get_job(job_id).status == "failed"
    assert not store.beat(job_id, now)  # a job ended by someone else learns it at its next beat
    store.start_job(source.id, now)
    store.close()


def test_job_cancel_stops_a_running_harvest_without_withdrawing(
    env: dict[str, str], http_server: LoopbackServer
) -> None:
    extras = [{**json.loads(_catalog(1))["dataset"][0], "identifier": f"extra-{i}"} for i in range(20)]
    url = http_server.route("/c.json", Route(body=_catalog(2000, extra=extras), conditional=False))
    assert _cli("source", "add", "c", url)[0] == 0
    assert _cli("harvest", "c")[0] == 0
    services = _services()
    source = services.store.get_source("c")
    before = _hashes(services, "c")
    http_server.routes["/c.json"] = Route(body=_catalog(2000, revision=1), conditional=False, chunk_delay=0.05)

    reports: list[HarvestReport] = []
    harvest = threading.Thread(target=lambda: reports.append(services.runner.harvest("c")))
    harvest.start()
    job = _wait(
        lambda: next((j for j in services.store.list_jobs(source.id) if j.status == "running"), None), 30, "job"
    )
    code, output = _cli("job", "cancel", str(job.id))
    assert code == 0, output
    assert f"job {job.id} cancelled" in output
    harvest.join(timeout=60)

    [report] = reports
    assert report.status == "cancelled"
    assert report.message == "cancelled by an operator; nothing was withdrawn"
    assert report.new + report.updated + report.unchanged < 2000  # it stopped early
    assert services.store.live_count(source.id) == 2020  # the 20 records the new listing lacks are still live
    assert set(_hashes(services, "c")) == set(before)
    code, output = _cli("job", "cancel", str(job.id))
    assert code == 1
    assert "is not running" in output

    http_server.routes["/c.json"].chunk_delay = 0
    after = services.runner.harvest("c")  # the source is not locked
    assert (after.status, after.withdrawn) == ("succeeded", 20)
    services.close()


def test_a_stale_limit_shorter_than_three_heartbeats_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUTMEG_JOB_HEARTBEAT_SECONDS", "10")
    monkeypatch.setenv("NUTMEG_JOB_STALE_SECONDS", "20")
    code, output = _cli("doctor")
    assert code == 1
    assert "NUTMEG_JOB_STALE_SECONDS='20'" in output
    assert "at least 3 heartbeats" in output
