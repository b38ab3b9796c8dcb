"""The Elasticsearch client path: the official ``elasticsearch`` client passes the same conformance suite.

It talks to the OpenSearch test node through :mod:`tests.support.esproxy` (why: see that module and
docs/deployment.md): the proxy only translates what the client checks, so every request Nutmeg builds
reaches a real node through the real Elasticsearch client.
"""

from __future__ import annotations

from collections.abc import Iterator

import elasticsearch
import pytest

from index.search.base import SearchQuery
from index.search.engine import EngineIndex, open_engine
from index.search.engine_clients import ElasticsearchClient
from tests.index.conformance import BackendConformance, corpus
from tests.support.esproxy import ElasticsearchFacade
from tests.support.servers import OpenSearchNode

pytestmark = pytest.mark.engine
CLIENT_MAJOR = int(elasticsearch.__versionstr__.split(".")[0])


@pytest.fixture(scope="module")
def facade(opensearch_node: OpenSearchNode) -> Iterator[ElasticsearchFacade]:
    with ElasticsearchFacade(opensearch_node.url, major=CLIENT_MAJOR) as proxy:
        yield proxy


class TestElasticsearchClientConformance(BackendConformance):
    @pytest.fixture
    def backend(self, facade: ElasticsearchFacade, alias: str) -> Iterator[EngineIndex]:
        index = open_engine(facade.url, alias)
        yield index
        index.close()


def test_the_official_client_is_the_one_talking(facade: ElasticsearchFacade, alias: str) -> None:
    index = open_engine(facade.url, alias)
    try:
        index.index(corpus(20))
        assert index.search(SearchQuery()).total == 20
        assert index.info.product == "elasticsearch"
        assert index.info.major == CLIENT_MAJOR
        assert isinstance(index._client(), ElasticsearchClient)
        assert index.health().version == f"Elasticsearch {CLIENT_MAJOR}.0.0"
        # the client asked for its compatibility media types, for JSON and for bulk NDJSON alike
        assert f"application/vnd.elasticsearch+json; compatible-with={CLIENT_MAJOR}" in facade.seen_media_types
        assert f"application/vnd.elasticsearch+x-ndjson; compatible-with={CLIENT_MAJOR}" in facade.seen_media_types
    finally:
        index.close()
