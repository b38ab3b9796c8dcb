"""``/dataset/{slug-id}``: everything a person needs about one dataset, with safe links, and its
machine-readable forms."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from catalog_api.services import Services
from mappings.richtext import TAGS
from tests.catalog_api.routes.conftest import BROWSER, Site
from tests.conftest import add_source, serve_json
from tests.support.html import Node, parse
from tests.support.httpserver import LoopbackServer


def _find(site: Site, q: str, **filters: str) -> dict[str, Any]:
    api: Any = site.api("/api/v1/datasets", q=q, per_page=1, **filters)
    assert api["total"] >= 1, q
    result: dict[str, Any] = api["results"][0]
    return result


def _path(result: dict[str, Any]) -> str:
    return "/" + result["html_url"].split("/", 3)[3]


def _facts(page: Node, heading: str) -> dict[str, Node]:
    section = page.find("section", **{"aria-labelledby": heading})
    dl = section.find("dl")
    terms = [n for n in dl.children if isinstance(n, Node)]
    return {dt.text(): dd for dt, dd in zip(terms[::2], terms[1::2], strict=True)}


def test_a_dataset_with_downloads(site: Site) -> None:
    result = _find(site, "Data.gov Daily Sessions", source="datagov")
    page = site.page(_path(result))
    assert page.find("h1").text() == "Data.gov Daily Sessions"
    record: Any = site.api(f"/api/v1/datasets/{result['id']}")
    dataset = record["dataset"]
    # every distribution, with its format badge and a download link (through the counting redirect) to
    # where the source said it is
    resources = page.find("ul", class_="resources").find_all("li", class_="resource")
    assert len(resources) == len(dataset["distribution"])
    for n, (item, dist) in enumerate(zip(resources, dataset["distribution"], strict=True)):
        assert item.find("span", class_="badge").text() == "CSV"
        assert item.find("h3").text() == dist["title"]
        download = item.find("a", class_="button")
        assert download.get("href") == f"/datasets/{result['id']}/distributions/{n}/download"
        followed = site.client.get(download.get("href"), follow_redirects=False)
        assert followed.status_code == 303
        assert followed.headers["location"] == dist["downloadURL"]
        assert followed.headers["location"] in site.catalog.files  # the loopback copy
        assert download.get("rel") == "nofollow noopener"
    facts = _facts(page, "facts-heading")
    assert facts["Publisher"].find("a").get("href") == "/organization/general-services-administration"
    assert {a.text() for a in facts["Tags"].find_all("a")} == set(dataset["keyword"])
    assert facts["License"].find("a").text() == "Creative Commons Zero 1.0 Universal (CC0)"  # by name, linked
    assert facts["Contact"].find("a").get("href") == "mailto:" + dataset["contactPoint"]["hasEmail"].removeprefix(
        "mailto:"
    )
    provenance = _facts(page, "provenance-heading")
    assert provenance["Harvested from"].find("a").get("href") == "/source/datagov"
    assert provenance["Harvested from"].text() == "Data.gov test source"
    assert provenance["Catalog id"].text() == result["id"]


def test_a_tag_link_finds_the_dataset_again(site: Site) -> None:
    result = _find(site, "Data.gov Daily Sessions", source="datagov")
    page = site.page(_path(result))
    tag = _facts(page, "facts-heading")["Tags"].find("a")
    found = site.page(tag.get("href"))
    titles = [h.text() for h in found.find_all("h3") if h.find_all("a")]
    assert "Data.gov Daily Sessions" in titles


def test_coverage_frequency_and_topics(site: Site) -> None:
    result = _find(site, "Provisional COVID-19 Death Counts County", source="healthdata")
    facts = _facts(site.page(_path(result)), "facts-heading")
    dataset: Any = site.api(f"/api/v1/datasets/{result['id']}")["dataset"]
    assert dataset["temporal"].startswith("2019-01-01T")
    assert facts["Time period"].text() == "1 Jan 2019 – 31 Dec 2020"
    assert dataset["accrualPeriodicity"] == "R/P1W"
    assert facts["Updated"].text() == "Weekly"
    assert [a.get("href") for a in facts["Topics"].find_all("a")] == [f"/?theme={t}" for t in dataset["theme"]]


def test_the_area_covered_is_shown_as_published(site: Site) -> None:
    result = _find(site, "Police Advisory Commission", source="philadelphia")
    facts = _facts(site.page(_path(result)), "facts-heading")
    area = facts["Area covered"]
    assert area.find("span").text() == "Philadelphia, Pennsylvania"
    assert area.find("svg").get("aria-label").startswith("Map of the area covered: W -75.28, S 39.87")
    assert area.find("a").get("href") == "/?bbox=-75.2768%2C39.8654%2C-74.9645%2C40.1378"


def test_every_machine_readable_form_is_linked_and_served(site: Site) -> None:
    result = _find(site, "Data.gov Daily Sessions", source="datagov")
    response = site.client.get(_path(result), headers={"Accept": BROWSER})
    page = parse(response.text)
    forms = page.find("ul", class_="forms").find_all("a")
    assert [a.text() for a in forms] == ["JSON (API)", "Turtle", "JSON-LD", "RDF/XML", "N-Triples"]
    for link in forms:
        served = site.client.get(link.get("href"))
        assert served.status_code == 200, link.get("href")
        assert served.headers["content-type"].split(";")[0] == link.get("type")
    # the head keeps what search engines and linked-data clients read
    assert page.find("link", rel="canonical").get("href") == result["html_url"]
    jsonld = json.loads(page.find("script", type="application/ld+json").text())
    assert jsonld["name"] == "Data.gov Daily Sessions"
    assert response.headers["vary"] == "Accept"


def test_html_in_descriptions_is_sanitized_to_the_allow_list(site: Site) -> None:
    api: Any = site.api("/api/v1/datasets", q="NNDSS", source="healthdata", per_page=50)
    ids = [r["id"] for r in api["results"]]
    marked = next(
        i
        for i in ids
        if "<" in (site.api(f"/api/v1/datasets/{i}")["dataset"].get("description") or "")  # type: ignore[index, union-attr, operator]
    )
    page = site.page(_path(next(r for r in api["results"] if r["id"] == marked)))
    description = page.find("section", **{"aria-labelledby": "description-heading"})
    assert description.find_all("p")
    assert {n.tag for n in description.iter()} <= {"section", "h2", "div"} | TAGS


def test_records_with_schema_problems_show_a_score_not_the_problems(site: Site) -> None:
    """The public reads the score and a plain summary; the problem list is the publisher's (issue 13)."""
    api: Any = site.api("/api/v1/datasets", source="invalid")
    hit = api["results"][0]
    page = site.page(_path(hit))
    section = page.find("section", **{"aria-labelledby": "quality-heading"})
    text = " ".join(section.text().split())
    assert f"Metadata quality {hit['quality']['score']}/100" in text
    assert "The publisher has the full list of this record's metadata problems." in text
    assert not section.find_all("code")  # no field paths, no schema messages
    assert f"Quality {hit['quality']['score']}/100" in text


