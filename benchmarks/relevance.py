"""Relevance of both backends on a judged query set over real catalogs (issue #15).

    python -m benchmarks.relevance                        # embedded + a throwaway OpenSearch node
    python -m benchmarks.relevance --search-url http://127.0.0.1:9200
    python -m benchmarks.relevance --embedded-only

Harvests three fixture catalogs (``tests/index/relevance.py``: City of Philadelphia, data.seattle.gov
2013, data.gov's test source) over loopback, indexes them into each backend and prints nDCG@10 for every
judged query, the mean per backend, how often both backends put the same dataset first, and how much of
their top five they share.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from index.search.base import SearchBackend
from index.search.embedded import EmbeddedIndex
from index.search.engine import open_engine
from tests.index.relevance import JUDGMENTS, evaluate, judged_corpus, ranked_identifiers


@contextlib.contextmanager
def search_url(given: str | None) -> Iterator[str]:
    """The given engine, or a throwaway OpenSearch node started like the tests'."""
    if given:
        yield given
        return
    from tests.support.servers import OpenSearchNode, opensearch_classpath

    home = Path(tempfile.mkdtemp(prefix="nutmeg-bench-opensearch-"))
    node = OpenSearchNode(opensearch_classpath(), home)
    node.start()
    try:
        yield node.url
    finally:
        node.stop()
        shutil.rmtree(home, ignore_errors=True)


def report(backends: dict[str, SearchBackend]) -> None:
    scores = {name: evaluate(backend) for name, backend in backends.items()}
    names = list(backends)
    print(f"{'query':<24}" + "".join(f"{n:>10}" for n in names))
    for query in JUDGMENTS:
        print(f"{query:<24}" + "".join(f"{scores[n][query]:>10.3f}" for n in names))
    print(f"{'mean nDCG@10':<24}" + "".join(f"{sum(scores[n].values()) / len(JUDGMENTS):>10.3f}" for n in names))
    if len(names) == 2:
        one, other = backends.values()
        tops = [(ranked_identifiers(one, q, 5), ranked_identifiers(other, q, 5)) for q in JUDGMENTS]
        same = sum(1 for a, b in tops if a[:1] == b[:1])
        shared = sum(len(set(a) & set(b)) / max(len(a), len(b), 1) for a, b in tops) / len(tops)
        print(f"same first result on both backends: {same}/{len(JUDGMENTS)} queries; top five shared: {shared:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--search-url", help="an Elasticsearch/OpenSearch URL (default: start a throwaway node)")
    parser.add_argument("--embedded-only", action="store_true", help="measure the embedded index alone")
    args = parser.parse_args()
    with judged_corpus() as docs:
        print(f"{len(docs)} datasets, {len(JUDGMENTS)} judged queries")
        embedded = EmbeddedIndex()
        embedded.index(docs)
        if args.embedded_only:
            report({"embedded": embedded})
            return
        with search_url(args.search_url) as url:
            engine = open_engine(url, "nutmeg-relevance-bench")
            try:
                engine.rebuild(iter(docs))
                report({"embedded": embedded, "opensearch": engine})
            finally:
                engine.close()


if __name__ == "__main__":
    main()
