"""The governance tests again on the production stacks: a real PostgreSQL store, alone and with a real
OpenSearch node. A focused subset: every write endpoint refused (each with one kind of bad key, every
kind used), the review flow's visibility everywhere, the audit log, overrides across a re-harvest,
publisher matching, an agency's feed, and the web forms."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from catalog_api.settings import Settings
from tests.catalog_api.governance import test_auth
from tests.catalog_api.governance.conftest import Gov
from tests.catalog_api.governance.test_organizations import (  # noqa: F401 (the tests themselves)
    test_a_mapped_publisher_name_moves_records_to_its_organization,
)
from tests.catalog_api.governance.test_publishing import (  # noqa: F401
    test_a_harvested_record_edit_is_an_override_that_survives_reharvest,
    test_a_reviewed_edit_stays_invisible_until_approved,
    test_a_reviewed_organizations_new_dataset_waits_for_approval,
    test_the_audit_log_records_each_change_with_its_diff,
)
from tests.catalog_api.governance.test_sources import (  # noqa: F401
    test_an_agency_registers_its_feed_in_one_call_and_harvests_it,
)
from tests.catalog_api.governance.test_web_forms import test_publish_edit_review_and_sign_out  # noqa: F401
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
    alias = f"nutmeg-governance-{next(_aliases)}"
    yield make_settings(database_url=postgres_url, search_url=node.url, search_index=alias)
    drop_indexes(node.url, alias)


def _one_refusal_per_write() -> list[object]:
    kinds = itertools.cycle(test_auth.REFUSALS)
    chosen = []
    for write in test_auth.WRITES:
        refusal = next(kinds)
        while refusal == "too weak a role" and write.weak is None:
            refusal = next(kinds)
        chosen.append(pytest.param(write, refusal, id=f"{write.name}-{refusal}"))
    return chosen


@pytest.mark.parametrize(("write", "refusal"), _one_refusal_per_write())
def test_refused_writes_change_nothing(
    gov: Gov, write: test_auth.Write, refusal: str, caplog: pytest.LogCaptureFixture
) -> None:
    test_auth.test_refused_writes_change_nothing(gov, write, refusal, caplog)
