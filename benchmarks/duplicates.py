"""What recognizing duplicates across sources costs a harvest: the time spent in ``index.duplicates.regroup``
per record written, for a source that duplicates nothing, for one that duplicates every dataset of the
first, and for an unchanged re-harvest (which never reaches matching).

    python -m benchmarks.duplicates [--count 20000]

Prints one line per harvest: records written, harvest seconds, matching seconds and microseconds per record.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

import catalog_api.harvesting as harvesting
from benchmarks.run import serve
from benchmarks.steps import settings
from benchmarks.synth import datasets
from catalog_api.services import build_services
from index.store import NewSource


@contextmanager
def timed_matching() -> Iterator[list[float]]:
    """Time every ``regroup`` call the runner makes."""
    spent: list[float] = []
    original = harvesting.regroup

    def measured(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    harvesting.regroup = measured  # type: ignore[assignment]
    try:
        yield spent
    finally:
        harvesting.regroup = original


def write(folder: Path, name: str, records: list[dict[str, Any]]) -> None:
    (folder / name).write_bytes(
        orjson.dumps({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": records})
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="datasets per source")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nutmeg-dupes-"))
    first = list(datasets(args.count))
    others = list(datasets(args.count, seed=7))
    for n, record in enumerate(others):  # a disjoint catalog: other identifiers, URLs and titles
        record["identifier"] = f"other-catalog-{n:08d}"
        record["title"] = f"Other {n} {record['title']}"
        record.pop("landingPage", None)
        record["distribution"] = []
    write(work, "a.json", first)
    write(work, "mirror.json", first)  # every dataset of a, listed again (an aggregator)
    write(work, "other.json", others)
    server, base = serve(work)
    services = build_services(settings(f"sqlite:///{work / 'store.db'}"))
    print(f"{args.count:,} datasets per source; store in {work}")
    for name, file, options in [
        ("a", "a.json", {}),
        ("other", "other.json", {}),
        ("mirror", "mirror.json", {"aggregator": "true"}),
        ("mirror", "mirror.json", {}),
    ]:
        if name not in {s.name for s in services.store.list_sources()}:
            services.store.add_source(NewSource(name, "datajson", f"{base}/{file}", options=options), datetime.now(UTC))
        with timed_matching() as spent:
            started = time.perf_counter()
            report = services.runner.harvest(name, full=True)
            seconds = time.perf_counter() - started
        written = report.new + report.updated
        matching = sum(spent)
        per = matching / written * 1e6 if written else 0.0
        print(
            f"{name:7} {report.status:9} written {written:7,} unchanged {report.unchanged:7,} "
            f"harvest {seconds:6.1f} s  matching {matching:5.2f} s ({per:5.0f} µs/record, "
            f"{matching / seconds:4.0%} of the harvest)"
        )
    services.close()
    server.shutdown()


if __name__ == "__main__":
    main()
