"""The JSON API under /api/v1: search, datasets, sources, harvest jobs and their errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from catalog_api.attention import core_public, usage_public
from catalog_api.collections import collections_of
from catalog_api.deps import JobId, PageNumber, ServicesDep, SettingsDep, api_url, html_url
from catalog_api.judging import hit_freshness, record_judgement
from catalog_api.linkcheck.views import with_link_statuses
from catalog_api.openapi import errors
from catalog_api.schedule import when_due
from catalog_api.schemas import (
    CatalogInfo,
    DatasetPublic,
    DatasetSummary,
    FacetValue,
    JobPublic,
    LocalEdit,
    Page,
    Provenance,
    Quality,
    RecordErrorPublic,
    SearchResponse,
    SourcePublic,
)
from catalog_api.search import SearchParams, run_search
from catalog_api.search_params import SearchParamsDep
from catalog_api.services import Services
from catalog_api.settings import Settings
from catalog_api.usage import count_use
from catalog_api.web.provenance import local_edits
from harvesters.credentials import redact_url
from index.duplicates import dataset_of, merged_row, provenance
from index.ids import id_from_slug
from index.linkchecks import link_states_of
from index.store import JobRow, SourceRow
from mappings.model import Dataset, RecordIssue

router = APIRouter(prefix="/api/v1", tags=["api"])
JSON = "application/json"


@router.get("/datasets", response_model=SearchResponse, summary="Search datasets", responses=errors(503))
def search_datasets(services: ServicesDep, params: SearchParamsDep) -> Response:
    # The model is built (and so validated) here and written out by pydantic-core in one step: handing
    # it to FastAPI would validate it all over again against ``response_model`` (measured: a tenth of a
    # request's time under load). ``response_model`` still documents it.
    return Response(search_response(services, params).model_dump_json(by_alias=True), media_type=JSON)


def search_response(services: Services, params: SearchParams) -> SearchResponse:
    now = params.now or services.clock()
    outcome = run_search(services, replace(params, now=now))
    settings = services.settings
    sources = provenance(services.store, [h.id for h in outcome.result.hits])
    return SearchResponse(
        total=outcome.result.total,
        page=outcome.page,
        per_page=params.per_page,
        results=[_summary(settings, h.summary, h.score, now, sources.get(h.id, [])) for h in outcome.result.hits],
        facets={k: [FacetValue(value=f.value, count=f.count) for f in v] for k, v in outcome.result.facets.items()},
        next=outcome.next_cursor,
    )


def _summary(
    settings: Settings, summary: Any, score: float, now: datetime, sources: list[dict[str, Any]]
) -> DatasetSummary:
    data = dict(summary)
    data.pop("freshness_at", None)
    return DatasetSummary(
        **data,
        html_url=html_url(settings, data["id"], data["title"]),
        api_url=api_url(settings, data["id"]),
        score=round(score, 4) if score else None,
        provenance=[Provenance(**p) for p in sources],
        freshness=hit_freshness(summary, now),
    )


@router.get(
    "/datasets/{dataset_id}",
    response_model=DatasetPublic,
    summary="One dataset",
    responses={308: {"description": "the record was merged into another source's listing of the same dataset"}},
)
def get_dataset(dataset_id: str, services: ServicesDep, request: Request) -> Response | DatasetPublic:
    record_id = id_from_slug(dataset_id) or dataset_id
    merged_into = dataset_of(services.store, record_id)
    if merged_into is not None:
        return RedirectResponse(api_url(services.settings, merged_into), status_code=308)
    row = merged_row(services.store, services.store.get_record(record_id))
    settings = services.settings
    freshness, quality = record_judgement(row, services.clock(), link_states_of(services.store, [row.dataset]))
    found = DatasetPublic(
        provenance=[Provenance(**p) for p in provenance(services.store, [row.id])[row.id]],
        id=row.id,
        html_url=html_url(settings, row.id, row.title),
        api_url=api_url(settings, row.id),
        dataset=with_link_statuses(services.store, Dataset.model_validate(row.dataset)),
        catalog=CatalogInfo(
            source=row.source,
            original_identifier=row.original_identifier,
            first_seen=row.first_seen,
            last_changed=row.last_changed,
            last_seen=row.last_seen,
            content_hash=row.content_hash,
            withdrawn=row.withdrawn,
            withdrawn_at=row.withdrawn_at,
            issues=[RecordIssue.model_validate(i) for i in row.issues],
            organization=row.organization,
            overrides=[LocalEdit(field=e.field, value=e.value, by=e.by, at=e.at) for e in local_edits(row.overrides)],
        ),
        usage=usage_public(services, row.id),
        core=core_public(services, row.id),
        collections=[c.slug for c in collections_of(services, row.id)],
        freshness=freshness,
        quality=Quality.model_validate(quality) if quality else None,
    )
    count_use(request, row.id, "api")  # after reading the figures: an answer never waits for its own count
    return found


@router.get("/sources", response_model=Page[SourcePublic], summary="Registered sources")
def list_sources(services: ServicesDep) -> Page[SourcePublic]:
    rows = services.store.list_sources()
    return Page[SourcePublic](results=[_source(services, r) for r in rows], total=len(rows))


@router.get("/sources/{name}", response_model=SourcePublic, summary="One source")
def get_source(name: str, services: ServicesDep) -> SourcePublic:
    return _source(services, services.store.get_source(name))


def _source(services: ServicesDep, row: SourceRow) -> SourcePublic:
    return SourcePublic(
        name=row.name,
        kind=row.kind,
        url=redact_url(row.url),  # sources registered before URLs with credentials were refused
        title=row.title,
        description=row.description,
        publisher=row.publisher,
        options=row.options,
        schedule=row.schedule,
        enabled=row.enabled,
        created_at=row.created_at,
        last_success_at=row.last_success_at,
        last_job_at=row.last_job_at,
        datasets=services.store.live_count(row.id),
        next_run_at=when_due(row, datetime.now(UTC)),
        consecutive_failures=row.consecutive_failures,
        failing=row.consecutive_failures >= services.settings.schedule_flag_after,
    )


@router.get("/sources/{name}/jobs", response_model=Page[JobPublic], summary="A source's harvest jobs")
def list_jobs(
    name: str,
    services: ServicesDep,
    settings: SettingsDep,
    page: PageNumber = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[JobPublic]:
    source = services.store.get_source(name)
    rows = services.store.list_jobs(source.id, limit=per_page, offset=(page - 1) * per_page)
    total = services.store.count_jobs(source.id)
    more = page * per_page < total
    next_url = f"{settings.base_url}/api/v1/sources/{name}/jobs?page={page + 1}&per_page={per_page}"
    return Page[JobPublic](results=[_job(source.name, r) for r in rows], total=total, next=next_url if more else None)


@router.get("/jobs/{job_id}", response_model=JobPublic, summary="One harvest job")
def get_job(job_id: JobId, services: ServicesDep) -> JobPublic:
    job = services.store.get_job(job_id)
    source = next(s for s in services.store.list_sources() if s.id == job.source_id)
    return _job(source.name, job)


@router.get("/jobs/{job_id}/errors", response_model=Page[RecordErrorPublic], summary="A job's record errors")
def job_errors(
    job_id: JobId,
    services: ServicesDep,
    settings: SettingsDep,
    q: Annotated[str | None, Query(max_length=200, description="text to look for")] = None,
    page: PageNumber = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[RecordErrorPublic]:
    services.store.get_job(job_id)
    total, rows = services.store.list_errors(job_id=job_id, text=q, limit=per_page, offset=(page - 1) * per_page)
    more = page * per_page < total
    query = f"&q={q}" if q else ""
    next_url = f"{settings.base_url}/api/v1/jobs/{job_id}/errors?page={page + 1}&per_page={per_page}{query}"
    results = [
        RecordErrorPublic(
            record_id=r.record_id,
            original_identifier=r.original_identifier,
            path=r.path,
            message=r.message,
            severity=r.severity,
            code=r.code,
        )
        for r in rows
    ]
    return Page[RecordErrorPublic](results=results, total=total, next=next_url if more else None)


def _job(source: str, row: JobRow) -> JobPublic:
    return JobPublic(
        id=row.id,
        source=source,
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=row.status,
        listed=row.listed,
        new=row.new,
        updated=row.updated,
        unchanged=row.unchanged,
        withdrawn=row.withdrawn,
        failed=row.failed,
        skipped=row.skipped,
        message=row.message,
        stats=row.stats,
    )
