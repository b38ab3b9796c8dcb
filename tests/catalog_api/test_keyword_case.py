"""Keywords keep the case their publisher gave them in every output — search results and facets, CKAN tags,
data.json, DCAT RDF, Atom and RSS — while facets and filters treat spellings that differ only in case as one
keyword (judged by each output's own reader: feedparser, rdflib, ckanapi-shaped JSON)."""

from __future__ import annotations

from typing import Any

import feedparser
from fastapi.testclient import TestClient
from rdflib import Graph

from catalog_api.services import Services
from mappings.vocab import DCAT
from tests.conftest import add_source, serve_json
from tests.support.httpserver import LoopbackServer

SPELLINGS = {
    "one": ["COVID-19", "Public Safety"],
    "two": ["covid-19", "PUBLIC safety"],
    "three": ["covid-19", "iPhone"],
}


def _record(identifier: str, keywords: list[str]) -> dict[str, Any]:
    return {
        "title": f"Dataset {identifier}",
        "description": "Keywords as the publisher wrote them.",
        "identifier": identifier,
        "accessLevel": "public",
        "keyword": [*keywords, keywords[0].swapcase()],  # the same keyword twice on one dataset counts once
        "modified": "2024-05-01",
        "publisher": {"name": "City of Example"},
        "contactPoint": {"fn": "Open Data", "hasEmail": "mailto:open@example.gov"},
    }


def test_keywords_keep_their_case_everywhere(
    services: Services, client: TestClient, http_server: LoopbackServer
) -> None:
    catalog = {"dataset": [_record(i, k) for i, k in SPELLINGS.items()]}
    add_source(services, "cased", serve_json(http_server, "/cased.json", catalog))
    assert services.runner.harvest("cased").new == 3

    search = client.get("/api/v1/datasets", params={"per_page": 10}).json()
    facets = {f["value"]: f["count"] for f in search["facets"]["keyword"]}
    # three datasets, two spellings: the most used one shows; a tie shows the first in code-point order
    assert facets == {"covid-19": 3, "PUBLIC safety": 2, "iPhone": 1}
    by_title = {r["title"]: r["keyword"] for r in search["results"]}
    assert by_title["Dataset one"] == ["COVID-19", "Public Safety"]
    for spelling in ("COVID-19", "covid-19", "Covid-19"):
        assert client.get("/api/v1/datasets", params={"keyword": spelling}).json()["total"] == 3

    packages = client.get("/api/3/action/package_search", params={"rows": 10}).json()["result"]["results"]
    tags = {p["title"]: [t["name"] for t in p["tags"]] for p in packages}
    assert tags["Dataset one"] == ["COVID-19", "Public Safety"]
    assert tags["Dataset three"] == ["covid-19", "iPhone"]
    assert "iPhone" in client.get("/api/3/action/tag_list").json()["result"]
    found = client.get("/api/3/action/package_search", params={"fq": "tags:COVID-19"}).json()["result"]
    assert found["count"] == 3

    exported = {d["identifier"]: d["keyword"] for d in client.get("/data.json").json()["dataset"]}
    assert exported["one"] == ["COVID-19", "Public Safety", "covid-19"]  # data.json: exactly as published

    graph = Graph().parse(data=client.get("/catalog.ttl").content, format="turtle")
    assert {"COVID-19", "Public Safety", "iPhone", "covid-19"} <= {str(k) for k in graph.objects(None, DCAT.keyword)}

    for kind in ("atom", "rss"):
        feed = feedparser.parse(client.get(f"/search.{kind}", params={"sort": "title"}).content)
        assert not feed.bozo
        terms = {e.title: [t.term for t in e.tags] for e in feed.entries}
        assert terms["Dataset one"][:2] == ["COVID-19", "Public Safety"]
