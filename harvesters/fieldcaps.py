"""Caps on what one record may hold: a field longer than its cap is kept truncated and reported.

A source can put a 200 MB description in one record; stored whole, every page and API answer showing
it would read it again. Before a record is hashed and stored, every text value longer than
``max_field_bytes`` (``max_spatial_bytes`` for ``spatial``, which holds GeoJSON or WKT) is cut at that
many bytes (on a character boundary) and the record gets a ``truncated`` warning naming the field. A
structured ``spatial`` value (GeoJSON as an object) over its cap cannot be cut and stay valid; it is
dropped, and said so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from rdflib import Literal
from rdflib.term import Node

from mappings.model import RecordIssue
from mappings.vocab import DCTERMS, SCHEMA, SDO

SPATIAL_KEYS = frozenset({"spatial", "spatialCoverage"})
SPATIAL_PREDICATES = frozenset({DCTERMS.spatial, SCHEMA.spatialCoverage, SDO.spatialCoverage})
Triple = tuple[Node, Node, Node]


@dataclass(frozen=True, slots=True)
class FieldCaps:
    """The longest text kept whole (bytes of UTF-8), and the longest spatial value."""

    max_field_bytes: int = 64 << 10
    max_spatial_bytes: int = 1 << 20

    def limit_for(self, key: str) -> tuple[int, str]:
        if key in SPATIAL_KEYS:
            return self.max_spatial_bytes, "NUTMEG_HARVEST_MAX_SPATIAL_BYTES"
        return self.max_field_bytes, "NUTMEG_HARVEST_MAX_FIELD_BYTES"


def truncate_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _issue(path: str, size: int, limit: int, setting: str, dropped: bool = False) -> RecordIssue:
    done = "dropped (it cannot be cut and stay valid)" if dropped else "kept truncated to the limit"
    return RecordIssue(
        path=path,
        message=f"{path} is {size:,} bytes, over the {limit:,}-byte limit ({setting}); {done}",
        severity="warning",
        code="truncated",
    )


def cap_record(record: dict[str, Any], caps: FieldCaps) -> tuple[dict[str, Any], list[RecordIssue]]:
    """``record`` with over-long values cut (or an over-large structured spatial value dropped)."""
    issues: list[RecordIssue] = []
    out: dict[str, Any] = {}
    for key, value in record.items():
        limit, setting = caps.limit_for(key)
        if key in SPATIAL_KEYS and isinstance(value, dict | list):
            size = len(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))
            if size > limit:
                issues.append(_issue(key, size, limit, setting, dropped=True))
                continue
        out[key] = _cap_value(value, key, limit, setting, issues, caps)
    return out, issues


def _cap_value(value: Any, path: str, limit: int, setting: str, issues: list[RecordIssue], caps: FieldCaps) -> Any:
    if isinstance(value, str):
        if len(value) * 4 <= limit:  # cannot be over: skip encoding the common short value
            return value
        size = len(value.encode("utf-8", "surrogatepass"))
        if size <= limit:
            return value
        issues.append(_issue(path, size, limit, setting))
        return truncate_utf8(value, limit)
    if isinstance(value, list):
        return [_cap_value(v, f"{path}[{i}]", limit, setting, issues, caps) for i, v in enumerate(value)]
    if isinstance(value, dict):
        nested, found = cap_record(value, caps)
        issues.extend(i.model_copy(update={"path": f"{path}.{i.path}"}) for i in found)
        return nested
    return value


def cap_triples(triples: Iterable[Triple], caps: FieldCaps, issues: list[RecordIssue]) -> Iterator[Triple]:
    """RDF triples with over-long literals cut (keeping language and datatype), each cut reported."""
    for s, p, o in triples:
        if isinstance(o, Literal) and len(o) * 4 > caps.max_field_bytes:
            spatial = p in SPATIAL_PREDICATES
            limit = caps.max_spatial_bytes if spatial else caps.max_field_bytes
            size = len(str(o).encode("utf-8", "surrogatepass"))
            if size > limit:
                setting = "NUTMEG_HARVEST_MAX_SPATIAL_BYTES" if spatial else "NUTMEG_HARVEST_MAX_FIELD_BYTES"
                issues.append(_issue(p.n3(), size, limit, setting))
                o = Literal(truncate_utf8(str(o), limit), lang=o.language, datatype=o.datatype)
        yield s, p, o
