"""The walking-skeleton benchmark: harvest, re-harvest, search and export at 100k datasets.

    python -m benchmarks.run                 # 100,000 datasets
    python -m benchmarks.run --count 20000   # quicker
    python -m benchmarks.run --big           # also a ~500 MB data.json, for peak memory

Every figure is printed beside a floor measured in the same run on the same machine (a plain orjson parse
of the same file; a raw FTS5 query; reading the stored rows) so the ratio says how much the product adds.
Each heavy step runs in a fresh subprocess, so peak RSS is that step's own.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--big", action="store_true", help="also harvest a ~500 MB data.json (slow)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    catalog = OUT / f"catalog-{args.count}.json"
    if not catalog.exists():
        write_catalog(catalog, args.count)
    server, base = serve(OUT)
    work = Path(tempfile.mkdtemp(prefix="nutmeg-bench-"))
    database = f"sqlite:///{work}/bench.db"
    size_mb = catalog.stat().st_size / 1e6
    print(f"catalog: {args.count:,} datasets, {size_mb:.0f} MB, served from {base}; store in {work}")

    parse_rate = floor_parse(catalog)
    first = child("harvest", database=database, url=f"{base}/{catalog.name}", full=False)
    print(
        f"first harvest:      {first['rate']:8,.0f} datasets/s  ({first['seconds']:.1f} s, peak RSS "
        f"{first['rss_mb']:.0f} MB)   floor orjson parse {parse_rate:,.0f}/s  ratio {parse_rate / first['rate']:.1f}x"
    )
    again = child("harvest", database=database, url=f"{base}/{catalog.name}", full=False)
    print(f"re-harvest (304):   {again['seconds']:8.2f} s   status {again['status']}")
    unchanged = child("harvest", database=database, url=f"{base}/{catalog.name}", full=True)
    floor_s = args.count / parse_rate
    print(
        f"unchanged re-harvest (full fetch, nothing changed): {unchanged['seconds']:.2f} s   "
        f"(unchanged {unchanged['unchanged']:,})   floor parse {floor_s:.2f} s  "
        f"ratio {unchanged['seconds'] / floor_s:.1f}x"
    )
    search = child("search", database=database, queries=QUERIES)
    print(
        f"search (20 queries with facets), cold: p50 {search['p50']:.2f} ms  p99 {search['p99']:.2f} ms   "
        f"(FTS5 alone ranking the word queries' top 20: p50 {search['floor_p50']:.2f} ms)"
    )
    print(
        f"search, same query again (paging, facet clicks): p50 {search['warm_p50']:.2f} ms  "
        f"p99 {search['warm_p99']:.2f} ms"
    )
    export = child("export", database=database)
    print(
        f"/data.json export:  {export['seconds']:.2f} s, {export['mb']:.0f} MB, {export['datasets']:,} datasets, "
        f"peak RSS {export['rss_mb']:.0f} MB   floor read rows {export['floor_seconds']:.2f} s  "
        f"ratio {export['seconds'] / max(export['floor_seconds'], 1e-6):.1f}x"
    )
    if args.big:
        big = OUT / "catalog-big.json"
        if not big.exists():
            write_catalog(big, 300_000, seed=7)
        result = child("harvest", database=f"sqlite:///{work}/big.db", url=f"{base}/{big.name}", full=False)
        print(
            f"big harvest: {big.stat().st_size / 1e6:.0f} MB data.json, {result['rate']:,.0f} datasets/s, "
            f"peak RSS {result['rss_mb']:.0f} MB"
        )
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
