"""``/dashboard``: every number drawn is checked against the API (or, for what the API does not expose,
against the store's records)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.catalog_api.routes.conftest import Site
from tests.support.html import Node

TONES = {"succeeded": "ok", "unchanged": "ok", "suspicious": "warn", "failed": "bad"}
AGES = (timedelta(days=30), timedelta(days=365), timedelta(days=3 * 365))


@pytest.fixture(scope="module")
def board(site: Site) -> Node:
    return site.page("/dashboard")


def _now(board: Node) -> datetime:
    return datetime.fromisoformat(board.find("p", class_="lead").find("time").get("datetime"))


def _bars(board: Node, chart: str) -> list[tuple[str, int, float]]:
    rows = board.find("table", id=chart).find("tbody").find_all("tr")
    return [
        (r.get("data-label"), int(r.get("data-value")), float(r.find("rect").get("width").rstrip("%"))) for r in rows
    ]


def test_the_figures(site: Site, board: Node) -> None:
    api: Any = site.api("/api/v1/datasets", per_page=1)
    figures = {n.get("data-figure"): int(n.text().replace(",", "")) for n in board.find_all("strong")}
    records = site.services.store.iter_records()
    publishers = {" ".join(r.dataset["publisher"]["name"].split()) for r in records if r.dataset.get("publisher")}
    sources: Any = site.api("/api/v1/sources")
    assert figures["datasets"] == api["total"]
    assert figures["publishers"] == len(publishers)
    assert figures["sources"] == sources["total"]


@pytest.mark.parametrize(
    ("chart", "facet"), [("by-publisher", "publisher"), ("by-theme", "theme"), ("by-format", "format")]
)
def test_bar_charts_draw_the_api_facets(site: Site, board: Node, chart: str, facet: str) -> None:
    bars = _bars(board, chart)
    api: Any = site.api("/api/v1/datasets", per_page=1)
    expected = [(f["value"], f["count"]) for f in api["facets"][facet][: len(bars)]]
    assert len(bars) == 12
    assert [(label, value) for label, value, _ in bars] == expected
    largest = bars[0][1]
    for _, value, width in bars:
        assert width == pytest.approx(100 * value / largest, abs=0.01)


def test_freshness_matches_the_api_date_filters(site: Site, board: Node) -> None:
    now = _now(board)
    rows = board.find("table", id="freshness").find("tbody").find_all("tr")
    assert len(rows) == 12
    for row in rows[:4]:
        publisher = row.get("data-label")
        drawn = {rect.get("data-series"): int(rect.get("data-value")) for rect in row.find_all("rect")}
        total = site.api("/api/v1/datasets", publisher=publisher, per_page=1)["total"]
        since = [
            site.api("/api/v1/datasets", publisher=publisher, per_page=1, modified_since=(now - age).isoformat())[
                "total"
            ]
            for age in AGES
        ]
        dated = site.api("/api/v1/datasets", publisher=publisher, per_page=1, modified_since="1000-01-01")["total"]
        expected = dict(
            zip(
                ["age0", "age1", "age2", "age3", "age4"],
                [since[0], since[1] - since[0], since[2] - since[1], dated - since[2], total - dated],
                strict=True,
            )
        )  # type: ignore[operator]
        assert drawn == {k: v for k, v in expected.items() if v}, publisher
        assert int(row.get("data-total")) == total


def test_harvests_per_day_match_every_sources_jobs(site: Site, board: Node) -> None:
    now = _now(board)
    expected: Counter[tuple[str, str]] = Counter()
    for source in site.api("/api/v1/sources")["results"]:  # type: ignore[union-attr]
        for job in site.api(f"/api/v1/sources/{source['name']}/jobs")["results"]:  # type: ignore[index]
            day = datetime.fromisoformat(job["started_at"]).date()
            if (now.date() - day).days < 30 and job["status"] in TONES:
                expected[(day.isoformat(), TONES[job["status"]])] += 1
    drawn: Counter[tuple[str, str]] = Counter()
    columns = board.find("svg", id="harvests").find_all("g", **{})
    for column in (c for c in columns if "data-day" in c.attrs):
        for rect in column.find_all("rect"):
            drawn[(column.get("data-day"), rect.get("data-series"))] += int(rect.get("data-value"))
    assert drawn == expected
    assert sum(expected.values()) == 14  # every job of tests/support/site.py
    assert expected[(min(d for d, _ in expected), "ok")] == 1  # philadelphia's first harvest, 20 days ago
    assert sum(v for (_, tone), v in expected.items() if tone == "bad") == 4  # broken 3 times, agency-page once


def test_additions_and_newest_match_the_store(site: Site, board: Node) -> None:
    now = _now(board)
    live = list(site.services.store.iter_records())
    per_day = Counter(r.first_seen.date().isoformat() for r in live if (now.date() - r.first_seen.date()).days < 30)
    columns = [c for c in board.find("svg", id="additions").find_all("g") if "data-day" in c.attrs]
    assert len(columns) == 30
    drawn = {c.get("data-day"): int(c.get("data-total")) for c in columns if c.get("data-total") != "0"}
    assert drawn == dict(per_day)
    newest = sorted(live, key=lambda r: (r.first_seen, r.id), reverse=True)[:10]
    shown = [li.find("a").text() for li in board.find("ol", class_="newest").find_all("li")]
    assert shown == [r.title for r in newest]


def test_every_chart_has_its_numbers_as_text(board: Node) -> None:
    assert len(board.find_all("details", class_="numbers")) == 5  # harvests, additions, freshness, quality, uses
    harvests = board.find("svg", id="harvests")
    assert harvests.get("role") == "img"
    assert harvests.find("desc").text() == "14 harvest jobs in the last 30 days, 4 failures."


def test_freshness_states_match_the_api_facet(site: Site, board: Node) -> None:
    rows = board.find("table", id="states").find("tbody").find_all("tr")
    assert len(rows) == 12
    for row in rows[:4]:
        publisher = row.get("data-label")
        drawn = {rect.get("data-series"): int(rect.get("data-value")) for rect in row.find_all("rect")}
        facet = site.api("/api/v1/datasets", publisher=publisher, per_page=1)["facets"]["freshness"]
        assert drawn == {f["value"]: f["count"] for f in facet}, publisher


def _scores(site: Site, publisher: str) -> list[int]:
    """Every quality score of a publisher's datasets, walking the API's cursor."""
    page: Any = site.api("/api/v1/datasets", publisher=publisher, per_page=100)
    scores = [r["quality"]["score"] for r in page["results"]]
    while page["next"]:
        page = site.api("/api/v1/datasets", publisher=publisher, per_page=100, cursor=page["next"])
        scores += [r["quality"]["score"] for r in page["results"]]
    return scores


def test_quality_per_publisher_and_over_time(site: Site, board: Node) -> None:
    bars = _bars(board, "quality-by-publisher")
    assert bars
    for label, value, _ in bars[:4]:
        scores = _scores(site, label)
        assert value == round(sum(scores) / len(scores)), label
    assert [v for _, v, _ in bars] == sorted((v for _, v, _ in bars), reverse=True)
    days = [c for c in board.find("svg", id="quality-days").find_all("g") if "data-day" in c.attrs]
    assert len(days) == 30
    today = int(days[-1].get("data-total"))  # kept after the site's last harvest
    assert today == int(board.find("strong", **{"data-figure": "quality"}).text())
