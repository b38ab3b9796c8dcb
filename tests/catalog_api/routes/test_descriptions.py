"""A Markdown description and an ArcGIS HTML description through the whole app: rendered on the dataset
page, plain text in the feeds, the JSON-LD, the meta description, search summaries and suggestions, and
unchanged in data.json and the API."""

from __future__ import annotations

import json
from typing import Any

import feedparser
from fastapi.testclient import TestClient
from lxml import html

from catalog_api.services import Services
from tests.catalog_api.routes.conftest import BROWSER
from tests.conftest import add_source, serve_json
from tests.support.httpserver import LoopbackServer

MARKDOWN = (
    "Crime incidents reported by the Police Department.\n\n"
    "Questions? Ask the [OpenDataPhilly Discussion Group](http://groups.google.com/group/opendataphilly) "
    "or see www.phila.gov/data. Never [this](javascript:alert(1))."
)
ARCGIS = (
    '<DIV STYLE="text-align:Left;"><DIV><P><SPAN>Parking pay stations; see '
    'http://www.seattle.gov/parking</SPAN></P><P><SPAN STYLE="font-weight:bold" onmouseover="alert(1)">'
    "Updated weekly</SPAN></P></DIV></DIV>"
)


def record(identifier: str, title: str, description: str) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "title": title,
        "description": description,
        "keyword": ["safety"],
        "modified": "2024-01-01",
        "publisher": {"@type": "org:Organization", "name": "City"},
        "contactPoint": {"fn": "Data team", "hasEmail": "mailto:data@example.gov"},
        "accessLevel": "public",
    }


def harvest(services: Services, server: LoopbackServer) -> None:
    catalog = {
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "dataset": [record("md-1", "Crime incidents", MARKDOWN), record("arc-1", "Parking pay stations", ARCGIS)],
    }
    add_source(services, "rich", serve_json(server, "/rich.json", catalog))
    assert services.runner.harvest("rich").new == 2


def page_of(client: TestClient, identifier: str) -> html.HtmlElement:
    [hit] = [h for h in client.get("/api/v1/datasets").json()["results"] if h["identifier"] == identifier]
    response = client.get("/" + hit["html_url"].split("/", 3)[3], headers={"Accept": BROWSER})
    assert response.status_code == 200
    return html.fromstring(response.text)


def test_descriptions_render_on_the_page(services: Services, client: TestClient, http_server: LoopbackServer) -> None:
    harvest(services, http_server)
    markdown = page_of(client, "md-1").xpath("//div[@class='description']")[0]
    links = {a.text_content(): a.get("href") for a in markdown.iter("a")}
    assert links == {
        "OpenDataPhilly Discussion Group": "http://groups.google.com/group/opendataphilly",
        "www.phila.gov/data": "http://www.phila.gov/data",
    }
    assert "Never [this](javascript:alert(1))." in markdown.text_content()  # shown as written, not a link
    assert [a.get("rel") for a in markdown.iter("a")] == ["nofollow noopener ugc"] * 2

    arcgis = page_of(client, "arc-1").xpath("//div[@class='description']")[0]
    assert [p.text_content() for p in arcgis.iter("p")] == [
        "Parking pay stations; see http://www.seattle.gov/parking",
        "Updated weekly",
    ]
    assert [a.get("href") for a in arcgis.iter("a")] == ["http://www.seattle.gov/parking"]
    assert not [e for e in arcgis.iter() if e.get("style") or e.get("onmouseover") or e.tag in ("div", "span")][1:]


def test_text_everywhere_text_is_expected(services: Services, client: TestClient, http_server: LoopbackServer) -> None:
    harvest(services, http_server)
    plain_markdown = "Questions? Ask the OpenDataPhilly Discussion Group or see www.phila.gov/data."
    plain_arcgis = "Parking pay stations; see http://www.seattle.gov/parking"

    feed = feedparser.parse(client.get("/search.atom").content)
    summaries = {e.title: e.summary for e in feed.entries}
    assert plain_markdown in summaries["Crime incidents"]
    assert "[OpenDataPhilly" not in summaries["Crime incidents"]
    assert summaries["Parking pay stations"].startswith(plain_arcgis)
    assert "<" not in summaries["Parking pay stations"]
    rss = feedparser.parse(client.get("/search.rss").content)
    assert all("<" not in e.summary and "[OpenDataPhilly" not in e.summary for e in rss.entries)

    page = page_of(client, "arc-1")
    [jsonld] = [json.loads(s.text) for s in page.iter("script") if s.get("type") == "application/ld+json"]
    assert jsonld["description"].startswith(plain_arcgis)
    assert page.xpath("//meta[@name='description']/@content")[0].startswith(plain_arcgis)

    search = html.fromstring(client.get("/?q=crime", headers={"Accept": BROWSER}).text)
    assert plain_markdown in search.text_content()

    published = {d["identifier"]: d["description"] for d in client.get("/data.json").json()["dataset"]}
    assert published == {"md-1": MARKDOWN, "arc-1": ARCGIS}  # the source's text, unchanged
    ids = [h["id"] for h in client.get("/api/v1/datasets").json()["results"]]
    api = [client.get(f"/api/v1/datasets/{i}").json()["dataset"] for i in ids]
    assert {d["identifier"]: d["description"] for d in api} == {"md-1": MARKDOWN, "arc-1": ARCGIS}
