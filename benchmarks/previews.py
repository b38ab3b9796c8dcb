"""Data previews: how long frictionless takes to profile a file of each kind at the size cap, and how many
files a ``run_previews`` checks per second over loopback (first run: downloads; second: conditional 304s).

    python -m benchmarks.previews                  # 10 MiB files, 200 datasets
    python -m benchmarks.previews --mib 2 --files 50

The files are the tests' real ones (World Bank GDP CSV and XLSX, SODA bike counts JSON) repeated up to
the size; the machine is shared, so figures are noisy.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from catalog_api.previews import run_previews
from catalog_api.services import build_services
from catalog_api.settings import Settings
from harvesters.profiling import Limits, profile_file
from index.store import NewSource
from tests.support.httpserver import LoopbackServer, Route

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
CSV = DATA / "previews" / "worldbank-top-economies-gdp.csv"
BIKES = DATA / "socrata" / "sodapy-resource-bike_counts_page_1.json"


def csv_of(size: int) -> bytes:
    header, _, rows = CSV.read_bytes().partition(b"\n")
    return header + b"\n" + rows * max(1, size // len(rows))


def json_of(size: int) -> bytes:
    items = json.loads(BIKES.read_bytes())
    one = len(json.dumps(items[0])) + 2
    return json.dumps((items * (size // (one * len(items)) + 1))[: size // one]).encode()


def xlsx_of(rows: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("GDP")
    lines = CSV.read_text().splitlines()
    sheet.append(lines[0].split(","))
    for i in range(rows):
        country, year, gdp = lines[1 + i % (len(lines) - 1)].split(",")
        sheet.append([country, int(year), float(gdp)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def profile_times(size: int) -> None:
    for kind, body in (("csv", csv_of(size)), ("json", json_of(size)), ("xlsx", xlsx_of(size // 40))):
        started = time.perf_counter()
        profile = profile_file(body, kind, charset=None, truncated=False, limits=Limits(20, 1 << 30, 1e12))
        seconds = time.perf_counter() - started
        print(
            f"profile {kind:5} {len(body) / 2**20:6.1f} MiB {profile.row_count:>9,} rows "
            f"{seconds:6.2f} s  {profile.row_count / seconds:>9,.0f} rows/s"
        )


def run_times(files: int) -> None:
    with tempfile.TemporaryDirectory() as folder, LoopbackServer() as server:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite:///{folder}/bench.db",
            preview_allow_private=True,
            harvest_allow_private=True,
        )
        services = build_services(settings)
        body = csv_of(64 << 10)
        datasets = []
        for i in range(files):
            url = server.route(f"/f/{i}.csv", Route(body=body, content_type="text/csv"))
            datasets.append({"identifier": f"d{i}", "title": f"File {i}", "distribution": [{"downloadURL": url}]})
        catalog = server.route("/data.json", Route(body=json.dumps({"dataset": datasets}).encode()))
        services.store.add_source(NewSource("bench", "datajson", catalog), datetime.now(UTC))
        services.runner.harvest("bench")
        for label in ("first run (downloads)", "second run (304s)"):
            started = time.perf_counter()
            report = run_previews(services.store, settings)
            seconds = time.perf_counter() - started
            print(
                f"run_previews {label:22} {report.total} files of 64 KiB: {seconds:6.2f} s, "
                f"{report.total / seconds:6.1f} files/s (fetched {report.fetched}, unchanged {report.unchanged})"
            )
        services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=float, default=10.0, help="size of each profiled file")
    parser.add_argument("--files", type=int, default=200, help="datasets (one 64 KiB CSV each) for run_previews")
    args = parser.parse_args()
    profile_times(int(args.mib * 2**20))
    run_times(args.files)


if __name__ == "__main__":
    main()
