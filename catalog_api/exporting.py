"""data.json out: every live dataset, streamed, valid against the configured DCAT-US 1.1 schema.

Each record's data.json object and its schema problems were computed at harvest time, so a complete
record is copied as bytes. A record with problems gets the catalog's defaults (publisher, contact,
access level; bureau/program codes when federal) and is checked again; if it still fails, it is left
out and listed with the reason in the export report — the document itself is never invalid.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from catalog_api.settings import Settings
from index.store import ExportRow, Store
from mappings.datajson import apply_defaults, catalog_header
from mappings.model import RecordIssue
from mappings.validation import validate


@dataclass
class Excluded:
    id: str
    title: str
    source: str
    problems: list[RecordIssue]


@dataclass
class ExportTally:
    exported: int = 0
    excluded: list[Excluded] = field(default_factory=list)


def exportable(row: ExportRow, settings: Settings) -> tuple[bytes | None, list[RecordIssue]]:
    """The record's data.json bytes, or None and the problems that keep it out."""
    profile = settings.profile
    if row.export_problems.get(profile.value) == []:
        return row.datajson, []
    record: dict[str, Any] = orjson.loads(row.datajson)
    apply_defaults(record, settings.catalog_defaults(), settings.federal)
    problems = validate(record, profile)
    if problems:
        return None, problems
    return orjson.dumps(record), []


def datajson_chunks(store: Store, settings: Settings, tally: ExportTally | None = None) -> Iterator[bytes]:
    """The whole catalog as data.json, one chunk per store batch (bounded memory)."""
    tally = tally if tally is not None else ExportTally()
    header = catalog_header(catalog_id=f"{settings.base_url}/data.json")
    yield orjson.dumps(header)[:-1] + b',"dataset":['
    first = True
    for batch in store.iter_export_rows():
        parts: list[bytes] = []
        for row in batch:
            body, problems = exportable(row, settings)
            if body is None:
                tally.excluded.append(Excluded(row.id, row.title, row.source, problems))
                continue
            parts.append(body)
        if parts:
            tally.exported += len(parts)
            yield (b"" if first else b",") + b",".join(parts)
            first = False
    yield b"]}"


def export_report(store: Store, settings: Settings) -> ExportTally:
    """Which records data.json leaves out, and why (without building the document)."""
    tally = ExportTally()
    for batch in store.iter_export_rows():
        for row in batch:
            body, problems = exportable(row, settings)
            if body is None:
                tally.excluded.append(Excluded(row.id, row.title, row.source, problems))
            else:
                tally.exported += 1
    return tally
