"""The governance API's public shapes: organizations, keys, drafts, audit entries, write results."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from catalog_api.schemas import Public
from index.governance import AuditRow, DraftRow, KeyRow, OrganizationRow


class OrganizationPublic(Public):
    slug: str
    title: str
    description: str | None = None
    parent: str | None = Field(None, description="slug of the organization this one is part of (subOrganizationOf)")
    mode: str = Field(description="direct: changes go live; reviewed: changes wait for a reviewer")
    publisher_names: list[str] = Field(default_factory=list, description="harvested publisher names it claims")
    datasets: int = 0


class OrganizationCreate(Public):
    slug: str
    title: str
    description: str | None = None
    parent: str | None = None
    mode: Literal["direct", "reviewed"] = "direct"
    publisher_names: list[str] = Field(default_factory=list)


class OrganizationChange(Public):
    title: str | None = Field(None, min_length=1, max_length=500)
    description: str | None = Field(None, max_length=10_000)
    mode: Literal["direct", "reviewed"] | None = None
    publisher_names: list[str] | None = Field(
        None, description="harvested publisher names it claims (replaces the list)"
    )


class KeyPublic(Public):
    id: int
    organization: str
    role: str
    name: str | None = None
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class KeyCreate(Public):
    organization: str | None = Field(None, description="slug; default: the calling key's organization")
    role: Literal["publisher", "reviewer", "admin"]
    name: str | None = Field(None, max_length=200)


class KeyCreated(KeyPublic):
    key: str = Field(description="the key itself: shown this once, never stored")


class DraftPublic(Public):
    id: int
    url: str
    organization: str
    record_id: str | None = None
    action: str
    status: str
    comment: str | None = Field(None, description="the reviewer's comment (on a rejection)")
    dataset: dict[str, Any] | None = None
    created_by: int
    created_at: datetime
    decided_by: int | None = None
    decided_at: datetime | None = None


class Rejection(Public):
    comment: str = Field(min_length=1, max_length=5000, description="why; the publisher sees it")


class AuditEntry(Public):
    id: int
    at: datetime
    key_id: int | None = None
    organization: str | None = None
    actor: str
    action: str
    target: str
    record_id: str | None = None
    changes: list[dict[str, Any]] = Field(description='field-level diff: [{"field", "before", "after"}]')


class WriteResult(Public):
    """What a write did: ``published`` (live now), ``draft`` (waiting for review) or ``deleted``."""

    status: Literal["published", "draft", "deleted", "approved", "rejected"]
    id: str | None = None
    html_url: str | None = None
    api_url: str | None = None
    draft: DraftPublic | None = None


def organization_public(row: OrganizationRow, parents: dict[int, str], datasets: int = 0) -> OrganizationPublic:
    return OrganizationPublic(
        slug=row.slug,
        title=row.title,
        description=row.description,
        parent=parents.get(row.parent_id) if row.parent_id else None,
        mode=row.mode,
        publisher_names=row.publisher_names,
        datasets=datasets,
    )


def key_public(row: KeyRow) -> KeyPublic:
    return KeyPublic(
        id=row.id,
        organization=row.organization,
        role=row.role,
        name=row.name,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def draft_public(row: DraftRow, base_url: str) -> DraftPublic:
    return DraftPublic(
        id=row.id,
        url=f"{base_url}/api/v1/drafts/{row.id}",
        organization=row.organization,
        record_id=row.record_id,
        action=row.action,
        status=row.status,
        comment=row.comment,
        dataset=row.dataset,
        created_by=row.created_by,
        created_at=row.created_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


def audit_public(row: AuditRow, slugs: dict[int, str]) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        key_id=row.key_id,
        organization=slugs.get(row.organization_id) if row.organization_id else None,
        actor=row.actor,
        action=row.action,
        target=row.target,
        record_id=row.record_id,
        changes=row.changes,
    )
