"""The CLI's start-up benchmark: the wall time of each command, run as a real process.

    python -m benchmarks.cli                # each command 7 times, the median and the best
    python -m benchmarks.cli --importtime   # also the ten slowest imports of `nutmeg source list`

The 0.3 s budget is for the light commands (marked "light"): ``--help``, ``--version``, ``source list``
(table and ``--json``) and ``migrate`` on a store already migrated. They import click, rich and
pydantic-settings (the one ``Settings``) and read an SQLite store through the standard library's
``sqlite3`` (``index/sqlite_reader.py``): never SQLAlchemy, alembic, FastAPI, rdflib, httpx or numpy.
``source add`` writes through the store (SQLAlchemy), so it is measured but not held to the budget:
its floor is the second one. Each command runs against a store of ten sources in a temporary folder
(already migrated, as in a deployment; each with the default nightly cron schedule, so ``source list``
parses cron). Wall-clock figures on a shared machine vary with its load (printed first): the best of
the runs is the least disturbed one, and the CPU column (user + system, best run) hardly depends on it,
so a light command's row says whether each of its best wall and its CPU time is within the budget: on an
idle machine the wall time is the CPU time plus a few milliseconds.

The "floor" rows are bare ``python -c`` runs importing only the libraries a command needs, no Nutmeg
code: what a command takes beyond its floor is Nutmeg's own; the floor is the machine's and the
libraries' (pydantic-settings alone is about half of the light floor; ``import sqlalchemy`` builds most
of SQLAlchemy Core whichever submodule is asked for).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET = 0.3
NUTMEG = [sys.executable, "-m", "catalog_api.cli"]
LIGHT_LIBRARIES = "import click, rich.console, pydantic_settings, sqlite3"
FLOORS = {
    "floor: light commands": [sys.executable, "-c", LIGHT_LIBRARIES],
    "floor: store writes": [sys.executable, "-c", f"{LIGHT_LIBRARIES}, sqlalchemy, sqlalchemy.dialects.sqlite"],
}

# label -> (arguments, whether the budget applies)
COMMANDS: dict[str, tuple[list[str], bool]] = {
    "nutmeg --help": (["--help"], True),
    "nutmeg --version": (["--version"], True),
    "nutmeg source --help": (["source", "--help"], True),
    "nutmeg source list": (["source", "list"], True),
    "nutmeg source list --json": (["source", "list", "--json"], True),
    "nutmeg harvest --help": (["harvest", "--help"], True),
    "nutmeg migrate": (["migrate"], True),  # already migrated: a check
    # --no-check: this measures start-up, not the probe of the URL (which would leave the machine)
    "nutmeg source add --no-check": (
        ["source", "add", "bench-{n}", "https://data.example.gov/data.json", "--no-check"],
        False,
    ),
}


def run(args: list[str], env: dict[str, str], cwd: Path, program: list[str] = NUTMEG) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of ``nutmeg ARGS`` (or of PROGRAM ARGS)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*program, *args], env=env, cwd=cwd, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.decode()[-500:]}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def slowest_imports(env: dict[str, str], cwd: Path, count: int = 10) -> list[tuple[int, str]]:
    """``python -X importtime`` of ``source list``: the top-level imports by cumulative microseconds."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *NUTMEG[1:], "source", "list"], env=env, cwd=cwd, capture_output=True
    )
    rows: list[tuple[int, str]] = []
    for line in done.stderr.decode().splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("   "):
            rows.append((int(parts[1]), parts[2].strip()))
    return sorted(rows, reverse=True)[:count]


def report(label: str, runs: list[tuple[float, float]], note: str | None = None) -> None:
    """One row: the median and best wall time and the best CPU time, against the budget (a light
    command's) or with a note (a floor, or a command the budget is not for)."""
    walls = [wall for wall, _ in runs]
    best, cpu = min(walls), min(c for _, c in runs)
    mark = note or f"light: {'ok' if best <= BUDGET else 'OVER'} (cpu {'ok' if cpu <= BUDGET else 'OVER'})"
    print(f"{label:<28} {statistics.median(walls):>7.3f}s {best:>7.3f}s {cpu:>7.3f}s  {mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each command")
    parser.add_argument("--importtime", action="store_true", help="also list the slowest imports of source list")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nutmeg-cli-bench-") as folder:
        cwd = Path(folder)
        env = {**os.environ, "NUTMEG_DATABASE_URL": f"sqlite:///{cwd}/bench.db"}
        for n in range(10):
            run(["source", "add", f"seed-{n}", f"https://data{n}.example.gov/data.json", "--no-check"], env, cwd)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall time suffers on a busy machine)")
        print(f"{'command':<28} {'median':>8} {'best':>8} {'cpu':>8}  (budget {BUDGET:.1f} s)")
        for label, floor in FLOORS.items():
            report(label, [run([], env, cwd, floor) for _ in range(args.repeat)], "no Nutmeg code")
        serial = iter(range(1_000_000))
        for label, (template, light) in COMMANDS.items():
            runs = [run([part.format(n=next(serial)) for part in template], env, cwd) for _ in range(args.repeat)]
            report(label, runs, None if light else "writes the store: no budget")
        if args.importtime:
            print("\nslowest top-level imports of `nutmeg source list` (cumulative):")
            for micros, module in slowest_imports(env, cwd):
                print(f"  {micros / 1e6:6.3f} s  {module}")


if __name__ == "__main__":
    main()
