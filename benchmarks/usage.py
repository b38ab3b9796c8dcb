"""What counting usage costs: one count on a request's path, one flush, and a dataset page with counting
on and off.

    python -m benchmarks.usage              # 20,000 counts, a flush of 5,000 keys, 300 page loads each way

Counting must never slow a page noticeably: a count only adds to a dict under a lock; the store and the
index are written by the flusher thread, off the request's path. Figures are wall-clock on a shared
machine: compare the two page rows with each other, not with another machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from starlette.requests import Request

from catalog_api.app import create_app
from catalog_api.cli import harvest_demo
from catalog_api.settings import Settings
from catalog_api.usage import UsageCounter
from index.ids import slug_path
from index.usage import CountKey, add_counts

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"


def _request() -> Request:
    scope = {"type": "http", "method": "GET", "headers": [(b"user-agent", BROWSER.encode())], "path": "/"}
    return Request(scope)


def _settings(folder: Path, counting: bool) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{folder}/nutmeg.db",
        demo_root=str(Path(__file__).resolve().parents[1] / "catalog_api" / "demo"),
        usage_counting=counting,
        usage_flush_seconds=1.0,
    )


def count_cost(counter: UsageCounter, n: int) -> float:
    request = _request()
    started = time.perf_counter()
    for i in range(n):
        counter.count(request, f"id{i % 500}", "view")
    return (time.perf_counter() - started) / n


def flush_cost(counter: UsageCounter, keys: int) -> float:
    today = datetime.now(UTC).date()
    batch: dict[CountKey, int] = {(f"id{i % 1000}", today - timedelta(days=i // 1000), "view"): 1 for i in range(keys)}
    add_counts(counter.store, batch)  # the first write of each row (later flushes add to it)
    started = time.perf_counter()
    add_counts(counter.store, batch)
    return time.perf_counter() - started


def page_times(folder: Path, counting: bool, loads: int) -> list[float]:
    app = create_app(_settings(folder, counting))
    services = app.state.services
    with TestClient(app, headers={"User-Agent": BROWSER}) as client:
        if not services.store.live_count():
            harvest_demo(services)
        rows = list(services.store.iter_records(live=True))[:20]
        paths = [f"/dataset/{slug_path(r.title, r.id)}" for r in rows]
        for path in paths:  # warm
            client.get(path)
        times = []
        for i in range(loads):
            started = time.perf_counter()
            assert client.get(paths[i % len(paths)]).status_code == 200
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, default=20_000)
    parser.add_argument("--keys", type=int, default=5_000)
    parser.add_argument("--loads", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(_settings(Path(folder), True))
        counter: UsageCounter = app.state.usage
        counter._stop.set()  # measure count() alone: no flusher thread
        print(f"count() on the request's path: {count_cost(counter, args.counts) * 1e6:.2f} µs each")
        print(f"flush of {args.keys:,} (dataset, day) keys into SQLite: {flush_cost(counter, args.keys) * 1000:.0f} ms")
        app.state.services.close()
    for counting in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            times = page_times(Path(folder), counting, args.loads)
        label = "on " if counting else "off"
        median, p95 = statistics.median(times), sorted(times)[int(len(times) * 0.95)]
        print(f"dataset page, counting {label}: median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")


if __name__ == "__main__":
    main()
