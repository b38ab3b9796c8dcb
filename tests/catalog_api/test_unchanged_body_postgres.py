"""The unchanged-body tests again, on a real PostgreSQL store (the errors are copied with INSERT … SELECT,
the baseline kept in its own table)."""

from __future__ import annotations

import pytest

from catalog_api.settings import Settings
from tests.catalog_api.test_unchanged_body import *  # noqa: F403 (the tests themselves)
from tests.conftest import make_settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def settings(postgres_url: str) -> Settings:
    return make_settings(database_url=postgres_url)
