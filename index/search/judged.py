"""Freshness and quality on both backends (issue 13): what the documents hold, and how a query compares it
with its clock.

A document holds ``due_at`` and ``stale_at`` (computed at index time from its ``accrualPeriodicity`` and
``modified``, :mod:`mappings.freshness`) and its quality score. Freshness at ``now`` is a comparison:
``fresh`` = ``now < due_at``, ``due`` = ``due_at <= now < stale_at``, ``stale`` = ``stale_at <= now``,
``unknown`` = no ``due_at``. The embedded index compares numpy columns (:func:`judged_mask`,
:func:`derived_facets`); the engines get range filters and a ``filters`` aggregation of the same ranges
(:func:`engine_filters`, :func:`engine_aggs`), so a dataset turns due or stale with no reindex.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from index.search.base import (
    DERIVED_FACETS,
    FRESHNESS_STATES,
    Average,
    FacetCount,
    SearchDoc,
    SearchQuery,
    check_judged,
    freshness_counts,
)

if TYPE_CHECKING:
    from index.search.columns import BoolArray, Columns, FloatArray, IntArray

DUE, STALE, QUALITY = 0, 1, 2  # columns of Columns.judged


def judged_row(doc: SearchDoc) -> tuple[float | None, float | None, float | None]:
    """A document's due and stale instants (seconds) and quality, as the embedded index stores them."""
    return (
        doc.due_at.timestamp() if doc.due_at is not None else None,
        doc.stale_at.timestamp() if doc.stale_at is not None else None,
        float(doc.quality) if doc.quality is not None else None,
    )


# -- embedded ---------------------------------------------------------------------------------------


def state_masks(judged: FloatArray, now: float) -> dict[str, BoolArray]:
    """Each freshness state at ``now`` as a mask over rowids."""
    due, stale = judged[:, DUE], judged[:, STALE]
    known = ~np.isnan(due)
    with np.errstate(invalid="ignore"):
        return {
            "fresh": known & (now < due),
            "due": known & (due <= now) & (now < stale),
            "stale": known & (stale <= now),
            "unknown": ~known,
        }


def judged_mask(judged: FloatArray, query: SearchQuery) -> BoolArray:
    """Documents in any of the query's freshness states with at least its minimum quality."""
    check_judged(query)
    mask = np.ones(len(judged), dtype=bool)
    if query.freshness:
        states = state_masks(judged, query.clock().timestamp())
        mask &= np.logical_or.reduce([states[s] for s in query.freshness])
    if query.quality_min is not None:
        with np.errstate(invalid="ignore"):
            mask &= judged[:, QUALITY] >= query.quality_min
    return mask


def derived_facets(
    judged: FloatArray, mask: BoolArray, rows: IntArray, query: SearchQuery
) -> dict[str, list[FacetCount]]:
    """The freshness facet over the matching documents (``mask``; ``rows``: the same as rowids): a small
    result through its rows, a large one through the mask."""
    if "freshness" not in query.facets:
        return {}
    now = query.clock().timestamp()
    if len(rows) * 4 < len(judged):
        due, stale, where = judged[rows, DUE], judged[rows, STALE], None
    else:
        due, stale, where = judged[:, DUE], judged[:, STALE], mask
    return {"freshness": freshness_counts(state_counts(due, stale, now, where))}


def state_counts(due: FloatArray, stale: FloatArray, now: float, where: BoolArray | None = None) -> dict[str, int]:
    """How many documents (those in ``where``, or all) are in each freshness state at ``now``."""
    with np.errstate(invalid="ignore"):
        fresh, gone, known = now < due, stale <= now, ~np.isnan(due)
    if where is not None:
        fresh, gone, known = fresh & where, gone & where, known & where
    total = int(np.count_nonzero(where)) if where is not None else len(due)
    counts = [int(np.count_nonzero(m)) for m in (fresh, gone, known)]
    return {
        "fresh": counts[0],
        "due": counts[2] - counts[0] - counts[1],
        "stale": counts[1],
        "unknown": total - counts[2],
    }


