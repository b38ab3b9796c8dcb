"""Governance in the store: organizations, API keys, drafts awaiting review, the audit log, and the
local overrides publishers make to harvested records.

The store is the system of record for all of it; the API (``catalog_api/governance``) checks keys and
roles, and the search index only ever sees what is live. Keys are stored as SHA-256 digests of random
256-bit tokens: a digest cannot be turned back into a key, and a key's high entropy makes a slow hash
unnecessary.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, bindparam, delete, func, insert, null, select, update
from sqlalchemy.exc import IntegrityError

from index.ids import slugify
from index.roles import MODES, ROLES, Mode
from index.store import Conflict, NotFound, Store
from index.tables import api_keys, audit_log, drafts, organizations, records, sources, web_sessions

KEY_PREFIX = "nmk_"
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")


def is_slug(value: str) -> bool:
    """Lower-case letters, digits and inner hyphens, at most 100 characters (``dept-of-health``)."""
    return bool(_SLUG.match(value))


def publisher_key(name: str) -> str:
    """How publisher names are compared: ``Dept. of Health`` and ``dept of health`` are the same."""
    return slugify(name, limit=200)


# -- organizations ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewOrganization:
    slug: str
    title: str
    description: str | None = None
    parent: str | None = None
    mode: Mode = "direct"
    publisher_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OrganizationRow:
    id: int
    slug: str
    title: str
    description: str | None
    parent_id: int | None
    mode: str
    publisher_names: list[str]
    created_at: datetime


def add_organization(store: Store, new: NewOrganization, now: datetime) -> OrganizationRow:
    if not is_slug(new.slug):
        raise ValueError(f"{new.slug!r} is not a slug: use lower-case letters, digits and hyphens (dept-of-health)")
    if new.mode not in MODES:
        raise ValueError(f"mode {new.mode!r}: use one of {', '.join(MODES)}")
    if not new.title.strip():
        raise ValueError("an organization needs a title")
    parent_id = get_organization(store, new.parent).id if new.parent else None
    values = {
        "slug": new.slug,
        "title": new.title.strip(),
        "description": new.description,
        "parent_id": parent_id,
        "mode": new.mode,
        "publisher_names": list(dict.fromkeys(n.strip() for n in new.publisher_names if n.strip())),
        "created_at": now,
    }
    try:
        with store.engine.begin() as connection:
            connection.execute(insert(organizations).values(**values))
    except IntegrityError as exc:
        raise Conflict(f"an organization with the slug {new.slug!r} already exists") from exc
    return get_organization(store, new.slug)


def update_organization(store: Store, slug: str, **values: Any) -> OrganizationRow:
    allowed = {"title", "description", "mode", "publisher_names", "parent_id"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not organization fields: {sorted(unknown)}")
    if "mode" in values and values["mode"] not in MODES:
        raise ValueError(f"mode {values['mode']!r}: use one of {', '.join(MODES)}")
    found = get_organization(store, slug)
    with store.engine.begin() as connection:
        connection.execute(update(organizations).where(organizations.c.id == found.id).values(**values))
    return get_organization(store, slug)


def _one(store: Store, query: Any, missing: str) -> RowMapping:
    """The one row ``query`` finds, or :class:`NotFound` saying ``missing``."""
    with store.engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        raise NotFound(missing)
    return row


def get_organization(store: Store, slug: str) -> OrganizationRow:
    query = select(organizations).where(organizations.c.slug == slug)
    return _organization(_one(store, query, f"no organization {slug!r}"))


def organization_by_id(store: Store, id_: int) -> OrganizationRow:
    query = select(organizations).where(organizations.c.id == id_)
    return _organization(_one(store, query, f"no organization {id_}"))


def list_organizations(store: Store) -> list[OrganizationRow]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(organizations).order_by(organizations.c.slug)).mappings().all()
    return [_organization(r) for r in rows]


def _organization(row: RowMapping) -> OrganizationRow:
    return OrganizationRow(**{k: row[k] for k in OrganizationRow.__slots__})


def publisher_map(store: Store) -> dict[str, tuple[int, str]]:
    """publisher key → (organization id, title): each organization's title, slug and listed names."""
    out: dict[str, tuple[int, str]] = {}
    for org in list_organizations(store):
        for name in (org.title, org.slug, *org.publisher_names):
            out.setdefault(publisher_key(name), (org.id, org.title))
    return out


