"""Usage and core datasets as a person meets them in a real Chromium: visits and a download click are
counted (read back from the CSV export, which counts nothing), the dataset page shows the figures, the
search page sorts by most used, and a core dataset carries its badge and passes the core filter."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable

import pytest

from index.annotations import refresh
from index.core import mark_core, unmark_core
from index.governance import NewOrganization, add_organization, get_organization
from index.ids import slug_path
from index.store import NotFound
from tests.browser.conftest import LiveSite, Watched
from tests.support.site import FILE_BODY

pytestmark = pytest.mark.browser
TITLE = "Data.gov Daily Sessions"


def _counts(watched: Watched, dataset_id: str) -> tuple[int, int, int]:
    """(views, api, downloads) of a dataset from the CSV export."""
    response = watched.page.request.get(watched.site.url("/api/v1/usage.csv"), params={"dataset": dataset_id})
    assert response.ok, response.status
    rows = list(csv.DictReader(io.StringIO(response.text())))
    return (
        sum(int(r["views"]) for r in rows),
        sum(int(r["api"]) for r in rows),
        sum(int(r["downloads"]) for r in rows),
    )


def _wait(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _dataset_id(site: LiveSite) -> str:
    return next(r.id for r in site.services.store.iter_records(live=True) if r.title == TITLE)


def test_visits_and_a_download_click_are_counted_and_shown(desktop: Watched, live_site: LiveSite) -> None:
    page = desktop.page
    dataset_id = _dataset_id(live_site)
    desktop.goto("/?q=daily+sessions&source=datagov")
    before = _counts(desktop, dataset_id)
    page.get_by_role("link", name=TITLE, exact=True).click()
    page.wait_for_url("**/dataset/data-gov-daily-sessions-*")
    page.reload()
    page.reload()
    with page.expect_download() as info:
        page.get_by_role("link", name=f"Download {TITLE}", exact=True).click()
    download = info.value
    assert download.failure() is None
    assert download.path().read_bytes() == FILE_BODY  # the redirect led to the file the record names
    expected = (before[0] + 3, before[1], before[2] + 1)
    _wait(lambda: _counts(desktop, dataset_id) == expected, "three views and one download to be stored")
    page.reload()
    assert page.locator("#usage .views-30").inner_text() == f"{expected[0]:,}"
    assert page.locator("#usage .downloads-30").inner_text() == f"{expected[2]:,}"
    desktop.shot("dataset-usage-desktop")
    desktop.assert_clean()


def test_search_sorted_by_most_used(desktop: Watched, live_site: LiveSite) -> None:
    page = desktop.page
    dataset_id = _dataset_id(live_site)
    for _ in range(40):  # far more than any other test visits a page
        assert page.request.get(live_site.url(f"/dataset/{slug_path(TITLE, dataset_id)}")).ok
    desktop.goto("/?source=datagov")
    page.get_by_label("Sort by").select_option("popular")
    page.wait_for_url("**sort=popular**")

    def first_is_ours() -> bool:
        page.reload()
        return page.locator(".results-list .result h3").first.inner_text() == TITLE

    _wait(first_is_ours, "the most visited dataset to come first")
    desktop.assert_clean()


def test_a_core_dataset_has_its_badge_and_passes_the_filter(desktop: Watched, live_site: LiveSite) -> None:
    page = desktop.page
    services = live_site.services
    dataset_id = _dataset_id(live_site)
    try:
        get_organization(services.store, "education")
    except NotFound:
        add_organization(services.store, NewOrganization("education", "Department of Education"), live_site.catalog.now)
    mark_core(services.store, dataset_id, ["education"], None, "test", live_site.catalog.now)
    refresh(services.store, services.index, [dataset_id])
    try:
        desktop.goto("/?source=datagov")
        page.get_by_role("link", name="Only datasets many agencies rely on").click()
        page.wait_for_url("**core=true**")
        assert page.locator(".results-list .result h3").all_inner_texts() == [TITLE]
        assert page.locator(".results-list .result .badge-core").count() == 1
        assert page.locator("a.chip", has_text="Core datasets").is_visible()
        page.get_by_role("link", name=TITLE, exact=True).click()
        page.wait_for_url("**/dataset/**")
        badge = page.locator(".core-note")
        assert badge.is_visible()
        assert "used by 1 agency" in badge.inner_text()
        desktop.shot("dataset-core-desktop")
        violations = desktop.axe("dataset-core")
        assert violations == [], violations
        desktop.assert_clean()
    finally:
        unmark_core(services.store, dataset_id)
        refresh(services.store, services.index, [dataset_id])
