"""A data preview in the browser: the table of a wide real file (the WZDx work-zone GeoJSON: a column
per property, nested values) scrolls inside its own region at 320 px while the page does not widen; the region is
reachable and scrollable with the keyboard; folded previews open with a click; axe finds nothing."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from catalog_api.previews import previewable
from harvesters.profiling import Limits, profile_file
from index.previews import get_preview, save_preview
from mappings.model import Dataset
from tests.browser.conftest import LiveSite, watch
from tests.conftest import DATA

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WORK_ZONE = DATA / "feeds" / "wzdx-scenario2_laneshift_linestring_example.geojson"


def _wide_preview(site: LiveSite) -> tuple[str, int]:
    """Give the second file of Data.gov Daily Sessions the preview of a wide real file; its page's path."""
    store = site.services.store
    record = next(r for r in store.iter_records() if r.title == "Data.gov Daily Sessions")
    position = previewable(Dataset.model_validate(record.dataset))[1][0]
    stored = get_preview(store, record.id, position)
    assert stored is not None
    assert stored.ok
    profile = profile_file(
        WORK_ZONE.read_bytes(), "json", charset=None, truncated=False, limits=Limits(5, 1 << 20, time.monotonic() + 30)
    )
    wide = replace(stored, kind=profile.kind, columns=profile.columns, rows=profile.rows, row_count=profile.row_count)
    save_preview(store, wide)
    return f"/dataset/data-gov-daily-sessions-{record.id}", len(profile.columns)


def test_a_wide_table_scrolls_in_its_region_not_the_page(browser: Any, live_site: LiveSite) -> None:
    path, columns = _wide_preview(live_site)
    context, watched = watch(browser, live_site, "phone", is_mobile=True, has_touch=True)
    page = watched.page
    try:
        page.set_viewport_size({"width": 320, "height": 740})
        watched.goto(path)
        folded = page.locator("details.preview").nth(1)
        assert folded.evaluate("e => e.open") is False
        folded.locator("summary").click()
        assert folded.evaluate("e => e.open") is True
        region = folded.get_by_role("region")
        table = region.locator("table")
        assert table.locator("thead th").count() == columns
        assert region.evaluate("e => e.scrollWidth > e.clientWidth")  # wider than the phone: it scrolls...
        assert page.evaluate("document.documentElement.scrollWidth") <= 320  # ...and the page does not
        region.focus()
        before = region.evaluate("e => e.scrollLeft")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("e => e.scrollLeft > 0", arg=region.element_handle(), timeout=3000)
        assert region.evaluate("e => e.scrollLeft") > before
        watched.shot("preview-wide-320")
        assert watched.axe("preview-wide-320") == []
        watched.assert_clean()
    finally:
        context.close()
