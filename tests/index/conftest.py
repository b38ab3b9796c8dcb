"""Fixtures of the index tests: a fresh alias name on the session's OpenSearch node."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.support.servers import OpenSearchNode

_names = itertools.count()


def drop_indexes(node_url: str, alias: str) -> None:
    import httpx

    httpx.delete(f"{node_url}/{alias}-*", params={"ignore_unavailable": "true"}, timeout=30)


@pytest.fixture
def alias(opensearch_node: OpenSearchNode) -> Iterator[str]:
    name = f"nutmeg-test-{next(_names)}"
    yield name
    drop_indexes(opensearch_node.url, name)
