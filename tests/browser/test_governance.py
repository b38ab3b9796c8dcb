"""The publishing pages in Chromium: sign in with a key (by keyboard), publish, review, sign out, and a
post without the CSRF token refused; each page axe-clean at desktop and phone widths, with no inline
script or style (the site runs under a Content-Security-Policy without 'unsafe-inline')."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from tests.browser.conftest import LiveSite, Watched, watch
from tests.catalog_api.governance.conftest import Gov, make_gov
from tests.conftest import make_settings
from tests.support.httpserver import LoopbackServer
from tests.support.liveserver import LiveServer
from tests.support.site import SiteCatalog

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class GovSite:
    live: LiveSite
    gov: Gov


@pytest.fixture(scope="module")
def gov_site(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[GovSite]:
    folder: Path = tmp_path_factory.mktemp("gov-site")
    server = LiveServer()
    settings = make_settings(database_url=f"sqlite:///{folder}/nutmeg.db", index_path=None, base_url=server.url)
    services: Services = build_services(settings)
    app = create_app(settings, services)
    server.app = app
    try:
        with LoopbackServer() as files, TestClient(app) as client, server:
            gov = make_gov(services, client, files)
            yield GovSite(LiveSite(server.url, services, SiteCatalog.__new__(SiteCatalog), files), gov)
    finally:
        services.close()


def _check_page(watched: Watched, name: str) -> None:
    page = watched.page
    html = page.request.get(page.url).text()  # as served (scripts may touch the live DOM)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html.replace('type="application/ld+json"', "")), name
    assert " style=" not in html, name
    assert "<style" not in html, name
    assert page.locator("h1").count() == 1
    violations = watched.axe(f"governance-{name}")
    assert violations == [], violations


def _sign_in(watched: Watched, key: str) -> None:
    page = watched.page
    watched.goto("/signin")
    field = page.get_by_label("API key")
    field.focus()
    page.keyboard.type(key)
    page.keyboard.press("Enter")
    page.wait_for_url("**/manage")


def _sign_out(watched: Watched) -> None:
    page = watched.page
    if not page.url.endswith("/manage") and "/manage?" not in page.url:
        watched.goto("/manage")
    page.get_by_role("button", name="Sign out").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(watched.site.url("/"))


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_publishing_page_is_accessible(gov_site: GovSite, browser: Any, viewport: str) -> None:
    options = {"is_mobile": True, "has_touch": True} if viewport == "phone" else {}
    context, watched = watch(browser, gov_site.live, viewport, **options)
    try:
        watched.goto("/signin")
        _check_page(watched, f"signin-{viewport}")
        _sign_in(watched, gov_site.gov.keys["cdo"])
        for name, path in [
            ("manage", "/manage?organization=dot"),
            ("dataset-form", "/manage/datasets/new?organization=dot"),
            ("edit-form", f"/manage/datasets/{gov_site.gov.harvested}/edit"),
            ("source-form", "/manage/sources/new?organization=dot"),
            ("review", "/manage/review"),
            ("report", "/organization/dot/report"),
        ]:
            watched.goto(path)
            watched.shot(f"governance-{name}-{viewport}")
            assert watched.page.evaluate("document.documentElement.scrollWidth") <= watched.page.evaluate(
                "window.innerWidth"
            ), name
            _check_page(watched, f"{name}-{viewport}")
        _sign_out(watched)
        watched.assert_clean()
    finally:
        context.close()


def test_sign_in_publish_review_and_sign_out(gov_site: GovSite, browser: Any) -> None:
    gov = gov_site.gov
    context, watched = watch(browser, gov_site.live)
    page = watched.page
    try:
        # a publisher of a reviewed organization: the dataset waits as a draft
        _sign_in(watched, gov.keys["health-publisher"])
        page.get_by_role("link", name="Publish a dataset").click()
        page.get_by_label("Identifier").fill("clinic-visits")
        page.get_by_label("Title").fill("Clinic visits by county")
        page.get_by_label("Description").fill("Visits to public health clinics, by county and month.")
        page.get_by_label("Keywords").fill("health, clinics")
        page.get_by_label("Access level").select_option("public")
        page.get_by_role("button", name="Publish").click()
        page.wait_for_url("**/manage?done=draft-*")
        assert "waits for a reviewer" in page.get_by_role("status").inner_text()
        assert gov.client.get("/api/v1/datasets", params={"q": "Clinic visits"}).json()["total"] == 0
        _sign_out(watched)
        watched.goto("/manage")  # signed out: back to the sign-in form
        assert page.url.startswith(gov_site.live.url("/signin"))
        # the reviewer approves it in the review queue
        _sign_in(watched, gov.keys["health-reviewer"])
        page.get_by_role("link", name=re.compile("Review queue")).click()
        draft = page.get_by_role("region", name=re.compile("Clinic visits by county"))
        draft.get_by_role("button", name=re.compile("Approve")).click()
        page.wait_for_url("**/manage/review?done=approved-*")
        assert gov.client.get("/api/v1/datasets", params={"q": "Clinic visits"}).json()["total"] == 1
        # and rejects the other one, with a comment the publisher sees
        other = page.get_by_role("region", name=re.compile("Flu cases"))
        other.get_by_label(re.compile("Why reject")).fill("Add the reporting period, please.")
        other.get_by_role("button", name=re.compile("^Reject")).click()
        page.wait_for_url("**/manage/review?done=rejected-*")
        seen = gov.call("GET", f"/api/v1/drafts/{gov.draft}", "health-publisher").json()
        assert (seen["status"], seen["comment"]) == ("rejected", "Add the reporting period, please.")
        _sign_out(watched)
        # a direct organization's publisher: live at once, on its page
        _sign_in(watched, gov.keys["dot-publisher"])
        page.get_by_role("link", name="Publish a dataset").click()
        page.get_by_label("Identifier").fill("bridge-ratings")
        page.get_by_label("Title").fill("Bridge condition ratings")
        page.get_by_label("Description").fill("Condition ratings of every state bridge.")
        page.get_by_role("button", name="Publish").click()
        page.wait_for_url("**/dataset/bridge-condition-ratings-*")
        assert page.locator("h1").inner_text() == "Bridge condition ratings"
        assert "Change history" in page.content()
        # a post without the CSRF token, from this signed-in browser, is refused and changes nothing
        before = gov.client.get("/api/v1/datasets", params={"per_page": 1}).json()["total"]
        refused = page.request.post(
            gov_site.live.url("/manage/datasets/new"),
            form={"identifier": "forged", "title": "Forged", "description": "Forged"},
            headers={"Accept": "text/html"},
        )
        assert refused.status == 403
        assert gov.client.get("/api/v1/datasets", params={"per_page": 1}).json()["total"] == before
        _sign_out(watched)
        watched.assert_clean()
    finally:
        context.close()