def quality_averages(columns: Columns, mask: BoolArray, query: SearchQuery) -> dict[str, list[Average]]:
    """Mean quality per value of each facet in ``query.averages`` over the documents in ``mask``."""
    check_judged(query)
    out: dict[str, list[Average]] = {}
    quality = columns.judged[:, QUALITY]
    scored = mask & ~np.isnan(quality)
    for name in query.averages:
        column = columns.facets[name]
        keep = scored[column.docs]
        vals, docs = column.vals[keep], column.docs[keep]
        counts = np.bincount(vals, minlength=len(column.values))
        sums = np.bincount(vals, weights=quality[docs], minlength=len(column.values))
        present = np.flatnonzero(counts)
        averages = [Average(column.values[i], int(counts[i]), float(sums[i] / counts[i])) for i in present]
        out[name] = sorted(averages, key=lambda a: (a.value.casefold(), a.value))
    return out


# -- Elasticsearch / OpenSearch ---------------------------------------------------------------------

PROPERTIES: dict[str, Any] = {
    "due_at": {"type": "date", "format": "epoch_millis"},
    "stale_at": {"type": "date", "format": "epoch_millis"},
    "quality": {"type": "integer"},
}


def engine_fields(doc: SearchDoc) -> dict[str, Any]:
    due, stale, _quality = judged_row(doc)
    return {
        "due_at": round(due * 1000) if due is not None else None,
        "stale_at": round(stale * 1000) if stale is not None else None,
        "quality": doc.quality,
    }


def state_query(state: str, now_ms: int) -> dict[str, Any]:
    """One freshness state at ``now`` as an engine query."""
    if state == "fresh":
        return {"range": {"due_at": {"gt": now_ms}}}
    if state == "due":
        return {"bool": {"filter": [{"range": {"due_at": {"lte": now_ms}}}, {"range": {"stale_at": {"gt": now_ms}}}]}}
    if state == "stale":
        return {"range": {"stale_at": {"lte": now_ms}}}
    return {"bool": {"must_not": [{"exists": {"field": "due_at"}}]}}


def engine_filters(query: SearchQuery) -> list[dict[str, Any]]:
    """The query's freshness and minimum-quality filters."""
    check_judged(query)
    filters: list[dict[str, Any]] = []
    now_ms = round(query.clock().timestamp() * 1000)
    if query.freshness:
        states = [state_query(s, now_ms) for s in query.freshness]
        filters.append({"bool": {"should": states, "minimum_should_match": 1}})
    if query.quality_min is not None:
        filters.append({"range": {"quality": {"gte": query.quality_min}}})
    return filters


def engine_aggs(query: SearchQuery) -> dict[str, Any]:
    """The freshness facet (a ``filters`` aggregation of the four states) and the quality averages."""
    check_judged(query)
    aggs: dict[str, Any] = {}
    if "freshness" in query.facets:
        now_ms = round(query.clock().timestamp() * 1000)
        aggs["freshness"] = {"filters": {"filters": {s: state_query(s, now_ms) for s in FRESHNESS_STATES}}}
    for name in query.averages:
        aggs[f"avg-{name}"] = {
            "terms": {"field": name, "size": 65_536, "order": {"_key": "asc"}},
            "aggs": {"quality": {"avg": {"field": "quality"}}, "scored": {"value_count": {"field": "quality"}}},
        }
    return aggs


def engine_results(
    aggregations: Mapping[str, Any],
) -> tuple[dict[str, list[FacetCount]], dict[str, list[Average]]]:
    """The freshness facet and the averages from a response's aggregations."""
    facets: dict[str, list[FacetCount]] = {}
    if "freshness" in aggregations:
        buckets = aggregations["freshness"]["buckets"]
        facets["freshness"] = freshness_counts({s: int(b["doc_count"]) for s, b in buckets.items()})
    averages: dict[str, list[Average]] = {}
    for key, agg in aggregations.items():
        if key.startswith("avg-"):
            found = [
                Average(str(b["key"]), int(b["scored"]["value"]), float(b["quality"]["value"]))
                for b in agg["buckets"]
                if b["scored"]["value"]
            ]
            averages[key[4:]] = sorted(found, key=lambda a: (a.value.casefold(), a.value))
    return facets, averages


def stored_facets(facets: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in facets if f not in DERIVED_FACETS)