def match_organization(
    publisher: str | None, known: Mapping[str, tuple[int, str]], fallback: tuple[int, str] | None
) -> tuple[int, str] | None:
    """The organization a record belongs to: the one its publisher names, else its source's."""
    if publisher and publisher.strip():
        found = known.get(publisher_key(publisher))
        if found is not None:
            return found
    return fallback


def rematch_records(store: Store) -> int:
    """Give every record the organization its publisher (or source) now matches; records whose owner
    changed wait for the search index again. Returns how many changed."""
    known = publisher_map(store)
    source_orgs = _source_organizations(store)
    query = select(records.c.id, records.c.source_id, records.c.organization_id, records.c.dataset)
    changes: list[dict[str, Any]] = []
    with store.engine.connect() as connection:
        for id_, source_id, current, dataset in connection.execute(query):
            name = ((dataset or {}).get("publisher") or {}).get("name")
            found = match_organization(name, known, source_orgs.get(source_id))
            wanted = found[0] if found else None
            if wanted != current:
                changes.append({"key": id_, "org": wanted})
    if changes:
        statement = (
            update(records)
            .where(records.c.id == bindparam("key"))
            .values(organization_id=bindparam("org"), indexed_hash=None)
        )
        with store.engine.begin() as connection:
            connection.execute(statement, changes)
    return len(changes)


def _source_organizations(store: Store) -> dict[int, tuple[int, str]]:
    query = select(sources.c.id, organizations.c.id, organizations.c.title).join(
        organizations, organizations.c.id == sources.c.organization_id
    )
    with store.engine.connect() as connection:
        return {source_id: (org_id, title) for source_id, org_id, title in connection.execute(query)}


def unmatched_publishers(store: Store) -> list[tuple[str, int]]:
    """Publisher names of live records that no organization claims, with their dataset counts (for the
    CDO to map with ``nutmeg org update SLUG --publisher-name NAME``)."""
    query = select(records.c.dataset).where(records.c.withdrawn.is_(False), records.c.organization_id.is_(None))
    counts: dict[str, int] = {}
    with store.engine.connect() as connection:
        for (dataset,) in connection.execute(query):
            name = ((dataset or {}).get("publisher") or {}).get("name")
            if isinstance(name, str) and name.strip():
                counts[" ".join(name.split())] = counts.get(" ".join(name.split()), 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))


def set_source_organization(store: Store, source_name: str, organization_id: int | None) -> None:
    with store.engine.begin() as connection:
        result = connection.execute(
            update(sources).where(sources.c.name == source_name).values(organization_id=organization_id)
        )
    if result.rowcount == 0:
        raise NotFound(f"no source named {source_name!r}")


def update_source(store: Store, name: str, **values: Any) -> None:
    """Change a source's URL, title, description, publisher, schedule or options; its records stay."""
    allowed = {"url", "title", "description", "publisher", "schedule", "options", "kind", "organization_id", "enabled"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not source fields: {sorted(unknown)}")
    store.get_source(name)
    if "url" in values or "kind" in values:  # a new location: forget the old one's validators
        values = {**values, "etag": None, "last_modified": None, "bookmark": None}
    with store.engine.begin() as connection:
        connection.execute(update(sources).where(sources.c.name == name).values(**values))


# -- API keys --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyRow:
    id: int
    organization_id: int
    organization: str  # slug
    role: str
    name: str | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(store: Store, organization: str, role: str, name: str | None, now: datetime) -> tuple[KeyRow, str]:
    """A new random key for a role in an organization: (its row, the key itself — shown once, never stored)."""
    if role not in ROLES:
        raise ValueError(f"role {role!r}: use one of {', '.join(ROLES)}")
    org = get_organization(store, organization)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    values = {
        "organization_id": org.id,
        "role": role,
        "name": name,
        "key_hash": hash_key(secret),
        "created_at": now,
    }
    with store.engine.begin() as connection:
        result = connection.execute(insert(api_keys).values(**values))
        key_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
    assert isinstance(key_id, int)
    return get_key(store, key_id), secret


def _key_select() -> Any:
    columns = [c for c in api_keys.c if c.name != "key_hash"]
    return select(*columns, organizations.c.slug.label("organization")).join(
        organizations, organizations.c.id == api_keys.c.organization_id
    )


def get_key(store: Store, key_id: int) -> KeyRow:
    return _key(_one(store, _key_select().where(api_keys.c.id == key_id), f"no API key {key_id}"))


def list_keys(store: Store, organization_id: int | None = None) -> list[KeyRow]:
    query = _key_select().order_by(api_keys.c.id)
    if organization_id is not None:
        query = query.where(api_keys.c.organization_id == organization_id)
    with store.engine.connect() as connection:
        return [_key(r) for r in connection.execute(query).mappings()]


def revoke_key(store: Store, key_id: int, now: datetime) -> KeyRow:
    found = get_key(store, key_id)
    if found.revoked_at is None:
        with store.engine.begin() as connection:
            connection.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=now))
    return get_key(store, key_id)


