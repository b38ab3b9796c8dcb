"""``/``: the search page shows what the API finds, with facets, chips, sort and pages that are links."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient

from catalog_api.services import Services
from index.search.base import SearchError
from mappings.licenses import license_name
from tests.catalog_api.routes.conftest import BROWSER, Site
from tests.support.html import Node, parse

FACET_NAMES = ("publisher", "theme", "format", "keyword", "license", "accessLevel", "source")


def _titles(page: Node) -> list[str]:
    return [li.find("h3").text() for li in page.find("ol", class_="results-list").find_all("li", class_="result")]


def _facet_counts(page: Node, name: str) -> dict[str, int]:
    section = page.find("section", **{"aria-labelledby": f"facet-{name}"})
    out = {}
    for link in section.find_all("a"):
        if link.find_all("span", class_="n"):
            value = link.find("span", class_="v").text().removeprefix("Selected, remove: ")
            out[value] = int(link.find("span", class_="n").text().replace(",", ""))
    return out


def _heading_total(page: Node) -> int:
    return int(page.find("h2", id="results-heading").text().split()[0].replace(",", ""))


def test_the_home_page_lists_the_newest_with_every_facet(site: Site) -> None:
    page = site.page("/")
    api: Any = site.api("/api/v1/datasets", per_page=20)
    assert page.find("h2", id="results-heading").text() == "Recently updated"
    sources: Any = site.api("/api/v1/sources")
    harvested = sum(1 for s in (sources["results"] if isinstance(sources, dict) else sources) if s["datasets"])
    lede = page.find("p", class_="lede").text()
    assert lede.startswith(f"{api['total']:,} datasets from ")
    assert lede.endswith(f"harvested from {harvested} sources.")
    assert api["total"] > 2000
    assert _titles(page) == [r["title"] for r in api["results"]]
    assert page.find("input", id="q").get("data-suggest") == "/api/v1/suggest"
    for name in FACET_NAMES:
        shown = _facet_counts(page, name)
        assert shown, name
        named = license_name if name == "license" else str
        assert shown == {named(f["value"]): f["count"] for f in api["facets"][name][: len(shown)]}


def test_the_license_facet_shows_names_and_filters_by_licence(site: Site) -> None:
    """The facet holds a recognized licence's id; people read its name, and the link filters by the id."""
    api: Any = site.api("/api/v1/datasets", per_page=1)
    top = api["facets"]["license"][0]
    name = license_name(top["value"])
    assert name is not None
    assert name != top["value"]  # the fixtures' most common licence is a recognized one
    link = next(
        a
        for a in site.page("/").find("section", **{"aria-labelledby": "facet-license"}).find_all("a")
        if a.find_all("span", class_="v") and a.find("span", class_="v").text() == name
    )
    narrowed = site.page(link.get("href"))
    assert dict(parse_qsl(urlsplit(link.get("href")).query))["license"] == top["value"]
    assert _heading_total(narrowed) == top["count"]
    chips = [chip.text() for chip in narrowed.find_all("a", class_="chip")]
    assert chips == [f"Remove License: {name} ×"]


def test_words_find_what_the_api_finds(site: Site) -> None:
    page = site.page("/?q=tobacco+legislation")
    api: Any = site.api("/api/v1/datasets", q="tobacco legislation", per_page=20)
    assert 0 < _heading_total(page) == api["total"]
    assert _titles(page) == [r["title"] for r in api["results"]]
    assert page.find("input", id="q").get("value") == "tobacco legislation"
    assert page.find("select", id="sort").find("option", selected="").get("value") == "relevance"


