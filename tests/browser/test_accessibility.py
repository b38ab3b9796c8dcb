"""Every page, at desktop and phone widths: no console errors, nothing wider than the screen, landmarks,
and an axe-core scan with no violation at all (the bar is "no serious ones"; these pages have none).
Screenshots are kept as artifacts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveSite, Watched, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = {
    "search": "/",
    "search-filtered": "/?q=health&publisher=Centers+for+Disease+Control+and+Prevention&format=CSV",
    "search-empty": "/?q=zzzqqq",
    "search-judged": "/?freshness=stale&freshness=unknown&quality_min=40&sort=quality",
    "dataset": None,  # found at run time
    "organizations": "/organization",
    "organization": "/organization/city-of-philadelphia",
    "sources": "/source",
    "source": "/source/invalid",
    "source-failing": "/source/broken",
    "dashboard": "/dashboard",
    "collections": "/collections",
    "collection": "/collections/health-and-human-services",
    "census": "/census",
    "not-found": "/no/such/page",
}


def _dataset_path(site: LiveSite, watched: Watched) -> str:
    response = watched.page.request.get(site.url("/api/v1/datasets"), params={"q": "daily sessions"})
    url: str = response.json()["results"][0]["html_url"]
    return url.removeprefix(site.base)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page(name: str, viewport: str, browser: Any, live_site: LiveSite) -> None:
    options = {"is_mobile": True, "has_touch": True} if viewport == "phone" else {}
    context, watched = watch(browser, live_site, viewport, **options)
    try:
        path = PAGES[name] or _dataset_path(live_site, watched)
        status = 404 if name == "not-found" else 200
        watched.goto(path, status)
        if status == 404:  # Chromium reports the page's own status as a console error
            watched.problems = [p for p in watched.problems if "status of 404" not in p]
        page = watched.page
        watched.shot(f"{name}-{viewport}")
        assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
        for landmark in ("banner", "main", "contentinfo"):
            assert page.get_by_role(landmark).count() == 1, landmark
        assert page.get_by_role("navigation", name="Main").count() == 1
        assert page.locator("h1").count() == 1
        assert page.evaluate("document.documentElement.lang") == "en"
        violations = watched.axe(f"{name}-{viewport}")
        assert violations == [], violations  # none at all, not only no serious ones
        watched.assert_clean()
    finally:
        context.close()
