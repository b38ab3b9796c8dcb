"""The harvest job tests again, on a real PostgreSQL store, and on PostgreSQL + a real OpenSearch node.

Same test functions (imported from ``test_harvest_jobs``), other ``settings``: what passes on SQLite and the
embedded index must pass on the production stack too.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from catalog_api.settings import Settings
from tests.catalog_api.test_harvest_jobs import *  # noqa: F403 (the tests themselves)
from tests.conftest import make_settings
from tests.index.conftest import drop_indexes
from tests.support.servers import OpenSearchNode

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
_aliases = itertools.count()


@pytest.fixture(params=["postgres", "postgres+opensearch"])
def settings(request: pytest.FixtureRequest, postgres_url: str) -> Iterator[Settings]:
    if request.param == "postgres":
        yield make_settings(database_url=postgres_url)
        return
    node: OpenSearchNode = request.getfixturevalue("opensearch_node")
    alias = f"nutmeg-harvest-{next(_aliases)}"
    yield make_settings(database_url=postgres_url, search_url=node.url, search_index=alias)
    drop_indexes(node.url, alias)
