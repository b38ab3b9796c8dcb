"""Freshness, quality and problems beyond one dataset (issue 13): per publisher and per source, the daily
quality history, and an organization's report (stale datasets, broken links, lowest scores, problems by kind)
with a CSV of each list.

Everything about freshness and scores is read from the search index (computed there at index time):
counts per state and publisher are facet queries at the services' clock, averages an aggregation. Problems
are read from the store (:func:`index.quality.problem_rows`); a data.gov schema problem that the data.json
export repairs is counted as *repaired*, one that keeps the record out of data.json as an error.
"""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from catalog_api.exporting import exportable
from catalog_api.judging import hit_freshness
from catalog_api.services import Services
from index.governance import OrganizationRow
from index.linkchecks import broken_links, last_run
from index.quality import ProblemRow, averages, history, problem_rows
from index.search.base import FRESHNESS_STATES, Average, Hit, OrderBy, SearchQuery
from index.store import ExportRow, RecordRow
from mappings.problems import Tally, distinct, is_repair, kind_of

MAX_VALUES = 10_000
REPORT_LIST = 100  # datasets in each list of a report (the CSV has them all)
CSV_ALL = 10_000  # the engines' result window
LISTS = ("stale", "broken_links", "lowest_scores", "problems")
LINK_CHECKER = "the link checker has not checked this catalog's links yet"


# -- per publisher and per source --------------------------------------------------------------------


def freshness_by(
    services: Services, facet: str, now: datetime, filters: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, dict[str, int]]:
    """value of ``facet`` (publisher, source) → datasets in each freshness state at ``now``."""
    out: dict[str, dict[str, int]] = {}
    for state in FRESHNESS_STATES:
        query = SearchQuery(
            filters=dict(filters or {}),
            freshness=(state,),
            now=now,
            limit=0,
            facets=(facet,),
            facet_limit=MAX_VALUES,
        )
        for bucket in services.index.search(query).facets.get(facet, []):
            out.setdefault(bucket.value, dict.fromkeys(FRESHNESS_STATES, 0))[state] = bucket.count
    return out


def average_quality(
    services: Services, facet: str, filters: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, Average]:
    """value of ``facet`` (publisher, source) → the mean quality of its datasets."""
    return {a.value: a for a in averages(services.index, facet, filters)}


def catalog_quality(services: Services) -> tuple[float | None, int]:
    """The whole catalog's mean quality and how many datasets it covers."""
    found = average_quality(services, "source")
    scored = sum(a.count for a in found.values())
    return (sum(a.mean * a.count for a in found.values()) / scored if scored else None), scored


def quality_history(services: Services, scope: str = "catalog") -> list[tuple[str, float, int]]:
    """(day, average, datasets) of a scope, oldest first."""
    return [(d.day.isoformat(), d.average, d.datasets) for d in history(services.store, scope)]


# -- problems by kind ----------------------------------------------------------------------------------

_REPAIRABLE: OrderedDict[tuple[str, datetime], bool] = OrderedDict()  # (record, last changed) → export repairs it
_REPAIRABLE_SIZE = 200_000


def problem_tally(services: Services, *, source_id: int | None = None, organization_id: int | None = None) -> Tally:
    """The live records' problems (of a source, an organization, or all) grouped by kind."""
    tally = Tally()
    for batch in problem_rows(services.store, source_id=source_id, organization_id=organization_id):
        for row in batch:
            _count(services, tally, row)
    return tally


def _count(services: Services, tally: Tally, row: ProblemRow) -> None:
    record = row.export.id
    problems = [p for found in row.export.export_problems.values() for p in found]
    tally.add(record, distinct(row.issues, problems))
    if problems:
        tally.add(record, problems, repaired=_export_repairs(services, row.export))


