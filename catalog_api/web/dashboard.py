"""The catalog dashboard's numbers: datasets per publisher, theme and format (search facets), each
publisher's freshness, harvests per day and additions per day (the store), and the newest datasets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from catalog_api.reports import average_quality, catalog_quality, freshness_by, quality_history
from catalog_api.services import Services
from catalog_api.web.charts import BarChart, ColumnChart, Series, StackedRow, bar_chart, column_chart, stacked_row
from catalog_api.web.freshness import SERIES as FRESHNESS_SERIES
from catalog_api.web.freshness import freshness
from catalog_api.web.health import status_tone
from catalog_api.web.judged_view import STATE_SERIES
from catalog_api.web.links import organization_path, search_path
from index.search.base import FRESHNESS_STATES, SearchQuery
from index.stats import NewRecord, additions, jobs_since, newest_records
from index.store import JobRow
from index.usage import Ranked, daily_totals, most_used

TOP = 12
DAYS = 30
NEWEST = 10
MAX_VALUES = 10_000
HARVEST_SERIES: tuple[Series, ...] = (
    Series("ok", "Succeeded or unchanged"),
    Series("warn", "Held back (catalog shrank)"),
    Series("bad", "Failed"),
)
ADDITION_SERIES: tuple[Series, ...] = (Series("added", "Datasets added"),)
# keys are the stylesheet's existing series colours (the search page's size budget has no room for more)
USAGE_SERIES: tuple[Series, ...] = (
    Series("added", "Page views"),
    Series("ok", "Downloads"),
    Series("unknown", "API requests"),
)
USAGE_KINDS = {"added": "view", "ok": "download", "unknown": "api"}


@dataclass(frozen=True, slots=True)
class Dashboard:
    now: datetime
    datasets: int
    publishers: int
    sources: int
    without_publisher: int
    by_publisher: BarChart
    by_theme: BarChart
    by_format: BarChart
    freshness_series: tuple[Series, ...]
    freshness: list[StackedRow]
    harvests: ColumnChart
    additions: ColumnChart
    newest: list[NewRecord]
    usage: ColumnChart | None = None  # uses per day by kind, last 30 days
    most_used: list[Ranked] = field(default_factory=list)  # views and downloads, last 30 days
    # -- freshness against accrualPeriodicity and quality (issue 13)
    states: list[StackedRow] = field(default_factory=list)
    quality_by_publisher: BarChart | None = None
    quality_days: ColumnChart | None = None
    quality_now: float | None = None
    states_series: tuple[Series, ...] = STATE_SERIES

    @property
    def harvest_failures(self) -> int:
        return sum(b.value for c in self.harvests.columns for b in c.blocks if b.series.key == "bad")


def build_dashboard(services: Services, now: datetime) -> Dashboard:
    index = services.index
    query = SearchQuery(limit=0, sort="modified", facets=("publisher", "theme", "format"), facet_limit=MAX_VALUES)
    result = index.search(query)
    counts = {name: [(f.value, f.count) for f in values] for name, values in result.facets.items()}
    days = [now.date() - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    return Dashboard(
        now=now,
        datasets=result.total,
        publishers=len(counts["publisher"]),
        sources=len(services.store.list_sources()),
        without_publisher=result.total - sum(c for _, c in counts["publisher"]),
        by_publisher=bar_chart(counts["publisher"], organization_path, TOP),
        by_theme=bar_chart(counts["theme"], lambda v: search_path(theme=v), TOP),
        by_format=bar_chart(counts["format"], lambda v: search_path(format=v), TOP),
        freshness_series=FRESHNESS_SERIES,
        freshness=_freshness_rows(services, now, [name for name, _ in counts["publisher"][:TOP]]),
        harvests=harvest_chart(days, [job for _, job in jobs_since(services.store, _midnight(days[0]))]),
        additions=column_chart(days, ADDITION_SERIES, [[n] for n in additions(services.store, _bounds(days))]),
        newest=newest_records(services.store, NEWEST),
        usage=usage_chart(services, now.date()),
        most_used=most_used(services.store, now.date(), limit=TOP),
        **_judged(services, now, [name for name, _ in counts["publisher"][:TOP]], days),
    )


def _carried(services: Services, days: Sequence[date]) -> list[int]:
    """The catalog's average quality each day: the last value kept on or before it (0 before the first)."""
    kept = [(date.fromisoformat(d), round(a)) for d, a, _ in quality_history(services)]
    out, value, position = [], 0, 0
    for day in days:
        while position < len(kept) and kept[position][0] <= day:
            value = kept[position][1]
            position += 1
        out.append(value)
    return out


QUALITY_SERIES: tuple[Series, ...] = (Series("quality", "Average quality score"),)


def _judged(services: Services, now: datetime, names: list[str], days: Sequence[date]) -> dict[str, Any]:
    """Each top publisher's datasets by freshness state, average quality per publisher, and the catalog's
    average quality per day (the daily history)."""
    table = freshness_by(services, "publisher", now)
    states = [
        stacked_row(n, organization_path(n), [table[n][s] for s in FRESHNESS_STATES], STATE_SERIES)
        for n in names
        if n in table
    ]
    by_publisher = sorted(average_quality(services, "publisher").values(), key=lambda a: (-a.mean, a.value))
    mean, _ = catalog_quality(services)
    return {
        "states": states,
        "quality_by_publisher": bar_chart([(a.value, round(a.mean)) for a in by_publisher], organization_path, TOP),
        "quality_days": column_chart(days, QUALITY_SERIES, [[v] for v in _carried(services, days)]),
        "quality_now": mean,
    }


def usage_chart(services: Services, today: date) -> ColumnChart:
    """Page views, downloads and API requests per day, the last 30 days (what the store holds)."""
    totals = daily_totals(services.store, today, DAYS)
    days = list(totals)
    return column_chart(days, USAGE_SERIES, [[totals[d][USAGE_KINDS[s.key]] for s in USAGE_SERIES] for d in days])


def _freshness_rows(services: Services, now: datetime, names: list[str]) -> list[StackedRow]:
    table = freshness(services.index, now)
    rows = [table[name] for name in names if name in table]
    return [stacked_row(f.publisher, organization_path(f.publisher), f.counts, FRESHNESS_SERIES) for f in rows]


def harvest_chart(days: Sequence[date], jobs: Sequence[JobRow]) -> ColumnChart:
    """Finished jobs per day, by outcome (running jobs are left out until they end)."""
    position = {day: i for i, day in enumerate(days)}
    keys = [s.key for s in HARVEST_SERIES]
    values = [[0] * len(keys) for _ in days]
    for job in jobs:
        tone = status_tone(job.status)
        slot = position.get(job.started_at.astimezone(UTC).date())
        if slot is not None and tone in keys:
            values[slot][keys.index(tone)] += 1
    return column_chart(days, HARVEST_SERIES, values)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _bounds(days: Sequence[date]) -> list[datetime]:
    return [_midnight(d) for d in days] + [_midnight(days[-1] + timedelta(days=1))]
