"""Core datasets over HTTP: who may mark one (an admin of its organization, or the CDO), and where a core
dataset shows — the API, the search filter on every surface, the badge, and the per-organization lists."""

from __future__ import annotations

from typing import Any

import pytest

from index.core import core_ids
from index.search.base import SearchQuery
from tests.catalog_api.governance.conftest import Gov, snapshot


def state(gov: Gov) -> dict[str, Any]:
    """What a refused core write must leave alone, beside everything ``snapshot`` covers."""
    services = gov.services
    core_hits = services.index.search(SearchQuery(core=True, limit=100)).hits
    return {**snapshot(services), "core": sorted(core_ids(services.store)), "indexed": [h.id for h in core_hits]}


REFUSED = [
    (None, 401),  # no key
    ("bad", 401),  # a key that does not exist
    ("revoked", 401),
    ("health-admin", 403),  # another organization's admin
    ("dot-publisher", 403),  # too weak a role
    ("dot-reviewer", 403),
    ("catalog-publisher", 403),  # the catalog organization, but not an admin: not the CDO
]


@pytest.mark.parametrize(("who", "status"), REFUSED)
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_refused_core_writes_change_nothing(gov: Gov, who: str | None, status: int, method: str) -> None:
    gov.call("PUT", f"/api/v1/datasets/{gov.harvested}/core", "cdo", json={"used_by": ["dot"]})
    before = state(gov)
    headers = {"Authorization": "Bearer nmk_not-a-real-key"} if who == "bad" else {}
    body = {"used_by": ["dot", "health"], "note": "changed"} if method == "PUT" else None
    for target in (gov.published, gov.harvested):
        response = gov.call(
            method, f"/api/v1/datasets/{target}/core", None if who == "bad" else who, json=body, headers=headers
        )
        assert response.status_code == status, response.text
        assert set(response.json()["error"]) == {"code", "message"}
    assert state(gov) == before


def test_an_admin_marks_its_own_dataset_and_it_shows_everywhere(gov: Gov) -> None:
    marked = gov.call(
        "PUT", f"/api/v1/datasets/{gov.published}/core", "dot-admin", json={"used_by": ["dot", "health"], "note": "n"}
    )
    assert marked.status_code == 200, marked.text
    assert [u["slug"] for u in marked.json()["used_by"]] == ["health", "dot"]  # by title
    one = gov.client.get(f"/api/v1/datasets/{gov.published}").json()
    assert one["core"]["note"] == "n"
    assert {u["slug"] for u in one["core"]["used_by"]} == {"dot", "health"}
    assert gov.client.get(f"/api/v1/datasets/{gov.harvested}").json()["core"] is None
    # the filter on the search API, the feeds, the page and CKAN
    assert gov.search_ids(core="true") == {gov.published}
    assert gov.published not in gov.search_ids(core="false")
    assert gov.published in gov.client.get("/search.atom", params={"core": "true"}).text
    ckan = gov.client.get("/api/3/action/package_search", params={"fq": "core:true"}).json()["result"]
    assert [p["id"] for p in ckan["results"]] == [gov.published]
    page = gov.client.get("/", params={"core": "true"})
    assert page.status_code == 200
    assert "Road incidents" in page.text
    assert "Core datasets" in page.text
    assert page.text.count("badge-core") == 1  # the result's badge
    # the per-organization lists
    relied = gov.client.get("/api/v1/organizations/health/core-datasets").json()
    assert [(r["id"], r["used_by"]) for r in relied["results"]] == [(gov.published, 2)]
    assert gov.client.get("/api/v1/core-datasets").json()["total"] == 1
    # the badge on the dataset page and the list on its organization's page
    dataset_page = gov.client.get(one["html_url"].replace("http://catalog.test", ""))
    assert "badge-core" in dataset_page.text
    assert "used by 2 agencies" in dataset_page.text
    organization_page = gov.client.get("/organization/dot")
    assert organization_page.status_code == 200
    assert "used by 2 agencies" in organization_page.text


def test_an_edit_keeps_the_core_flag_in_the_index(gov: Gov) -> None:
    gov.call("PUT", f"/api/v1/datasets/{gov.published}/core", "dot-admin", json={"used_by": ["dot"]})
    edited = gov.call("PATCH", f"/api/v1/datasets/{gov.published}", "dot-publisher", json={"title": "Road incidents 2"})
    assert edited.status_code == 200, edited.text
    assert gov.search_ids(core="true") == {gov.published}  # reindexed with its annotation


def test_the_cdo_marks_any_dataset_and_unmarks_it(gov: Gov) -> None:
    unknown = gov.call("PUT", f"/api/v1/datasets/{gov.harvested}/core", "cdo", json={"used_by": ["nobody"]})
    assert unknown.status_code == 404
    assert core_ids(gov.services.store) == set()
    assert gov.call("PUT", f"/api/v1/datasets/{gov.harvested}/core", "cdo", json={}).status_code == 200
    assert gov.search_ids(core="true") == {gov.harvested}
    assert gov.call("DELETE", f"/api/v1/datasets/{gov.harvested}/core", "cdo").status_code == 204
    assert gov.search_ids(core="true") == set()
    assert gov.call("DELETE", f"/api/v1/datasets/{gov.harvested}/core", "cdo").status_code == 404
    actions = [e["action"] for e in gov.call("GET", "/api/v1/audit", "cdo").json()["results"]]
    assert {"dataset.core", "dataset.uncore"} <= set(actions)


def test_a_bad_core_value_is_a_400(gov: Gov) -> None:
    assert gov.client.get("/api/v1/datasets", params={"core": "maybe"}).status_code in (400, 422)
    assert gov.client.get("/", params={"core": "maybe"}).status_code == 400
    ckan = gov.client.get("/api/3/action/package_search", params={"fq": "core:maybe"})
    assert ckan.json()["success"] is False
