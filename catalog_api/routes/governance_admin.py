"""Organizations and API keys under /api/v1: read organizations openly; create organizations (the CDO)
and create, list and revoke keys (an organization's admins for their own, the CDO for any)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from catalog_api.deps import ServicesDep
from catalog_api.errors import ApiError
from catalog_api.governance.auth import Forbidden, WriterDep, organization_for
from catalog_api.governance.organizations import count_of, organization_counts
from catalog_api.governance.schemas import (
    KeyCreate,
    KeyCreated,
    KeyPublic,
    OrganizationChange,
    OrganizationCreate,
    OrganizationPublic,
    key_public,
    organization_public,
)
from catalog_api.routes.publishing import WRITE_RESPONSES
from catalog_api.schemas import Page
from index.governance import (
    NewOrganization,
    add_organization,
    audit,
    create_key,
    get_key,
    get_organization,
    list_keys,
    list_organizations,
    rematch_records,
    revoke_key,
    update_organization,
)

router = APIRouter(prefix="/api/v1", tags=["governance"])


@router.get("/organizations", response_model=Page[OrganizationPublic], summary="Organizations")
def organizations(services: ServicesDep) -> Page[OrganizationPublic]:
    rows = list_organizations(services.store)
    parents = {r.id: r.slug for r in rows}
    counts = organization_counts(services)
    results = [organization_public(r, parents, count_of(counts, r.title)) for r in rows]
    return Page[OrganizationPublic](results=results, total=len(results))


@router.get("/organizations/{slug}", response_model=OrganizationPublic, summary="One organization")
def organization(slug: str, services: ServicesDep) -> OrganizationPublic:
    row = get_organization(services.store, slug)
    parents = {r.id: r.slug for r in list_organizations(services.store)}
    return organization_public(row, parents, count_of(organization_counts(services), row.title))


@router.post(
    "/organizations",
    status_code=201,
    response_model=OrganizationPublic,
    summary="Add an organization (CDO)",
    responses=WRITE_RESPONSES,
)
def add(services: ServicesDep, principal: WriterDep, body: OrganizationCreate) -> OrganizationPublic:
    if not principal.cdo:
        raise Forbidden("only the CDO (an admin of the catalog organization) adds organizations")
    new = NewOrganization(
        slug=body.slug,
        title=body.title,
        description=body.description,
        parent=body.parent,
        mode=body.mode,
        publisher_names=tuple(body.publisher_names),
    )
    now = datetime.now(UTC)
    try:
        row = add_organization(services.store, new, now)
    except ValueError as exc:
        raise ApiError(400, "invalid_organization", str(exc)) from exc
    audit(services.store, principal.actor, "organization.add", row.slug, _created(body), now, None, row.id)
    if rematch_records(services.store):
        services.runner.index_pending()
    parents = {r.id: r.slug for r in list_organizations(services.store)}
    return organization_public(row, parents)


@router.patch(
    "/organizations/{slug}",
    response_model=OrganizationPublic,
    summary="Change an organization",
    responses=WRITE_RESPONSES,
)
def change(slug: str, services: ServicesDep, principal: WriterDep, body: OrganizationChange) -> OrganizationPublic:
    """An organization's admins change its title and description; the CDO also its mode and the publisher
    names it claims (which moves harvested records between organizations)."""
    current = get_organization(services.store, slug)
    principal.require("admin", current.id, "change organizations")
    values = body.model_dump(exclude_unset=True)
    if not principal.cdo and {"mode", "publisher_names"} & set(values):
        raise Forbidden("only the CDO changes an organization's mode or the publisher names it claims")
    now = datetime.now(UTC)
    row = update_organization(services.store, slug, **values) if values else current
    changes = [{"field": k, "before": getattr(current, k), "after": v} for k, v in values.items()]
    audit(services.store, principal.actor, "organization.update", slug, changes, now, None, row.id)
    if rematch_records(services.store):
        services.runner.index_pending()
    parents = {r.id: r.slug for r in list_organizations(services.store)}
    return organization_public(row, parents, count_of(organization_counts(services), row.title))


def _created(body: OrganizationCreate) -> list[dict[str, object]]:
    return [{"field": k, "before": None, "after": v} for k, v in body.model_dump().items() if v not in (None, [])]


@router.get("/keys", response_model=Page[KeyPublic], summary="API keys (admins)", responses=WRITE_RESPONSES)
def keys(
    services: ServicesDep,
    principal: WriterDep,
    organization: Annotated[str | None, Query(max_length=100, description="organization slug")] = None,
) -> Page[KeyPublic]:
    if organization is None and principal.cdo:
        rows = list_keys(services.store)
    else:
        org = organization_for(services, principal, organization)
        principal.require("admin", org.id, "list keys")
        rows = list_keys(services.store, org.id)
    return Page[KeyPublic](results=[key_public(r) for r in rows], total=len(rows))


@router.post("/keys", status_code=201, response_model=KeyCreated, summary="Create a key", responses=WRITE_RESPONSES)
def make_key(services: ServicesDep, principal: WriterDep, body: KeyCreate) -> JSONResponse:
    org = organization_for(services, principal, body.organization)
    principal.require("admin", org.id, "create keys")
    now = datetime.now(UTC)
    row, secret = create_key(services.store, org.slug, body.role, body.name, now)
    changes = [
        {"field": "role", "before": None, "after": row.role},
        {"field": "name", "before": None, "after": row.name},
    ]
    audit(services.store, principal.actor, "key.create", f"key {row.id}", changes, now, None, org.id)
    created = KeyCreated(**key_public(row).model_dump(), key=secret)
    return JSONResponse(created.model_dump(mode="json"), status_code=201, headers={"Cache-Control": "no-store"})


@router.delete("/keys/{key_id}", response_model=KeyPublic, summary="Revoke a key", responses=WRITE_RESPONSES)
def revoke(key_id: int, services: ServicesDep, principal: WriterDep) -> KeyPublic:
    row = get_key(services.store, key_id)
    principal.require("admin", row.organization_id, "revoke keys")
    now = datetime.now(UTC)
    revoked = revoke_key(services.store, key_id, now)
    changes = [{"field": "revoked_at", "before": None, "after": now.isoformat()}]
    audit(services.store, principal.actor, "key.revoke", f"key {key_id}", changes, now, None, row.organization_id)
    return key_public(revoked)
