"""The embedded index passes the backend conformance suite, in memory and on a file shared by processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.search.base import SearchQuery
from index.search.embedded import EmbeddedIndex
from tests.index.conformance import BackendConformance, corpus


class TestEmbeddedConformance(BackendConformance):
    @pytest.fixture
    def backend(self) -> Iterator[EmbeddedIndex]:
        index = EmbeddedIndex(":memory:")
        yield index
        index.close()


class TestEmbeddedOnFileConformance(BackendConformance):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[EmbeddedIndex]:
        index = EmbeddedIndex(tmp_path / "index.db")
        yield index
        index.close()


def test_a_second_reader_sees_writes_from_another_connection(tmp_path: Path) -> None:
    """The server process reads what a harvest process writes: new rows, removals and rebuilds."""
    docs = corpus(60)
    writer, reader = EmbeddedIndex(tmp_path / "i.db"), EmbeddedIndex(tmp_path / "i.db")
    try:
        writer.index(docs[:40])
        assert reader.search(SearchQuery()).total == 40
        writer.index(docs[40:])
        writer.remove([docs[0].id])
        assert reader.search(SearchQuery()).total == 59
        assert reader.search(SearchQuery(filters={"source": ("state",)})).total == sum(
            1 for d in docs[1:] if d.source == "state"
        )
        writer.rebuild(iter(docs[:10]))
        assert reader.search(SearchQuery()).total == 10
    finally:
        writer.close()
        reader.close()


def test_many_replacements_compact(tmp_path: Path) -> None:
    docs = corpus(50)
    index = EmbeddedIndex(tmp_path / "i.db")
    for _ in range(60):
        index.index(docs)
    result = index.search(SearchQuery(limit=100))
    assert result.total == 50
    assert len({h.id for h in result.hits}) == 50
    index.close()


def test_an_index_file_of_an_older_layout_is_emptied_and_usable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file from before areas, periods and identifiers were indexed: emptied (with a warning naming
    ``nutmeg reindex``), then written and searched as usual."""
    import sqlite3

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE docs (rowid INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, hash TEXT NOT NULL);"
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO docs (id, hash) VALUES ('stale', 'h');"
        "INSERT INTO meta VALUES ('generation', 'g1');"
    )
    old.commit()
    old.close()
    with caplog.at_level("WARNING", logger="nutmeg.index"):
        index = EmbeddedIndex(path)
    assert "nutmeg reindex" in caplog.text
    assert index.hashes() == {}
    docs = corpus(20)
    index.index(docs)
    assert index.search(SearchQuery(bbox=(-180.0, -90.0, 180.0, 90.0), limit=50)).total == sum(
        1 for d in docs if d.bbox is not None
    )
    index.close()
    reopened = EmbeddedIndex(path)  # a file of the current layout is kept as it is
    assert len(reopened.hashes()) == 20
    reopened.close()
