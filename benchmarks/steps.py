"""One benchmark step per process (see benchmarks/run.py); prints one JSON line of figures."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sqlite3
import sys
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks.run import p, peak_rss_mb
from catalog_api.runtime import tune_collector
from catalog_api.search import SearchParams, run_search
from catalog_api.services import build_services
from catalog_api.settings import Settings
from index.store import Conflict, NewSource


def settings(database: str) -> Settings:
    return Settings(
        database_url=database,
        harvest_allow_private=True,
        default_contact_name="Open Data Team",
        default_contact_email="opendata@example.gov",
        default_access_level="public",
        default_publisher="State of Example",
    )


def harvest(database: str, url: str, full: bool, forget_baseline: bool = False) -> dict[str, Any]:
    """One harvest job; ``forget_baseline``: read the body even when it is the last one's (the way an
    unchanged body went before issue 16's digest, plus the spool)."""
    services = build_services(settings(database))
    with contextlib.suppress(Conflict):
        services.store.add_source(NewSource("bench", "datajson", url), datetime.now(UTC))
    if forget_baseline:
        from index.baselines import clear_baseline

        clear_baseline(services.store, services.store.get_source("bench").id)
    started, main_before, workers_before = time.perf_counter(), _cpu(SELF), _cpu(CHILDREN)
    report = services.runner.harvest("bench", full=full)
    seconds = time.perf_counter() - started
    main_cpu = _cpu(SELF) - main_before
    workers_cpu = _cpu(CHILDREN) - workers_before  # the mapping workers, reaped when the job ends
    done = report.new + report.updated
    return {
        "main_cpu": main_cpu,
        "workers_cpu": workers_cpu,
        "skipped": report.skipped,
        "status": report.status,
        "message": report.message,
        "seconds": seconds,
        "rate": (done or report.unchanged) / seconds,
        "new": report.new,
        "unchanged": report.unchanged,
        "rss_mb": peak_rss_mb(),
    }


SELF, CHILDREN = resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def search(database: str, queries: list[dict[str, Any]]) -> dict[str, Any]:
    services = build_services(settings(database))
    params = [_params(q) for q in queries]
    services.index.warm()  # as a running server has: columns loaded and the collector tuned at start
    tune_collector()
    drop = getattr(services.index, "drop_caches", lambda: None)
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(10):
        for one in params:
            drop()
            cold.append(_timed(services, one))
            warm.append(_timed(services, one))
    floor = _floor_fts(services.settings.resolved_index_path, [q["q"] for q in queries if "q" in q])
    return {
        "p50": p(cold, 0.5),
        "p99": p(cold, 0.99),
        "warm_p50": p(warm, 0.5),
        "warm_p99": p(warm, 0.99),
        "floor_p50": floor,
        "rss_mb": peak_rss_mb(),
    }


def _timed(services: Any, params: SearchParams) -> float:
    started = time.perf_counter()
    run_search(services, params)
    return (time.perf_counter() - started) * 1000


def _params(query: dict[str, Any]) -> SearchParams:
    filters = {k: (v,) for k, v in query.items() if k in ("publisher", "keyword", "theme", "format")}
    since = query.get("modified_since")
    return SearchParams(
        q=query.get("q"),
        filters=filters,
        modified_since=datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None,
        sort=query.get("sort"),
        per_page=20,
    )


def _floor_fts(path: str, words: list[str]) -> float:
    connection = sqlite3.connect(path)
    timings: list[float] = []
    for _ in range(10):
        for word in words:
            match = " ".join(f'"{w.rstrip("*")}"' + ("*" if w.endswith("*") else "") for w in word.split())
            started = time.perf_counter()
            connection.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 20", (match,)).fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return p(timings, 0.5)


def export(database: str) -> dict[str, Any]:
    from catalog_api.exporting import ExportTally, datajson_chunks

    services = build_services(settings(database))
    started = time.perf_counter()
    size = 0
    tally = ExportTally()
    with open(os.devnull, "wb") as sink:
        for chunk in datajson_chunks(services.store, services.settings, tally):
            size += len(chunk)
            sink.write(chunk)
    seconds = time.perf_counter() - started
    floor_started = time.perf_counter()
    rows = sum(len(batch) for batch in services.store.iter_export_rows())
    floor = time.perf_counter() - floor_started
    return {
        "seconds": seconds,
        "mb": size / 1e6,
        "datasets": tally.exported,
        "excluded": len(tally.excluded),
        "rows": rows,
        "floor_seconds": floor,
        "rss_mb": peak_rss_mb(),
    }


def outputs(database: str) -> dict[str, Any]:
    """The DCAT page in the middle of the catalog and the sitemaps, through the app (best of 3)."""
    from fastapi.testclient import TestClient

    from catalog_api.app import create_app

    services = build_services(settings(database))
    with TestClient(create_app(services.settings, services)) as client:
        pages = -(-services.store.live_count() // services.settings.catalog_page_size)
        files = -(-services.store.live_count() // services.settings.sitemap_size)
        paths = {
            "catalog_ttl": f"/catalog.ttl?page={max(1, pages // 2)}",
            "sitemap_index": "/sitemap.xml",
            "sitemap_file": f"/sitemaps/datasets-{max(1, files // 2)}.xml",
        }
        client.get("/catalog.ttl?page=1")  # warm-up: imports, first query
        return {name: min(_get(client, path) for _ in range(3)) for name, path in paths.items()} | {
            "rss_mb": peak_rss_mb()
        }


def _get(client: Any, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
    return time.perf_counter() - started


def reindex(database: str) -> dict[str, Any]:
    """``nutmeg reindex`` as an operator runs it (the whole index rebuilt from the store)."""
    from click.testing import CliRunner

    from catalog_api.cli import main

    started = time.perf_counter()
    done = CliRunner().invoke(main, ["reindex"], env={"NUTMEG_DATABASE_URL": database}, catch_exceptions=False)
    if done.exit_code != 0:
        raise SystemExit(f"reindex failed: {done.output}")
    return {"seconds": time.perf_counter() - started, "rss_mb": peak_rss_mb()}


def stages(path: str) -> dict[str, Any]:
    """The stage table's figures (``benchmarks.stages``), CPU seconds per stage."""
    import tempfile
    from pathlib import Path

    from benchmarks.stages import measure
    from catalog_api.harvesting import fewer_collections

    with tempfile.TemporaryDirectory(prefix="nutmeg-stages-") as folder, fewer_collections():
        count, seconds, floor = measure(Path(path), Path(folder))
    return {"count": count, "stages": seconds, "floor": floor}


STEPS = {
    "stages": stages,
    "harvest": harvest,
    "search": search,
    "export": export,
    "outputs": outputs,
    "reindex": reindex,
}

if __name__ == "__main__":
    arguments = json.loads(os.environ["BENCH_ARGS"])
    print(json.dumps(STEPS[sys.argv[1]](**arguments)))
