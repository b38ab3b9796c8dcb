"""Publishing through the API: create, replace, patch and delete datasets, with review where an
organization asks for it, and every change in the audit log.

Writes go to the store first (the system of record) and then to the search index; if the engine is
down the record stays marked for indexing and the next job or ``nutmeg reindex`` catches up.

* A dataset published through the API lives in its organization's publishing source (``api.<slug>``,
  kind ``api``, never harvested).
* An edit of a harvested record is kept as a *local override*, field by field with who and when, and
  laid over every later harvest of that record.
* In a ``reviewed`` organization a publisher's change is a draft until a reviewer of that organization
  (or the CDO) approves it; reviewers' and admins' own changes go live.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from catalog_api.errors import ApiError
from catalog_api.governance.auth import Forbidden, Principal
from catalog_api.merging import rematch
from catalog_api.preparing import PrepareContext, Prepared, apply_overrides, prepared_record, with_source_publisher
from catalog_api.services import Services
from index.annotations import annotated
from index.documents import doc_from_row
from index.governance import (
    Actor,
    DraftRow,
    OrganizationRow,
    Ownership,
    add_draft,
    audit,
    decide_draft,
    field_diff,
    get_draft,
    organization_by_id,
    ownership,
    publisher_map,
    set_overrides,
    source_record,
    update_source,
    withdraw_record,
)
from index.ids import record_id
from index.linkchecks import link_states_of
from index.search.base import BackendUnavailable
from index.store import Conflict, NewSource, NotFound, RecordRow, SourceRow
from mappings.model import Dataset, RecordIssue

log = logging.getLogger("nutmeg.publishing")

API_KIND = "api"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A write's result: the live record it changed, or the draft it left for review."""

    record_id: str | None = None
    title: str | None = None
    draft: DraftRow | None = None
    deleted: bool = False


# -- reading the request ---------------------------------------------------------------------------