def authenticate(store: Store, presented: str, now: datetime) -> KeyRow | None:
    """The active key ``presented`` is, or None. The lookup is by digest (an index seek, which reveals
    nothing about the key: digests of near-misses are unrelated); the digest is then compared in
    constant time."""
    digest = hash_key(presented)
    query = select(api_keys.c.id, api_keys.c.key_hash, api_keys.c.revoked_at).where(api_keys.c.key_hash == digest)
    with store.engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at is not None:
        return None
    with store.engine.begin() as connection:
        connection.execute(update(api_keys).where(api_keys.c.id == row.id).values(last_used_at=now))
    return get_key(store, row.id)


def _key(row: RowMapping) -> KeyRow:
    return KeyRow(**{k: row[k] for k in KeyRow.__slots__ if k != "active"})


# -- drafts ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DraftRow:
    id: int
    organization_id: int
    organization: str
    record_id: str | None
    action: str  # create | update | delete
    dataset: dict[str, Any] | None
    status: str  # pending | approved | rejected
    comment: str | None
    created_by: int
    created_at: datetime
    decided_by: int | None
    decided_at: datetime | None


def add_draft(
    store: Store,
    *,
    organization_id: int,
    record_id: str | None,
    action: str,
    dataset: dict[str, Any] | None,
    key_id: int,
    now: datetime,
) -> DraftRow:
    values = {
        "organization_id": organization_id,
        "record_id": record_id,
        "action": action,
        "dataset": dataset,
        "status": "pending",
        "created_by": key_id,
        "created_at": now,
    }
    with store.engine.begin() as connection:
        result = connection.execute(insert(drafts).values(**values))
        draft_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
    assert isinstance(draft_id, int)
    return get_draft(store, draft_id)


def _draft_select() -> Any:
    return select(*drafts.c, organizations.c.slug.label("organization")).join(
        organizations, organizations.c.id == drafts.c.organization_id
    )


def get_draft(store: Store, draft_id: int) -> DraftRow:
    return _draft(_one(store, _draft_select().where(drafts.c.id == draft_id), f"no draft {draft_id}"))


def list_drafts(
    store: Store, *, organization_id: int | None = None, status: str | None = "pending", limit: int = 200
) -> list[DraftRow]:
    query = _draft_select().order_by(drafts.c.id.desc()).limit(limit)
    if organization_id is not None:
        query = query.where(drafts.c.organization_id == organization_id)
    if status is not None:
        query = query.where(drafts.c.status == status)
    with store.engine.connect() as connection:
        return [_draft(r) for r in connection.execute(query).mappings()]


def decide_draft(store: Store, draft_id: int, status: str, key_id: int, comment: str | None, now: datetime) -> None:
    """Mark a pending draft approved or rejected (once: a decided draft is a conflict)."""
    statement = (
        update(drafts)
        .where(drafts.c.id == draft_id, drafts.c.status == "pending")
        .values(status=status, decided_by=key_id, decided_at=now, comment=comment)
    )
    with store.engine.begin() as connection:
        done = connection.execute(statement).rowcount
    if done == 0:
        found = get_draft(store, draft_id)
        raise Conflict(f"draft {draft_id} was already {found.status}")


def _draft(row: RowMapping) -> DraftRow:
    return DraftRow(**{k: row[k] for k in DraftRow.__slots__})


# -- the audit log ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    key_id: int | None
    organization_id: int | None
    actor: str
    action: str
    target: str
    record_id: str | None
    changes: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a key (and its organization), or the operator at the server's shell."""

    key_id: int | None
    organization_id: int | None
    label: str


OPERATOR = Actor(None, None, "operator (command line)")