def _export_repairs(services: Services, row: ExportRow) -> bool:
    """Whether data.json publishes this record repaired (True) or leaves it out (False); remembered per
    version of the record, since repairing runs the schema again."""
    key = (row.id, row.last_changed)
    found = _REPAIRABLE.get(key)
    if found is None:
        body, _, _ = exportable(row, services.settings)
        found = _REPAIRABLE[key] = body is not None
        if len(_REPAIRABLE) > _REPAIRABLE_SIZE:
            _REPAIRABLE.popitem(last=False)
    return found


@dataclass(frozen=True, slots=True)
class RecordProblem:
    path: str
    message: str
    kind: str
    status: str  # error, warning, or repaired


def record_problems(services: Services, row: RecordRow) -> list[RecordProblem]:
    """Every problem of one record, for its publisher: harvest issues and data.gov schema problems, each
    with its kind and whether it is an error, a warning or was repaired (errors first)."""
    export = ExportRow(
        row.id, row.original_identifier, row.title, row.source, row.datajson, row.export_problems, row.last_changed
    )
    schema = [p for found in row.export_problems.values() for p in found]
    repaired = bool(schema) and _export_repairs(services, export)
    found = [_problem(p, is_repair(p)) for p in distinct(row.issues, schema)] + [_problem(p, repaired) for p in schema]
    order = {"error": 0, "warning": 1, "info": 2, "repaired": 3}
    return sorted(found, key=lambda p: (order.get(p.status, 2), p.path))


def _problem(problem: Mapping[str, Any], repaired: bool) -> RecordProblem:
    status = "repaired" if repaired else str(problem.get("severity") or "error")
    path = str(problem.get("path") or "$")
    return RecordProblem(path, str(problem.get("message") or ""), kind_of(problem).label, status)


# -- an organization's report --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportItem:
    id: str
    title: str
    source: str
    modified: str | None
    freshness: str
    quality: int | None
    reasons: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "modified": self.modified,
            "freshness": self.freshness,
            "quality": self.quality,
            "reasons": self.reasons,
        }


@dataclass(frozen=True, slots=True)
class Report:
    organization: OrganizationRow
    generated_at: datetime
    datasets: int
    freshness: dict[str, int]
    average_quality: float | None
    stale: list[ReportItem]
    stale_total: int
    lowest_scores: list[ReportItem]
    problems: Tally
    broken_links: list[dict[str, Any]]
    broken_links_note: str | None
    quality_history: list[tuple[str, float, int]]


def organization_report(services: Services, org: OrganizationRow, now: datetime, limit: int = REPORT_LIST) -> Report:
    """What is stale, broken, thin or wrong in one organization's datasets."""
    mine = {"publisher": (org.title,)}
    base = SearchQuery(filters=mine, now=now, limit=0, facets=("freshness",))
    everything = services.index.search(base)
    stale = services.index.search(_list(mine, now, limit, freshness=("stale",), order=(OrderBy("modified"),)))
    lowest = services.index.search(_list(mine, now, limit, order=(OrderBy("quality"),), quality_min=0))
    averages = average_quality(services, "publisher", mine)
    counts = dict.fromkeys(FRESHNESS_STATES, 0) | {b.value: b.count for b in everything.facets.get("freshness", [])}
    return Report(
        organization=org,
        generated_at=now,
        datasets=everything.total,
        freshness=counts,
        average_quality=averages[org.title].mean if org.title in averages else None,
        stale=[_item(h, now) for h in stale.hits],
        stale_total=stale.total,
        lowest_scores=[_item(h, now) for h in lowest.hits],
        problems=problem_tally(services, organization_id=org.id),
        broken_links=_broken_links(services, org),
        broken_links_note=None if last_run(services.store) else LINK_CHECKER,
        quality_history=quality_history(services, f"publisher:{org.title}"),
    )


