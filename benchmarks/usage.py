"""What counting usage costs: one count on a request's path, one flush, and a dataset page with counting
on and off.

    python -m benchmarks.usage              # 20,000 counts, a flush of 5,000 keys, 300 page loads each way

Page loads alternate between counting off and on in one app (one request each in turn), so both see the
same caches and the same load on the machine.

Counting must never slow a page noticeably: a count only adds to a dict under a lock; the store and the
index are written by the flusher thread, off the request's path. Figures are wall-clock on a shared
machine: compare the two page rows with each other, not with another machine.
"""

from __future__ import annotations

import argparse
import contextlib
import io
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


def page_times(folder: Path, loads: int) -> dict[bool, list[float]]:
    """Dataset page loads with counting off and on, interleaved in one app (the same caches and data)."""
    app = create_app(_settings(folder, True))
    services = app.state.services
    counter = app.state.usage
    times: dict[bool, list[float]] = {False: [], True: []}
    with TestClient(app, headers={"User-Agent": BROWSER}) as client:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            harvest_demo(services)
        rows = list(services.store.iter_records(live=True))[:20]
        paths = [f"/dataset/{slug_path(r.title, r.id)}" for r in rows]
        for path in paths:  # warm
            client.get(path)
        for i in range(2 * loads):
            counting = i % 2 == 1
            app.state.usage = counter if counting else None
            started = time.perf_counter()
            assert client.get(paths[i // 2 % len(paths)]).status_code == 200
            times[counting].append(time.perf_counter() - started)
        app.state.usage = counter
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
    with tempfile.TemporaryDirectory() as folder:
        measured = page_times(Path(folder), args.loads)
    for counting, times in measured.items():
        label = "on " if counting else "off"
        median, p95 = statistics.median(times), sorted(times)[int(len(times) * 0.95)]
        print(f"dataset page, counting {label}: median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")


if __name__ == "__main__":
    main()
