"""Core flags and popularity in the index (``SearchBackend.annotate``, ``core``, ``sort=popular``), the same
on every backend: the embedded index in memory and on a file, a real OpenSearch node, and the same node
through the official Elasticsearch client.

Expectations are computed in Python from the annotations the test chose, never read back from a backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from index.search.base import Annotation, Match, Not, OrderBy, SearchBackend, SearchDoc, SearchQuery
from index.search.embedded import EmbeddedIndex
from index.search.engine import open_engine
from tests.index.conformance import all_ids, corpus, expected_facets, facets_of
from tests.index.test_engine_elasticsearch import CLIENT_MAJOR
from tests.support.esproxy import ElasticsearchFacade
from tests.support.servers import OpenSearchNode


def annotations_of(docs: list[SearchDoc]) -> dict[str, Annotation]:
    """Uneven: every 5th document core, popularity with many ties and many zeros."""
    return {d.id: Annotation(core=n % 5 == 2, popularity=(n * 7) % 13 if n % 3 else 0) for n, d in enumerate(docs)}


def popular_order(docs: list[SearchDoc], found: dict[str, Annotation]) -> list[str]:
    return [d.id for d in sorted(docs, key=lambda d: (-found[d.id].popularity, d.id))]


class AnnotationConformance:
    @pytest.fixture
    def docs(self) -> list[SearchDoc]:
        return corpus(120)

    @pytest.fixture
    def found(self, docs: list[SearchDoc]) -> dict[str, Annotation]:
        return annotations_of(docs)

    @pytest.fixture
    def annotated(self, backend: SearchBackend, docs: list[SearchDoc], found: dict[str, Annotation]) -> SearchBackend:
        backend.index(docs)  # indexed without annotations, then annotated in one batch
        backend.annotate({**found, "no-such-doc": Annotation(True, 99)})
        return backend

    def test_core_filter_keeps_core_documents_with_their_facets(
        self, annotated: SearchBackend, docs: list[SearchDoc], found: dict[str, Annotation]
    ) -> None:
        core = [d for d in docs if found[d.id].core]
        result = annotated.search(SearchQuery(core=True, limit=500))
        assert sorted(h.id for h in result.hits) == sorted(d.id for d in core)
        assert result.total == len(core) > 10
        assert facets_of(result) == expected_facets(core)
        others = annotated.search(SearchQuery(core=False, limit=500))
        assert others.total == len(docs) - len(core)
        assert not {h.id for h in others.hits} & {d.id for d in core}

    def test_core_as_a_where_clause_and_with_words(
        self, annotated: SearchBackend, docs: list[SearchDoc], found: dict[str, Annotation]
    ) -> None:
        core_ids = {d.id for d in docs if found[d.id].core}
        assert {h.id for h in annotated.search(SearchQuery(where=Match("core", "true"), limit=500)).hits} == core_ids
        negated = annotated.search(SearchQuery(where=Not(Match("core", "true")), limit=500))
        assert {h.id for h in negated.hits} == {d.id for d in docs} - core_ids
        crime = {d.id for d in docs if "crime" in {k.casefold() for k in d.keywords}} & core_ids
        assert {h.id for h in annotated.search(SearchQuery(text="crime", core=True, limit=500)).hits} == crime

    def test_sort_popular_walks_every_result_in_order(
        self, annotated: SearchBackend, docs: list[SearchDoc], found: dict[str, Annotation]
    ) -> None:
        assert all_ids(annotated, SearchQuery(sort="popular")) == popular_order(docs, found)
        first = annotated.search(SearchQuery(sort="popular", limit=3))
        assert [h.sort_key for h in first.hits] == [(found[i].popularity, i) for i in popular_order(docs, found)[:3]]
        offset = annotated.search(SearchQuery(sort="popular", offset=10, limit=5))
        assert [h.id for h in offset.hits] == popular_order(docs, found)[10:15]

    def test_sort_popular_within_words_and_as_an_order(
        self, annotated: SearchBackend, docs: list[SearchDoc], found: dict[str, Annotation]
    ) -> None:
        budget = [d for d in docs if "budget" in {k.casefold() for k in d.keywords}]
        assert all_ids(annotated, SearchQuery(text="budget", sort="popular")) == popular_order(budget, found)
        ordered = annotated.search(SearchQuery(order=(OrderBy("popularity", descending=True),), limit=500))
        assert [h.id for h in ordered.hits] == popular_order(docs, found)

    def test_reindexing_keeps_what_the_document_carries_and_annotate_changes_it(
        self, annotated: SearchBackend, docs: list[SearchDoc], found: dict[str, Annotation]
    ) -> None:
        least = popular_order(docs, found)[-1]
        doc = next(d for d in docs if d.id == least)
        annotated.index([replace(doc, title="Renamed", core=True, popularity=500)])  # a harvest, annotated
        top = annotated.search(SearchQuery(sort="popular", limit=1)).hits[0]
        assert top.id == least
        assert least in {h.id for h in annotated.search(SearchQuery(core=True, limit=500)).hits}
        annotated.annotate({least: Annotation()})  # unmarked, and no use left in the window
        assert annotated.search(SearchQuery(sort="popular", limit=500)).hits[-1].id == least
        assert least not in {h.id for h in annotated.search(SearchQuery(core=True, limit=500)).hits}
        assert annotated.search(SearchQuery(text="Renamed")).total == 1  # the text was not touched

    def test_a_rebuild_takes_the_annotations_the_documents_carry(
        self, annotated: SearchBackend, docs: list[SearchDoc], found: dict[str, Annotation]
    ) -> None:
        carried = [replace(d, core=d.id == docs[0].id, popularity=3 if d.id == docs[1].id else 0) for d in docs]
        annotated.rebuild(carried)
        assert [h.id for h in annotated.search(SearchQuery(core=True)).hits] == [docs[0].id]
        assert annotated.search(SearchQuery(sort="popular", limit=1)).hits[0].id == docs[1].id


class TestEmbeddedAnnotations(AnnotationConformance):
    @pytest.fixture
    def backend(self) -> Iterator[EmbeddedIndex]:
        index = EmbeddedIndex(":memory:")
        yield index
        index.close()


class TestEmbeddedOnFileAnnotations(AnnotationConformance):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[EmbeddedIndex]:
        index = EmbeddedIndex(tmp_path / "index.db")
        yield index
        index.close()


@pytest.mark.engine
class TestOpenSearchAnnotations(AnnotationConformance):
    @pytest.fixture
    def backend(self, opensearch_node: OpenSearchNode, alias: str) -> Iterator[SearchBackend]:
        index = open_engine(opensearch_node.url, alias)
        yield index
        index.close()


@pytest.mark.engine
class TestElasticsearchClientAnnotations(AnnotationConformance):
    """The same through the official Elasticsearch client (its partial updates too)."""

    @pytest.fixture
    def backend(self, opensearch_node: OpenSearchNode, alias: str) -> Iterator[SearchBackend]:
        with ElasticsearchFacade(opensearch_node.url, major=CLIENT_MAJOR) as proxy:
            index = open_engine(proxy.url, alias)
            yield index
            index.close()


def test_another_process_sees_annotations(tmp_path: Path) -> None:
    """A server process reads the annotations another (flushing or harvesting) process writes."""
    docs = corpus(30)
    writer, reader = EmbeddedIndex(tmp_path / "i.db"), EmbeddedIndex(tmp_path / "i.db")
    try:
        writer.index(docs)
        assert reader.search(SearchQuery(core=True)).total == 0
        writer.annotate({docs[4].id: Annotation(core=True, popularity=9), docs[7].id: Annotation(popularity=4)})
        assert [h.id for h in reader.search(SearchQuery(core=True)).hits] == [docs[4].id]
        assert [h.id for h in reader.search(SearchQuery(sort="popular", limit=2)).hits] == [docs[4].id, docs[7].id]
        writer.index([replace(docs[9], popularity=20)])  # a new rowid for a document: the reader follows
        assert reader.search(SearchQuery(sort="popular", limit=1)).hits[0].id == docs[9].id
    finally:
        writer.close()
        reader.close()
