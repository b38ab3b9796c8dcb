"""One dataset listed by several sources is shown once: data.cdc.gov and healthdata.gov list the same CDC
datasets under the same identifiers (real 2025/2020 snapshots), harvested over loopback HTTP; every
output counts each dataset once, the losers' URLs redirect, and an admin's split sticks.

Expected counts are computed from the fixture files themselves (identifiers both catalogs list), not
from the code under test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from catalog_api.settings import Settings
from index.duplicates import group_members, merged_away
from index.governance import NewOrganization, add_organization, create_key, list_organizations, set_source_organization
from index.ids import record_id, slug_path
from index.stats import additions, newest_records
from tests.conftest import datasets_of, make_settings
from tests.support.httpserver import LoopbackServer, Route
from tests.support.servers import OpenSearchNode

CDC = "datajson/cdc.gov.data.json"
HHS = "datajson/healthdata.gov-dkan-2020.data.json"
NOW = datetime(2026, 11, 28, tzinfo=UTC)
ALIAS = "nutmeg-duplicates"


def identifiers(relative: str) -> set[str]:
    return {d["identifier"] for d in datasets_of(relative) if d.get("identifier")}


SHARED = sorted(identifiers(CDC) & identifiers(HHS))
UNIQUE = len(identifiers(CDC) | identifiers(HHS))


@pytest.fixture(scope="module", params=["embedded", pytest.param("engine", marks=pytest.mark.engine)])
def cdc(request: pytest.FixtureRequest) -> Iterator[tuple[Services, TestClient, LoopbackServer, dict[str, str]]]:
    if request.param == "engine":
        node: OpenSearchNode = request.getfixturevalue("opensearch_node")
        settings = make_settings(search_url=node.url, search_index=ALIAS)
    else:
        settings = make_settings()
    with LoopbackServer() as server:
        services = build_services(settings)
        keys = _organizations(services)
        _harvest(services, server, "cdc", CDC, "cdc")
        _harvest(services, server, "healthdata", HHS, None, aggregator="true")
        with TestClient(create_app(services.settings, services), raise_server_exceptions=False) as client:
            yield services, client, server, keys
        if request.param == "engine":
            import httpx

            httpx.delete(f"{settings.search_url}/{ALIAS}-*", timeout=30)
        services.close()


def _organizations(services: Services) -> dict[str, str]:
    store = services.store
    add_organization(store, NewOrganization("catalog", "Office of the Chief Data Officer"), NOW)
    add_organization(store, NewOrganization("cdc", "Centers for Disease Control and Prevention"), NOW)
    add_organization(store, NewOrganization("parks", "Department of Parks"), NOW)
    keys = {}
    for name, org, role in [
        ("cdc-admin", "cdc", "admin"),
        ("cdc-reviewer", "cdc", "reviewer"),
        ("parks-admin", "parks", "admin"),
    ]:
        keys[name] = create_key(store, org, role, name, NOW)[1]
    return keys


def _harvest(
    services: Services, server: LoopbackServer, name: str, relative: str, org: str | None, **options: str
) -> None:
    from tests.conftest import add_source, serve_file

    add_source(services, name, serve_file(server, relative, f"/{name}/data.json"), options=options)
    if org is not None:
        set_source_organization(
            services.store, name, next(o.id for o in list_organizations(services.store) if o.slug == org)
        )
    report = services.runner.harvest(name)
    assert report.status == "succeeded", report.message


def _get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, (path, response.text[:300])
    return response


# -- recognition -----------------------------------------------------------------------------------------


def test_every_cdc_dataset_both_catalogs_list_is_one_dataset(cdc: Any) -> None:
    services = cdc[0]
    assert len(SHARED) > 400  # the real overlap of the two snapshots
    hidden, merged = merged_away(services.store)
    assert len(hidden) == len(SHARED)
    assert len(merged) == len(SHARED)
    for identifier in SHARED[::25]:
        winner, loser = record_id("cdc", identifier), record_id("healthdata", identifier)
        assert winner in merged
        assert loser in hidden
        assert group_members(services.store, winner) == sorted([winner, loser])


# -- counted once everywhere --------------------------------------------------------------------------------


def test_search_and_facets_count_each_dataset_once(cdc: Any) -> None:
    client = cdc[1]
    body = _get(client, "/api/v1/datasets", per_page=1).json()
    assert body["total"] == UNIQUE
    by_source = {f["value"]: f["count"] for f in body["facets"]["source"]}
    assert by_source == {"cdc": len(identifiers(CDC)), "healthdata": UNIQUE - len(identifiers(CDC))}
    ckan = _get(client, "/api/3/action/package_search", rows=0).json()["result"]
    assert ckan["count"] == UNIQUE
    names = _get(client, "/api/3/action/package_list").json()["result"]
    assert len(names) == len(set(names)) == UNIQUE
    atom = _get(client, "/search.atom").text
    assert f"<opensearch:totalResults>{UNIQUE}</opensearch:totalResults>" in atom


def test_store_side_counts_skip_the_merged_records(cdc: Any) -> None:
    services, client = cdc[0], cdc[1]
    assert (
        sum(additions(services.store, [datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)])) == UNIQUE
    )
    hidden, _ = merged_away(services.store)
    assert not {r.id for r in newest_records(services.store, limit=5000)} & hidden
    sitemap = _get(client, "/sitemaps/datasets-1.xml").text
    assert sitemap.count("<url>") == UNIQUE
    assert not any(h in sitemap for h in hidden)
    triples = "".join(_get(client, "/catalog.nt", page=p).text for p in (1, 2, 3))
    datasets = set(
        re.findall(
            r"^(<[^>]+>) <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset>",
            triples,
            re.M,
        )
    )
    assert len(datasets) == UNIQUE


@pytest.mark.parametrize("path", ["/data.json", "/dcat-us/1.1/data.json", "/dcat-us/3.0/data.json"])
def test_data_json_publishes_every_shared_identifier_once(cdc: Any, path: str) -> None:
    client = cdc[1]
    document = orjson.loads(_get(client, path).content)
    published = [orjson.dumps(d["identifier"]) for d in document["dataset"]]
    assert len(published) == len(set(published))
    version = "3.0" if "3.0" in path else "1.1"
    report = _get(client, "/api/v1/export/datajson/report", version=version).json()
    text = orjson.dumps(report).decode()
    assert "already published by dataset" not in text
    assert report["exported"] == len(published)
    assert len(published) + len(report["excluded"]) == UNIQUE
    assert not {e["id"] for e in report["excluded"]} & merged_away(cdc[0].store)[0]


# -- provenance and redirects ------------------------------------------------------------------------


def test_provenance_names_both_sources_on_results_and_dataset(cdc: Any) -> None:
    client = cdc[1]
    identifier = SHARED[0]
    winner = record_id("cdc", identifier)
    dataset = _get(client, f"/api/v1/datasets/{winner}").json()
    listed = {p["source"]: p for p in dataset["provenance"]}
    assert set(listed) == {"cdc", "healthdata"}
    assert listed["cdc"]["winner"] is True
    assert listed["healthdata"]["winner"] is False
    assert {p["original_identifier"] for p in dataset["provenance"]} == {identifier}
    assert set(listed["cdc"]) == {"source", "original_identifier", "first_seen", "last_seen", "winner"}
    title = dataset["dataset"]["title"]
    hits = _get(client, "/api/v1/datasets", q=f'"{title}"', per_page=50).json()["results"]
    found = [h for h in hits if h["id"] == winner]
    assert found
    assert {p["source"] for p in found[0]["provenance"]} == {"cdc", "healthdata"}
    assert all(h["id"] != record_id("healthdata", identifier) for h in hits)
    page = _get(client, f"/dataset/{slug_path(title, winner)}").text
    assert "Listed by 2 sources" in page
    assert "healthdata" in page


def test_the_losers_old_urls_redirect_to_the_merged_dataset(cdc: Any) -> None:
    client = cdc[1]
    identifier = SHARED[1]
    winner, loser = record_id("cdc", identifier), record_id("healthdata", identifier)
    api = client.get(f"/api/v1/datasets/{loser}", follow_redirects=False)
    assert api.status_code == 308
    assert api.headers["location"].endswith(f"/api/v1/datasets/{winner}")
    title = _get(client, f"/api/v1/datasets/{winner}").json()["dataset"]["title"]
    page = client.get(f"/dataset/{slug_path('anything', loser)}", follow_redirects=False)
    assert page.status_code == 301
    assert page.headers["location"] == f"/dataset/{slug_path(title, winner)}"
    shown = _get(client, "/api/3/action/package_show", id=loser).json()["result"]
    assert shown["id"] == winner


# -- split --------------------------------------------------------------------------------------------


def test_split_refused_without_the_right_key_changes_nothing(cdc: Any) -> None:
    services, client, _, keys = cdc
    identifier = SHARED[2]
    winner = record_id("cdc", identifier)
    body = {"source": "healthdata", "original_identifier": identifier}
    before = merged_away(services.store)
    for headers, status in [
        ({}, 401),
        ({"Authorization": "Bearer not-a-key"}, 401),
        ({"Authorization": f"Bearer {keys['parks-admin']}"}, 403),
        ({"Authorization": f"Bearer {keys['cdc-reviewer']}"}, 403),
    ]:
        response = client.post(f"/api/v1/datasets/{winner}/split", json=body, headers=headers)
        assert response.status_code == status, response.text
        assert set(response.json()["error"]) == {"code", "message"}
    assert merged_away(services.store) == before


def test_an_admin_splits_a_dataset_and_it_stays_split(cdc: Any) -> None:
    services, client, _server, keys = cdc
    identifier = SHARED[3]
    winner, loser = record_id("cdc", identifier), record_id("healthdata", identifier)
    headers = {"Authorization": f"Bearer {keys['cdc-admin']}"}
    body = {"source": "healthdata", "original_identifier": identifier}
    response = client.post(f"/api/v1/datasets/{winner}/split", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["remaining"] == 0
    for _ in range(2):  # and after a full re-harvest of both sources
        assert _get(client, f"/api/v1/datasets/{loser}").json()["id"] == loser
        assert len(_get(client, f"/api/v1/datasets/{winner}").json()["provenance"]) == 1
        assert _get(client, "/api/v1/datasets", per_page=1).json()["total"] == UNIQUE + 1
        for name in ("cdc", "healthdata"):
            assert services.runner.harvest(name, full=True).ok
    again = client.post(f"/api/v1/datasets/{winner}/split", json=body, headers=headers)
    assert again.status_code == 404


# -- precedence, changes and removals on a smaller pair (real records of both catalogs) ---------------------


def _subset(relative: str, wanted: list[str]) -> bytes:
    document = orjson.loads((__import__("tests.conftest", fromlist=["DATA"]).DATA / relative).read_bytes())
    document["dataset"] = [d for d in document["dataset"] if d.get("identifier") in wanted]
    return orjson.dumps(document)


def _pair(settings: Settings, server: LoopbackServer, wanted: list[str]) -> Services:
    from tests.conftest import add_source

    services = build_services(settings)
    for name, relative in (("cdc", CDC), ("healthdata", HHS)):
        add_source(services, name, server.route(f"/{name}.json", Route(body=_subset(relative, wanted))))
        assert services.runner.harvest(name).ok
    return services


def test_default_precedence_the_publishers_own_host_wins(http_server: LoopbackServer) -> None:
    """Neither source says it aggregates; the identifiers are data.cdc.gov URLs, and the CDC source is on
    data.cdc.gov only in production — here both are on loopback, so the one that saw it first wins."""
    services = _pair(make_settings(), http_server, SHARED[:3])
    _hidden, merged = merged_away(services.store)
    assert set(merged) == {record_id("cdc", i) for i in SHARED[:3]}
    services.close()


def test_a_pair_rule_makes_the_aggregator_win(http_server: LoopbackServer) -> None:
    rule = [{"winner": "healthdata", "loser": "cdc"}]
    services = _pair(make_settings(duplicate_precedence=rule), http_server, SHARED[:3])
    _, merged = merged_away(services.store)
    assert set(merged) == {record_id("healthdata", i) for i in SHARED[:3]}
    services.close()


def test_a_pair_rule_for_some_fields(http_server: LoopbackServer) -> None:
    hhs = {d["identifier"]: d for d in datasets_of(HHS)}
    cdc = {d["identifier"]: d for d in datasets_of(CDC)}
    differing = [
        i for i in SHARED if hhs[i].get("description") and hhs[i].get("description") != cdc[i].get("description")
    ]
    wanted = differing[:2]
    assert len(wanted) == 2
    rule = [{"winner": "healthdata", "loser": "cdc", "fields": ["description"]}]
    services = _pair(make_settings(duplicate_precedence=rule), http_server, wanted)
    with TestClient(create_app(services.settings, services)) as client:
        for identifier in wanted:
            shown = _get(client, f"/api/v1/datasets/{record_id('cdc', identifier)}").json()
            assert shown["id"] == record_id("cdc", identifier)  # cdc still wins the dataset ...
            assert shown["dataset"]["title"] == cdc[identifier]["title"]
            summary = _get(client, "/api/v1/datasets", per_page=50).json()["results"]
            assert _norm(shown["dataset"]["description"]) == _norm(hhs[identifier]["description"])  # ... not this
            assert any(r["id"] == shown["id"] for r in summary)
    services.close()


def _norm(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())[:80]


def test_a_dataset_gone_from_one_source_stands_alone_again(http_server: LoopbackServer) -> None:
    from tests.conftest import add_source

    wanted = SHARED[:4]
    services = _pair(make_settings(harvest_max_shrink=0.9), http_server, wanted)
    with TestClient(create_app(services.settings, services)) as client:
        assert _get(client, "/api/v1/datasets").json()["total"] == 4
        # the winner's source drops one: the aggregator's record is published again, at its own URL
        http_server.route("/cdc.json", Route(body=_subset(CDC, wanted[1:])))
        assert services.runner.harvest("cdc", full=True).ok
        gone = record_id("healthdata", wanted[0])
        assert _get(client, "/api/v1/datasets").json()["total"] == 4
        assert _get(client, f"/api/v1/datasets/{gone}").json()["provenance"][0]["source"] == "healthdata"
        # the aggregator's source is removed: the agency's records stand alone
        response = client.delete("/api/v1/sources/healthdata")
        assert response.status_code in (401, 403)  # needs a key; the CLI path below is the operator's
        from catalog_api.governance.sources import remove

        remove(services, "healthdata")
        body = _get(client, "/api/v1/datasets").json()
        assert body["total"] == 3
        assert all(len(r["provenance"]) == 1 for r in body["results"])
        assert merged_away(services.store) == (set(), {})
        add_source(services, "healthdata", http_server.route("/healthdata.json", Route(body=_subset(HHS, wanted))))
        assert services.runner.harvest("healthdata").ok
        assert _get(client, "/api/v1/datasets").json()["total"] == 4
    services.close()


# -- a CKAN portal and a data.json listing the same dataset ----------------------------------------------


def test_a_ckan_package_and_its_data_json_listing_are_one_dataset(http_server: LoopbackServer) -> None:
    """demo.ckan.org's real package, harvested through package_search, and the same dataset as a city's
    data.json lists it (its own identifier, the portal's landing page and the same download URL)."""
    from tests.conftest import add_source, load

    package = load("ckan/demo.ckan.org-package_show-62513382.json")
    package = package.get("result", package)
    search = {"success": True, "result": {"count": 1, "results": [package]}}
    http_server.route("/ckan/api/3/action/package_search", Route(body=orjson.dumps(search), conditional=False))
    listing = {
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "dataset": [
            {
                "identifier": "city-species-inventory-2017",
                "title": package["title"],
                "description": package.get("notes") or package["title"],
                "keyword": ["plants"],
                "modified": package["metadata_modified"][:10],
                "publisher": {"name": "City Parks"},
                "contactPoint": {"fn": "Parks", "hasEmail": "mailto:parks@example.gov"},
                "accessLevel": "public",
                "landingPage": f"https://demo.ckan.org/dataset/{package['name']}",
                "distribution": [{"downloadURL": r["url"], "mediaType": "text/csv"} for r in package["resources"]],
            }
        ],
    }
    services = build_services(make_settings())
    add_source(services, "portal", http_server.url("/ckan/"), kind="ckan")
    add_source(services, "city", http_server.route("/city/data.json", Route(body=orjson.dumps(listing))))
    assert services.runner.harvest("portal").ok
    assert services.runner.harvest("city").ok
    assert services.store.live_count() == 2
    hidden, merged = merged_away(services.store)
    assert len(hidden) == 1
    assert len(merged) == 1
    with TestClient(create_app(services.settings, services)) as client:
        body = _get(client, "/api/v1/datasets").json()
        assert body["total"] == 1
        assert {p["source"] for p in body["results"][0]["provenance"]} == {"portal", "city"}
    services.close()


@pytest.mark.postgres
def test_on_postgresql_the_pair_merges_changes_and_splits(postgres_url: str, http_server: LoopbackServer) -> None:
    from catalog_api.merging import split_record
    from index.governance import OPERATOR

    wanted = SHARED[:5]
    services = _pair(make_settings(database_url=postgres_url), http_server, wanted)
    hidden, merged = merged_away(services.store)
    assert merged.keys() == {record_id("cdc", i) for i in wanted}
    assert hidden == {record_id("healthdata", i) for i in wanted}
    http_server.route("/healthdata.json", Route(body=_subset(HHS, wanted[1:])))
    assert services.runner.harvest("healthdata", full=True, accept_shrink=True).ok
    assert len(merged_away(services.store)[0]) == 4
    split_record(services, record_id("cdc", wanted[1]), "healthdata", wanted[1], OPERATOR)
    assert record_id("healthdata", wanted[1]) not in merged_away(services.store)[0]
    assert services.runner.harvest("healthdata", full=True).ok
    assert len(merged_away(services.store)[0]) == 3
    services.close()


def test_the_cli_splits_matches_reindexes_and_doctor_agrees(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, http_server: LoopbackServer
) -> None:
    from click.testing import CliRunner

    from catalog_api.cli import main

    monkeypatch.setenv("NUTMEG_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("NUTMEG_HARVEST_ALLOW_PRIVATE", "1")
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    wanted = SHARED[:3]
    for name, relative in (("cdc", CDC), ("healthdata", HHS)):
        url = http_server.route(f"/{name}.json", Route(body=_subset(relative, wanted)))
        run("source", "add", name, url, "--no-check")
        run("harvest", name)
    assert "duplicates" in run("--help")
    winner = record_id("cdc", wanted[0])
    assert "split healthdata's record" in run(
        "duplicates", "split", winner, "--source", "healthdata", "--identifier", wanted[0]
    )
    refused = CliRunner().invoke(
        main, ["duplicates", "split", winner, "--source", "healthdata", "--identifier", "nope"]
    )
    assert refused.exit_code != 0
    assert "not merged from several sources" in refused.output
    assert "matched 6 records" in run("duplicates", "match")
    assert "reindexed 4 datasets" in run("reindex")
    assert "0 missing, 0 extra, 0 stale" in run("doctor")
    services = build_services(make_settings(database_url=f"sqlite:///{tmp_path}/cli.db", index_path=None))
    assert len(merged_away(services.store)[0]) == 2  # the split stays split after matching everything again
    services.close()