def test_a_facet_link_narrows_and_its_chip_widens_again(site: Site) -> None:
    home = site.page("/?q=health")
    link = home.find("section", **{"aria-labelledby": "facet-publisher"}).find("a")
    publisher = link.find("span", class_="v").text()
    narrowed = site.page(link.get("href"))
    api: Any = site.api("/api/v1/datasets", q="health", publisher=publisher)
    assert _heading_total(narrowed) == api["total"] == int(link.find("span", class_="n").text().replace(",", ""))
    assert all(r["publisher"] == publisher for r in api["results"])
    chips = {chip.text(): chip.get("href") for chip in narrowed.find_all("a", class_="chip")}
    assert set(chips) == {"Remove Search: “health” ×", f"Remove Publisher: {publisher} ×"}
    selected = narrowed.find("section", **{"aria-labelledby": "facet-publisher"}).find("a", class_="on")
    assert selected.get("aria-current") == "true"
    widened = site.page(chips[f"Remove Publisher: {publisher} ×"])
    assert _heading_total(widened) == _heading_total(home)
    assert narrowed.find("a", class_="clear").get("href") == "/"


def test_filters_stay_when_searching_new_words(site: Site) -> None:
    page = site.page("/?publisher=City+of+Philadelphia&format=CSV")
    form = page.find("form", class_="search")
    hidden = {(i.get("name"), i.get("value")) for i in form.find_all("input", type="hidden")}
    assert hidden == {("publisher", "City of Philadelphia"), ("format", "CSV")}


def test_sorting_by_title(site: Site) -> None:
    page = site.page("/?sort=title&source=seattle")
    api: Any = site.api("/api/v1/datasets", sort="title", source="seattle")
    assert _titles(page) == [r["title"] for r in api["results"]]
    assert _titles(page) == sorted(_titles(page), key=str.casefold)


def test_pages_are_links_and_page_two_continues_page_one(site: Site) -> None:
    first = site.page("/?source=philadelphia")
    pager = first.find("nav", class_="pager")
    assert "Showing 1–20 of 402" in pager.text()
    assert [a.text() for a in pager.find_all("a")] == ["Page 1", "Page 2", "Page 3", "Page 21", "Next ›"]
    assert pager.find("li", class_="gap").text() == "…"
    assert pager.find("a", **{"aria-current": "page"}).text() == "Page 1"
    second_href = pager.find("a", rel="next").get("href")
    assert dict(parse_qsl(urlsplit(second_href).query)) == {"source": "philadelphia", "page": "2"}
    second = site.page(second_href)
    api: Any = site.api("/api/v1/datasets", source="philadelphia", page=2)
    assert _titles(second) == [r["title"] for r in api["results"]]
    assert not set(_titles(second)) & set(_titles(first))
    assert second.find("a", rel="prev").get("href") == "/?source=philadelphia"


def test_more_values_of_a_facet(site: Site) -> None:
    page = site.page("/")
    more = page.find("section", **{"aria-labelledby": "facet-keyword"}).find("a", class_="more")
    assert more.text() == "More tags"
    expanded = site.page(more.get("href"))
    assert len(_facet_counts(expanded, "keyword")) > len(_facet_counts(page, "keyword"))
    assert expanded.find("section", **{"aria-labelledby": "facet-keyword"}).find("a", class_="more").text() == "Fewer"


def test_nothing_found_says_what_to_try(site: Site) -> None:
    page = site.page("/?q=zzzqqqxxx&format=CSV")
    assert _heading_total(page) == 0
    notice = page.find("div", class_="notice").text()
    assert "No datasets match “zzzqqqxxx” with these filters" in notice
    assert "remove a filter" in notice


def test_the_page_is_small(site: Site) -> None:
    """A search page and its stylesheet stay under 50 KB before any chart (uncompressed)."""
    css = site.client.get(parse(site.client.get("/").text).find("link", rel="stylesheet").get("href")).content
    for path in ("/", "/?q=health", "/?q=data&expand=keyword", "/?publisher=City+of+Philadelphia&page=3"):
        html = site.client.get(path).content
        assert len(html) + len(css) < 50_000, (path, len(html), len(css))


def test_an_unsearchable_query_is_explained_on_the_page(
    services: Services, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(query: object) -> None:
        raise SearchError("unbalanced quotes")

    monkeypatch.setattr(services.index, "search", refuse)
    response = client.get("/?q=%22oops", headers={"Accept": BROWSER})
    assert response.status_code == 400
    page = parse(response.text)
    assert "unbalanced quotes" in page.find("p", role="alert").text()
    assert page.find("input", id="q").get("value") == '"oops'
