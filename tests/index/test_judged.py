"""Freshness and quality conformance on both backends: embedded (in memory and on a file) and a real
OpenSearch node."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.search.embedded import EmbeddedIndex
from index.search.engine import EngineIndex, open_engine
from tests.index.judged_conformance import JudgedConformance
from tests.support.servers import OpenSearchNode


class TestEmbeddedJudged(JudgedConformance):
    @pytest.fixture
    def backend(self) -> Iterator[EmbeddedIndex]:
        index = EmbeddedIndex(":memory:")
        yield index
        index.close()


class TestEmbeddedOnFileJudged(JudgedConformance):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[EmbeddedIndex]:
        index = EmbeddedIndex(tmp_path / "index.db")
        yield index
        index.close()


@pytest.mark.engine
class TestOpenSearchJudged(JudgedConformance):
    @pytest.fixture
    def backend(self, opensearch_node: OpenSearchNode, alias: str) -> Iterator[EngineIndex]:
        index = open_engine(opensearch_node.url, alias)
        yield index
        index.close()
