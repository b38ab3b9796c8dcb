"""Several workers share one real PostgreSQL and never harvest one source at once.

Two ``nutmeg worker`` processes start together against one PostgreSQL store and a set of slow loopback
sources (each request takes a second, so a second harvest of a source would overlap the first): each
source is harvested exactly once, by one of them, the two share the work, and no two jobs of a source
ever overlap. A ``nutmeg harvest`` of a source a worker is harvesting is refused; so is a second job
opened straight in the store while one runs (the partial unique index).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from catalog_api.cli import main
from index.store import Conflict, NewSource, Store
from tests.catalog_api.test_worker import catalog
from tests.support.httpserver import LoopbackServer, Route

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SOURCES = 6
DELAY = 1.0  # seconds each request of a source takes


def _wait(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _worker(url: str, index: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NUTMEG_DATABASE_URL": url,
        "NUTMEG_INDEX_PATH": str(index),
        "NUTMEG_HARVEST_ALLOW_PRIVATE": "1",
        "NUTMEG_HARVEST_WORKERS": "1",
        "NUTMEG_HARVEST_RETRIES": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "catalog_api.cli", "worker", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_two_workers_share_the_sources_and_never_harvest_one_twice(
    postgres_url: str, http_server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(postgres_url)
    store.migrate()
    now = datetime.now(UTC)
    for n in range(SOURCES):
        delay = 5 * DELAY if n == 0 else DELAY  # s0 runs long enough for `nutmeg harvest s0` to meet it
        url = http_server.route(f"/s{n}.json", Route(body=catalog(5), delay=delay, conditional=False))
        store.add_source(NewSource(f"s{n}", "datajson", url, allow_private=True, schedule="PT1H"), now)
    ids = {s.id: s.name for s in store.list_sources()}

    workers = [_worker(postgres_url, tmp_path / f"index-{n}.db") for n in range(2)]
    try:
        _wait(lambda: "s0" in _running(store), 60, "a worker to be harvesting s0")
        monkeypatch.setenv("NUTMEG_DATABASE_URL", postgres_url)
        refused = CliRunner().invoke(main, ["harvest", "s0"])  # `nutmeg harvest` while a worker runs it
        assert "s0" in _running(store)  # (still: the refusal was not a race lost to its end)
        _wait(lambda: all(_finished(store, ids, name) for name in ids.values()), 120, "every source harvested")
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            process.wait(timeout=60)

    assert refused.exit_code == 1
    assert "of this source is still running" in refused.output
    owners: set[str] = set()
    for source_id, name in ids.items():
        jobs = store.list_jobs(source_id)
        assert [j.status for j in jobs] == ["succeeded"], (name, jobs)  # exactly once, and it succeeded
        assert len(http_server.seen(f"/{name}.json")) == 1  # one request: never a second, overlapping harvest
        owners.update(j.owner.rsplit("/pid:", 1)[1] for j in jobs if j.owner)
        assert store.get_source(name).next_run_at == jobs[0].started_at + timedelta(hours=1)  # planned
    assert owners == {str(p.pid) for p in workers}  # both shared the work
    assert store.running_jobs() == []
    store.close()


def _finished(store: Store, ids: dict[int, str], name: str) -> bool:
    """A job of the source ended and its next run is planned (the worker's last step for it)."""
    source_id = next(i for i, n in ids.items() if n == name)
    ended = any(j.finished_at is not None for j in store.list_jobs(source_id))
    return ended and store.get_source(name).next_run_at is not None


def _running(store: Store) -> set[str]:
    return {name for _, name in store.running_jobs()}


def test_a_second_job_of_a_source_cannot_open_while_one_runs(postgres_url: str) -> None:
    store = Store(postgres_url)
    store.migrate()
    now = datetime.now(UTC)
    source = store.add_source(NewSource("s", "datajson", "https://example.gov/data.json"), now)
    first = store.start_job(source.id, now, owner="node-a/pid:1")
    with pytest.raises(Conflict, match=f"job {first} of this source is still running"):
        store.start_job(source.id, now, owner="node-b/pid:2")
    store.end_running_job(first, "failed", "test", now)
    store.start_job(source.id, now, owner="node-b/pid:2")
    store.close()