def parse_dataset(body: Any) -> Dataset:
    """The model from a request body, or 400 ``invalid_dataset`` listing each field's problem."""
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_dataset", "the body must be a JSON object: a DCAT-US dataset")
    try:
        return Dataset.model_validate(body)
    except ValidationError as exc:
        fields = [{"field": _path(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        names = ", ".join(f["field"] for f in fields)
        raise ApiError(
            400, "invalid_dataset", f"the dataset has invalid fields: {names}; see 'fields'", fields=fields
        ) from exc


def _path(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location) or "$"


def dataset_json(dataset: Dataset) -> dict[str, Any]:
    return dataset.model_dump(mode="json", exclude_none=True, by_alias=True)


# -- the organization's publishing source ----------------------------------------------------------


def api_source_name(organization: OrganizationRow) -> str:
    return f"api.{organization.slug}"


def api_source(services: Services, organization: OrganizationRow) -> SourceRow:
    """The source that holds what ``organization`` publishes through the API (made on first use)."""
    name = api_source_name(organization)
    try:
        return services.store.get_source(name)
    except NotFound:
        pass
    new = NewSource(
        name=name,
        kind=API_KIND,
        url=f"{services.settings.base_url}/organization/{organization.slug}",
        title=f"{organization.title}: published through the API",
        publisher=organization.title,
        organization_id=organization.id,
    )
    with suppress(Conflict):  # another request made it first
        services.store.add_source(new, utcnow())
        update_source(services.store, name, enabled=False)  # never harvested (nor by `harvest --all`)
    return services.store.get_source(name)


def _context(services: Services, source: SourceRow, organization: OrganizationRow) -> PrepareContext:
    return PrepareContext(
        source.name,
        source.id,
        organization.title,
        services.settings.profile,
        organizations=publisher_map(services.store),
        source_organization=(organization.id, organization.title),
    )


# -- live writes -----------------------------------------------------------------------------------


def _store_and_index(services: Services, prepared: Prepared) -> None:
    now = utcnow()
    write = prepared.write
    if prepared.existed:
        services.store.write_records([], [write], now)
    else:
        services.store.write_records([write], [], now)
    row = services.store.get_record(write.id)  # with the times the store just wrote
    # and the dataset's link states, core flag and popularity
    doc = annotated(services.store, [doc_from_row(row, link_states_of(services.store, [row.dataset]))])[0]
    try:
        services.index.index([doc])
    except BackendUnavailable as exc:
        log.warning("search engine unavailable; dataset %s is stored and waits for indexing: %s", write.id, exc)
        rematch(services, [write], [])
        return
    services.store.mark_indexed([(write.id, write.content_hash)])
    rematch(services, [write], [])  # the same dataset may be harvested from another source


def _publish(services: Services, organization: OrganizationRow, dataset: Dataset, existed: bool) -> str:
    """Write an API-published dataset live (new, or a new version); returns its id."""
    source = api_source(services, organization)
    issues: list[RecordIssue] = []
    dataset = with_source_publisher(dataset, organization.title, issues)
    body = orjson.dumps(dataset_json(dataset), option=orjson.OPT_SORT_KEYS)
    rid = record_id(source.name, dataset.identifier)
    prepared = prepared_record(
        dataset,
        _context(services, source, organization),
        rid=rid,
        identifier=dataset.identifier,
        content_hash=hashlib.sha256(body).hexdigest(),
        source_record=body,
        issues=issues,
        existed=existed,
    )
    _store_and_index(services, prepared)
    return rid


def _override(services: Services, row: RecordRow, wanted: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    """Lay ``wanted`` (the whole dataset as the publisher wants it) over a harvested record as local
    overrides of the fields that differ; returns the diff."""
    changes = field_diff(row.dataset, wanted)
    if not changes:
        return []
    at = utcnow().isoformat()
    overrides = dict(row.overrides or {})
    for change in changes:
        overrides[change["field"]] = {"value": change["after"], "by": actor.label, "key_id": actor.key_id, "at": at}
    dataset = apply_overrides(row.dataset, overrides)
    source = services.store.get_source(row.source)
    owner = organization_by_id(services.store, source.organization_id) if source.organization_id else None
    ctx = PrepareContext(
        source.name,
        source.id,
        source.publisher,
        services.settings.profile,
        organizations=publisher_map(services.store),
        source_organization=(owner.id, owner.title) if owner else None,
    )
    prepared = prepared_record(
        dataset,
        ctx,
        rid=row.id,
        identifier=row.original_identifier,
        content_hash=row.content_hash,
        source_record=source_record(services.store, row.id),
        issues=[RecordIssue.model_validate(i) for i in row.issues],
        existed=True,
    )
    set_overrides(services.store, row.id, overrides)
    _store_and_index(services, prepared)
    return changes


def _withdraw(services: Services, rid: str) -> None:
    withdraw_record(services.store, rid, utcnow())
    try:
        services.index.remove([rid])
    except BackendUnavailable as exc:
        log.warning("search engine unavailable; dataset %s leaves it on the next run: %s", rid, exc)
    else:
        services.store.mark_indexed([(rid, None)])
    rematch(services, [], [rid])  # another source's listing of it is published on its own again


# -- what a principal may do -----------------------------------------------------------------------


def _needs_review(principal: Principal, organization: OrganizationRow) -> bool:
    return organization.mode == "reviewed" and not principal.cdo and not principal.can("reviewer")


def _owned(services: Services, principal: Principal, rid: str, doing: str) -> tuple[RecordRow, Ownership]:
    owner = ownership(services.store, rid)
    row = services.store.get_record(rid)
    if row.withdrawn:
        raise ApiError(404, "not_found", f"dataset {rid!r} was withdrawn")
    if not principal.cdo and not owner.owned_by(principal.organization.id):
        raise Forbidden(f"dataset {rid!r} belongs to another organization; this key cannot {doing} it")
    principal.require("publisher", principal.organization.id, doing)
    return row, owner


def _owning_organization(services: Services, owner: Ownership) -> OrganizationRow | None:
    org_id = owner.source_organization_id or owner.organization_id
    return organization_by_id(services.store, org_id) if org_id else None


# -- the operations --------------------------------------------------------------------------------


def create(services: Services, principal: Principal, organization: OrganizationRow, dataset: Dataset) -> Outcome:
    principal.require("publisher", organization.id, "publish datasets")
    rid = record_id(api_source_name(organization), dataset.identifier)
    existed = _exists(services, rid)
    if existed is True:
        raise Conflict(
            f"{organization.slug} already published a dataset with identifier {dataset.identifier!r} "
            f"(id {rid}); change it with PUT /api/v1/datasets/{rid}"
        )
    wanted = dataset_json(dataset)
    if _needs_review(principal, organization):
        draft = add_draft(
            services.store,
            organization_id=organization.id,
            record_id=None,
            action="create",
            dataset=wanted,
            key_id=principal.key.id,
            now=utcnow(),
        )
        changes = field_diff(None, wanted)
        audit(
            services.store,
            principal.actor,
            "draft.submit",
            f"draft {draft.id}",
            changes,
            utcnow(),
            None,
            organization.id,
        )
        return Outcome(draft=draft)
    rid = _publish(services, organization, dataset, existed is not None)
    audit(
        services.store, principal.actor, "dataset.create", rid, field_diff(None, wanted), utcnow(), rid, organization.id
    )
    return Outcome(record_id=rid, title=dataset.title)


def _exists(services: Services, rid: str) -> bool | None:
    """True: live; False: withdrawn (may be published again); None: never stored."""
    try:
        return not services.store.get_record(rid).withdrawn
    except NotFound:
        return None


def update(services: Services, principal: Principal, rid: str, body: Any, *, partial: bool) -> Outcome:
    """PUT (``partial=False``: the whole dataset) or PATCH (the fields given; ``null`` removes one)."""
    row, owner = _owned(services, principal, rid, "change")
    wanted = _merged(row.dataset, body) if partial else body
    dataset = parse_dataset(wanted)
    if dataset.identifier != row.dataset.get("identifier"):
        raise ApiError(
            400,
            "invalid_dataset",
            "the identifier cannot change (it is the dataset's id at its source); publish a new dataset instead",
            fields=[{"field": "identifier", "message": "cannot change"}],
        )
    organization = _owning_organization(services, owner) or principal.organization
    wanted_json = dataset_json(dataset)
    if _needs_review(principal, organization):
        return Outcome(draft=_submit(services, principal, organization, rid, "update", row.dataset, wanted_json))
    changes = _apply_update(services, row, owner, organization, dataset, principal.actor)
    audit(services.store, principal.actor, _update_action(owner), rid, changes, utcnow(), rid, organization.id)
    return Outcome(record_id=rid, title=dataset.title)


def _merged(current: dict[str, Any], body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    merged = dict(current)
    for name, value in body.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _update_action(owner: Ownership) -> str:
    return "dataset.update" if owner.source_kind == API_KIND else "dataset.override"


def _apply_update(
    services: Services, row: RecordRow, owner: Ownership, organization: OrganizationRow, dataset: Dataset, actor: Actor
) -> list[dict[str, Any]]:
    wanted = dataset_json(dataset)
    if owner.source_kind != API_KIND:
        return _override(services, row, wanted, actor)
    _publish(services, organization, dataset, True)
    return field_diff(row.dataset, wanted)


def _submit(
    services: Services,
    principal: Principal,
    organization: OrganizationRow,
    rid: str,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any] | None,
) -> DraftRow:
    draft = add_draft(
        services.store,
        organization_id=organization.id,
        record_id=rid,
        action=action,
        dataset=after,
        key_id=principal.key.id,
        now=utcnow(),
    )
    changes = field_diff(before, after)
    audit(
        services.store, principal.actor, "draft.submit", f"draft {draft.id}", changes, utcnow(), None, organization.id
    )
    return draft


def delete(services: Services, principal: Principal, rid: str) -> Outcome:
    row, owner = _owned(services, principal, rid, "delete")
    if owner.source_kind != API_KIND:
        raise ApiError(
            409,
            "harvested",
            f"dataset {rid!r} is harvested from source {owner.source!r}: remove it at the source (the next "
            "harvest withdraws it) or remove the source",
        )
    organization = _owning_organization(services, owner) or principal.organization
    if _needs_review(principal, organization):
        return Outcome(draft=_submit(services, principal, organization, rid, "delete", row.dataset, None))
    _withdraw(services, rid)
    changes = field_diff(row.dataset, None)
    audit(services.store, principal.actor, "dataset.delete", rid, changes, utcnow(), rid, organization.id)
    return Outcome(record_id=rid, deleted=True)


# -- review ----------------------------------------------------------------------------------------


def approve(services: Services, principal: Principal, draft_id: int) -> Outcome:
    draft = get_draft(services.store, draft_id)
    principal.require("reviewer", draft.organization_id, "approve drafts")
    if draft.status != "pending":
        raise Conflict(f"draft {draft_id} was already {draft.status}")
    organization = organization_by_id(services.store, draft.organization_id)
    outcome = _carry_out(services, organization, draft, principal.actor)
    decide_draft(services.store, draft_id, "approved", principal.key.id, None, utcnow())
    audit(
        services.store,
        principal.actor,
        "draft.approve",
        f"draft {draft_id}",
        [{"field": "status", "before": "pending", "after": "approved"}],
        utcnow(),
        None,  # the dataset's own history has the change itself; drafts stay out of public view
        organization.id,
    )
    return outcome


def _carry_out(services: Services, organization: OrganizationRow, draft: DraftRow, approver: Actor) -> Outcome:
    """Make an approved draft live, logged as the change it is (by its author, approved by ``approver``)."""
    author = Actor(draft.created_by, draft.organization_id, f"key {draft.created_by} (approved by {approver.label})")
    if draft.action == "create":
        dataset = parse_dataset(draft.dataset)
        rid = record_id(api_source_name(organization), dataset.identifier)
        existed = _exists(services, rid)
        if existed is True:
            raise Conflict(f"a dataset with identifier {dataset.identifier!r} was published meanwhile (id {rid})")
        _publish(services, organization, dataset, existed is not None)
        audit(services.store, author, "dataset.create", rid, field_diff(None, draft.dataset), utcnow(), rid)
        return Outcome(record_id=rid, title=dataset.title)
    assert draft.record_id is not None
    row = services.store.get_record(draft.record_id)
    owner = ownership(services.store, draft.record_id)
    if draft.action == "delete":
        _withdraw(services, draft.record_id)
        audit(services.store, author, "dataset.delete", row.id, field_diff(row.dataset, None), utcnow(), row.id)
        return Outcome(record_id=row.id, deleted=True)
    dataset = parse_dataset(draft.dataset)
    changes = _apply_update(services, row, owner, organization, dataset, author)
    audit(services.store, author, _update_action(owner), row.id, changes, utcnow(), row.id)
    return Outcome(record_id=row.id, title=dataset.title)


def reject(services: Services, principal: Principal, draft_id: int, comment: str) -> DraftRow:
    draft = get_draft(services.store, draft_id)
    principal.require("reviewer", draft.organization_id, "reject drafts")
    decide_draft(services.store, draft_id, "rejected", principal.key.id, comment, utcnow())
    audit(
        services.store,
        principal.actor,
        "draft.reject",
        f"draft {draft_id}",
        [{"field": "status", "before": "pending", "after": "rejected"}, {"field": "comment", "after": comment}],
        utcnow(),
        None,
        draft.organization_id,
    )
    return get_draft(services.store, draft_id)
