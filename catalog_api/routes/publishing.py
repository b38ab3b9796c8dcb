"""Publishing under /api/v1: create, change and delete datasets; drafts and their review; the audit
log. Every write needs ``Authorization: Bearer <key>`` (see ``docs/governance.md``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from catalog_api.deps import ServicesDep, api_url, html_url
from catalog_api.governance import publishing
from catalog_api.governance.auth import Principal, WriterDep, organization_for
from catalog_api.governance.schemas import (
    AuditEntry,
    DraftPublic,
    Rejection,
    WriteResult,
    audit_public,
    draft_public,
)
from catalog_api.schemas import Page
from catalog_api.services import Services
from catalog_api.usage import count_use
from index.governance import audit_entries, get_draft, get_organization, list_drafts, list_organizations
from index.ids import id_from_slug

router = APIRouter(prefix="/api/v1", tags=["publishing"])

DatasetBody = Annotated[Any, Body(description="a DCAT-US 1.1 dataset (the model's JSON, as in data.json)")]
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "no key, a malformed key, or an unknown or revoked key"},
    403: {"description": "the key's organization or role does not allow this"},
    429: {"description": "too many writes; see Retry-After"},
}


def _result(services: Services, outcome: publishing.Outcome) -> tuple[int, WriteResult]:
    settings = services.settings
    if outcome.draft is not None:
        return 202, WriteResult(status="draft", draft=draft_public(outcome.draft, settings.base_url))
    assert outcome.record_id is not None
    if outcome.deleted:
        return 200, WriteResult(status="deleted", id=outcome.record_id)
    return 200, WriteResult(
        status="published",
        id=outcome.record_id,
        html_url=html_url(settings, outcome.record_id, outcome.title or ""),
        api_url=api_url(settings, outcome.record_id),
    )


def _respond(services: Services, outcome: publishing.Outcome, created: bool = False) -> JSONResponse:
    status, result = _result(services, outcome)
    if created and status == 200:
        status = 201
    location = result.draft.url if result.draft else result.api_url
    headers = {"Location": location} if location and status in (201, 202) else None
    return JSONResponse(result.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers)


def _record_id(dataset_id: str) -> str:
    return id_from_slug(dataset_id) or dataset_id


@router.post(
    "/datasets",
    status_code=201,
    response_model=WriteResult,
    summary="Publish a dataset",
    responses={202: {"description": "a draft waiting for review"}, **WRITE_RESPONSES},
)
def create_dataset(
    services: ServicesDep,
    principal: WriterDep,
    body: DatasetBody,
    organization: Annotated[
        str | None, Query(max_length=100, description="organization to publish for (CDO only; default: the key's)")
    ] = None,
) -> JSONResponse:
    dataset = publishing.parse_dataset(body)
    org = organization_for(services, principal, organization)
    return _respond(services, publishing.create(services, principal, org, dataset), created=True)


@router.put(
    "/datasets/{dataset_id}", response_model=WriteResult, summary="Replace a dataset", responses=WRITE_RESPONSES
)
def replace_dataset(dataset_id: str, services: ServicesDep, principal: WriterDep, body: DatasetBody) -> JSONResponse:
    return _respond(services, publishing.update(services, principal, _record_id(dataset_id), body, partial=False))


@router.patch(
    "/datasets/{dataset_id}", response_model=WriteResult, summary="Change some fields", responses=WRITE_RESPONSES
)
def patch_dataset(dataset_id: str, services: ServicesDep, principal: WriterDep, body: DatasetBody) -> JSONResponse:
    return _respond(services, publishing.update(services, principal, _record_id(dataset_id), body, partial=True))


@router.delete(
    "/datasets/{dataset_id}", response_model=WriteResult, summary="Delete a dataset", responses=WRITE_RESPONSES
)
def delete_dataset(dataset_id: str, services: ServicesDep, principal: WriterDep) -> JSONResponse:
    return _respond(services, publishing.delete(services, principal, _record_id(dataset_id)))


@router.get("/datasets/{dataset_id}/history", response_model=Page[AuditEntry], summary="A dataset's changes")
def dataset_history(
    dataset_id: str,
    services: ServicesDep,
    request: Request,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[AuditEntry]:
    rid = _record_id(dataset_id)
    services.store.get_record(rid)
    count_use(request, rid, "api")
    total, rows = audit_entries(services.store, record_id=rid, limit=per_page, offset=(page - 1) * per_page)
    slugs = _slugs(services)
    return Page[AuditEntry](results=[audit_public(r, slugs) for r in rows], total=total)


def _slugs(services: Services) -> dict[int, str]:
    return {o.id: o.slug for o in list_organizations(services.store)}


def _organization_id(services: Services, principal: Principal, slug: str | None, role: str, doing: str) -> int | None:
    """The organization a listing is for (None: every one, for the CDO); checks the key may see it."""
    if slug is None and principal.cdo:
        return None
    org = get_organization(services.store, slug) if slug else principal.organization
    principal.require(role, org.id, doing)
    return org.id


@router.get("/drafts", response_model=Page[DraftPublic], summary="Drafts waiting for review", responses=WRITE_RESPONSES)
def drafts(
    services: ServicesDep,
    principal: WriterDep,
    organization: Annotated[str | None, Query(max_length=100, description="organization slug")] = None,
    status: Annotated[Literal["pending", "approved", "rejected", "all"], Query()] = "pending",
) -> Page[DraftPublic]:
    org_id = _organization_id(services, principal, organization, "publisher", "see the drafts")
    rows = list_drafts(services.store, organization_id=org_id, status=None if status == "all" else status)
    base = services.settings.base_url
    return Page[DraftPublic](results=[draft_public(r, base) for r in rows], total=len(rows))


@router.get("/drafts/{draft_id}", response_model=DraftPublic, summary="One draft", responses=WRITE_RESPONSES)
def draft(draft_id: int, services: ServicesDep, principal: WriterDep) -> DraftPublic:
    row = get_draft(services.store, draft_id)
    principal.require("publisher", row.organization_id, "see the drafts")
    return draft_public(row, services.settings.base_url)


@router.post(
    "/drafts/{draft_id}/approve", response_model=WriteResult, summary="Approve a draft", responses=WRITE_RESPONSES
)
def approve_draft(draft_id: int, services: ServicesDep, principal: WriterDep) -> JSONResponse:
    outcome = publishing.approve(services, principal, draft_id)
    status, result = _result(services, outcome)
    body = result.model_copy(update={"status": "approved"}).model_dump(mode="json", exclude_none=True)
    return JSONResponse(body, status_code=status)


@router.post(
    "/drafts/{draft_id}/reject", response_model=DraftPublic, summary="Reject a draft", responses=WRITE_RESPONSES
)
def reject_draft(draft_id: int, services: ServicesDep, principal: WriterDep, body: Rejection) -> DraftPublic:
    row = publishing.reject(services, principal, draft_id, body.comment)
    return draft_public(row, services.settings.base_url)


@router.get("/audit", response_model=Page[AuditEntry], summary="An organization's audit log", responses=WRITE_RESPONSES)
def audit_log(
    services: ServicesDep,
    principal: WriterDep,
    organization: Annotated[str | None, Query(max_length=100, description="organization slug")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[AuditEntry]:
    org_id = _organization_id(services, principal, organization, "publisher", "read the audit log")
    offset = (page - 1) * per_page
    total, rows = audit_entries(services.store, organization_id=org_id, limit=per_page, offset=offset)
    slugs = _slugs(services)
    return Page[AuditEntry](results=[audit_public(r, slugs) for r in rows], total=total)
