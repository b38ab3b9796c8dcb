"""How fresh each publisher's data is: datasets by the age of their ``modified`` date.

Counted by the search index with one query per age limit (datasets modified since then, per publisher),
so it costs five facet queries whatever the size of the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from catalog_api.web.charts import Series
from index.search.base import SearchBackend, SearchQuery

# the age limits, newest first; a dataset older than the last one, or undated, falls past them
AGES: tuple[tuple[str, timedelta], ...] = (
    ("30 days", timedelta(days=30)),
    ("a year", timedelta(days=365)),
    ("3 years", timedelta(days=3 * 365)),
)
DATED_SINCE = datetime(1000, 1, 1, tzinfo=UTC)  # before any real modified date: "has a date at all"
SERIES: tuple[Series, ...] = (
    Series("age0", "Updated in the last 30 days"),
    Series("age1", "30 days to a year ago"),
    Series("age2", "1 to 3 years ago"),
    Series("age3", "More than 3 years ago"),
    Series("age4", "No modified date"),
)
MAX_PUBLISHERS = 10_000


@dataclass(frozen=True, slots=True)
class Freshness:
    publisher: str
    counts: tuple[int, ...]  # one per SERIES

    @property
    def total(self) -> int:
        return sum(self.counts)


def freshness(
    index: SearchBackend, now: datetime, filters: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, Freshness]:
    """publisher → its datasets split by age (only datasets matching ``filters``)."""
    cutoffs = [now - age for _, age in AGES] + [DATED_SINCE]
    totals = _by_publisher(index, filters, None)
    since = [_by_publisher(index, filters, cutoff) for cutoff in cutoffs]
    out: dict[str, Freshness] = {}
    for publisher, total in totals.items():
        cumulative = [counts.get(publisher, 0) for counts in since]
        out[publisher] = Freshness(publisher, _split(cumulative, total))
    return out


def _split(cumulative: list[int], total: int) -> tuple[int, ...]:
    """[≤30d, ≤1y, ≤3y, dated] cumulative counts → counts per age band, undated last."""
    bands = [cumulative[0]] + [b - a for a, b in pairwise(cumulative)]
    return (*bands, total - cumulative[-1])


def _by_publisher(
    index: SearchBackend, filters: Mapping[str, tuple[str, ...]] | None, since: datetime | None
) -> dict[str, int]:
    query = SearchQuery(
        filters=dict(filters or {}),
        modified_since=since,
        sort="modified",
        limit=0,
        facets=("publisher",),
        facet_limit=MAX_PUBLISHERS,
    )
    return {f.value: f.count for f in index.search(query).facets["publisher"]}
