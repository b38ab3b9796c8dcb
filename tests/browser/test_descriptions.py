"""Descriptions in a real browser: a Markdown one (Philadelphia's 311 requests) and an HTML one
(HealthData.gov's NNDSS tables) render as formatted text with safe links, fit a phone's width, load nothing
from another host, break no CSP rule and pass axe-core."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveSite, Watched, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def dataset_path(site: LiveSite, watched: Watched, q: str, source: str) -> str:
    response = watched.page.request.get(site.url("/api/v1/datasets"), params={"q": q, "source": source})
    url: str = response.json()["results"][0]["html_url"]
    return url.removeprefix(site.base)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize(
    ("q", "source", "kind"), [("311 service", "philadelphia", "markdown"), ("NNDSS", "healthdata", "html")]
)
def test_a_rendered_description(
    q: str, source: str, kind: str, viewport: str, browser: Any, live_site: LiveSite
) -> None:
    context, watched = watch(browser, live_site, viewport)
    try:
        watched.goto(dataset_path(live_site, watched, q, source))
        page = watched.page
        description = page.locator("div.description")
        assert description.count() == 1
        text = description.inner_text()
        assert "<" not in text or "&lt;" in description.inner_html()  # no tag shown as text
        if kind == "markdown":
            assert "**Please note" not in text  # emphasis rendered, not shown
            assert description.locator("strong").count() >= 1
            assert description.locator("a[href^='http']").count() >= 1
        assert description.locator("script, style, img, iframe, svg").count() == 0
        for link in description.locator("a").all():
            assert (link.get_attribute("href") or "").startswith(("http://", "https://", "mailto:"))
            assert link.get_attribute("rel") == "nofollow noopener ugc"
        assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
        watched.shot(f"description-{kind}-{viewport}")
        assert watched.axe(f"description-{kind}-{viewport}") == []
        watched.assert_clean()
    finally:
        context.close()
