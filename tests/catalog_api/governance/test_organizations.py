"""Organizations: harvested publishers matched to them (pages, facets, CKAN use them), the
organizations page searchable and sortable, and the CDO's `nutmeg org` / `nutmeg key` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from catalog_api.cli import main
from index.governance import rematch_records, unmatched_publishers, update_organization
from tests.catalog_api.governance.conftest import Gov
from tests.support.html import parse

CFTC = "U.S. Commodity Futures Trading Commission"
BROWSER = {"Accept": "text/html"}


def _facet(gov: Gov) -> dict[str, int]:
    body = gov.client.get("/api/v1/datasets", params={"per_page": 1}).json()
    return {f["value"]: f["count"] for f in body["facets"]["publisher"]}


def test_records_belong_to_their_sources_organization(gov: Gov) -> None:
    # the cftc source belongs to dot: its records (publisher unmatched) count as dot's
    assert _facet(gov) == {"Department of Transportation": 8}
    owned = gov.services.store.get_record(gov.harvested)
    assert owned.organization == "Department of Transportation"
    assert owned.dataset["publisher"]["name"] == CFTC  # the record itself keeps what its source says


def test_a_mapped_publisher_name_moves_records_to_its_organization(gov: Gov) -> None:
    made = gov.call(
        "POST",
        "/api/v1/organizations",
        "cdo",
        json={
            "slug": "cftc",
            "title": "Commodity Futures Trading Commission",
            "description": "Regulates derivatives markets.",
            "publisher_names": [CFTC],
            "parent": None,
        },
    )
    assert made.status_code == 201, made.text
    assert _facet(gov) == {"Commodity Futures Trading Commission": 7, "Department of Transportation": 1}
    # CKAN: the organization is named by its registered slug
    orgs = gov.client.get("/api/3/action/organization_list", params={"all_fields": "true"}).json()["result"]
    assert {(o["name"], o["package_count"]) for o in orgs} == {("cftc", 7), ("dot", 1)}
    package = gov.client.get("/api/3/action/package_show", params={"id": gov.harvested}).json()["result"]
    assert package["organization"]["name"] == "cftc"
    assert package["author"] == CFTC
    shown = gov.client.get("/api/3/action/package_search", params={"fq": "organization:cftc"}).json()["result"]
    assert shown["count"] == 7
    # pages: the registered slug, with description; the title's slug redirects to it
    page = parse(gov.client.get("/organization/cftc", headers=BROWSER).text)
    assert page.find("h1").text() == "Commodity Futures Trading Commission"
    assert "Regulates derivatives markets." in page.find("p", class_="lead").text()
    moved = gov.client.get("/organization/commodity-futures-trading-commission", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (301, "/organization/cftc")
    assert gov.client.get("/api/v1/organizations/cftc").json()["datasets"] == 7


def test_unmatched_publisher_names_are_listed_for_the_cdo(gov: Gov) -> None:
    from index.governance import set_source_organization

    set_source_organization(gov.services.store, "cftc", None)
    rematch_records(gov.services.store)
    assert unmatched_publishers(gov.services.store) == [(CFTC, 7)]
    update_organization(gov.services.store, "dot", publisher_names=["DOT", "u.s. commodity futures trading commission"])
    assert rematch_records(gov.services.store) == 7
    assert unmatched_publishers(gov.services.store) == []
    gov.services.runner.index_pending()
    assert _facet(gov) == {"Department of Transportation": 8}


def test_a_sub_organization_links_its_parent(gov: Gov) -> None:
    made = gov.call(
        "POST",
        "/api/v1/organizations",
        "cdo",
        json={"slug": "dot-highways", "title": "Highway Division", "parent": "dot", "mode": "reviewed"},
    )
    assert made.status_code == 201
    assert made.json()["parent"] == "dot"
    page = parse(gov.client.get("/organization/dot-highways", headers=BROWSER).text)
    assert page.find("p", class_="meta").find("a").get("href") == "/organization/dot"
    bad = gov.call("POST", "/api/v1/organizations", "cdo", json={"slug": "Bad Slug!", "title": "X"})
    assert bad.status_code == 400
    assert gov.call("POST", "/api/v1/organizations", "cdo", json={"slug": "dot", "title": "X"}).status_code == 409


def _listed(gov: Gov, **params: Any) -> list[tuple[str, str, int]]:
    response = gov.client.get("/organization", params=params, headers=BROWSER)
    assert response.status_code == 200, response.text
    rows = parse(response.text).find("tbody").find_all("tr")
    return [(r.find("a").text(), r.find("a").get("href"), int(r.find_all("td")[-1].text())) for r in rows]


def test_the_organizations_page_is_searchable_and_sortable(gov: Gov) -> None:
    update_organization(gov.services.store, "health", description="Public health: diseases, clinics, vital records.")
    by_name = _listed(gov)
    assert [n for n, _, _ in by_name] == sorted((n for n, _, _ in by_name), key=str.casefold)
    assert ("Department of Transportation", "/organization/dot", 8) in by_name
    assert ("Department of Health", "/organization/health", 0) in by_name  # registered, nothing approved yet
    assert _listed(gov, q="clinics") == [("Department of Health", "/organization/health", 0)]
    assert _listed(gov, q="department transportation") == [("Department of Transportation", "/organization/dot", 8)]
    assert _listed(gov, sort="datasets")[0][0] == "Department of Transportation"
    assert gov.client.get("/organization", params={"sort": "size"}, headers=BROWSER).status_code == 400
    empty = gov.client.get("/organization", params={"q": "zebra"}, headers=BROWSER)
    assert "No organization matches" in empty.text


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUTMEG_DATABASE_URL", f"sqlite:///{tmp_path}/gov.db")
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.output  # output: stdout and stderr as a terminal shows them


@pytest.mark.usefixtures("cli_env")
def test_the_cdo_sets_up_an_agency_from_the_shell() -> None:
    assert run("org", "add", "catalog", "--title", "Office of the CDO")[0] == 0
    assert run("org", "add", "dot", "--title", "Department of Transportation", "--mode", "reviewed")[0] == 0
    code, out, _ = run("org", "add", "dot-hwy", "--title", "Highways", "--parent", "dot")
    assert code == 0, out
    code, _, shown = run("org", "add", "Bad Name!", "--title", "X")
    assert code != 0
    assert "not a slug" in shown
    code, _, shown = run("org", "add", "x", "--title", "X", "--parent", "nope")
    assert code != 0
    assert "no organization 'nope'" in shown
    code, secret, err = run("key", "create", "--org", "dot", "--role", "publisher", "--name", "Jane")
    assert code == 0, err
    secret = secret.strip()
    assert secret.startswith("nmk_")
    assert len(secret) > 40
    assert "cannot be shown again" in err
    code, listed, _ = run("key", "list")
    assert "Jane" in listed
    assert secret not in listed
    assert run("key", "create", "--org", "nowhere", "--role", "admin")[0] != 0
    code, out, _ = run("key", "revoke", "1")
    assert code == 0
    assert "revoked key 1" in out
    code, out, _ = run("org", "list", "--json")
    assert '"dot-hwy"' in out


def test_help_on_every_governance_command() -> None:
    for command in (
        ["org"],
        ["org", "add"],
        ["org", "update"],
        ["org", "list"],
        ["key"],
        ["key", "create"],
        ["key", "list"],
        ["key", "revoke"],
        ["source", "update"],
    ):
        code, shown, _ = run(*command, "--help")
        assert code == 0, command
        assert "Usage:" in shown
