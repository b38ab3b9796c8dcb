"""data.json out: every live dataset, streamed, valid against the configured DCAT-US 1.1 schema.

Each record's data.json object and its schema problems were computed at harvest time, so a complete
record is copied as bytes. A record with problems gets the catalog's defaults (publisher, contact,
access level; bureau/program codes when federal) and is checked again; if it still fails, it is left
out and listed with the reason in the export report — the document itself is never invalid.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import orjson

from catalog_api.settings import Settings
from index.store import ExportRow, Store
from mappings.datajson import apply_defaults, catalog_header, dataset_to_datajson
from mappings.datajson_export import publishable
from mappings.model import Dataset, RecordIssue


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


def exportable(row: ExportRow, settings: Settings, store: Store) -> tuple[bytes | None, list[RecordIssue]]:
    """The record's data.json bytes, or None and the problems that keep it out."""
    profile = settings.profile
    known = row.export_problems.get(profile.value)
    if known == []:
        return row.datajson, []
    if known is None:  # harvested under another profile: start again from the model
        record = dataset_to_datajson(Dataset.model_validate(store.get_record(row.id).dataset))
    else:
        record = orjson.loads(row.datajson)
    apply_defaults(record, settings.catalog_defaults(), settings.federal)
    published, _, problems = publishable(record, profile)
    if problems:
        return None, problems
    return orjson.dumps(published), []


def datajson_chunks(store: Store, settings: Settings, tally: ExportTally | None = None) -> Iterator[bytes]:
    """The whole catalog as data.json, one chunk per store batch (bounded memory).

    Identifiers are unique in the document (data.gov keys on them): when two sources publish the same
    identifier, the first record (by catalog id) is published and the others are listed as excluded.
    """
    tally = tally if tally is not None else ExportTally()
    header = catalog_header(catalog_id=f"{settings.base_url}/data.json")
    yield orjson.dumps(header)[:-1] + b',"dataset":['
    first = True
    for parts in _published(store, settings, tally):
        if parts:
            yield (b"" if first else b",") + b",".join(parts)
            first = False
    yield b"]}"


def export_report(store: Store, settings: Settings) -> ExportTally:
    """Which records data.json leaves out, and why (without building the document)."""
    tally = ExportTally()
    for _ in _published(store, settings, tally):
        pass
    return tally


def _published(store: Store, settings: Settings, tally: ExportTally) -> Iterator[list[bytes]]:
    identifiers: dict[str, str] = {}
    for batch in store.iter_export_rows():
        parts: list[bytes] = []
        for row in batch:
            body, problems = exportable(row, settings, store)
            if body is not None and row.identifier in identifiers:
                body, problems = None, [_duplicate(row, identifiers[row.identifier])]
            if body is None:
                tally.excluded.append(Excluded(row.id, row.title, row.source, problems))
                continue
            identifiers[row.identifier] = row.id
            parts.append(body)
        tally.exported += len(parts)
        yield parts


def _duplicate(row: ExportRow, kept: str) -> RecordIssue:
    return RecordIssue(
        path="identifier",
        message=f"identifier {row.identifier!r} is already published by dataset {kept}; data.json holds it once",
        severity="warning",
        code="duplicate",
    )
