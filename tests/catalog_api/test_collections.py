"""Collections: members by rule follow each harvest (loopback HTTP), picks by hand, the collection filter
and facet on both backends, each collection's dcat:Catalog (rdflib) and data.json (data.gov's schema),
and every write refused without the right key (nothing changes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from rdflib import URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from index.collections import list_collections
from index.governance import NewOrganization, add_organization, audit_entries, create_key
from tests.catalog_api.governance.conftest import dataset
from tests.catalog_api.test_datagov_acceptance import datagov_v11, datagov_v30, rejected
from tests.conftest import add_source, make_settings, serve_json
from tests.support.dcatus import catalog_errors
from tests.support.httpserver import LoopbackServer
from tests.support.rdfcompare import PARSERS, parse
from tests.support.servers import OpenSearchNode

NOW = datetime(2026, 11, 28, tzinfo=UTC)
HEALTH = ["health"]


def record(identifier: str, title: str, keywords: list[str], **extra: Any) -> dict[str, Any]:
    publisher = {"@type": "org:Organization", "name": "State of Example"}
    return dataset(identifier, title, keyword=keywords, publisher=publisher, **extra)


FIRST = [
    record("beds", "Hospital beds", HEALTH),
    record("food", "Food inspections", [*HEALTH, "restaurants"]),
    record("roads", "Road closures", ["transportation"]),
    record("bridges", "Bridge conditions", ["transportation"]),
]
# the second harvest adds a health dataset and takes the health keyword off another
SECOND = [
    FIRST[0],
    record("food", "Food inspections", ["restaurants"], modified="2026-11-20"),
    FIRST[2],
    FIRST[3],
    record("vaccines", "Vaccination sites", HEALTH),
]


def catalog(datasets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": datasets}


@dataclass
class World:
    services: Services
    client: TestClient
    server: LoopbackServer
    keys: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, who: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who else {}
        headers.update(kwargs.pop("headers", {}))
        return self.client.request(method, path, headers=headers, **kwargs)

    def harvest(self, datasets: list[dict[str, Any]]) -> None:
        serve_json(self.server, "/data.json", catalog(datasets))
        assert self.services.runner.harvest("state").ok

    def id_of(self, identifier: str) -> str:
        return next(r.id for r in self.services.store.iter_records(live=True) if r.original_identifier == identifier)

    def members(self, slug: str) -> set[str]:
        body = self.call("GET", f"/api/v1/collections/{slug}", params={"per_page": 100}).json()
        return {r["identifier"] for r in body["members"]["results"]}


def _settings(request: pytest.FixtureRequest) -> Any:
    if request.param == "engine":
        node: OpenSearchNode = request.getfixturevalue("opensearch_node")
        return make_settings(search_url=node.url, search_index=f"nutmeg-collections-{id(request)}")
    return make_settings()


@pytest.fixture(params=["embedded", pytest.param("engine", marks=pytest.mark.engine)])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    settings = _settings(request)
    with LoopbackServer() as server:
        services = build_services(settings)
        for slug, title in [("catalog", "Chief Data Officer"), ("health", "Health"), ("dot", "Transportation")]:
            add_organization(services.store, NewOrganization(slug, title), NOW)
        with TestClient(create_app(settings, services), raise_server_exceptions=False) as client:
            found = World(services, client, server)
            for name, org, role in [
                ("cdo", "catalog", "admin"),
                ("health-admin", "health", "admin"),
                ("health-reviewer", "health", "reviewer"),
                ("dot-admin", "dot", "admin"),
            ]:
                found.keys[name] = create_key(services.store, org, role, name, NOW)[1]
            add_source(services, "state", serve_json(server, "/data.json", catalog(FIRST)))
            found.harvest(FIRST)
            yield found
        if request.param == "engine":
            httpx.delete(f"{settings.search_url}/{settings.search_index}-*", timeout=30)
        services.close()


def add_health(world: World, **extra: Any) -> httpx.Response:
    body = {
        "slug": "health-and-human-services",
        "title": "Health and Human Services",
        "description": "What the HHS working group shares.",
        "rule": {"filters": {"keyword": ["health"]}},
        **extra,
    }
    return world.call("POST", "/api/v1/collections", "health-admin", json=body)


def test_members_by_rule_follow_each_harvest(world: World) -> None:
    created = add_health(world)
    assert created.status_code == 201, created.text
    assert created.json()["datasets"] == 2
    assert world.members("health-and-human-services") == {"beds", "food"}
    world.harvest(SECOND)  # adds a health dataset, takes the keyword off another
    assert world.members("health-and-human-services") == {"beds", "vaccines"}
    listed = world.call("GET", "/api/v1/collections").json()
    assert [(c["slug"], c["datasets"]) for c in listed["results"]] == [("health-and-human-services", 2)]


def test_picks_by_hand_include_and_exclude(world: World) -> None:
    add_health(world)
    slug = "health-and-human-services"
    roads, beds = world.id_of("roads"), world.id_of("beds")
    assert (
        world.call(
            "PUT", f"/api/v1/collections/{slug}/picks/{roads}", "health-admin", json={"pick": "include"}
        ).status_code
        == 200
    )
    excluded = world.call("PUT", f"/api/v1/collections/{slug}/picks/{beds}", "health-admin", json={"pick": "exclude"})
    assert excluded.json()["excluded"] == [beds]
    assert world.members(slug) == {"food", "roads"}
    world.harvest(SECOND)  # picks by hand survive a harvest; the rule still follows it
    assert world.members(slug) == {"roads", "vaccines"}
    assert world.call("DELETE", f"/api/v1/collections/{slug}/picks/{beds}", "health-admin").status_code == 200
    assert world.members(slug) == {"roads", "vaccines", "beds"}
    missing = world.call("PUT", f"/api/v1/collections/{slug}/picks/nope", "health-admin", json={"pick": "include"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_a_collection_by_hand_only_and_one_by_words(world: World) -> None:
    world.call("POST", "/api/v1/collections", "dot-admin", json={"slug": "picked", "title": "Picked"})
    assert world.members("picked") == set()
    world.call(
        "PUT", f"/api/v1/collections/picked/picks/{world.id_of('bridges')}", "dot-admin", json={"pick": "include"}
    )
    assert world.members("picked") == {"bridges"}
    body = {"slug": "roads", "title": "Roads", "rule": {"q": "road OR closures"}}
    assert world.call("POST", "/api/v1/collections", "dot-admin", json=body).status_code == 201
    body = {"slug": "closures", "title": "Closures", "rule": {"q": "closures"}}
    world.call("POST", "/api/v1/collections", "dot-admin", json=body)
    assert world.members("closures") == {"roads"}


def test_the_collection_facet_and_filter_on_every_search_surface(world: World) -> None:
    add_health(world)
    world.call(
        "POST",
        "/api/v1/collections",
        "dot-admin",
        json={"slug": "transport", "title": "Transport", "rule": {"filters": {"keyword": ["transportation"]}}},
    )
    body = world.call("GET", "/api/v1/datasets").json()
    assert body["facets"]["collection"] == [
        {"value": "health-and-human-services", "count": 2},
        {"value": "transport", "count": 2},
    ]
    narrowed = world.call("GET", "/api/v1/datasets", params={"q": "inspections"}).json()
    assert narrowed["facets"]["collection"] == [{"value": "health-and-human-services", "count": 1}]
    filtered = world.call("GET", "/api/v1/datasets", params={"collection": "transport"}).json()
    assert filtered["total"] == 2
    assert {r["identifier"] for r in filtered["results"]} == {"roads", "bridges"}
    both = world.call("GET", "/api/v1/datasets", params={"collection": ["transport", "health-and-human-services"]})
    assert both.json()["total"] == 0  # every value must match, as with every other filter
    assert world.call("GET", "/api/v1/datasets", params={"collection": "nope"}).json()["total"] == 0
    feed = world.call("GET", "/search.atom", params={"collection": "transport"})
    assert feed.status_code == 200
    assert feed.text.count("<entry>") == 2
    page = world.call("GET", "/", params={"collection": "transport"})
    assert page.status_code == 200
    assert "Transport" in page.text
    assert "Road closures" in page.text
    assert "Hospital beds" not in page.text
    world.harvest(SECOND)  # the facet follows the harvest too (no stale cached answer)
    body = world.call("GET", "/api/v1/datasets").json()
    assert {f["value"]: f["count"] for f in body["facets"]["collection"]}["health-and-human-services"] == 2
    assert (
        world.call(
            "GET", "/api/v1/datasets", params={"collection": "health-and-human-services", "q": "vaccination"}
        ).json()["total"]
        == 1
    )


def test_a_rule_change_is_seen_at_once_by_cached_searches(world: World) -> None:
    add_health(world)
    params = {"collection": "health-and-human-services"}
    assert world.call("GET", "/api/v1/datasets", params=params).json()["total"] == 2
    change = {"rule": {"filters": {"keyword": ["restaurants"]}}}
    assert (
        world.call("PATCH", "/api/v1/collections/health-and-human-services", "health-admin", json=change).status_code
        == 200
    )
    assert world.call("GET", "/api/v1/datasets", params=params).json()["total"] == 1


def test_each_collection_is_its_own_dcat_catalog(world: World) -> None:
    add_health(world)
    for fmt in PARSERS:
        response = world.call("GET", f"/collections/health-and-human-services/catalog.{fmt}")
        assert response.status_code == 200, response.text
        graph = parse(response.content, fmt)
        node = URIRef("http://catalog.test/collections/health-and-human-services/catalog")
        assert (node, RDF.type, DCAT.Catalog) in graph
        assert str(graph.value(node, DCTERMS.title)) == "Health and Human Services"
        assert (node, DCTERMS.isPartOf, URIRef("http://catalog.test/catalog")) in graph
        titles = {str(graph.value(d, DCTERMS.title)) for d in graph.objects(node, DCAT.dataset)}
        assert titles == {"Hospital beds", "Food inspections"}


def test_each_collection_is_its_own_data_json(world: World) -> None:
    add_health(world)
    response = world.call("GET", "/collections/health-and-human-services/data.json")
    assert response.status_code == 200
    document = response.json()
    assert catalog_errors(document, "non-federal") == []
    assert document["@id"] == "http://catalog.test/collections/health-and-human-services/data.json"
    assert {d["identifier"] for d in document["dataset"]} == {"beds", "food"}
    assert rejected(datagov_v11(), document["dataset"]) == []  # data.gov's harvester checks each dataset
    v3 = world.call("GET", "/collections/health-and-human-services/data.json", params={"version": "3.0"}).json()
    assert v3["title"] == "Health and Human Services"
    assert len(v3["dataset"]) == 2
    assert rejected(datagov_v30(), v3["dataset"]) == []


def test_pages_list_and_show_collections_and_the_home_page_features_them(world: World) -> None:
    assert "No collections yet" in world.call("GET", "/collections").text
    assert "Featured collections" not in world.call("GET", "/").text
    add_health(world)
    listing = world.call("GET", "/collections")
    assert "Health and Human Services" in listing.text
    assert "2 datasets" in listing.text
    page = world.call("GET", "/collections/health-and-human-services")
    assert page.status_code == 200
    for text in ["Hospital beds", "Food inspections", "Tag: health", "Kept by", ">Health</a>"]:
        assert text in page.text
    assert "Featured collections" not in world.call("GET", "/").text
    featured = world.call("PATCH", "/api/v1/collections/health-and-human-services", "cdo", json={"featured": True})
    assert featured.status_code == 200, featured.text
    home = world.call("GET", "/")
    assert "Featured collections" in home.text
    assert 'href="/collections/health-and-human-services"' in home.text
    assert world.call("GET", "/collections/nope").status_code == 404


def _state(world: World) -> Any:
    rows = list_collections(world.services.store)
    return [(c.slug, c.title, c.rule, c.featured, c.owners, c.included, c.excluded) for c in rows], audit_entries(
        world.services.store
    )[0]


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("bad", 401), ("dot-admin", 403), ("health-reviewer", 403)],
)
def test_writes_are_refused_without_the_right_key_and_nothing_changes(
    world: World, who: str | None, status: int
) -> None:
    add_health(world)
    beds = world.id_of("beds")
    before = _state(world)
    headers = {"Authorization": "Bearer nmk_not-a-key"} if who == "bad" else {}
    key = None if who in (None, "bad") else who
    slug = "health-and-human-services"
    attempts = [
        ("PATCH", f"/api/v1/collections/{slug}", {"title": "Taken"}),
        ("PUT", f"/api/v1/collections/{slug}/picks/{beds}", {"pick": "exclude"}),
        ("DELETE", f"/api/v1/collections/{slug}/picks/{beds}", None),
        ("DELETE", f"/api/v1/collections/{slug}", None),
    ]
    if who != "dot-admin":  # any organization's admin may add a collection of its own
        attempts.append(("POST", "/api/v1/collections", {"slug": "other", "title": "Other"}))
    for method, path, body in attempts:
        response = world.call(method, path, key, headers=headers, json=body)
        assert response.status_code == status, (method, path, response.text)
        assert set(response.json()["error"]) == {"code", "message"}
    assert _state(world) == before


def test_only_the_cdo_features_and_owners_stay_owners(world: World) -> None:
    refused = add_health(world, featured=True)
    assert refused.status_code == 403
    assert "CDO" in refused.json()["error"]["message"]
    foreign = add_health(world, owners=["dot"])
    assert foreign.status_code == 403
    assert add_health(world, owners=["health", "dot"]).status_code == 201  # a cross-agency working group
    renamed = world.call("PATCH", "/api/v1/collections/health-and-human-services", "dot-admin", json={"title": "HHS"})
    assert renamed.status_code == 200
    assert renamed.json()["owners"] == ["dot", "health"]
    taken = add_health(world)
    assert taken.status_code == 409
    bad = world.call(
        "POST", "/api/v1/collections", "cdo", json={"slug": "x", "title": "X", "rule": {"filters": {"colour": ["red"]}}}
    )
    assert bad.status_code == 400
    assert "colour" in bad.json()["error"]["message"]
    assert json.loads(world.call("DELETE", "/api/v1/collections/health-and-human-services", "cdo").text or "{}") == {}
    assert world.call("GET", "/api/v1/collections/health-and-human-services").status_code == 404


def test_a_dataset_says_which_collections_hold_it(world: World) -> None:
    add_health(world)
    food = world.id_of("food")
    assert world.call("GET", f"/api/v1/datasets/{food}").json()["collections"] == ["health-and-human-services"]
    html_url = world.call("GET", f"/api/v1/datasets/{food}").json()["html_url"].removeprefix("http://catalog.test")
    assert 'href="/collections/health-and-human-services"' in world.call("GET", html_url).text
    world.harvest(SECOND)  # food loses the health keyword
    assert world.call("GET", f"/api/v1/datasets/{food}").json()["collections"] == []
    assert "/collections/health-and-human-services" not in world.call("GET", html_url).text
