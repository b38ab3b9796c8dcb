"""Records that harvesters build as DCAT-US-shaped dictionaries (CKAN, Socrata, feeds, web pages, ISO).

Non-RDF sources map their own fields to the DCAT-US JSON shape (each with its table) and hand the dict
here; :func:`dict_record` hashes it and defers the RDF to :func:`build_dict`, which goes through the same
DCAT-US ↔ DCAT tables as every other source, so all kinds meet in one model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from harvesters.base import HarvestedRecord, Materialized, canonical_json, content_hash
from harvesters.datajson import materialize
from harvesters.fieldcaps import FieldCaps, cap_record
from mappings.model import RecordIssue

Record = dict[str, Any]


def dict_record(
    identifier: str, record: Mapping[str, Any], issues: Iterable[RecordIssue] = (), caps: FieldCaps | None = None
) -> HarvestedRecord:
    """A harvested record from a DCAT-US-shaped dict (empty values dropped, over-long fields cut)."""
    cleaned, cut = cap_record(prune(dict(record)), caps or FieldCaps())
    data = canonical_json(cleaned)
    build = partial(build_dict, cleaned, (*issues, *cut))
    return HarvestedRecord(identifier, content_hash(data), data, build)


def build_dict(record: Mapping[str, Any], issues: tuple[RecordIssue, ...]) -> Materialized:
    """The record as RDF (module level, so worker processes can run it)."""
    return materialize(record, list(issues), str(record.get("identifier")))


def prune(value: Any) -> Any:
    """Drop None, empty strings, empty lists and empty objects, recursively."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        items = [prune(v) for v in value]
        return [v for v in items if v not in (None, "", [], {})]
    if isinstance(value, str):
        return value.strip()
    return value


def first_text(*values: Any) -> str | None:
    """The first non-empty string among ``values`` (JSON-encoded lists such as '["1982"]' unwrapped)."""
    for value in values:
        text = as_text(value)
        if text:
            return text
    return None


def as_text(value: Any) -> str | None:
    if isinstance(value, list):
        return first_text(*value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            decoded = json.loads(text)
        except ValueError:
            return text
        return first_text(*decoded) if isinstance(decoded, list) else text
    return text or None


def text_list(value: Any) -> list[str]:
    """A list of strings from a list, a JSON-encoded list, or a comma-separated string."""
    if isinstance(value, list):
        return [t for t in (as_text(v) for v in value) if t]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                decoded = json.loads(text)
            except ValueError:
                decoded = None
            if isinstance(decoded, list):
                return text_list(decoded)
        return [part.strip() for part in text.split(",") if part.strip()]
    return []


def is_http(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith(("http://", "https://"))
