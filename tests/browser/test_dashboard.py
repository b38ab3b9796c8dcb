"""The dashboard as drawn by Chromium: every bar and column has the size its number calls for, and the
numbers are the API's."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from tests.browser.conftest import LiveSite, Watched

pytestmark = pytest.mark.browser

TONES = {"succeeded": "ok", "unchanged": "ok", "suspicious": "warn", "failed": "bad"}


def _api(site: LiveSite, watched: Watched, path: str, **params: Any) -> Any:
    response = watched.page.request.get(site.url(path), params=params)
    assert response.ok
    return response.json()


def _drawn_bars(watched: Watched, chart: str) -> list[dict[str, Any]]:
    drawn: list[dict[str, Any]] = watched.page.evaluate(
        """chart => [...document.querySelectorAll(`#${chart} tbody tr`)].map(tr => {
            const rect = tr.querySelector("rect").getBoundingClientRect();
            const track = tr.querySelector("svg").getBoundingClientRect();
            return {label: tr.dataset.label, value: Number(tr.dataset.value),
                    width: rect.width, track: track.width, height: rect.height,
                    shown: tr.querySelector("td.num").innerText};
        })""",
        chart,
    )
    return drawn


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_bar_charts_are_drawn_to_scale_with_the_api_numbers(
    viewport: str, desktop: Watched, phone: Watched, live_site: LiveSite
) -> None:
    watched = desktop if viewport == "desktop" else phone
    watched.goto("/dashboard")
    api = _api(live_site, watched, "/api/v1/datasets", per_page=1)
    for chart, facet in (("by-publisher", "publisher"), ("by-theme", "theme"), ("by-format", "format")):
        bars = _drawn_bars(watched, chart)
        assert [(b["label"], b["value"]) for b in bars] == [
            (f["value"], f["count"]) for f in api["facets"][facet][: len(bars)]
        ]
        largest = bars[0]
        assert largest["width"] == pytest.approx(largest["track"], abs=1)
        for bar in bars:
            assert bar["height"] == 14
            assert bar["width"] == pytest.approx(largest["width"] * bar["value"] / largest["value"], abs=1)
            assert int(bar["shown"].replace(",", "")) == bar["value"]
    assert watched.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    watched.shot(f"dashboard-{viewport}")
    watched.assert_clean()


def test_harvest_columns_stand_as_high_as_the_jobs_of_each_day(desktop: Watched, live_site: LiveSite) -> None:
    desktop.goto("/dashboard")
    now = datetime.fromisoformat(desktop.page.locator("p.lead time").get_attribute("datetime") or "")
    expected: Counter[tuple[str, str]] = Counter()
    for source in _api(live_site, desktop, "/api/v1/sources")["results"]:
        for job in _api(live_site, desktop, f"/api/v1/sources/{source['name']}/jobs")["results"]:
            day = datetime.fromisoformat(job["started_at"]).date()
            if (now.date() - day).days < 30 and job["status"] in TONES:
                expected[(day.isoformat(), TONES[job["status"]])] += 1
    blocks: list[dict[str, Any]] = desktop.page.evaluate(
        """() => [...document.querySelectorAll("#harvests g[data-day] rect")].map(r => ({
            day: r.parentNode.dataset.day, series: r.dataset.series, value: Number(r.dataset.value),
            height: r.getBoundingClientRect().height, width: r.getBoundingClientRect().width}))"""
    )
    assert Counter({(b["day"], b["series"]): b["value"] for b in blocks}) == expected
    unit = min(b["height"] / b["value"] for b in blocks)
    for block in blocks:
        assert block["height"] == pytest.approx(unit * block["value"], abs=0.5)
        assert block["width"] > 10
    busiest = max(Counter(day for (day, _), n in expected.items() for _ in range(n)).values())
    ticks = [int(t) for t in desktop.page.locator("#harvests .ticks text").all_text_contents()]
    assert ticks == sorted(ticks)
    assert ticks[-1] >= busiest
    desktop.assert_clean()


def test_freshness_and_additions_are_drawn(desktop: Watched, live_site: LiveSite) -> None:
    desktop.goto("/dashboard")
    rows: list[dict[str, Any]] = desktop.page.evaluate(
        """() => [...document.querySelectorAll("#freshness tbody tr")].map(tr => ({
            label: tr.dataset.label, total: Number(tr.dataset.total),
            width: [...tr.querySelectorAll("rect")].reduce((s, r) => s + r.getBoundingClientRect().width, 0),
            track: tr.querySelector("svg").getBoundingClientRect().width}))"""
    )
    assert len(rows) == 12
    for row in rows:
        total = _api(live_site, desktop, "/api/v1/datasets", publisher=row["label"], per_page=1)["total"]
        assert row["total"] == total
        assert row["width"] == pytest.approx(row["track"], abs=1)  # the shares fill the bar
    added = desktop.page.evaluate(
        """() => [...document.querySelectorAll("#additions g[data-day]")]
                 .reduce((sum, g) => sum + Number(g.dataset.total), 0)"""
    )
    assert added == sum(1 for _ in live_site.services.store.iter_records())  # all harvested in the last 30 days
    desktop.assert_clean()


def test_a_failing_source_is_flagged_with_its_next_try(desktop: Watched, live_site: LiveSite) -> None:
    source = _api(live_site, desktop, "/api/v1/sources/broken")
    assert (source["failing"], source["consecutive_failures"]) == (True, 3)
    desktop.goto("/source/broken")
    notice = desktop.page.locator("#source-failing")
    assert notice.is_visible()
    assert "the last 3 harvests failed in a row" in notice.inner_text()
    desktop.goto("/source")
    flag = desktop.page.locator("tr", has_text="A broken catalog").locator(".pill.tone-bad", has_text="failing")
    assert flag.inner_text() == "failing (3 in a row)"
    desktop.assert_clean()
