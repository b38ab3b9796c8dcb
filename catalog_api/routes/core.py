"""Core datasets under /api/v1: mark a dataset as core with the organizations relying on it (an admin of
the dataset's organization, or the CDO), unmark it, and list core datasets overall and per organization."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from catalog_api.attention import core_row_public
from catalog_api.deps import ServicesDep, api_url, html_url
from catalog_api.governance.auth import Forbidden, Principal, WriterDep
from catalog_api.openapi import errors
from catalog_api.routes.publishing import WRITE_RESPONSES
from catalog_api.schemas import CorePublic, Page, Public
from catalog_api.services import Services
from index.annotations import refresh
from index.core import core_of, list_core, mark_core, relied_on_by, unmark_core
from index.governance import audit, get_organization, ownership
from index.ids import id_from_slug
from index.search.base import BackendUnavailable
from index.store import NotFound

router = APIRouter(prefix="/api/v1", tags=["core datasets"])


class CoreChange(Public):
    used_by: list[str] = Field(
        default_factory=list, max_length=500, description="slugs of the organizations that rely on the dataset"
    )
    note: str | None = Field(None, max_length=2000, description="why it is core, for readers")


class CoreDataset(Public):
    id: str
    title: str
    html_url: str
    api_url: str
    used_by: int = Field(description="how many organizations rely on it")


def _authorized(services: Services, principal: Principal, dataset_id: str) -> str:
    """The record id, once the key may change it: an admin of its organization (or its source's), or the CDO."""
    owner = ownership(services.store, id_from_slug(dataset_id) or dataset_id)
    if principal.cdo:
        return owner.record_id
    if not owner.owned_by(principal.organization.id):
        raise Forbidden(
            f"this key belongs to {principal.organization.slug!r} and cannot mark datasets of another organization"
        )
    if not principal.can("admin"):
        raise Forbidden(f"marking a core dataset needs the admin role; this key is a {principal.key.role}")
    return owner.record_id


def _reindex(services: Services, record_id: str) -> None:
    with suppress(BackendUnavailable):  # the store holds it; the next reindex or usage refresh sends it
        refresh(services.store, services.index, [record_id])


@router.put(
    "/datasets/{dataset_id}/core",
    response_model=CorePublic,
    summary="Mark a dataset as core (an admin of its organization, or the CDO)",
    responses={**WRITE_RESPONSES, **errors(404)},
)
def put_core(dataset_id: str, body: CoreChange, services: ServicesDep, principal: WriterDep) -> CorePublic:
    record_id = _authorized(services, principal, dataset_id)
    for slug in body.used_by:
        get_organization(services.store, slug)  # 404 naming an unknown organization before anything changes
    before = core_of(services.store, record_id)
    now = datetime.now(UTC)
    row = mark_core(services.store, record_id, body.used_by, body.note, principal.actor.label, now)
    changes: list[dict[str, Any]] = [
        {"field": "core", "before": before is not None, "after": True},
        {
            "field": "used_by",
            "before": [u.slug for u in before.used_by] if before else [],
            "after": [u.slug for u in row.used_by],
        },
    ]
    audit(services.store, principal.actor, "dataset.core", record_id, changes, now, record_id)
    _reindex(services, record_id)
    return core_row_public(services, row)


@router.delete(
    "/datasets/{dataset_id}/core",
    status_code=204,
    summary="No longer a core dataset (an admin of its organization, or the CDO)",
    responses={**WRITE_RESPONSES, **errors(404)},
)
def delete_core(dataset_id: str, services: ServicesDep, principal: WriterDep) -> Response:
    record_id = _authorized(services, principal, dataset_id)
    if not unmark_core(services.store, record_id):
        raise NotFound(f"dataset {record_id} is not a core dataset")
    changes = [{"field": "core", "before": True, "after": False}]
    audit(services.store, principal.actor, "dataset.uncore", record_id, changes, datetime.now(UTC), record_id)
    _reindex(services, record_id)
    return Response(status_code=204)


@router.get("/core-datasets", response_model=Page[CoreDataset], summary="Every core dataset, most relied on first")
def core_datasets(services: ServicesDep) -> Page[CoreDataset]:
    rows = list_core(services.store)
    titles = {r.id: r.title for r in services.store.get_records([row.dataset_id for row in rows]) if not r.withdrawn}
    results = [
        _listed(services, r.dataset_id, titles[r.dataset_id], len(r.used_by)) for r in rows if r.dataset_id in titles
    ]
    return Page[CoreDataset](results=results, total=len(results))


@router.get(
    "/organizations/{slug}/core-datasets",
    response_model=Page[CoreDataset],
    summary="The core datasets an organization relies on",
    responses=errors(404),
)
def organization_core(slug: str, services: ServicesDep) -> Page[CoreDataset]:
    organization = get_organization(services.store, slug)
    results = [_listed(services, r.id, r.title, r.users) for r in relied_on_by(services.store, organization.id)]
    return Page[CoreDataset](results=results, total=len(results))


def _listed(services: Services, id_: str, title: str, users: int) -> CoreDataset:
    settings = services.settings
    return CoreDataset(
        id=id_, title=title, html_url=html_url(settings, id_, title), api_url=api_url(settings, id_), used_by=users
    )