def _broken_links(services: Services, org: OrganizationRow) -> list[dict[str, Any]]:
    """The organization's links the link checker found broken (``index/linkchecks.py``), by dataset."""
    return [
        {
            "dataset": link.title,
            "id": link.record_id,
            "distribution": link.position,
            "field": link.field,
            "url": link.url,
            "status": link.status,
            "http_status": link.http_status,
            "checked_at": link.checked_at.isoformat() if link.checked_at else None,
            "message": link.message,
        }
        for link in broken_links(services.store, organization_id=org.id)
    ]


def _list(filters: Mapping[str, tuple[str, ...]], now: datetime, limit: int, **narrowing: Any) -> SearchQuery:
    return SearchQuery(filters=dict(filters), now=now, limit=limit, facets=(), **narrowing)


def _item(hit: Hit, now: datetime) -> ReportItem:
    data = hit.summary
    quality = data.get("quality") or {}
    reasons = [str(r.get("message")) for r in quality.get("reasons", []) if isinstance(r, Mapping)]
    return ReportItem(
        id=hit.id,
        title=str(data.get("title") or ""),
        source=str(data.get("source") or ""),
        modified=data.get("modified"),
        freshness=hit_freshness(data, now),
        quality=quality.get("score"),
        reasons=reasons,
    )


def report_json(report: Report, dataset_url: Any) -> dict[str, Any]:
    """The report as the API returns it; ``dataset_url(id, title)`` links each dataset."""

    def items(found: Iterable[ReportItem]) -> list[dict[str, Any]]:
        return [item.as_json() | {"html_url": dataset_url(item.id, item.title)} for item in found]

    tally = report.problems
    return {
        "organization": report.organization.slug,
        "title": report.organization.title,
        "generated_at": report.generated_at.isoformat(),
        "datasets": report.datasets,
        "freshness": report.freshness,
        "average_quality": round(report.average_quality, 1) if report.average_quality is not None else None,
        "stale": {"total": report.stale_total, "results": items(report.stale)},
        "lowest_scores": {"results": items(report.lowest_scores)},
        "broken_links": {"results": report.broken_links, "note": report.broken_links_note},
        "problems": {
            "summary": tally.summary(report.datasets),
            "records": len(tally.records),
            "problems": tally.problems,
            "repaired": tally.repairs,
            "kinds": [g.as_json() for g in tally.sorted()],
        },
        "quality_history": [{"day": d, "average": round(a, 1), "datasets": n} for d, a, n in report.quality_history],
    }


# -- CSV -------------------------------------------------------------------------------------------------

ITEM_COLUMNS = ("id", "title", "source", "modified", "freshness", "quality", "reasons", "url")
PROBLEM_COLUMNS = ("kind", "field", "what", "severity", "repaired", "records", "occurrences", "example")
LINK_COLUMNS = ("dataset", "url", "status", "http_status", "checked_at")


def report_csv(report: Report, name: str, dataset_url: Any) -> str:
    """One list of a report as CSV (every row, with a header)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if name == "problems":
        writer.writerow(PROBLEM_COLUMNS)
        for group in report.problems.sorted():
            row = group.as_json()
            writer.writerow([_cell(row[c]) for c in PROBLEM_COLUMNS])
    elif name == "broken_links":
        writer.writerow(LINK_COLUMNS)
        for link in report.broken_links:
            writer.writerow([_cell(link.get(c)) for c in LINK_COLUMNS])
    else:
        writer.writerow(ITEM_COLUMNS)
        for item in report.stale if name == "stale" else report.lowest_scores:
            values = [*(_cell(v) for v in item.as_json().values()), dataset_url(item.id, item.title)]
            writer.writerow(values)
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text  # no formulas for spreadsheets


def full_lists(services: Services, org: OrganizationRow, now: datetime) -> Report:
    """The report with every dataset in its lists (for CSV)."""
    return organization_report(services, org, now, limit=CSV_ALL)


def sorted_freshness(counts: Mapping[str, int]) -> Sequence[tuple[str, int]]:
    return [(s, counts.get(s, 0)) for s in FRESHNESS_STATES]
