"""The production-stack benchmark: PostgreSQL + OpenSearch at 100k datasets (issue #4's targets).

    python -m benchmarks.engine                       # 100,000 datasets, throwaway servers
    python -m benchmarks.engine --count 20000         # quicker
    python -m benchmarks.engine --database-url postgresql+psycopg://... --search-url http://...:9200

Without URLs it starts a throwaway PostgreSQL (Debian binaries) and an OpenSearch node (Maven Central
jars, 1 GB heap) exactly as the tests do (``tests/support/servers.py``). It prints, as measured:

* first harvest of the synthetic catalog (``benchmarks/synth.py``) into PostgreSQL + OpenSearch, datasets/s
  (target ≥ 1,500/s);
* bulk indexing of every dataset into a fresh alias through ``index()`` in the harvest's batches, docs/s
  (target ≥ 5,000/s);
* ``rebuild()`` — the ``nutmeg reindex`` path: new index, refresh off, alias swap, old index deleted — in
  seconds (target ≤ 60 s);
* search with facets through the API's search function, 20 queries × 10 rounds, p50 and p99 in ms
  (target p50 ≤ 15 ms, p99 ≤ 50 ms), beside the engine's own ``took`` for the same requests (the floor).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.run import OUT, QUERIES, p, peak_rss_mb, serve
from benchmarks.steps import _params
from benchmarks.synth import write_catalog
from catalog_api.search import run_search
from catalog_api.services import Services, build_services
from catalog_api.settings import Settings
from index.documents import doc_from_row
from index.search import engine_dsl
from index.search.base import SearchDoc, SearchQuery
from index.search.engine import EngineIndex, open_engine
from index.store import NewSource


@contextlib.contextmanager
def servers(database_url: str | None, search_url: str | None) -> Iterator[tuple[str, str]]:
    """The given URLs, or throwaway servers started like the tests' (and stopped afterwards)."""
    from tests.support.servers import OpenSearchNode, PostgresServer, opensearch_classpath, postgres_bindir

    stack = contextlib.ExitStack()
    with stack:
        if database_url is None:
            bindir = postgres_bindir()
            if bindir is None:
                raise SystemExit("PostgreSQL is not installed; pass --database-url")
            postgres = PostgresServer(bindir)
            postgres.start()
            stack.callback(postgres.stop)
            database_url = postgres.url
        if search_url is None:
            home = Path(tempfile.mkdtemp(prefix="nutmeg-bench-opensearch-"))
            node = OpenSearchNode(opensearch_classpath(), home, heap="2g", quick_start=False)
            node.start()
            stack.callback(shutil.rmtree, home, True)
            stack.callback(node.stop)
            search_url = node.url
        yield database_url, search_url


def settings(database_url: str, search_url: str, alias: str) -> Settings:
    return Settings(
        database_url=database_url,
        search_url=search_url,
        search_index=alias,
        harvest_allow_private=True,
        default_contact_name="Open Data Team",
        default_contact_email="opendata@example.gov",
        default_access_level="public",
        default_publisher="State of Example",
    )


def first_harvest(services: Services, url: str) -> dict[str, Any]:
    services.store.add_source(NewSource("bench", "datajson", url), datetime.now(UTC))
    started = time.perf_counter()
    report = services.runner.harvest("bench")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rate": report.new / seconds, "new": report.new, "status": report.status}


def bulk_index(index: EngineIndex, docs: list[SearchDoc], batch: int) -> dict[str, Any]:
    started = time.perf_counter()
    for start in range(0, len(docs), batch):
        index.index(docs[start : start + batch])
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rate": len(docs) / seconds}


def rebuild(index: EngineIndex, docs: list[SearchDoc]) -> dict[str, Any]:
    started = time.perf_counter()
    count = index.rebuild(iter(docs))
    return {"seconds": time.perf_counter() - started, "count": count}


def search(services: Services, index: EngineIndex) -> dict[str, Any]:
    params = [_params(q) for q in QUERIES]
    for one in params:  # warm the engine's caches once, as a running server has
        run_search(services, one)
    timings: list[float] = []
    took: list[float] = []
    for _ in range(10):
        for one in params:
            started = time.perf_counter()
            run_search(services, one)
            timings.append((time.perf_counter() - started) * 1000)
            took.append(_engine_took(index, one))
    return {"p50": p(timings, 0.5), "p99": p(timings, 0.99), "took_p50": p(took, 0.5), "took_p99": p(took, 0.99)}


def _engine_took(index: EngineIndex, params: Any) -> float:
    query = SearchQuery(
        text=params.q,
        filters=dict(params.filters),
        modified_since=params.modified_since,
        sort=params.effective_sort,
        limit=params.per_page,
    )
    response = index._search_raw(engine_dsl.search_body(query))
    return float(response["took"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--database-url", help="an existing PostgreSQL (its Nutmeg tables are used as they are)")
    parser.add_argument("--search-url", help="an existing Elasticsearch/OpenSearch")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    catalog = OUT / f"catalog-{args.count}.json"
    if not catalog.exists():
        write_catalog(catalog, args.count)
    http, base = serve(OUT)
    alias = f"nutmeg-bench-{int(time.time())}"
    with servers(args.database_url, args.search_url) as (database_url, search_url):
        services = build_services(settings(database_url, search_url, alias))
        engine = services.index
        assert isinstance(engine, EngineIndex)
        print(
            f"catalog: {args.count:,} datasets ({catalog.stat().st_size / 1e6:.0f} MB); {engine.info.label}; "
            f"{services.store.server_version().split(',')[0]}"
        )
        first = first_harvest(services, f"{base}/{catalog.name}")
        print(
            f"first harvest (PostgreSQL + engine): {first['rate']:8,.0f} datasets/s  ({first['seconds']:.1f} s, "
            f"{first['new']:,} new, {first['status']})   target ≥ 1,500/s"
        )
        docs = [doc_from_row(row) for row in services.store.iter_records(live=True)]
        fresh = open_engine(search_url, alias + "-bulk")
        bulk = bulk_index(fresh, docs, services.settings.harvest_batch)
        print(
            f"bulk indexing via index(), {services.settings.harvest_batch}-doc batches: {bulk['rate']:8,.0f} docs/s "
            f"({bulk['seconds']:.1f} s)   target ≥ 5,000/s"
        )
        swap = rebuild(engine, docs)
        print(
            f"reindex with alias swap (rebuild): {swap['seconds']:.1f} s for {swap['count']:,} "
            f"({swap['count'] / swap['seconds']:,.0f} docs/s)   target ≤ 60 s"
        )
        timing = search(services, engine)
        print(
            f"search with facets (20 queries × 10): p50 {timing['p50']:.1f} ms  p99 {timing['p99']:.1f} ms   "
            f"engine 'took' p50 {timing['took_p50']:.0f} ms  p99 {timing['took_p99']:.0f} ms   "
            f"target p50 ≤ 15, p99 ≤ 50"
        )
        print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")
        fresh.close()
        services.close()
    http.shutdown()


if __name__ == "__main__":
    main()
