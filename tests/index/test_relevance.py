"""Relevance on real catalogs, for every backend: nDCG@10 of a judged query set (``tests/index/relevance.py``)
above a floor, the parking case of issue #15, and the same top results on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from index.search.base import SearchBackend, SearchDoc, SearchQuery
from index.search.embedded import EmbeddedIndex
from index.search.engine import open_engine
from tests.index.relevance import JUDGMENTS, evaluate, judged_corpus, ranked_identifiers
from tests.support.servers import OpenSearchNode

MEAN_FLOOR = 0.88  # measured 0.931 embedded, 0.922 OpenSearch (python -m benchmarks.relevance)
QUERY_FLOOR = 0.5


@pytest.fixture(scope="module")
def corpus() -> Iterator[list[SearchDoc]]:
    with judged_corpus() as docs:
        yield docs


@pytest.fixture(scope="module")
def embedded(corpus: list[SearchDoc]) -> Iterator[SearchBackend]:
    index = EmbeddedIndex()
    index.index(corpus)
    yield index
    index.close()


@pytest.fixture(scope="module")
def engine(corpus: list[SearchDoc], opensearch_node: OpenSearchNode) -> Iterator[SearchBackend]:
    index = open_engine(opensearch_node.url, "nutmeg-relevance")
    index.rebuild(iter(corpus))
    yield index
    index.close()
    import httpx

    httpx.delete(f"{opensearch_node.url}/nutmeg-relevance-*", timeout=30)


@pytest.fixture(params=["embedded", pytest.param("engine", marks=pytest.mark.engine)])
def backend(request: pytest.FixtureRequest) -> SearchBackend:
    loaded: SearchBackend = request.getfixturevalue(request.param)
    return loaded


def test_the_judged_set_is_large_and_names_real_datasets(corpus: list[SearchDoc]) -> None:
    identifiers = {str(d.summary.get("identifier")) for d in corpus}
    assert len(JUDGMENTS) >= 30
    unknown = {i for grades in JUDGMENTS.values() for i in grades} - identifiers
    assert not unknown


def test_ndcg_stays_above_the_floor(backend: SearchBackend) -> None:
    scores = evaluate(backend)
    mean = sum(scores.values()) / len(scores)
    assert mean >= MEAN_FLOOR, scores
    weak = {q: round(s, 3) for q, s in scores.items() if s < QUERY_FLOOR}
    assert not weak


def test_an_exact_title_word_outranks_stemmed_matches(backend: SearchBackend) -> None:
    hits = backend.search(SearchQuery(text="parking", limit=50, facets=())).hits
    titles = [str(h.summary["title"]) for h in hits]
    meters = titles.index("2015 Parking Meter & Kiosk Inventory")
    parks = [i for i, t in enumerate(titles) if t.startswith("Parks")]
    assert parks, "stemming still finds Parks & Recreation"
    assert meters < min(parks)
    assert all("Parking" in t or "parking" in t.lower() for t in titles[: min(parks)])


def test_identifiers_find_their_dataset(backend: SearchBackend) -> None:
    assert ranked_identifiers(backend, "e3zj-s4zh") == ["e3zj-s4zh"]
    assert ranked_identifiers(backend, "parking-meter-kiosk-inventory")[0] == "parking-meter-kiosk-inventory"


@pytest.mark.engine
def test_both_backends_give_the_same_top_results(embedded: SearchBackend, engine: SearchBackend) -> None:
    same_first, overlaps = 0, []
    for query in JUDGMENTS:
        a, b = ranked_identifiers(embedded, query, 5), ranked_identifiers(engine, query, 5)
        same_first += bool(a) and bool(b) and a[0] == b[0]
        overlaps.append(len(set(a) & set(b)) / max(len(a), len(b), 1))
    # measured: the same first dataset for 24 of 36 queries (the others swap two equally relevant ones),
    # 85% of the top five shared
    assert same_first >= 0.6 * len(JUDGMENTS)
    assert sum(overlaps) / len(overlaps) >= 0.8
