"""A catalog with organizations and keys: the CDO, a direct agency that also harvests a source, a
reviewed agency, and keys of every role (one revoked); one dataset published and one draft pending."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from catalog_api.services import Services
from index.governance import (
    NewOrganization,
    add_organization,
    audit_entries,
    create_key,
    list_drafts,
    list_keys,
    list_organizations,
    revoke_key,
    set_source_organization,
)
from index.search.base import SearchQuery
from tests.conftest import add_source, serve_file
from tests.support.httpserver import LoopbackServer

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def dataset(identifier: str, title: str = "Road incidents", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "identifier": identifier,
        "title": title,
        "description": "Every incident on state roads, updated every five minutes.",
        "keyword": ["traffic", "incidents"],
        "modified": "2026-11-01",
        "accessLevel": "public",
        "contactPoint": {"fn": "Open Data Team", "hasEmail": "mailto:opendata@example.gov"},
        "distribution": [{"downloadURL": "https://data.example.gov/incidents.csv", "mediaType": "text/csv"}],
    }
    body.update(extra)
    return body


@dataclass
class Gov:
    services: Services
    client: TestClient
    server: LoopbackServer
    keys: dict[str, str] = field(default_factory=dict)  # name -> secret
    key_ids: dict[str, int] = field(default_factory=dict)
    published: str = ""  # id of dot's API-published dataset
    harvested: str = ""  # id of a record harvested by dot's source
    draft: int = 0  # a pending draft in health

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def call(self, method: str, path: str, who: str | None, **kwargs: Any) -> Any:
        headers = self.headers(who) if who else {}
        headers.update(kwargs.pop("headers", {}))
        return self.client.request(method, path, headers=headers, **kwargs)

    def search_ids(self, **params: Any) -> set[str]:
        body = self.client.get("/api/v1/datasets", params={"per_page": 100, **params}).json()
        return {r["id"] for r in body["results"]}


def snapshot(services: Services) -> dict[str, Any]:
    """Everything a refused write must leave alone: records, drafts, keys, organizations, sources and
    their jobs, the audit log, and what the search index returns."""
    store = services.store
    records = [
        (r.id, r.content_hash, r.withdrawn, orjson.dumps(r.dataset, option=orjson.OPT_SORT_KEYS), r.overrides)
        for r in store.iter_records(live=None)
    ]
    hits = services.index.search(SearchQuery(limit=1000, sort="title")).hits
    return {
        "records": records,
        "drafts": [(d.id, d.status, d.comment) for d in list_drafts(store, status=None)],
        "keys": [(k.id, k.role, k.revoked_at) for k in list_keys(store)],
        "organizations": [
            (o.slug, o.title, o.description, o.mode, o.publisher_names) for o in list_organizations(store)
        ],
        "audit": audit_entries(store)[0],
        "index": [(h.id, dict(h.summary)) for h in hits],
        "sources": [(s.name, s.url, s.title, s.organization_id) for s in store.list_sources()],
        "jobs": [(s.name, store.count_jobs(s.id)) for s in store.list_sources()],
    }


def make_gov(services: Services, client: TestClient, server: LoopbackServer) -> Gov:
    store = services.store
    add_organization(store, NewOrganization("catalog", "Office of the Chief Data Officer"), NOW)
    add_organization(
        store,
        NewOrganization("dot", "Department of Transportation", publisher_names=("DOT",)),
        NOW,
    )
    add_organization(store, NewOrganization("health", "Department of Health", mode="reviewed"), NOW)
    gov = Gov(services, client, server)
    for name, org, role in [
        ("cdo", "catalog", "admin"),
        ("catalog-publisher", "catalog", "publisher"),
        ("dot-publisher", "dot", "publisher"),
        ("dot-reviewer", "dot", "reviewer"),
        ("dot-admin", "dot", "admin"),
        ("health-publisher", "health", "publisher"),
        ("health-reviewer", "health", "reviewer"),
        ("health-admin", "health", "admin"),
        ("revoked", "dot", "admin"),
    ]:
        row, secret = create_key(store, org, role, name, NOW)
        gov.keys[name], gov.key_ids[name] = secret, row.id
    revoke_key(store, gov.key_ids["revoked"], NOW)
    add_source(services, "cftc", serve_file(server, "datajson/gsa-harvester-dcatus.json"))
    set_source_organization(store, "cftc", store_org_id(services, "dot"))
    assert services.runner.harvest("cftc").ok
    gov.harvested = sorted(r.id for r in store.iter_records(live=True))[0]
    created = gov.call("POST", "/api/v1/datasets", "dot-publisher", json=dataset("dot-incidents"))
    assert created.status_code == 201, created.text
    gov.published = created.json()["id"]
    drafted = gov.call("POST", "/api/v1/datasets", "health-publisher", json=dataset("flu", "Flu cases"))
    assert drafted.status_code == 202, drafted.text
    gov.draft = drafted.json()["draft"]["id"]
    return gov


def store_org_id(services: Services, slug: str) -> int:
    return next(o.id for o in list_organizations(services.store) if o.slug == slug)


@pytest.fixture
def gov(services: Services, client: TestClient, http_server: LoopbackServer) -> Gov:
    return make_gov(services, client, http_server)
