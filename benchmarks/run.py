"""The scale benchmark (issue #16): harvest, re-harvest, search, reindex and publish, at 10k to 300k.

    python -m benchmarks.run                          # 100,000 datasets: every figure, and the stage table
    python -m benchmarks.run --count 20000            # quicker
    python -m benchmarks.run --scale 10000,100000,300000   # the scaling table (300k: ~10 minutes, 500 MB)

Every figure is printed beside its target and a floor measured in the same run on the same machine (a
plain orjson parse of the same file; a raw FTS5 query; reading the stored rows), with the machine's load
average before and after, so a figure taken on a busy machine says so. The harvest also prints its CPU
time (the main process and its mapping workers): ``cpu rate`` is what two idle cores would do, the figure
least disturbed by other work on the machine. Each heavy step runs in a fresh subprocess, so peak RSS is
that step's own. The synthetic catalogs (``benchmarks.synth``) are deterministic and keep real catalogs'
faults: missing fields, repeated identifiers, untitled records, huge descriptions.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.synth import write_catalog

OUT = Path(__file__).resolve().parent / "out"

QUERIES: list[dict[str, Any]] = [
    {"q": "crime"},
    {"q": "water quality"},
    {"q": "budget", "publisher": "Office of Budget and Management"},
    {"q": "covid-19 vaccination"},
    {"q": "schools enrollment", "format": "CSV"},
    {"q": "transit ridership", "sort": "modified"},
    {"q": "parcels"},
    {"q": "traffic crashes", "theme": "Transportation"},
    {"q": "housing", "keyword": "evictions"},
    {"q": "restaurant inspections"},
    {"q": "air emissions", "modified_since": "2020-01-01"},
    {"q": "trees"},
    {"q": "elections voters", "format": "JSON"},
    {"q": "wildlife"},
    {"q": "payroll", "sort": "title"},
    {},
    {"publisher": "Department of Health"},
    {"keyword": "opioids", "format": "CSV"},
    {"theme": "Environment", "sort": "modified"},
    {"q": "overd*"},
]


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def child(step: str, **args: Any) -> dict[str, Any]:
    """Run one step in a fresh interpreter; it prints one JSON line with its figures and peak RSS."""
    env = {**os.environ, "BENCH_ARGS": json.dumps(args)}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.steps", step], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def floor_parse(path: Path) -> float:
    import orjson

    started = time.perf_counter()
    count = len(orjson.loads(path.read_bytes())["dataset"])
    return count / (time.perf_counter() - started)


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def measure(count: int, base: str, work: Path, *, harvest_only: bool = False) -> dict[str, Any]:
    """Every figure at ``count`` datasets (each step in a fresh process), printed as it is taken; with
    ``harvest_only``, the harvest, 304 and unchanged re-harvest figures only."""
    catalog = OUT / f"catalog-{count}.json"
    if not catalog.exists():
        write_catalog(catalog, count)
    database = f"sqlite:///{work}/bench-{count}.db"
    url = f"{base}/{catalog.name}"
    size = catalog.stat().st_size / 1e6
    print(f"\n== {count:,} datasets ({size:.0f} MB data.json); {load()} on {os.cpu_count()} CPUs")
    figures: dict[str, Any] = {"count": count, "parse_rate": floor_parse(catalog)}
    floor_s = count / figures["parse_rate"]
    before = load()
    first = figures["first"] = child("harvest", database=database, url=url, full=False)
    cpu = first["main_cpu"] + first["workers_cpu"]
    cores = min(2, os.cpu_count() or 1)
    figures["cpu_rate"] = first["new"] / max(cpu / cores, first["main_cpu"])
    print(
        f"first harvest:      {first['rate']:8,.0f} datasets/s  (target ≥ 5,000)  {first['seconds']:.1f} s, "
        f"{first['new']:,} stored, {first['skipped']:,} skipped; peak RSS {first['rss_mb']:.0f} MB (target ≤ 500)  "
        f"[{before} → {load()}]"
    )
    print(
        f"   CPU: main {first['main_cpu']:.1f} s + workers {first['workers_cpu']:.1f} s = "
        f"{cpu / max(first['new'], 1) * 1e6:.0f} µs a dataset; cpu rate on {cores} idle cores "
        f"{figures['cpu_rate']:,.0f}/s   floor orjson parse {figures['parse_rate']:,.0f}/s"
    )
    again = figures["not_modified"] = child("harvest", database=database, url=url, full=False)
    print(f"re-harvest (304):   {again['seconds']:8.2f} s   (target ≤ 0.1)  status {again['status']}  [{load()}]")
    unchanged = figures["unchanged"] = child("harvest", database=database, url=url, full=True)
    target = "≤ 2 s at 100k, ≤ 6 s at 300k"
    print(
        f"unchanged re-harvest (full fetch): {unchanged['seconds']:.2f} s  (target {target})  "
        f"{unchanged['status']}, unchanged {unchanged['unchanged']:,}; CPU {unchanged['main_cpu']:.2f} s  "
        f"peak RSS {unchanged['rss_mb']:.0f} MB  floor parse {floor_s:.2f} s  "
        f"ratio {unchanged['seconds'] / floor_s:.1f}x  [{load()}]"
    )
    read = figures["unchanged_read"] = child("harvest", database=database, url=url, full=True, forget_baseline=True)
    print(
        f"   the same body read again (no baseline: spooled, parsed, hashed, compared): {read['seconds']:.2f} s, "
        f"CPU {read['main_cpu']:.2f} s, status {read['status']}  [{load()}]"
    )
    if harvest_only:
        return figures
    search = figures["search"] = child("search", database=database, queries=QUERIES)
    print(
        f"search (20 queries with facets), cold: p50 {search['p50']:.2f} ms (target ≤ 3)  "
        f"p99 {search['p99']:.2f} ms (target ≤ 20)   floor FTS5 top 20 p50 {search['floor_p50']:.2f} ms  [{load()}]"
    )
    warm = f"p50 {search['warm_p50']:.2f} ms  p99 {search['warm_p99']:.2f} ms"
    print(f"   same query again (paging, facet clicks): {warm}")
    reindex = figures["reindex"] = child("reindex", database=database)
    print(
        f"reindex:            {reindex['seconds']:8.1f} s  (target ≤ 60 s at 300k)  peak RSS {reindex['rss_mb']:.0f} MB"
        f"  [{load()}]"
    )
    export = figures["export"] = child("export", database=database)
    print(
        f"/data.json export:  {export['seconds']:8.2f} s  (target ≤ 8 s at 300k), {export['mb']:.0f} MB, "
        f"{export['datasets']:,} datasets, peak RSS {export['rss_mb']:.0f} MB (target ≤ 250)   floor read rows "
        f"{export['floor_seconds']:.2f} s  ratio {export['seconds'] / max(export['floor_seconds'], 1e-6):.1f}x"
        f"  [{load()}]"
    )
    pages = figures["outputs"] = child("outputs", database=database)
    print(
        f"DCAT page (/catalog.ttl, middle): {pages['catalog_ttl']:.2f} s (target ≤ 1)   sitemap index "
        f"{pages['sitemap_index']:.2f} s, one sitemap file {pages['sitemap_file']:.2f} s (targets ≤ 2)  [{load()}]"
    )
    return figures


def stage_table(count: int) -> None:
    catalog = OUT / f"catalog-{count}.json"
    if not catalog.exists():
        write_catalog(catalog, count)
    from benchmarks.stages import table

    before = load()
    found = child("stages", path=str(catalog))
    print(f"\n== where a record's time goes ({found['count']:,} records, CPU time of one core; [{before} → {load()}])")
    print(table(found["count"], found["stages"], found["floor"]))


def scaling(rows: list[dict[str, Any]]) -> None:
    """One line per size: the cost per dataset should stay flat."""
    print("\n== scaling (per-dataset figures should stay flat)")
    head = (
        f"{'datasets':>9} {'harvest/s':>10} {'cpu rate':>9} {'µs cpu':>7} {'RSS MB':>7} {'unchanged':>10} "
        f"{'304':>6} {'p50 ms':>7} {'p99 ms':>7} {'reindex':>8} {'data.json':>10} {'RSS MB':>7} "
        f"{'ttl page':>9} {'sitemap':>8}"
    )
    print(head)
    for f in rows:
        first, export, pages = f["first"], f["export"], f["outputs"]
        cpu_us = (first["main_cpu"] + first["workers_cpu"]) / max(first["new"], 1) * 1e6
        print(
            f"{f['count']:>9,} {first['rate']:>10,.0f} {f['cpu_rate']:>9,.0f} {cpu_us:>7.0f} {first['rss_mb']:>7.0f} "
            f"{f['unchanged']['seconds']:>9.2f}s {f['not_modified']['seconds']:>5.2f}s {f['search']['p50']:>7.2f} "
            f"{f['search']['p99']:>7.2f} {f['reindex']['seconds']:>7.1f}s {export['seconds']:>9.2f}s "
            f"{export['rss_mb']:>7.0f} {pages['catalog_ttl']:>8.2f}s {pages['sitemap_file']:>7.2f}s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--scale", help="comma-separated sizes for the scaling table (e.g. 10000,100000,300000)")
    parser.add_argument("--no-stages", action="store_true", help="skip the stage table")
    parser.add_argument("--harvest-only", action="store_true", help="the harvest figures only (no search, publishing)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    sizes = [int(n) for n in args.scale.split(",")] if args.scale else [args.count]
    server, base = serve(OUT)
    work = Path(tempfile.mkdtemp(prefix="nutmeg-bench-"))
    print(f"stores in {work}; catalogs served from {base}")
    rows = [measure(count, base, work, harvest_only=args.harvest_only) for count in sizes]
    if args.harvest_only:
        server.shutdown()
        return
    if not args.no_stages:
        stage_table(min(sizes[-1], 100_000))
    if len(rows) > 1:
        scaling(rows)
    server.shutdown()


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


if __name__ == "__main__":
    main()
