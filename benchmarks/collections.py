"""What collections cost the search: the same queries with no collections, then with ``--collections`` of
them (rules by theme, by keyword and by words, a few picks by hand), with the ``collection`` facet, and
narrowed by one collection; and the census over the bundled checklist. On a synthetic catalog harvested
into a file-backed store (the one ``benchmarks.run`` uses), the embedded index, answer cache off.

    python -m benchmarks.collections                   # 20,000 datasets, 10 collections
    python -m benchmarks.collections --count 100000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.run import OUT, p, serve
from benchmarks.steps import harvest, settings
from benchmarks.synth import THEMES, TOPICS, write_catalog
from catalog_api.census import take_census
from catalog_api.collections import COLLECTION
from catalog_api.search import SearchParams, run_search
from catalog_api.services import Services, build_services
from index.collections import NewCollection, Rule, add_collection, list_collections, pick
from index.search.base import FACETS, SearchQuery

QUERIES = [
    SearchParams(),
    SearchParams(q="water quality"),
    SearchParams(q="budget"),
    SearchParams(q="crime", filters={"theme": ("Public Safety",)}),
    SearchParams(filters={"format": ("CSV",)}),
    SearchParams(q="permits", sort="modified"),
]


def timed(services: Services, queries: list[SearchParams], repeat: int) -> tuple[float, float]:
    for one in queries:
        run_search(services, one)  # warm-up
    times = []
    for _ in range(repeat):
        for one in queries:
            started = time.perf_counter()
            run_search(services, one)
            times.append((time.perf_counter() - started) * 1000)
    return p(times, 0.5), p(times, 0.99)


def add_collections(services: Services, count: int) -> None:
    now = datetime.now(UTC)
    for n in range(count):
        kind = n % 3
        if kind == 0:
            rule = Rule(filters={"theme": (THEMES[n % len(THEMES)],)})
        elif kind == 1:
            rule = Rule(filters={"keyword": (TOPICS[n % len(TOPICS)],)})
        else:
            rule = Rule(q=TOPICS[(n * 7) % len(TOPICS)])
        add_collection(services.store, NewCollection(f"c{n}", f"Collection {n}", rule=rule), now)
    ids = [h.id for h in services.index.search(SearchQuery(limit=50, facets=())).hits]
    pick(services.store, "c0", ids[:25], True, now)
    pick(services.store, "c0", ids[25:], False, now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--collections", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    catalog = OUT / f"catalog-{args.count}.json"
    if not catalog.exists():
        write_catalog(catalog, args.count)
    _, base = serve(OUT)
    work = Path(tempfile.mkdtemp(prefix="nutmeg-collections-"))
    database = f"sqlite:///{work}/bench.db"
    report = harvest(database=database, url=f"{base}/{catalog.name}", full=False)
    print(f"catalog: {report['new']:,} datasets harvested in {report['seconds']:.1f} s")
    services = build_services(settings(database))
    services.index.warm()
    plain = [replace(q, facets=FACETS) for q in QUERIES]
    rows = [("no collections, the index's facets", timed(services, plain, args.repeat))]
    rows.append(("no collections, + collection facet", timed(services, QUERIES, args.repeat)))
    add_collections(services, args.collections)
    rows.append((f"{args.collections} collections, index's facets only", timed(services, plain, args.repeat)))
    rows.append((f"{args.collections} collections, + collection facet", timed(services, QUERIES, args.repeat)))
    narrowed = [replace(q, filters={**q.filters, COLLECTION: ("c0",)}) for q in QUERIES]
    rows.append((f"{args.collections} collections, filter collection=c0", timed(services, narrowed, args.repeat)))
    print(f"{'search (6 queries x repeat)':<46}{'p50 ms':>9}{'p99 ms':>9}")
    for name, (p50, p99) in rows:
        print(f"{name:<46}{p50:9.2f}{p99:9.2f}")
    started = time.perf_counter()
    standing = take_census(services, datetime.now(UTC))
    seconds = time.perf_counter() - started
    print(f"census of {len(standing.items)} items: {seconds * 1000:.0f} ms, score {standing.score}")
    print(f"({len(list_collections(services.store))} collections; store in {work})")


if __name__ == "__main__":
    main()
