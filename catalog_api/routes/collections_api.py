"""``/api/v1/collections``: curated subject collections, read openly; written by the admins of the
organizations that own them (and the CDO, who alone features one on the home page)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response

from catalog_api.collection_schemas import (
    CollectionChange,
    CollectionCreate,
    CollectionDetail,
    CollectionPublic,
    Pick,
    collection_public,
)
from catalog_api.collections import COLLECTION, count_members
from catalog_api.deps import ServicesDep
from catalog_api.errors import ApiError
from catalog_api.governance.auth import Forbidden, Principal, WriterDep
from catalog_api.routes.api import search_response
from catalog_api.routes.publishing import WRITE_RESPONSES
from catalog_api.schemas import Page
from catalog_api.search_params import SearchParamsDep
from catalog_api.services import Services
from index.collections import (
    CollectionRow,
    NewCollection,
    add_collection,
    get_collection,
    list_collections,
    pick,
    remove_collection,
    update_collection,
)
from index.governance import audit, get_organization
from index.ids import id_from_slug

router = APIRouter(prefix="/api/v1", tags=["collections"])


@router.get("/collections", response_model=Page[CollectionPublic], summary="Collections")
def collections(services: ServicesDep) -> Page[CollectionPublic]:
    rows = list_collections(services.store)
    results = [collection_public(services.settings, r, count_members(services.index, r)) for r in rows]
    return Page[CollectionPublic](results=results, total=len(results))


@router.get("/collections/{slug}", response_model=CollectionDetail, summary="One collection with its datasets")
def collection(slug: str, services: ServicesDep, params: SearchParamsDep) -> CollectionDetail:
    """The collection and a page of its datasets; the search API's parameters narrow and page them."""
    row = get_collection(services.store, slug)
    own = (*params.filters.get(COLLECTION, ()), row.slug)
    members = search_response(services, replace(params, filters={**params.filters, COLLECTION: own}))
    public = collection_public(services.settings, row, count_members(services.index, row))
    return CollectionDetail(**public.model_dump(), members=members)


@router.post(
    "/collections",
    status_code=201,
    response_model=CollectionPublic,
    summary="Add a collection (an organization's admins)",
    responses=WRITE_RESPONSES,
)
def add(services: ServicesDep, principal: WriterDep, body: CollectionCreate) -> CollectionPublic:
    principal.require("admin", principal.organization.id, "add collections")
    if body.featured and not principal.cdo:
        raise Forbidden("only the CDO features a collection on the home page")
    owners = body.owners or [principal.organization.slug]
    if not principal.cdo and principal.organization.slug not in owners:
        raise Forbidden(f"a collection this key adds must be owned by its organization {principal.organization.slug!r}")
    new = NewCollection(
        slug=body.slug,
        title=body.title,
        description=body.description,
        rule=body.rule.rule(),
        featured=body.featured,
        owners=tuple(get_organization(services.store, o).id for o in owners),
    )
    now = datetime.now(UTC)
    try:
        row = add_collection(services.store, new, now)
    except ValueError as exc:
        raise ApiError(400, "invalid_collection", str(exc)) from exc
    changes = [
        {"field": k, "before": None, "after": v} for k, v in body.model_dump().items() if v not in (None, [], {})
    ]
    audit(services.store, principal.actor, "collection.add", row.slug, changes, now)
    services.collections.forget()  # this process's searches see the change at once
    return collection_public(services.settings, row, count_members(services.index, row))


@router.patch(
    "/collections/{slug}",
    response_model=CollectionPublic,
    summary="Change a collection (its owners' admins)",
    responses=WRITE_RESPONSES,
)
def change(slug: str, services: ServicesDep, principal: WriterDep, body: CollectionChange) -> CollectionPublic:
    current = get_collection(services.store, slug)
    allow_edit(principal, current, "change collections")
    values: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "featured" in values and not principal.cdo:
        raise Forbidden("only the CDO features a collection on the home page")
    owners = values.pop("owners", None)
    if owners is not None and not principal.cdo and principal.organization.slug not in owners:
        raise Forbidden(f"the owners must still include this key's organization {principal.organization.slug!r}")
    if body.rule is not None:
        values["rule"] = body.rule.rule()
    now = datetime.now(UTC)
    owner_ids = None if owners is None else [get_organization(services.store, o).id for o in owners]
    try:
        row = update_collection(services.store, slug, now, owners=owner_ids, **values)
    except ValueError as exc:
        raise ApiError(400, "invalid_collection", str(exc)) from exc
    changes = [{"field": k, "after": v} for k, v in body.model_dump(exclude_unset=True).items()]
    audit(services.store, principal.actor, "collection.update", slug, changes, now)
    services.collections.forget()  # this process's searches see the change at once
    return collection_public(services.settings, row, count_members(services.index, row))


@router.delete(
    "/collections/{slug}",
    status_code=204,
    summary="Remove a collection (its owners' admins)",
    responses=WRITE_RESPONSES,
)
def remove(slug: str, services: ServicesDep, principal: WriterDep) -> Response:
    allow_edit(principal, get_collection(services.store, slug), "remove collections")
    remove_collection(services.store, slug)
    audit(services.store, principal.actor, "collection.remove", slug, [], datetime.now(UTC))
    services.collections.forget()  # this process's searches see the change at once
    return Response(status_code=204)


@router.put(
    "/collections/{slug}/picks/{dataset_id}",
    response_model=CollectionPublic,
    summary="Include or exclude one dataset by hand (its owners' admins)",
    responses=WRITE_RESPONSES,
)
def set_pick(slug: str, dataset_id: str, services: ServicesDep, principal: WriterDep, body: Pick) -> CollectionPublic:
    return _pick(services, principal, slug, dataset_id, body.pick == "include")


@router.delete(
    "/collections/{slug}/picks/{dataset_id}",
    response_model=CollectionPublic,
    summary="Forget a pick by hand: the rule decides again (its owners' admins)",
    responses=WRITE_RESPONSES,
)
def forget_pick(slug: str, dataset_id: str, services: ServicesDep, principal: WriterDep) -> CollectionPublic:
    return _pick(services, principal, slug, dataset_id, None)


def _pick(
    services: Services, principal: Principal, slug: str, dataset_id: str, included: bool | None
) -> CollectionPublic:
    current = get_collection(services.store, slug)
    allow_edit(principal, current, "pick a collection's datasets")
    record = services.store.get_record(id_from_slug(dataset_id) or dataset_id)  # 404 for an unknown dataset
    now = datetime.now(UTC)
    row = pick(services.store, slug, [record.id], included, now)
    shown = {True: "include", False: "exclude", None: None}[included]
    audit(services.store, principal.actor, "collection.pick", slug, [{"field": "pick", "after": shown}], now, record.id)
    services.collections.forget()  # this process's searches see the change at once
    return collection_public(services.settings, row, count_members(services.index, row))


def allow_edit(principal: Principal, collection: CollectionRow, doing: str) -> None:
    """Refuse (403) unless the key is an admin of an organization owning the collection, or the CDO."""
    if principal.cdo:
        return
    if principal.organization.id not in collection.owner_ids:
        raise Forbidden(
            f"this key belongs to {principal.organization.slug!r}, "
            f"which does not own the collection {collection.slug!r}"
        )
    if not principal.can("admin"):
        raise Forbidden(f"to {doing} needs the admin role; this key is a {principal.key.role}")