def test_hostile_values_never_become_markup_or_links(
    services: Services, client: TestClient, http_server: LoopbackServer
) -> None:
    dataset = {
        "identifier": "evil-1",
        "title": "Evil <script>alert(1)</script> dataset",
        "description": "<p>Hello</p><script>alert('x')</script><img src=x onerror=alert(2)>",
        "keyword": ['"><script>alert(3)</script>'],
        "modified": "2024-01-01",
        "publisher": {"@type": "org:Organization", "name": "Evil <b>Org</b>"},
        "contactPoint": {"fn": "x", "hasEmail": "mailto:javascript:alert(4)"},
        "accessLevel": "public",
        "landingPage": "javascript:alert(5)",
        "license": "javascript:alert(6)",
        "distribution": [{"downloadURL": "javascript:alert(7)", "title": "<i>file</i>"}],
    }
    catalog = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [dataset]}
    add_source(services, "evil", serve_json(http_server, "/evil.json", catalog))
    assert services.runner.harvest("evil").new == 1
    [hit] = client.get("/api/v1/datasets").json()["results"]
    response = client.get("/" + hit["html_url"].split("/", 3)[3], headers={"Accept": BROWSER})
    assert response.status_code == 200
    html = response.text
    assert "<script>alert" not in html
    assert "<img" not in html
    assert "<b>Org</b>" not in html
    assert "javascript:" not in " ".join(a.get("href") for a in parse(html).find_all("a") if "href" in a.attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    search = client.get("/?q=evil", headers={"Accept": BROWSER}).text
    assert "<script>alert" not in search
