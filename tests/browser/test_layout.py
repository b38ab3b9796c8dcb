"""Nothing wider than the screen, at 320, 390 and 1280 px, on every page — with the test site's hard cases:
a title without spaces (``[ArcGIS_rest_services_SDOT_EXT_sdot_parking_MapServer_5]``), a harvest note
quoting a web page, long URLs — plus tables that become cards on phones, the map and type-ahead as
progressive enhancement, and the same filters working without JavaScript. Screenshots and axe reports go
to ``test-artifacts/browser/``."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import ARTIFACTS, AXE_PATH, LiveSite, Watched, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (320, 390, 1280)
LONG_TITLE = "Street Parking Signs [ArcGIS_rest_services_SDOT_EXT_sdot_parking_MapServer_5]"
PAGES: dict[str, str | None] = {
    "home": "/",
    "search-long-titles": "/?q=ArcGIS_rest_services_SDOT_EXT_sdot_parking_MapServer_5",
    "search-where-when": "/?bbox=Pennsylvania&temporal_from=2005&q=parking",
    "dataset-long-title": None,
    "dataset-map": None,
    "dataset-preview": None,  # a data preview's table, open
    "organizations": "/organization",
    "organization": "/organization/city-of-philadelphia",
    "sources": "/source",
    "source-history": "/source/philadelphia",
    "source-agency-page": "/source/agency-page",
    "source-broken": "/source/broken",
    "dashboard": "/dashboard",
    "collections": "/collections",
    "collection": "/collections/health-and-human-services",
    "census": "/census",
}


def _html_path(site: LiveSite, watched: Watched, **params: str) -> str:
    response = watched.page.request.get(site.url("/api/v1/datasets"), params=params)
    url: str = response.json()["results"][0]["html_url"]
    return url.removeprefix(site.base)


def _path(name: str, site: LiveSite, watched: Watched) -> str:
    if name == "dataset-long-title":
        return _html_path(site, watched, q="ArcGIS_rest_services_SDOT_EXT_sdot_parking_MapServer_5", source="seattle")
    if name == "dataset-preview":
        return _html_path(site, watched, q="Data.gov Daily Sessions", source="datagov")
    if name == "dataset-map":
        return _html_path(site, watched, q="police advisory commission", source="philadelphia")
    path = PAGES[name]
    assert path is not None
    return path


def _at(browser: Any, site: LiveSite, width: int, **options: Any) -> tuple[Any, Watched]:
    context, watched = watch(browser, site, "phone" if width < 640 else "desktop", **options)
    watched.page.set_viewport_size({"width": width, "height": 800})
    return context, watched


def _axe(watched: Watched, name: str) -> list[dict[str, Any]]:
    watched.page.add_script_tag(url=watched.site.url(AXE_PATH))  # same-origin: the CSP refuses inline scripts
    violations: list[dict[str, Any]] = watched.page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))"""
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"layout-{name}.axe.json").write_text(repr(violations))
    return violations


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_nothing_is_wider_than_the_screen(name: str, width: int, browser: Any, live_site: LiveSite) -> None:
    context, watched = _at(browser, live_site, width)
    try:
        watched.goto(_path(name, live_site, watched))
        page = watched.page
        watched.shot(f"layout-{name}-{width}")
        wide = page.evaluate(
            """() => [...document.querySelectorAll("body *")]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                             && !e.closest(".table-wrap, .vh, .skip"))
                .slice(0, 5).map(e => e.tagName + "." + e.className)"""
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width, wide
        notes = page.locator("td.note").all_inner_texts()
        assert not [n for n in notes if "\\n" in n], notes
        assert _axe(watched, f"{name}-{width}") == []
        watched.assert_clean()
    finally:
        context.close()


def test_a_long_title_breaks_instead_of_widening(browser: Any, live_site: LiveSite) -> None:
    context, watched = _at(browser, live_site, 390)
    try:
        watched.goto(_path("dataset-long-title", live_site, watched))
        heading = watched.page.locator("h1")
        assert heading.inner_text() == LONG_TITLE
        assert heading.bounding_box()["width"] <= 390  # type: ignore[index]
        crumbs = watched.page.locator("nav.crumbs")
        assert crumbs.evaluate("e => e.scrollWidth <= e.clientWidth")
    finally:
        context.close()


def test_history_tables_become_cards_on_phones(browser: Any, live_site: LiveSite) -> None:
    for width, display in ((320, "block"), (1280, "table-row")):
        context, watched = _at(browser, live_site, width)
        try:
            watched.goto("/source/agency-page")
            row = watched.page.locator("table.jobs tbody tr").first
            assert row.evaluate("e => getComputedStyle(e).display") == display
            note = watched.page.locator("table.jobs td.note").first.inner_text()
            assert "did not return JSON" in note
            assert "\\n" not in note
            if width == 320:
                label = watched.page.locator("table.jobs td.note").first
                assert label.evaluate("e => getComputedStyle(e, '::before').content") == '"Notes: "'
        finally:
            context.close()


def test_draw_a_box_on_the_map(browser: Any, live_site: LiveSite) -> None:
    context, watched = _at(browser, live_site, 1280)
    page = watched.page
    try:
        watched.goto("/?q=parking")
        area = page.locator("#area-map")

        def at(lon: float, lat: float) -> tuple[float, float]:
            """Where a longitude/latitude is on the screen (the map's own transform, as a person sees it)."""
            point: list[float] = area.evaluate(
                """(svg, [x, y]) => { const p = svg.createSVGPoint(); p.x = x; p.y = y;
                    const q = p.matrixTransform(svg.getScreenCTM()); return [q.x, q.y]; }""",
                [lon, -lat],
            )
            return point[0], point[1]

        # Pennsylvania's corner of the world map: longitude -81..-74, latitude 39..43

        page.mouse.move(*at(-81, 43))
        page.mouse.down()
        page.mouse.move(*at(-77, 41), steps=4)
        page.mouse.move(*at(-74, 39), steps=4)
        page.mouse.up()
        value = page.locator("#bbox").input_value()
        west, south, east, north = (float(v) for v in value.split(","))
        assert (round(west), round(south), round(east), round(north)) == (-81, 39, -74, 43), value
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"bbox="))
        query = parse_qs(urlsplit(page.url).query)
        assert query["bbox"] == [value]
        assert query["q"] == ["parking"]
        api = page.request.get(live_site.url("/api/v1/datasets"), params={"q": "parking", "bbox": value}).json()
        heading = page.locator("#results-heading").inner_text()
        assert heading.startswith(f"{api['total']:,} dataset")
        assert api["total"] > 0
        assert page.locator("#area-map rect.extent").count() == 1
        watched.shot("layout-draw-a-box")
        watched.assert_clean()
    finally:
        context.close()


