"""The pages' benchmark: how long each page takes to render and how many bytes it sends, on a synthetic
catalog harvested into a file-backed store (the same one ``benchmarks.run`` uses).

    python -m benchmarks.pages                 # 100,000 datasets
    python -m benchmarks.pages --count 20000   # quicker

Each page is fetched through the whole app (routing, store, index, templates) with Starlette's TestClient,
``--repeat`` times after one warm-up; figures are wall-clock on a shared machine, so read them as rough.
The search page's budget is 50 KB of HTML + CSS before any chart; its line says how much of it is used.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient

from benchmarks.run import OUT, serve
from benchmarks.steps import harvest, settings
from benchmarks.synth import write_catalog
from catalog_api.app import create_app
from catalog_api.services import build_services

BUDGET = 50_000


def pages(client: TestClient) -> dict[str, str]:
    """The paths to time, with real ids, publishers and sources from the harvested catalog."""
    found = client.get("/api/v1/datasets", params={"per_page": 1}).json()
    publisher = found["facets"]["publisher"][0]["value"]
    first = found["results"][0]["html_url"].split("/", 3)[3]
    return {
        "search: home": "/",
        "search: words": "/?q=water+quality",
        "search: words+filters": f"/?q=budget&publisher={quote(publisher)}&format=CSV",
        "search: page 40": "/?page=40",
        "search: facet expanded": "/?q=health&expand=keyword",
        "dataset": f"/{first}",
        "organizations": "/organization",
        "organization": f"/organization/{quote(publisher.lower().replace(' ', '-'))}",
        "sources": "/source",
        "source": "/source/bench",
        "dashboard": "/dashboard",
    }


def measure(client: TestClient, path: str, repeat: int) -> tuple[float, float, int]:
    client.get(path)  # warm-up: caches and the index's in-memory columns, as a running server has
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, headers={"Accept": "text/html"})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        size = len(response.content)
    return statistics.median(times), max(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    catalog = OUT / f"catalog-{args.count}.json"
    if not catalog.exists():
        write_catalog(catalog, args.count)
    _, base = serve(OUT)
    work = Path(tempfile.mkdtemp(prefix="nutmeg-pages-"))
    database = f"sqlite:///{work}/bench.db"
    report = harvest(database=database, url=f"{base}/{catalog.name}", full=False)
    print(f"catalog: {report['new']:,} datasets harvested in {report['seconds']:.1f} s; store in {work}")
    services = build_services(settings(database))
    with TestClient(create_app(services.settings, services)) as client:
        css = len(client.get("/static/app.css").content)
        print(f"{'page':<26}{'p50 ms':>9}{'max ms':>9}{'HTML KB':>10}")
        for name, path in pages(client).items():
            p50, worst, size = measure(client, path, args.repeat)
            note = (
                f"   HTML+CSS {(size + css) / 1000:.1f} KB of {BUDGET / 1000:.0f} KB"
                if name.startswith("search")
                else ""
            )
            print(f"{name:<26}{p50:9.1f}{worst:9.1f}{size / 1000:10.1f}{note}")
        print(f"stylesheet: {css / 1000:.1f} KB; script: {len(client.get('/static/app.js').content)} bytes")


if __name__ == "__main__":
    main()
