"""Load: the search API under 32 concurrent clients for 30 s on a 20k catalog, alone and while a harvest
writes, as a production catalog sees it.

    python -m benchmarks.load                       # 20,000 datasets, 32 clients, 30 s per phase
    python -m benchmarks.load --workers 2           # the server with two worker processes
    python -m benchmarks.load --seconds 10 --count 5000

The catalog is harvested into a fresh SQLite store (embedded index) first; the server is `nutmeg serve` in
its own process, as deployed. The load generator is one asyncio process holding 32 keep-alive HTTP/1.1
connections, each sending its next request as soon as the last answer arrived (closed loop). Queries
cycle through the `benchmarks.run` set (words, phrases, filters, sorts, browse) over pages 1–3: 60
distinct searches.

The machine is shared, so every phase prints the load average before it and a floor measured in the same
run with the same clients: requests/s of a trivial endpoint (`/api/3`, a constant JSON answer through the
same server stack). Compare the search figures with the floor, not with another day's figures.

Phases: search alone with the answer cache off (what every query costs when it is new, or the index has
just changed); the floor; search alone; search while a harvest writes (the source's URL now serves 20k
other records: each is added to the index and the old ones withdrawn, a batch committed at a time, so the
server's cache is emptied and its in-memory columns catch up again and again).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.run import OUT, QUERIES, child, p, serve
from benchmarks.synth import write_catalog

TARGETS = "targets: alone ≥ 400 req/s with p99 ≤ 150 ms; during a harvest 0 errors and p99 ≤ 500 ms"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def search_paths() -> list[str]:
    paths = []
    for page in (1, 2, 3):
        for query in QUERIES:
            paths.append("/api/v1/datasets?" + urlencode({**query, "page": page, "per_page": 20}))
    return paths


# -- the load generator: a lean closed-loop HTTP/1.1 client (the client must not eat the server's CPU) --


async def client(host: str, port: int, paths: list[str], start: int, until: float, tally: Tally) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    n = start
    try:
        while time.perf_counter() < until:
            path = paths[n % len(paths)]
            n += 1
            began = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            try:
                status = await _response(reader)
            except (ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
                tally.error(type(exc).__name__)
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            if status == 200:
                tally.latencies.append((time.perf_counter() - began) * 1000)
            else:
                tally.error(f"HTTP {status}")
    finally:
        writer.close()


async def _response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = next((int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:")), None)
    if length is None:
        raise ValueError("no Content-Length")
    await reader.readexactly(length)
    return status


async def drive(base_port: int, paths: list[str], clients: int, seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(client("127.0.0.1", base_port, paths, i * 7, until, tally) for i in range(clients)))
    return tally, time.perf_counter() - started


def measure(port: int, paths: list[str], clients: int, seconds: float) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    tally, elapsed = asyncio.run(drive(port, paths, clients, seconds))
    done = tally.latencies
    return {
        "rps": len(done) / elapsed,
        "p50": p(done, 0.5) if done else float("nan"),
        "p99": p(done, 0.99) if done else float("nan"),
        "ok": len(done),
        "errors": sum(tally.errors.values()),
        "kinds": tally.errors,
        "load": load_before,
    }


def show(label: str, result: dict[str, Any], floor: dict[str, Any] | None = None) -> None:
    errors = f"{result['errors']} errors" + (f" {result['kinds']}" if result["errors"] else "")
    share = f"   {result['rps'] / floor['rps']:.0%} of the floor" if floor else ""
    print(
        f"{label:<34} {result['rps']:7.0f} req/s   p50 {result['p50']:6.1f} ms   p99 {result['p99']:6.1f} ms   "
        f"{errors}   (load average before: {result['load']:.2f}){share}",
        flush=True,
    )


# -- the server and the harvest, each in its own process -------------------------------------------


@contextlib.contextmanager
def server(database: str, workers: int, cache: bool = True) -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "NUTMEG_DATABASE_URL": database, "NUTMEG_HARVEST_ALLOW_PRIVATE": "true"}
    if not cache:
        env["NUTMEG_SEARCH_CACHE_ENTRIES"] = "0"
    command = [sys.executable, "-m", "catalog_api.cli", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_ready(port, process)
        yield port
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_ready(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server did not start:\n{process.stderr.read() if process.stderr else ''}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"GET /api/v1/datasets?per_page=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            if conn.recv(12).endswith(b"200"):
                return
        time.sleep(0.5)
    raise SystemExit("the server did not answer within 120 s")


def documents(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as answer:
        return int(json.load(answer)["search"]["documents"])


def _wait_for_writes(port: int, before: int, harvest: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 300
    while documents(port) == before and harvest.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)


def harvest_in_background(database: str, nice: int) -> subprocess.Popen[str]:
    """``nutmeg harvest``, as a deployment's worker or cron runs it (with the settings' CPU niceness)."""
    env = {**os.environ, "NUTMEG_DATABASE_URL": database, "NUTMEG_HARVEST_ALLOW_PRIVATE": "true"}
    env["NUTMEG_HARVEST_NICE"] = str(nice)
    command = [sys.executable, "-m", "catalog_api.cli", "harvest", "bench", "--full"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--harvest-nice", type=int, default=10, help="NUTMEG_HARVEST_NICE for the harvest (0: off)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    first = OUT / f"catalog-{args.count}.json"
    second = OUT / f"catalog-{args.count}-changed.json"
    if not first.exists():
        write_catalog(first, args.count)
    if not second.exists():
        write_catalog(second, args.count, seed=7)
    work = Path(tempfile.mkdtemp(prefix="nutmeg-load-"))
    served = work / "catalog.json"  # the source's one URL; its contents change before the last phase
    shutil.copyfile(first, served)
    files, base = serve(work)
    database = f"sqlite:///{work}/load.db"
    harvested = child("harvest", database=database, url=f"{base}/{served.name}", full=False)
    print(
        f"catalog: {harvested['new']:,} datasets harvested in {harvested['seconds']:.0f} s; "
        f"{args.clients} clients, {args.seconds:.0f} s per phase, server workers: {args.workers}, "
        f"{os.cpu_count()} CPUs"
    )
    print(TARGETS)
    paths = search_paths()
    with server(database, args.workers, cache=False) as port:
        measure(port, paths, args.clients, min(5.0, args.seconds))  # warm-up, not reported
        uncached = measure(port, paths, args.clients, args.seconds)
    with server(database, args.workers) as port:
        measure(port, paths, args.clients, min(5.0, args.seconds))  # warm-up, not reported
        floor = measure(port, ["/api/3"], args.clients, args.seconds)
        show("floor (GET /api/3, constant JSON)", floor)
        show("search alone, answer cache off", uncached, floor)
        alone = measure(port, paths, args.clients, args.seconds)
        show("search alone", alone, floor)
        shutil.copyfile(second, work / "changed.json")
        os.replace(work / "changed.json", served)  # other records: 20k added to the index, the old withdrawn
        before = documents(port)
        harvest = harvest_in_background(database, args.harvest_nice)
        _wait_for_writes(port, before, harvest)  # fetching and mapping come first: measure while it writes
        during = measure(port, paths, args.clients, args.seconds)
        running = harvest.poll() is None
        show("search during a harvest", during, floor)
        print(f"  the index held {before:,} documents when the phase began, {documents(port):,} when it ended")
        out, err = harvest.communicate()
        if harvest.returncode != 0:
            print(f"the harvest failed: {err[-2000:]}")
        else:
            note = "still running when the phase ended" if running else "ended within the phase"
            text = " ".join(out.split())  # the CLI's console wraps its lines when not on a terminal
            summary = text[text.find("bench:") :][:400]
            print(f"the harvest (nice {args.harvest_nice}): {summary} ({note})")
    files.shutdown()
    shutil.rmtree(work, ignore_errors=True)  # a 20k store, index and two catalogs: a few hundred MB


if __name__ == "__main__":
    main()
