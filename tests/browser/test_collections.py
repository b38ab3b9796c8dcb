"""Collections and the census as a person uses them, in a real Chromium: from the home page's featured
collections to one collection, to all its datasets in search, and back out by its facet chip."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import LiveSite, Watched

pytestmark = pytest.mark.browser


def _api(site: LiveSite, watched: Watched, path: str, **params: Any) -> Any:
    response = watched.page.request.get(site.url(path), params=params)
    assert response.ok, response.status
    return response.json()


def test_from_a_featured_collection_to_its_datasets(desktop: Watched, live_site: LiveSite) -> None:
    page = desktop.page
    desktop.goto("/")
    featured = page.get_by_role("region", name="Featured collections")
    featured.get_by_role("link", name="Health and Human Services").click()
    page.wait_for_url("**/collections/health-and-human-services")
    collection = _api(live_site, desktop, "/api/v1/collections/health-and-human-services")
    assert collection["datasets"] > 0
    assert page.locator("h1").inner_text() == "Health and Human Services"
    desktop.shot("collection-desktop")
    page.get_by_role("link", name=f"Search all {collection['datasets']:,} datasets").click()
    page.wait_for_url("**/?collection=health-and-human-services")
    heading = page.locator("#results-heading").inner_text()
    assert heading.split()[0].replace(",", "") == str(collection["datasets"])
    chip = page.locator("a.chip", has_text="Health and Human Services")
    assert chip.is_visible()
    facet = page.locator("section[aria-labelledby=facet-collection] a").first
    assert "Health and Human Services" in facet.inner_text()
    chip.click()
    page.wait_for_url(lambda url: "collection" not in parse_qs(urlsplit(url).query))
    desktop.assert_clean()


def test_the_census_page_shows_every_item(desktop: Watched, live_site: LiveSite) -> None:
    census = _api(live_site, desktop, "/api/v1/census")
    desktop.goto("/census")
    rows = desktop.page.locator("table tbody tr")
    assert rows.count() == census["items_total"]
    assert desktop.page.locator(".figures strong").first.inner_text() == str(census["score"])
    desktop.assert_clean()
