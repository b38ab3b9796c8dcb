"""The Elasticsearch/OpenSearch backend passes the backend conformance suite against a real OpenSearch node,
and keeps its promises about aliases, rebuilds and bulk writes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from index.search.engine import EngineIndex, open_engine
from tests.index.conformance import BackendConformance
from tests.support.servers import OpenSearchNode

pytestmark = pytest.mark.engine


class TestOpenSearchConformance(BackendConformance):
    @pytest.fixture
    def backend(self, opensearch_node: OpenSearchNode, alias: str) -> Iterator[EngineIndex]:
        index = open_engine(opensearch_node.url, alias)
        yield index
        index.close()
