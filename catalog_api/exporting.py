"""data.json out: every live dataset, streamed, valid against data.gov's DCAT-US 1.1 schema of the
configured profile, or against data.gov's DCAT-US 3.0 ``Dataset`` definition.

Each record's data.json object and its 1.1 problems were computed at harvest time, so a complete record
is copied as bytes. A record with problems is repaired for export (``mappings.datajson_export``: values
normalized to the schema's form, invalid optional values dropped, required ones filled from the record's
own dates and themes and the catalog's configured defaults) and checked again; if it still fails, it is
left out and listed with the reason in the export report — the document itself is never invalid. The 3.0
document converts each repaired record (``mappings.dcatus3``) and checks it with the 3.0 definition.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from catalog_api.settings import Settings
from index.duplicates import published_exports
from index.ids import slug_path
from index.store import ExportRow, Store
from mappings.datajson import catalog_header
from mappings.datajson_export import Adjustment, RecordContext, make_exportable, make_exportable_v3
from mappings.dcatus3 import catalog_header_v3
from mappings.model import RecordIssue
from mappings.validation import problems_key


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
    adjusted: Counter[Adjustment] = field(default_factory=Counter)

    published: dict[str, str] = field(default_factory=dict)  # identifier → id of the record published

    def count(self, row: ExportRow, body: bytes | None, problems: list[RecordIssue], done: list[Adjustment]) -> bool:
        """Tally one record: exported (with what was done to it, once per kind) or left out; True if exported.

        Identifiers must be unique in a data.json; when two sources list the same dataset, the first
        record (in id order) is published and the others are reported.
        """
        if body is None:
            self.excluded.append(Excluded(row.id, row.title, row.source, problems))
            return False
        first = self.published.setdefault(row.original_identifier, row.id)
        if first != row.id:
            duplicate = RecordIssue(
                path="identifier",
                message=f"identifier {row.original_identifier!r} is already published by dataset {first}; "
                "data.json identifiers must be unique",
                code="duplicate",
            )
            self.excluded.append(Excluded(row.id, row.title, row.source, [duplicate]))
            return False
        self.exported += 1
        self.adjusted.update(set(done))
        return True


def exportable(
    row: ExportRow, settings: Settings, version: str = "1.1"
) -> tuple[bytes | None, list[RecordIssue], list[Adjustment]]:
    """The record's data.json bytes in DCAT-US ``version`` (or None and the problems that keep it out)
    and what was adjusted."""
    if version == "3.0":
        result = make_exportable_v3(_stored(row), settings.catalog_defaults(), _context(row, settings))
        return (None if result.record is None else orjson.dumps(result.record)), result.problems, result.adjustments
    if row.export_problems.get(problems_key(settings.profile)) == []:
        return row.datajson, [], []
    record = _stored(row)
    result = make_exportable(record, settings.catalog_defaults(), settings.profile, _context(row, settings))
    if result.record is None:
        return None, result.problems, result.adjustments
    return orjson.dumps(result.record), [], result.adjustments


def _stored(row: ExportRow) -> dict[str, Any]:
    """The record's DCAT-US JSON as stored at harvest time (``dataset_to_datajson`` of its model, whatever
    the profile; a record stored before these rules is checked again, not rebuilt)."""
    record: dict[str, Any] = orjson.loads(row.datajson)
    return record


def _context(row: ExportRow, settings: Settings) -> RecordContext:
    return RecordContext(f"{settings.base_url}/dataset/{slug_path(row.title, row.id)}", row.last_changed)


def datajson_chunks(
    store: Store,
    settings: Settings,
    tally: ExportTally | None = None,
    version: str = "1.1",
    *,
    batches: Iterable[list[ExportRow]] | None = None,
    header: dict[str, object] | None = None,
) -> Iterator[bytes]:
    """The whole catalog as data.json in DCAT-US ``version``, one chunk per store batch (bounded memory);
    or, given ``batches`` (and the ``header`` to open with), a part of it (a collection)."""
    tally = tally if tally is not None else ExportTally()
    yield orjson.dumps(header or _header(settings, version))[:-1] + b',"dataset":['
    first = True
    for stored in store.iter_export_rows() if batches is None else batches:
        batch = published_exports(store, stored)  # one dataset per group of duplicates, merged
        parts: list[bytes] = []
        for row in batch:
            body, problems, done = exportable(row, settings, version)
            if tally.count(row, body, problems, done):
                assert body is not None
                parts.append(body)
        if parts:
            yield (b"" if first else b",") + b",".join(parts)
            first = False
    yield b"]}"


def _header(settings: Settings, version: str, catalog_id: str | None = None) -> dict[str, object]:
    if version == "3.0":
        catalog_id = catalog_id or f"{settings.base_url}/dcat-us/3.0/data.json"
        return catalog_header_v3(
            catalog_id=catalog_id, title=settings.catalog_title, description=settings.catalog_description
        )
    return catalog_header(catalog_id=catalog_id or f"{settings.base_url}/data.json")


def part_header(settings: Settings, version: str, catalog_id: str) -> dict[str, object]:
    """The header of a data.json that is part of the catalog (a collection's), with its own ``@id``."""
    return _header(settings, version, catalog_id)


def export_report(store: Store, settings: Settings, version: str = "1.1") -> ExportTally:
    """Which records data.json (DCAT-US ``version``) leaves out, and why (without building the document)."""
    tally = ExportTally()
    for stored in store.iter_export_rows():
        for row in published_exports(store, stored):
            tally.count(row, *exportable(row, settings, version))
    return tally
