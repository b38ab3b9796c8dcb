"""``/organization``: every publisher with a readable slug URL; one publisher's datasets and health."""

from __future__ import annotations

import re
from typing import Any

from tests.catalog_api.routes.conftest import BROWSER, Site
from tests.support.html import Node


def _rows(table: Node) -> list[list[Node]]:
    return [[c for c in tr.children if isinstance(c, Node)] for tr in table.find("tbody").find_all("tr")]


def test_the_list_names_every_publisher_with_its_count(site: Site) -> None:
    page = site.page("/organization")
    rows = {r[0].text(): (r[0].find("a").get("href"), int(r[-1].text().replace(",", ""))) for r in _rows(page)}
    api: Any = site.api("/api/v1/datasets", per_page=1)
    for facet in api["facets"]["publisher"]:  # the API's top publishers
        assert rows[facet["value"]][1] == facet["count"]
    assert rows["City of Philadelphia"][0] == "/organization/city-of-philadelphia"
    assert rows["Widget Services"] == ("/organization/widget-services", 0)  # a source's publisher, no datasets yet
    assert list(rows) == sorted(rows, key=str.casefold)


def test_a_publisher_page(site: Site) -> None:
    page = site.page("/organization/city-of-philadelphia")
    assert page.find("h1").text() == "City of Philadelphia"
    api: Any = site.api("/api/v1/datasets", publisher="City of Philadelphia", sort="modified", per_page=10)
    figures = page.find("ul", class_="figures")
    assert figures.find("a").text() == f"{api['total']} datasets"
    assert figures.find("a").get("href") == "/?publisher=City+of+Philadelphia"
    recent = [h.text() for h in page.find("ol", class_="results-list").find_all("h3")]
    assert recent == [r["title"] for r in api["results"]]
    # freshness: philadelphia's records carry no modified date
    share = page.find("div", class_="share")
    assert share.get("data-total") == str(api["total"])
    assert [(r.get("data-series"), r.get("data-value")) for r in share.find_all("rect")] == [
        ("age4", str(api["total"]))
    ]
    # formats, with links that search within the publisher
    formats = page.find("section", **{"aria-labelledby": "org-format"}).find_all("a")
    assert formats[0].get("href").startswith("/?publisher=City+of+Philadelphia&format=")


def test_harvest_health_of_the_publishers_sources(site: Site) -> None:
    page = site.page("/organization/city-of-philadelphia")
    health = page.find("section", **{"aria-labelledby": "health-heading"})
    [row] = _rows(health)
    jobs: Any = site.api("/api/v1/sources/philadelphia/jobs")
    source: Any = site.api("/api/v1/sources/philadelphia")
    assert row[0].find("a").get("href") == "/source/philadelphia"
    assert row[1].text() == jobs["results"][0]["status"].capitalize()
    assert int(row[3].text().replace(",", "")) == source["datasets"]
    assert re.fullmatch(r"[\d,]+ problems? in [\d,]+ datasets?|none", " ".join(row[4].text().split()))
    assert row[7].text() == "due now"  # daily, last harvested two days ago


def test_a_publisher_known_only_from_its_source(site: Site) -> None:
    page = site.page("/organization/widget-services")
    assert "No datasets from Widget Services are in the catalog yet" in page.find("p", class_="notice").text()
    [row] = _rows(page.find("section", **{"aria-labelledby": "health-heading"}))
    assert row[0].find("a").get("href") == "/source/broken"
    assert row[1].text() == "Failed"


def test_slugs_are_forgiving_and_unknown_ones_are_404(site: Site) -> None:
    response = site.client.get("/organization/City-of-Philadelphia", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/organization/city-of-philadelphia"
    missing = site.client.get("/organization/ministry-of-silly-walks", headers={"Accept": BROWSER})
    assert missing.status_code == 404
    assert "no organization publishes datasets at /organization/ministry-of-silly-walks" in missing.text


def test_every_publisher_link_on_the_dashboard_resolves(site: Site) -> None:
    dashboard = site.page("/dashboard")
    for link in dashboard.find("table", id="by-publisher").find_all("a"):
        page = site.page(link.get("href"))
        assert page.find("h1").text() == link.text()
