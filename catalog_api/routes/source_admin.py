"""Sources managed by their agencies under /api/v1/sources: register (checked first), change, remove,
and start a harvest. An organization manages its own sources; the CDO any."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from catalog_api.deps import ServicesDep
from catalog_api.errors import ApiError
from catalog_api.governance import sources
from catalog_api.governance.auth import Principal, WriterDep, organization_for
from catalog_api.governance.sourcecheck import SourceCheckError
from catalog_api.routes.api import _job, _source
from catalog_api.routes.publishing import WRITE_RESPONSES
from catalog_api.schemas import JobPublic, Public, SourcePublic
from catalog_api.services import Services
from index.search.base import BackendUnavailable
from index.store import SourceRow

router = APIRouter(prefix="/api/v1", tags=["sources"])


class SourceCreate(Public):
    """A source to register: where it is, what kind, and (for a feed) the metadata of the dataset it is."""

    name: str = Field(max_length=100, description="a slug: lower-case letters, digits and hyphens")
    url: str = Field(max_length=2000)
    kind: str = "datajson"
    title: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=10_000)
    publisher: str | None = Field(None, max_length=500)
    keywords: list[str] = Field(default_factory=list, description="keywords (feeds)")
    license: str | None = Field(None, max_length=2000, description="licence URL or name (feeds)")
    frequency: str | None = Field(None, max_length=40, description="ISO 8601 repeat, e.g. R/PT5M (feeds)")
    options: dict[str, str | int | float | bool] = Field(default_factory=dict, description="kind-specific options")
    schedule: str | None = Field(
        None,
        max_length=40,
        description="when the worker harvests it: cron in UTC ('30 2 * * *') or ISO 8601 ('PT6H', "
        "'R/2026-01-01T02:00:00Z/P1D'); 'off': only when asked; absent: nightly (NUTMEG_SCHEDULE_DEFAULT)",
    )
    organization: str | None = Field(None, description="owner's slug (CDO only; default: the key's organization)")
    check: bool = Field(True, description="probe the URL first (false: save without checking)")


class SourceChange(Public):
    url: str | None = Field(None, max_length=2000)
    title: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=10_000)
    publisher: str | None = Field(None, max_length=500)
    schedule: str | None = Field(None, max_length=40, description="cron or ISO 8601 as when registering; 'off'")
    options: dict[str, str | int | float | bool] | None = None
    check: bool = True


class HarvestStarted(Public):
    job: JobPublic
    url: str = Field(description="poll this URL for the job's progress and outcome")


def _refused(exc: SourceCheckError) -> ApiError:
    return ApiError(400, "invalid_source", exc.message, fields=[{"field": exc.field, "message": exc.message}])


def _own(services: Services, principal: Principal, name: str, role: str, doing: str) -> SourceRow:
    row = services.store.get_source(name)
    principal.require(role, row.organization_id, doing)
    return row


def feed_options(body: SourceCreate) -> dict[str, Any]:
    options: dict[str, Any] = dict(body.options)
    if body.keywords:
        options["keywords"] = list(body.keywords)
    if body.license:
        options["license"] = body.license
    if body.frequency:
        options["frequency"] = body.frequency
    return options


@router.post(
    "/sources", status_code=201, response_model=SourcePublic, summary="Register a source", responses=WRITE_RESPONSES
)
def add_source(services: ServicesDep, principal: WriterDep, body: SourceCreate) -> JSONResponse:
    org = organization_for(services, principal, body.organization)
    principal.require("publisher", org.id, "register sources")
    spec = sources.SourceSpec(
        name=body.name,
        url=body.url,
        kind=body.kind,
        title=body.title,
        description=body.description,
        publisher=body.publisher or org.title,
        options=feed_options(body),
        schedule=body.schedule,
        organization_id=org.id,
    )
    try:
        row = sources.register(
            services.store, services.settings, spec, principal.actor, check=body.check, option_hint="kind"
        )
    except SourceCheckError as exc:
        raise _refused(exc) from exc
    created = _source(services, row)
    location = f"{services.settings.base_url}/api/v1/sources/{row.name}"
    return JSONResponse(created.model_dump(mode="json"), status_code=201, headers={"Location": location})


@router.patch("/sources/{name}", response_model=SourcePublic, summary="Change a source", responses=WRITE_RESPONSES)
def change_source(name: str, services: ServicesDep, principal: WriterDep, body: SourceChange) -> SourcePublic:
    _own(services, principal, name, "publisher", "change sources")
    values = body.model_dump(exclude_unset=True, exclude={"check"})
    try:
        row = sources.change(services.store, services.settings, name, values, principal.actor, check=body.check)
    except SourceCheckError as exc:
        raise _refused(exc) from exc
    return _source(services, row)


@router.delete("/sources/{name}", summary="Remove a source and its records", responses=WRITE_RESPONSES)
def remove_source(name: str, services: ServicesDep, principal: WriterDep) -> dict[str, Any]:
    _own(services, principal, name, "admin", "remove sources")
    try:
        removed = sources.remove(services, name, principal.actor)
    except BackendUnavailable as exc:
        raise ApiError(503, "search_unavailable", "nothing removed: the search engine is unavailable") from exc
    return {"removed": name, "records": removed}


@router.post(
    "/sources/{name}/harvest",
    status_code=202,
    response_model=HarvestStarted,
    summary="Start a harvest job",
    responses=WRITE_RESPONSES,
)
def harvest_source(
    name: str,
    services: ServicesDep,
    principal: WriterDep,
    full: Annotated[bool, Query(description="ignore ETag and incremental bookmarks")] = False,
) -> JSONResponse:
    source = _own(services, principal, name, "publisher", "harvest sources")
    job_id = sources.harvest_in_background(services, name, principal.actor, full=full)
    url = f"{services.settings.base_url}/api/v1/jobs/{job_id}"
    started = HarvestStarted(job=_job(source.name, services.store.get_job(job_id)), url=url)
    return JSONResponse(started.model_dump(mode="json"), status_code=202, headers={"Location": url})
