"""What a person does on the site, in a real Chromium: search, narrow, page, open, download."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import LiveSite, Watched, watch
from tests.support.site import FILE_BODY

pytestmark = pytest.mark.browser


def _api(site: LiveSite, watched: Watched, path: str, **params: Any) -> Any:
    response = watched.page.request.get(site.url(path), params=params)
    assert response.ok, response.status
    return response.json()


def _total(watched: Watched) -> int:
    return int(watched.page.locator("#results-heading").inner_text().split()[0].replace(",", ""))


def _query(watched: Watched) -> dict[str, list[str]]:
    return parse_qs(urlsplit(watched.page.url).query)


def test_search_narrow_page_and_open(desktop: Watched, live_site: LiveSite) -> None:
    page = desktop.page
    desktop.goto("/")
    desktop.shot("search-home-desktop")
    # search for a word
    page.get_by_label("Search by words in titles, descriptions and tags").fill("nndss")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/?q=nndss")
    found = _api(live_site, desktop, "/api/v1/datasets", q="nndss")
    assert _total(desktop) == found["total"] > 40
    # apply the first publisher facet
    facet = page.locator("section[aria-labelledby=facet-publisher] a").first
    publisher = facet.locator(".v").inner_text()
    facet.click()
    page.wait_for_url("**publisher=**")
    assert _query(desktop) == {"q": ["nndss"], "publisher": [publisher]}
    narrowed = _api(live_site, desktop, "/api/v1/datasets", q="nndss", publisher=publisher)
    assert _total(desktop) == narrowed["total"] > 20
    assert page.locator("a.chip", has_text=publisher).is_visible()
    desktop.shot("search-narrowed-desktop")
    # go to the next page
    page.get_by_role("navigation", name="Pages of results").get_by_role("link", name="Next ›").click()
    page.wait_for_url("**page=2**")
    second = _api(live_site, desktop, "/api/v1/datasets", q="nndss", publisher=publisher, page=2)
    titles = page.locator(".results-list .result h3").all_inner_texts()
    assert titles == [" ".join(r["title"].split()) for r in second["results"]]  # innerText collapses spaces
    assert " ".join((page.locator(".pager a[aria-current=page]").text_content() or "").split()) == "Page 2"
    # open a dataset
    page.locator(".results-list .result h3 a").first.click()
    page.wait_for_url("**/dataset/**")
    assert page.locator("h1").inner_text() == titles[0]
    assert page.locator(".crumbs").get_by_role("link", name=publisher).is_visible()
    desktop.shot("dataset-desktop")
    desktop.assert_clean()


def test_follow_a_download_link_to_the_file(desktop: Watched, live_site: LiveSite) -> None:
    page = desktop.page
    desktop.goto("/?q=daily+sessions&source=datagov")
    page.get_by_role("link", name="Data.gov Daily Sessions", exact=True).click()
    page.wait_for_url("**/dataset/data-gov-daily-sessions-*")
    before = len(live_site.files.requests)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download Data.gov Daily Sessions", exact=True).click()
    download = info.value
    assert download.url in live_site.catalog.files  # the loopback copy of the published URL
    assert download.failure() is None
    path = download.path()
    assert path.read_bytes() == FILE_BODY
    served = live_site.files.requests[before:]
    assert [urlsplit(download.url).path] == [r.path for r in served]
    desktop.assert_clean()


def test_keyboard_only(desktop: Watched) -> None:
    page = desktop.page
    desktop.goto("/dashboard")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert page.evaluate("document.activeElement.className") == "skip"
    box = skip.bounding_box()
    assert box is not None
    assert box["y"] >= 0  # moved into view when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # the header search is reachable and works from the keyboard
    page.locator("#site-q").focus()
    page.keyboard.type("medicare")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=medicare")
    # tab to the first facet link and follow it with Enter
    first_facet = page.locator("section[aria-labelledby=facet-publisher] a").first
    for _ in range(40):
        page.keyboard.press("Tab")
        if first_facet.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("the first filter is not reachable with Tab")
    outline = first_facet.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"  # a visible focus ring
    page.keyboard.press("Enter")
    page.wait_for_url("**publisher=**")
    desktop.assert_clean()


def test_the_sort_applies_itself_with_a_script_and_with_a_button_without(
    desktop: Watched, browser: Any, live_site: LiveSite
) -> None:
    page = desktop.page
    desktop.goto("/?q=health")
    assert not page.get_by_role("button", name="Sort").is_visible()
    page.get_by_label("Sort by").select_option("title")
    page.wait_for_url("**sort=title**")
    titles = page.locator(".results-list .result h3").all_inner_texts()
    by_title = _api(live_site, desktop, "/api/v1/datasets", q="health", sort="title")
    assert titles == [r["title"].strip() for r in by_title["results"]]
    desktop.assert_clean()

    context, plain = watch(browser, live_site, "desktop", java_script_enabled=False)
    try:
        plain.goto("/?q=health")
        button = plain.page.get_by_role("button", name="Sort")
        assert button.is_visible()
        plain.page.get_by_label("Sort by").select_option("title")
        button.click()
        plain.page.wait_for_url("**sort=title**")
        assert plain.page.locator(".results-list .result h3").all_inner_texts() == titles
        plain.page.locator("section[aria-labelledby=facet-format] a").first.click()
        plain.page.wait_for_url("**format=**")
        plain.assert_clean()
    finally:
        context.close()


def test_on_a_phone_the_filters_fold_away(phone: Watched) -> None:
    page = phone.page
    phone.goto("/?q=health")
    filters = page.locator("details.filters")
    assert filters.get_attribute("open") is None
    assert not page.locator("section[aria-labelledby=facet-publisher]").is_visible()
    phone.shot("search-phone-folded")
    page.get_by_text("Filter results").click()
    assert page.locator("section[aria-labelledby=facet-publisher]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.shot("search-phone-filters")
    phone.assert_clean()