def test_where_and_when_without_javascript(browser: Any, live_site: LiveSite) -> None:
    context, watched = _at(browser, live_site, 390, java_script_enabled=False)
    page = watched.page
    try:
        watched.goto("/")
        page.locator("details.filters").evaluate("e => e.open = true")
        page.get_by_label("Area", exact=True).fill("Philadelphia County, PA")
        page.get_by_role("group", name="Time covered").get_by_label("From").fill("2005")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"bbox="))
        query = parse_qs(urlsplit(page.url).query)
        assert query == {"bbox": ["Philadelphia County, PA"], "temporal_from": ["2005"]}
        chips = page.locator(".chips").inner_text()
        assert "Area" in chips
        assert "Time covered" in chips
        watched.assert_clean()
    finally:
        context.close()


@pytest.mark.parametrize(("path", "field"), [("/", "#q"), ("/organization", "#site-q")])
def test_type_ahead_is_a_combobox(path: str, field: str, browser: Any, live_site: LiveSite) -> None:
    context, watched = _at(browser, live_site, 390)
    page = watched.page
    try:
        watched.goto(path)
        box = page.locator(field)
        assert box.get_attribute("role") == "combobox"
        box.press_sequentially("parking", delay=20)
        listbox = page.get_by_role("listbox", name="Suggestions")
        listbox.wait_for()
        assert box.get_attribute("aria-expanded") == "true"
        options = listbox.get_by_role("option").all_inner_texts()
        assert options
        assert all("parking" in o.lower() for o in options)
        box.press("ArrowDown")
        active = box.get_attribute("aria-activedescendant")
        assert active
        assert page.locator(f"#{active}").get_attribute("aria-selected") == "true"
        name = "type-ahead" + path.replace("/", "-").rstrip("-")
        watched.shot(f"layout-{name}-390")
        assert _axe(watched, f"{name}-390") == []
        box.press("Enter")
        page.wait_for_url(re.compile(r"q="))
        assert parse_qs(urlsplit(page.url).query)["q"] == [options[0]]
        watched.assert_clean()
    finally:
        context.close()
