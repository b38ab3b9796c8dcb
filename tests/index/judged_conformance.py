"""Freshness and quality conformance (issue 13): every backend filters, counts, sorts and averages by them
the same way, judged at the query's clock (``SearchQuery.now``). Subclass :class:`JudgedConformance` with a
``backend`` fixture yielding an empty backend; expectations are computed from the corpus independently."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from index.search.base import FRESHNESS_STATES, OrderBy, SearchBackend, SearchDoc, SearchError, SearchQuery
from mappings.freshness import state
from tests.index.conformance import corpus

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CLOCKS = (NOW - timedelta(days=400), NOW, NOW + timedelta(days=30), NOW + timedelta(days=3000))


def judged_corpus() -> list[SearchDoc]:
    """The conformance corpus with due and stale instants spread around NOW (some unknown, some never due)
    and quality scores (some unscored, many ties)."""
    docs = []
    for i, doc in enumerate(corpus()):
        due = stale = None
        if i % 6:
            due = NOW + timedelta(days=(i * 29) % 400 - 200, hours=i % 5)
            stale = due + timedelta(days=(i * 7) % 90)
        if i % 31 == 5:
            due = stale = datetime(9999, 12, 31, tzinfo=UTC)
        quality = None if i % 17 == 4 else (i * 37) % 101
        docs.append(replace(doc, due_at=due, stale_at=stale, quality=quality))
    return docs


def _state(doc: SearchDoc, now: datetime) -> str:
    return state(doc.due_at, doc.stale_at, now)


class JudgedConformance:
    @pytest.fixture
    def docs(self) -> list[SearchDoc]:
        return judged_corpus()

    @pytest.fixture
    def loaded(self, backend: SearchBackend, docs: list[SearchDoc]) -> SearchBackend:
        backend.index(docs)
        return backend

    @pytest.mark.parametrize("now", CLOCKS)
    def test_freshness_facet_counts_at_the_clock(
        self, loaded: SearchBackend, docs: list[SearchDoc], now: datetime
    ) -> None:
        result = loaded.search(SearchQuery(limit=0, facets=("freshness",), now=now))
        counts = Counter(_state(d, now) for d in docs)
        expected = sorted(((s, n) for s, n in counts.items()), key=lambda p: (-p[1], FRESHNESS_STATES.index(p[0])))
        assert [(b.value, b.count) for b in result.facets["freshness"]] == expected

    @pytest.mark.parametrize("now", CLOCKS)
    @pytest.mark.parametrize("chosen", [("fresh",), ("due",), ("stale",), ("unknown",), ("due", "stale")])
    def test_freshness_filter(
        self, loaded: SearchBackend, docs: list[SearchDoc], now: datetime, chosen: tuple[str, ...]
    ) -> None:
        result = loaded.search(
            SearchQuery(freshness=chosen, now=now, limit=500, sort="title", facets=("source", "freshness"))
        )
        wanted = {d.id for d in docs if _state(d, now) in chosen}
        assert {h.id for h in result.hits} == wanted
        assert result.total == len(wanted)
        assert {b.value for b in result.facets["freshness"]} == {
            s for s in chosen if any(_state(d, now) == s for d in docs)
        }
        sources = Counter(d.source for d in docs if d.id in wanted)
        assert {b.value: b.count for b in result.facets["source"]} == dict(sources)

    def test_the_same_document_turns_due_then_stale_without_reindexing(
        self, loaded: SearchBackend, docs: list[SearchDoc]
    ) -> None:
        doc = next(d for d in docs if d.due_at is not None and d.stale_at is not None and d.stale_at > d.due_at)
        assert doc.due_at is not None
        assert doc.stale_at is not None
        for moment, word in (
            (doc.due_at - timedelta(seconds=1), "fresh"),
            (doc.due_at, "due"),
            (doc.stale_at, "stale"),
        ):
            found = loaded.search(SearchQuery(freshness=(word,), now=moment, limit=500))
            assert doc.id in {h.id for h in found.hits}, (moment, word)

    @pytest.mark.parametrize("minimum", [0, 1, 50, 99, 100])
    def test_quality_min(self, loaded: SearchBackend, docs: list[SearchDoc], minimum: int) -> None:
        result = loaded.search(SearchQuery(quality_min=minimum, limit=500, sort="title"))
        wanted = {d.id for d in docs if d.quality is not None and d.quality >= minimum}
        assert {h.id for h in result.hits} == wanted
        assert result.total == len(wanted)

    def test_sort_by_quality_pages_with_cursors(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        expected = sorted(docs, key=lambda d: (d.quality is None, -(d.quality or 0), d.id))
        seen: list[str] = []
        after = None
        while True:
            page = loaded.search(SearchQuery(sort="quality", limit=37, after=after))
            if not page.hits:
                break
            seen += [h.id for h in page.hits]
            after = page.hits[-1].sort_key
        assert seen == [d.id for d in expected]
        offset = loaded.search(SearchQuery(sort="quality", limit=20, offset=40))
        assert [h.id for h in offset.hits] == [d.id for d in expected[40:60]]

    def test_order_by_quality_ascending(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        """The lowest scores first (a report's list), unscored last, ties by id."""
        result = loaded.search(SearchQuery(order=(OrderBy("quality"),), limit=30))
        scored = sorted((d for d in docs if d.quality is not None), key=lambda d: (d.quality, d.id))
        assert [h.id for h in result.hits] == [d.id for d in scored[:30]]

    def test_average_quality_by_publisher_and_source(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        result = loaded.search(
            SearchQuery(limit=0, facets=(), averages=("publisher", "source"), freshness=("stale", "due"), now=NOW)
        )
        chosen = [d for d in docs if _state(d, NOW) in ("stale", "due") and d.quality is not None]
        for name in ("publisher", "source"):
            groups: dict[str, list[int]] = {}
            for d in chosen:
                for value in d.facet_values(name):
                    groups.setdefault(value, []).append(d.quality or 0)
            found = {a.value: (a.count, a.mean) for a in result.averages[name]}
            assert set(found) == set(groups)
            for value, scores in groups.items():
                assert found[value][0] == len(scores)
                assert found[value][1] == pytest.approx(sum(scores) / len(scores))

    def test_unknown_states_and_averages_are_refused(self, loaded: SearchBackend) -> None:
        with pytest.raises(SearchError, match="freshness"):
            loaded.search(SearchQuery(freshness=("rotten",)))
        with pytest.raises(SearchError, match="average"):
            loaded.search(SearchQuery(averages=("keyword",)))
