"""Each publisher's datasets split by the age of their modified date, counted by the search index."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from catalog_api.web.freshness import AGES, SERIES, freshness
from catalog_api.web.organizations import named_by, publishers
from index.search.base import SearchDoc
from index.search.embedded import EmbeddedIndex
from tests.index.conformance import corpus

NOW = datetime(2024, 11, 26, tzinfo=UTC)


def _band(modified: datetime | None) -> int:
    """The band a date falls in, computed here independently of the code under test."""
    if modified is None:
        return len(AGES) + 1  # undated: the last band
    for band, (_, limit) in enumerate(AGES):
        if NOW - modified <= limit:
            return band
    return len(AGES)  # older than every limit


def _doc(i: int, publisher: str | None, modified: datetime | None) -> SearchDoc:
    return SearchDoc(
        id=f"d{i:04d}",
        title=f"Dataset {i}",
        description="",
        keywords=(),
        themes=(),
        publisher=publisher,
        formats=(),
        license=None,
        access_level=None,
        source="s",
        modified=modified,
        content_hash=str(i),
    )


@pytest.fixture
def docs() -> list[SearchDoc]:
    ages = [timedelta(days=d) for d in (1, 29, 31, 200, 364, 366, 700, 1094, 1096, 5000)]
    publishers_ = ["Health", "Parks", "Health", "Transit"]
    out = [_doc(i, publishers_[i % 4], NOW - ages[i % len(ages)]) for i in range(40)]
    out += [_doc(100 + i, publishers_[i % 4], None) for i in range(6)]  # undated
    out += [_doc(200, None, NOW - timedelta(days=3))]  # no publisher: in no row
    return out


@pytest.fixture
def index(docs: list[SearchDoc]) -> Iterator[EmbeddedIndex]:
    backend = EmbeddedIndex(":memory:")
    backend.index(docs)
    yield backend
    backend.close()


def test_bands_match_an_independent_count(index: EmbeddedIndex, docs: list[SearchDoc]) -> None:
    table = freshness(index, NOW)
    expected: dict[str, Counter[int]] = {}
    for doc in docs:
        if doc.publisher:
            expected.setdefault(doc.publisher, Counter())[_band(doc.modified)] += 1
    assert set(table) == set(expected)
    for name, row in table.items():
        assert len(row.counts) == len(SERIES)
        assert row.counts == tuple(expected[name][i] for i in range(len(SERIES)))
        assert row.total == sum(1 for d in docs if d.publisher == name)


def test_filters_narrow_the_count(index: EmbeddedIndex, docs: list[SearchDoc]) -> None:
    table = freshness(index, NOW, {"publisher": ("Parks",)})
    assert set(table) == {"Parks"}
    assert table["Parks"].total == sum(1 for d in docs if d.publisher == "Parks")


def test_publishers_and_their_slugs() -> None:
    backend = EmbeddedIndex(":memory:")
    try:
        docs = [*corpus(60), _doc(900, "Dept. of Health", None), _doc(901, "Dept of Health", None)]
        backend.index(docs)
        found = publishers(backend)
        assert {p.name: p.datasets for p in found} == Counter(d.publisher for d in docs if d.publisher)
        assert [p.datasets for p in found] == sorted((p.datasets for p in found), reverse=True)
        same = named_by("dept-of-health", found)
        assert {p.name for p in same} == {"Dept. of Health", "Dept of Health"}
        assert all(p.href == "/organization/dept-of-health" for p in same)
        assert named_by("nobody", found) == []
    finally:
        backend.close()
