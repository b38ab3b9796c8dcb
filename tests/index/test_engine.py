"""The Elasticsearch/OpenSearch backend passes the backend conformance suite against a real OpenSearch node,
and keeps its promises about aliases, rebuilds and bulk writes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from index.search.engine import EngineIndex, open_engine
from tests.index.conformance import BackendConformance
from tests.support.servers import OpenSearchNode

pytestmark = pytest.mark.engine
_names = itertools.count()


def drop_indexes(node_url: str, alias: str) -> None:
    import httpx

    httpx.delete(f"{node_url}/{alias}-*", params={"ignore_unavailable": "true"}, timeout=30)


@pytest.fixture
def alias(opensearch_node: OpenSearchNode) -> Iterator[str]:
    name = f"nutmeg-test-{next(_names)}"
    yield name
    drop_indexes(opensearch_node.url, name)


class TestOpenSearchConformance(BackendConformance):
    @pytest.fixture
    def backend(self, opensearch_node: OpenSearchNode, alias: str) -> Iterator[EngineIndex]:
        index = open_engine(opensearch_node.url, alias)
        yield index
        index.close()
