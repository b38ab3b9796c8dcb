"""Link checks never slow searches: the search API's p50 alone, and while `nutmeg check links` checks
10,000 loopback links, on a catalog of 10,000 datasets.

    python -m benchmarks.linkcheck                          # 10,000 links, 8 clients, 20 s per phase
    python -m benchmarks.linkcheck --links 2000 --seconds 10

Every dataset of the synthetic catalog (``benchmarks.synth``) gets one downloadURL on a loopback link
server (eight hosts, 127.0.0.2–127.0.0.9, each answering after ``--latency`` seconds: HEAD 200, and one
link in ten 404 or 301, so the checker writes every kind of state), and nothing else to check: nothing
leaves loopback. The server is `nutmeg serve` in its own process; the checker is `nutmeg check links` in
its own process, as the worker or cron runs it (CPU niceness NUTMEG_HARVEST_NICE, 10 by default; 8
threads, 2 per host, no delay between checks: as fast as the checker goes). The load generator is
``benchmarks.load``'s closed-loop HTTP/1.1 client.

The machine is shared, so each phase prints the load average before it, and a floor measured in the same
run with the same clients (a constant JSON answer through the same server stack). The server's answer
cache is off (link checks never touch the index, so cached answers would hide any cost). Phases: floor;
search alone; search while the checker runs (measured from its first written batch); search alone after.
Target: the p50 during the checks within ±10 % of the p50 alone.
"""

from __future__ import annotations

import argparse
import http.server
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from benchmarks.load import measure, search_paths, server, show
from benchmarks.run import OUT, child, serve
from benchmarks.synth import datasets

HOSTS = [f"127.0.0.{n}" for n in range(2, 10)]
TARGET = "target: search p50 while the checker runs within ±10 % of search p50 alone"


def link_servers(latency: float) -> tuple[list[http.server.ThreadingHTTPServer], int]:
    """One server per loopback host, all on the same port: HEAD/GET 200, 404 or 301 by the path's number."""

    class Links(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_HEAD(self) -> None:
            time.sleep(latency)
            stem = self.path.rsplit("/", 1)[-1].split(".", 1)[0]
            number = int(stem) if stem.isdigit() else 3  # robots.txt: 404, no rules
            status = 404 if number % 10 == 3 else 301 if number % 10 == 7 else 200
            self.send_response(status)
            if status == 301:
                self.send_header("Location", f"/moved/{number * 10}.csv")  # ends in 0: answers 200
            self.send_header("Content-Length", "0")
            self.send_header("ETag", f'"{number}"')
            self.end_headers()

        do_GET = do_HEAD

    first = http.server.ThreadingHTTPServer((HOSTS[0], 0), Links)
    port = first.server_address[1]
    servers = [first] + [http.server.ThreadingHTTPServer((h, port), Links) for h in HOSTS[1:]]
    for one in servers:
        one.daemon_threads = True
        threading.Thread(target=one.serve_forever, daemon=True).start()
    return servers, port


def write_catalog(path: Path, count: int, port: int) -> None:
    """The synthetic catalog, each dataset's distributions replaced by one loopback download link."""
    with path.open("wb") as out:
        out.write(b'{"conformsTo":"https://project-open-data.cio.gov/v1.1/schema","dataset":[\n')
        for n, record in enumerate(datasets(count)):
            host = HOSTS[n % len(HOSTS)]
            record["distribution"] = [{"downloadURL": f"http://{host}:{port}/f/{n:06d}.csv", "mediaType": "text/csv"}]
            record.pop("landingPage", None)
            out.write((b",\n" if n else b"") + orjson.dumps(record))
        out.write(b"\n]}\n")


def checks_written(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
        try:
            return int(connection.execute("select count(*) from link_checks").fetchone()[0])
        except sqlite3.OperationalError:  # the checker's migration has not run yet
            return 0


def checker(database: Path, nice: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NUTMEG_DATABASE_URL": f"sqlite:///{database}",
        "NUTMEG_HARVEST_ALLOW_PRIVATE": "true",
        "NUTMEG_HARVEST_NICE": str(nice),
        "NUTMEG_LINK_CHECK_HOST_DELAY": "0",
        "NUTMEG_LINK_CHECK_WORKERS": "8",
        "NUTMEG_LINK_CHECK_HOST_CONCURRENCY": "2",
    }
    command = [sys.executable, "-m", "catalog_api.cli", "check", "links"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--links", type=int, default=10_000, help="datasets, one link each")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds each link takes to answer")
    parser.add_argument("--nice", type=int, default=10, help="NUTMEG_HARVEST_NICE for the checker (0: off)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="nutmeg-linkcheck-"))
    links, port = link_servers(args.latency)
    write_catalog(work / "catalog.json", args.links, port)
    files, base = serve(work)
    database = work / "links.db"
    harvested = child("harvest", database=f"sqlite:///{database}", url=f"{base}/catalog.json", full=False)
    print(
        f"catalog: {harvested['new']:,} datasets harvested in {harvested['seconds']:.0f} s, {args.links:,} links on "
        f"{len(HOSTS)} loopback hosts answering in {args.latency * 1000:.0f} ms; {args.clients} clients, "
        f"{args.seconds:.0f} s per phase, {os.cpu_count()} CPUs"
    )
    print(TARGET)
    paths = search_paths()
    with server(f"sqlite:///{database}", 1, cache=False) as api:  # every search costs what a new one does
        measure(api, paths, args.clients, min(5.0, args.seconds))  # warm-up, not reported
        floor = measure(api, ["/api/3"], args.clients, args.seconds)
        show("floor (GET /api/3, constant JSON)", floor)
        alone = measure(api, paths, args.clients, args.seconds)
        show("search alone", alone, floor)
        started = time.monotonic()
        running = checker(database, args.nice)
        while checks_written(database) == 0 and running.poll() is None:
            time.sleep(0.1)
        at_start = checks_written(database)
        during = measure(api, paths, args.clients, args.seconds)
        at_end = checks_written(database)
        still = running.poll() is None
        show("search while checking links", during, floor)
        rate = (at_end - at_start) / args.seconds
        note = "still running when the phase ended" if still else "ended within the phase"
        print(f"  the checker wrote {at_end - at_start:,} checks during the phase ({rate:,.0f} links/s; {note})")
        out, err = running.communicate()
        summary = " ".join(out.split()).split(" broken links", 1)[0]
        print(f"  the checker (nice {args.nice}): {summary}; {time.monotonic() - started:.0f} s in all")
        if running.returncode != 0:
            print(f"  the checker failed: {err[-2000:]}")
        after = measure(api, paths, args.clients, args.seconds)
        show("search alone, after", after, floor)
        change = during["p50"] / alone["p50"] - 1
        verdict = "within" if abs(change) <= 0.10 else "OUTSIDE"
        print(f"p50 while checking vs alone: {change:+.1%} ({verdict} ±10 %)")
    for one in links:
        one.shutdown()
    files.shutdown()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
