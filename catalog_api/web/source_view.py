"""What a source's page shows: its health, the harvest history with per-job counts, and one job's
per-record errors, searchable and paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from catalog_api.errors import ApiError
from catalog_api.linkcheck.views import LinkSummary, link_summary
from catalog_api.reports import average_quality, problem_tally
from catalog_api.services import Services
from catalog_api.web.health import SourceHealth, source_health
from catalog_api.web.links import dataset_path, source_path
from index.store import ErrorRow, JobRow, SourceRow, Store
from mappings.problems import Tally

JOBS_PER_PAGE = 20
ERRORS_PER_PAGE = 50
MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class SourceQuery:
    """The page's state in its URL: which page of jobs, which job's errors, what text, which page."""

    jobs_page: int = 1
    job: int | None = None
    q: str = ""
    errors_page: int = 1

    @classmethod
    def from_query(cls, query: QueryParams) -> SourceQuery:
        text = " ".join(query.get("q", "").split())
        if len(text) > MAX_TEXT:
            raise ApiError(400, "bad_parameter", f"the error search is longer than {MAX_TEXT} characters")
        job = query.get("job")
        return cls(
            jobs_page=_number(query, "jobs_page", 1),
            job=_number(query, "job", 1) if job else None,
            q=text,
            errors_page=_number(query, "errors_page", 1),
        )

    def url(self, name: str, **changes: int | str | None) -> str:
        values = {"jobs_page": self.jobs_page, "job": self.job, "q": self.q, "errors_page": self.errors_page}
        values.update(changes)
        defaults = {"jobs_page": 1, "errors_page": 1, "q": "", "job": None}
        pairs = [(k, str(v)) for k, v in values.items() if v != defaults[k]]
        return source_path(name) + ("?" + urlencode(pairs) if pairs else "")


def _number(query: QueryParams, name: str, default: int) -> int:
    text = query.get(name)
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ApiError(400, "bad_parameter", f"{name} must be a whole number from 1 (got {text!r})")
    return int(text)


@dataclass(frozen=True, slots=True)
class ErrorView:
    error: ErrorRow
    href: str | None  # the dataset's page, when the record is in the catalog


@dataclass(frozen=True, slots=True)
class SourcePage:
    health: SourceHealth
    query: SourceQuery
    jobs: list[JobRow]
    job_errors: dict[int, int]  # job id → how many record errors it logged
    jobs_total: int
    jobs_prev: str | None
    jobs_next: str | None
    job: JobRow | None
    errors: list[ErrorView]
    errors_total: int
    errors_prev: str | None
    errors_next: str | None
    links: LinkSummary | None = None  # what the link checker found (catalog_api/linkcheck)

    @property
    def source(self) -> SourceRow:
        return self.health.source


def source_page(store: Store, source: SourceRow, query: SourceQuery, now: datetime, flag_after: int = 3) -> SourcePage:
    health = source_health(store, source, now, flag_after, problems=True)
    offset = (query.jobs_page - 1) * JOBS_PER_PAGE
    jobs = store.list_jobs(source.id, limit=JOBS_PER_PAGE, offset=offset)
    jobs_total = store.count_jobs(source.id)
    job = _chosen_job(store, source, query, health.last_job)
    total, errors = _errors(store, job, query)
    name = source.name
    return SourcePage(
        health=health,
        query=query,
        jobs=jobs,
        job_errors={j.id: store.list_errors(job_id=j.id, limit=0)[0] for j in jobs},
        jobs_total=jobs_total,
        jobs_prev=query.url(name, jobs_page=query.jobs_page - 1) if query.jobs_page > 1 else None,
        jobs_next=query.url(name, jobs_page=query.jobs_page + 1) if offset + len(jobs) < jobs_total else None,
        job=job,
        errors=_with_links(store, errors),
        errors_total=total,
        errors_prev=query.url(name, errors_page=query.errors_page - 1) if query.errors_page > 1 else None,
        errors_next=(
            query.url(name, errors_page=query.errors_page + 1) if query.errors_page * ERRORS_PER_PAGE < total else None
        ),
        links=link_summary(store, source_id=source.id),
    )


def _chosen_job(store: Store, source: SourceRow, query: SourceQuery, last: JobRow | None) -> JobRow | None:
    if query.job is None:
        return last
    job = store.get_job(query.job)
    if job.source_id != source.id:
        raise ApiError(404, "not_found", f"harvest job {query.job} is not a job of source {source.name!r}")
    return job


def _errors(store: Store, job: JobRow | None, query: SourceQuery) -> tuple[int, list[ErrorRow]]:
    if job is None:
        return 0, []
    offset = (query.errors_page - 1) * ERRORS_PER_PAGE
    return store.list_errors(job_id=job.id, text=query.q or None, limit=ERRORS_PER_PAGE, offset=offset)


def _with_links(store: Store, errors: list[ErrorRow]) -> list[ErrorView]:
    ids = sorted({e.record_id for e in errors if e.record_id})
    titles = {r.id: r.title for r in store.get_records(ids)} if ids else {}
    return [
        ErrorView(e, dataset_path(titles[e.record_id], e.record_id) if e.record_id in titles else None) for e in errors
    ]


JOB_ERRORS_GROUPED = 100_000  # a job's errors read to group them by kind


def source_judged(services: Services, source_id: int, name: str, job: JobRow | None) -> dict[str, Any]:
    """What the source page adds for issue 13: its live records' problems by kind, the chosen job's errors
    by kind, and the average quality of its datasets."""
    averages = average_quality(services, "source", {"source": (name,)})
    job_kinds = Tally()
    if job is not None:
        _, rows = services.store.list_errors(job_id=job.id, limit=JOB_ERRORS_GROUPED)
        for row in rows:
            problem = {"path": row.path, "message": row.message, "severity": row.severity, "code": row.code}
            job_kinds.add(row.record_id or row.original_identifier or "", [problem])
    return {
        "problems": problem_tally(services, source_id=source_id),
        "job_kinds": job_kinds,
        "average_quality": averages[name].mean if name in averages else None,
    }
