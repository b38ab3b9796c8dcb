"""What a dataset's page says about its governance: who owns it, how it came in (harvested or published
through the API), the fields a publisher changed locally (with who and when), and its change history
from the audit log. Provenance is public."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from catalog_api.services import Services
from index.duplicates import provenance as listed_by
from index.governance import AuditRow, audit_entries
from index.store import RecordRow

HISTORY = 20


@dataclass(frozen=True, slots=True)
class LocalEdit:
    field: str
    value: Any
    by: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Provenance:
    published_through_api: bool
    organization: str | None
    edits: list[LocalEdit]
    history: list[AuditRow]
    history_total: int
    sources: list[dict[str, Any]]  # every source that lists the dataset (several when duplicates were merged)


def local_edits(overrides: dict[str, Any] | None) -> list[LocalEdit]:
    out = []
    for name, edit in sorted((overrides or {}).items()):
        at = edit.get("at")
        out.append(
            LocalEdit(name, edit.get("value"), str(edit.get("by") or ""), datetime.fromisoformat(at) if at else None)
        )
    return out


def provenance(services: Services, record: RecordRow) -> Provenance:
    source = services.store.get_source(record.source)
    total, history = audit_entries(services.store, record_id=record.id, limit=HISTORY)
    listed = listed_by(services.store, [record.id])[record.id]
    edits = local_edits(record.overrides)
    return Provenance(source.kind == "api", record.organization, edits, history, total, listed)


def shown(value: Any) -> str:
    """A field's value in a sentence (lists joined, objects by their name or as JSON)."""
    if value is None:
        return "(removed)"
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, dict):
        name = value.get("name") or value.get("fn") or value.get("title")
        return str(name) if name else ", ".join(f"{k}: {shown(v)}" for k, v in value.items())
    return str(value)