def audit(
    store: Store,
    actor: Actor,
    action: str,
    target: str,
    changes: list[dict[str, Any]],
    now: datetime,
    record_id: str | None = None,
    organization_id: int | None = None,
) -> None:
    """Append one entry (filed under ``organization_id``, the organization the change concerns, else
    the actor's); the log has no update or delete."""
    values = {
        "at": now,
        "key_id": actor.key_id,
        "organization_id": organization_id if organization_id is not None else actor.organization_id,
        "actor": actor.label,
        "action": action,
        "target": target,
        "record_id": record_id,
        "changes": changes,
    }
    with store.engine.begin() as connection:
        connection.execute(insert(audit_log).values(**values))


def audit_entries(
    store: Store,
    *,
    record_id: str | None = None,
    organization_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[AuditRow]]:
    conditions = []
    if record_id is not None:
        conditions.append(audit_log.c.record_id == record_id)
    if organization_id is not None:
        conditions.append(audit_log.c.organization_id == organization_id)
    query = select(audit_log).where(*conditions).order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
    counter = select(func.count()).select_from(audit_log).where(*conditions)
    with store.engine.connect() as connection:
        total = int(connection.execute(counter).scalar_one())
        rows = [AuditRow(**{k: r[k] for k in AuditRow.__slots__}) for r in connection.execute(query).mappings()]
    return total, rows


def field_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Field-level changes between two JSON objects: ``[{"field", "before", "after"}]``, in field order."""
    before, after = before or {}, after or {}
    names = list(dict.fromkeys([*before, *after]))
    return [
        {"field": name, "before": before.get(name), "after": after.get(name)}
        for name in names
        if before.get(name) != after.get(name)
    ]


# -- records as governance sees them ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ownership:
    record_id: str
    organization_id: int | None
    source_organization_id: int | None
    source: str
    source_kind: str

    def owned_by(self, organization_id: int) -> bool:
        return organization_id in (self.organization_id, self.source_organization_id)


def ownership(store: Store, record_id: str) -> Ownership:
    query = (
        select(records.c.id, records.c.organization_id, sources.c.organization_id, sources.c.name, sources.c.kind)
        .join(sources, sources.c.id == records.c.source_id)
        .where(records.c.id == record_id)
    )
    with store.engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        raise NotFound(f"no dataset with id {record_id!r}")
    return Ownership(*row)


def set_overrides(store: Store, record_id: str, overrides: Mapping[str, Any] | None) -> None:
    value = dict(overrides) if overrides else null()
    with store.engine.begin() as connection:
        connection.execute(update(records).where(records.c.id == record_id).values(overrides=value))


def overridden_records(store: Store, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The local overrides of those of ``ids`` that have any."""
    wanted = list(ids)
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        query = select(records.c.id, records.c.overrides).where(
            records.c.id.in_(wanted[start : start + 500]), records.c.overrides.is_not(None)
        )
        with store.engine.connect() as connection:
            out.update({id_: value for id_, value in connection.execute(query) if value})
    return out


def source_record(store: Store, record_id: str) -> bytes:
    """The record as its source sent it."""
    with store.engine.connect() as connection:
        value = connection.execute(select(records.c.source_record).where(records.c.id == record_id)).scalar_one()
    return bytes(value)


def withdraw_record(store: Store, record_id: str, now: datetime) -> None:
    """Withdraw one record (it leaves every published output; the index follows)."""
    with store.engine.begin() as connection:
        connection.execute(update(records).where(records.c.id == record_id).values(withdrawn=True, withdrawn_at=now))


# -- web sessions ----------------------------------------------------------------------------------


def create_session(store: Store, key_id: int, now: datetime, lifetime: timedelta) -> tuple[str, str]:
    """A signed-in browser: (session token for the cookie, CSRF token for its forms). Only the token's
    digest is stored."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    values = {
        "token_hash": hash_key(token),
        "key_id": key_id,
        "csrf_token": csrf,
        "created_at": now,
        "expires_at": now + lifetime,
    }
    with store.engine.begin() as connection:
        connection.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
        connection.execute(insert(web_sessions).values(**values))
    return token, csrf


def session_of(store: Store, token: str, now: datetime) -> tuple[KeyRow, str] | None:
    """The (active) key and CSRF token of a live session, or None."""
    query = select(web_sessions.c.key_id, web_sessions.c.csrf_token, web_sessions.c.expires_at).where(
        web_sessions.c.token_hash == hash_key(token)
    )
    with store.engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None or row.expires_at <= now:
        return None
    key = get_key(store, row.key_id)
    return (key, row.csrf_token) if key.active else None


def end_session(store: Store, token: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(delete(web_sessions).where(web_sessions.c.token_hash == hash_key(token)))
