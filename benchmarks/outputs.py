"""The discovery outputs at 100k datasets: catalog pages, sitemaps and feeds, through the HTTP app.

    python -m benchmarks.outputs                 # 100,000 datasets
    python -m benchmarks.outputs --count 20000   # quicker
    python -m benchmarks.outputs --database sqlite:////tmp/nutmeg-bench-outputs-x/bench.db   # again, no harvest

Targets (issue #5): a /catalog.ttl page of 1,000 datasets ≤ 1 s; the sitemap index and one 50,000-URL
sitemap file ≤ 2 s each; /search.atom p50 within 2× the JSON search API's p50 for the same queries.

The synthetic catalog (``benchmarks.synth``) is harvested in a fresh process (``benchmarks.steps``), then
every figure is taken in this process through the ASGI app (routing, serialization, the whole body read),
each request after one warm-up request of the same kind on another page. Search timings drop the
index's query cache before every request, so the Atom and JSON figures are both cold and comparable. The
machine is shared: figures are as measured, noisy.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from benchmarks.run import OUT, QUERIES, child, serve
from benchmarks.steps import settings as bench_settings
from benchmarks.synth import write_catalog
from catalog_api.app import create_app
from catalog_api.services import build_services

ROUNDS = 5


def timed(get: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = get()
    return time.perf_counter() - started, result


def fetch(client: TestClient, url: str, **params: Any) -> tuple[float, int]:
    """Seconds to get ``url`` with its whole body, and the body's size."""
    seconds, response = timed(lambda: client.get(url, params=params))
    if response.status_code != 200:
        raise SystemExit(f"{url} {params}: {response.status_code} {response.text[:300]}")
    return seconds, len(response.content)


def best_and_median(client: TestClient, url: str, rounds: int = ROUNDS, **params: Any) -> tuple[float, float, int]:
    runs = [fetch(client, url, **params) for _ in range(rounds)]
    times = [t for t, _ in runs]
    return min(times), statistics.median(times), runs[0][1]


def line(label: str, best: float, median: float, size: int, target: str | None) -> None:
    aim = f"  (target {target})" if target else ""
    print(f"{label:<40} median {median:6.3f} s, best {best:6.3f} s, {size / 1e6:6.2f} MB{aim}")


def search_p50(client: TestClient, drop: Callable[[], None], url: str) -> float:
    timings: list[float] = []
    for _ in range(ROUNDS):
        for query in QUERIES:
            drop()
            seconds, _ = fetch(client, url, **{**query, "per_page": 20})
            timings.append(seconds * 1000)
    return statistics.median(timings)


def harvested(count: int) -> str:
    """A fresh store holding the synthetic catalog of ``count`` datasets (harvested in a child process)."""
    OUT.mkdir(exist_ok=True)
    catalog = OUT / f"catalog-{count}.json"
    if not catalog.exists():
        write_catalog(catalog, count)
    server, base = serve(OUT)
    work = Path(tempfile.mkdtemp(prefix="nutmeg-bench-outputs-"))
    database = f"sqlite:///{work}/bench.db"
    harvest = child("harvest", database=database, url=f"{base}/{catalog.name}", full=False)
    server.shutdown()
    print(f"harvested {harvest['new']:,} datasets in {harvest['seconds']:.0f} s; store in {work}")
    return database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--database", help="measure an already harvested store (an SQLAlchemy URL) instead")
    args = parser.parse_args()
    database = args.database or harvested(args.count)

    services = build_services(bench_settings(database))
    drop = getattr(services.index, "drop_caches", lambda: None)
    # as a running server: the app started (lifespan) once, then requests
    with TestClient(create_app(services.settings, services)) as client:
        pages = -(-services.store.live_count() // services.settings.catalog_page_size)
        middle = max(1, pages // 2)

        fetch(client, "/catalog.ttl", page=1)  # warm-up: imports, first query
        for fmt in ("ttl", "nt", "jsonld", "rdf"):
            target = "≤ 1 s" if fmt == "ttl" else None
            line(
                f"/catalog.{fmt} page {middle} of {pages}",
                *best_and_median(client, f"/catalog.{fmt}", page=middle),
                target,
            )

        fetch(client, "/sitemap.xml")
        line("/sitemap.xml (the index)", *best_and_median(client, "/sitemap.xml"), "≤ 2 s")
        files = -(-services.store.live_count() // services.settings.sitemap_size)
        fetch(client, f"/sitemaps/datasets-{files}.xml")
        urls = min(services.settings.sitemap_size, services.store.live_count())
        line(f"/sitemaps/datasets-1.xml ({urls:,} URLs)", *best_and_median(client, "/sitemaps/datasets-1.xml"), "≤ 2 s")

        fetch(client, "/api/v1/datasets", q="water")
        fetch(client, "/search.atom", q="water")
        json_p50 = search_p50(client, drop, "/api/v1/datasets")
        atom_p50 = search_p50(client, drop, "/search.atom")
        rss_p50 = search_p50(client, drop, "/search.rss")
        print(
            f"search, {len(QUERIES)} queries x {ROUNDS}, cold: JSON API p50 {json_p50:.1f} ms, "
            f"/search.atom p50 {atom_p50:.1f} ms ({atom_p50 / json_p50:.2f}x; target ≤ 2x), "
            f"/search.rss p50 {rss_p50:.1f} ms ({rss_p50 / json_p50:.2f}x)"
        )

        seconds, size = fetch(client, "/data.json")
        print(f"/data.json:                       {seconds:.1f} s, {size / 1e6:.0f} MB (for reference)")
        seconds, _ = fetch(client, "/api/3/action/package_search", q="water", rows=100)
        print(f"CKAN package_search (100 rows):   {seconds * 1000:.0f} ms (for reference)")
    services.close()


if __name__ == "__main__":
    main()
