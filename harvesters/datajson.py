"""DCAT-US ``data.json`` catalogs: 1.1, legacy 1.0 (bare arrays, no conformsTo) and 3.0.

Socrata serves it at ``/data.json``, CKAN (ckanext-datajson) and DKAN at ``/data.json``, ArcGIS Hub at
``/api/feed/dcat-us/1.1.json``. The body is streamed (never held whole); each dataset becomes a graph
through the DCAT-US ↔ DCAT tables only when its content hash changed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from enum import StrEnum
from functools import partial
from typing import Any, ClassVar

import ijson
import orjson
from rdflib import URIRef
from rdflib.term import Node

from harvesters.base import (
    HarvestedRecord,
    Harvester,
    HarvestItem,
    HarvestRun,
    HarvestState,
    Materialized,
    OptionSpec,
    SkippedRecord,
    canonical_json,
    content_hash,
)
from harvesters.bodydigest import BodyCheck, Hashing, spooled
from harvesters.datajson_forms import (
    Record,
    describes_catalog_itself,
    is_v10_record,
    normalize_v30,
    unmapped_fields,
    upgrade_v10,
)
from harvesters.errors import ParseError, RecordError
from harvesters.fieldcaps import FieldCaps, cap_record
from harvesters.http import Fetched
from harvesters.jsonstream import JsonByteStream
from mappings.dcatus import DATASET_FIELDS, json_to_graph
from mappings.graphs import bnode, record_graph
from mappings.model import RecordIssue
from mappings.rdfterms import is_iri
from mappings.validation import Profile, dcatus3_checker, validate
from mappings.vocab import DCAT, RDF

ACCEPT = "application/json, application/ld+json;q=0.9, */*;q=0.1"
_CONFORMS = re.compile(rb'"conformsTo"\s*:\s*("([^"]*)"|\{)')
_DATASET_KEY = re.compile(rb'"dataset"\s*:\s*\[')


log = logging.getLogger("nutmeg.harvest")


class Dialect(StrEnum):
    V11 = "1.1"
    V10 = "1.0"
    V30 = "3.0"
    UNDECLARED = "undeclared"


def sniff_dialect(head: bytes) -> Dialect:
    """The catalog's declared version, from the bytes before its ``dataset`` array."""
    if head.lstrip().startswith(b"["):
        return Dialect.V10
    dataset = _DATASET_KEY.search(head)
    before = head[: dataset.start()] if dataset else head
    match = _CONFORMS.search(before)
    if match is None:
        return Dialect.UNDECLARED
    if match.group(1) == b"{" or b"3.0" in (match.group(2) or b""):
        return Dialect.V30
    return Dialect.V11


class DataJsonHarvester(Harvester):
    kind: ClassVar[str] = "datajson"
    title: ClassVar[str] = "DCAT-US data.json"
    summary: ClassVar[str] = "A DCAT-US data.json catalog (Socrata, CKAN, DKAN, ArcGIS Hub, hand-made)."
    option_specs: ClassVar[tuple[OptionSpec, ...]] = ()
    parallel_safe: ClassVar[bool] = True

    def records(self, state: HarvestState, run: HarvestRun) -> Iterator[HarvestItem]:
        if state.body is None or state.body.previous is None:  # nothing to compare with: parsed as it arrives
            yield from self._streamed(state, run)
        else:
            yield from self._spooled(state, state.body, run)

    def _streamed(self, state: HarvestState, run: HarvestRun) -> Iterator[HarvestItem]:
        with self._open(state, run) as fetched:
            if fetched is None:
                return
            hashing = Hashing(state.body, fetched) if state.body is not None else None
            yield from self._read(fetched, iter(hashing) if hashing else fetched.iter_bytes(), run)
            run.body_digest = hashing.finish() if hashing is not None else None
        run.complete = True

    def _spooled(self, state: HarvestState, check: BodyCheck, run: HarvestRun) -> Iterator[HarvestItem]:
        """The body read to its end first; its records only when it is not the last complete harvest's."""
        with ExitStack() as stack:
            with self._open(state, run) as fetched:
                if fetched is None:
                    return
                _ = fetched.charset  # a body in a non-text "charset" is refused before it is spooled
                spool = stack.enter_context(spooled(check, fetched))
            # the connection is closed and its host's slot free: the body is in the spool
            run.body_digest = spool.digest
            if spool.digest == check.previous:
                run.same_body = True
                return
            yield from self._read(fetched, spool.chunks(), run)
        run.complete = True

    @contextmanager
    def _open(self, state: HarvestState, run: HarvestRun) -> Iterator[Fetched | None]:
        """The response to read (None after a 304)."""
        headers = {"Accept": ACCEPT}
        with self.http.open(self.source.url, headers=headers, validators=state.validators) as fetched:
            if fetched.not_modified:
                run.not_modified = True
                yield None
                return
            run.validators = fetched.validators
            yield fetched

    def _read(self, fetched: Fetched, chunks: Iterator[bytes], run: HarvestRun) -> Iterator[HarvestItem]:
        caps = self.source.caps
        # strings far over every field cap are cut while streaming (the margin lets the record say so)
        longest = max(caps.max_field_bytes, caps.max_spatial_bytes) + 1024
        stream = JsonByteStream(chunks, encoding=fetched.charset, max_string=longest)
        first = stream.first_byte()
        if first not in (b"{", b"["):
            raise ParseError(_not_json_message(fetched, stream.head))
        dialect = sniff_dialect(stream.head)
        run.stats["dialect"] = dialect.value
        prefix = "item" if first == b"[" else "dataset.item"
        seen: set[str] = set()
        try:
            for index, raw in enumerate(ijson.items(stream, prefix, use_float=True)):
                run.listed += 1
                yield self._item(raw, index, dialect, seen)
        except ijson.JSONError as exc:
            raise ParseError(_parse_failure(fetched, run.listed, exc)) from exc
        if run.listed == 0 and first == b"{" and _DATASET_KEY.search(stream.head) is None:
            raise ParseError(f"{fetched.url} is JSON but not a DCAT-US catalog (no 'dataset' array)")

    def _item(self, raw: Any, index: int, dialect: Dialect, seen: set[str]) -> HarvestItem:
        where = f"dataset[{index}]"
        if not isinstance(raw, Mapping):
            return SkippedRecord(None, f"{where} is a {type(raw).__name__}, not an object", where)
        identifier = _identifier(raw)
        try:
            raw, cut, data = capped_json(raw, self.source.caps)
        except orjson.JSONEncodeError as exc:
            return SkippedRecord(identifier, f"{where} cannot be read: {exc}", where)
        if identifier is None:
            return SkippedRecord(None, f"{where} has no identifier; skipped", f"{where}.identifier")
        if not _text(raw.get("title")):
            return SkippedRecord(identifier, f"{where} has no title; skipped", f"{where}.title")
        if dialect is Dialect.V10 and describes_catalog_itself(raw):
            return SkippedRecord(identifier, f"{where} describes the data.json file itself", where, "not-a-dataset")
        if identifier in seen:
            message = f"{where} repeats identifier {identifier!r}; the first record with it was kept"
            return SkippedRecord(identifier, message, f"{where}.identifier", "duplicate")
        seen.add(identifier)
        profile = Profile.FEDERAL if self.source.federal else Profile.NON_FEDERAL
        build = partial(build_record, raw, dialect, profile, tuple(cut))
        return HarvestedRecord(identifier, content_hash(data), data, build)


def capped_json(raw: Mapping[str, Any], caps: FieldCaps) -> tuple[dict[str, Any], list[RecordIssue], bytes]:
    """The record with over-long values cut, what was cut, and its canonical bytes.

    A record whose canonical JSON is shorter than the smallest cap cannot hold a value over any cap (a
    string's UTF-8 bytes are never more than its JSON form's), so the walk through every value is
    skipped for it: most records of a catalog. Raises ``orjson.JSONEncodeError`` for a record that has
    no JSON form."""
    with suppress(orjson.JSONEncodeError):
        data = canonical_json(raw)
        if len(data) <= min(caps.max_field_bytes, caps.max_spatial_bytes):
            return dict(raw), [], data
    record, cut = cap_record(dict(raw), caps)
    return record, cut, canonical_json(record)


def build_record(
    raw: Mapping[str, Any], dialect: Dialect, profile: Profile, cut: tuple[RecordIssue, ...] = ()
) -> Materialized:
    """One data.json record as RDF, with its schema problems and the fields cut to their caps
    (module-level, so worker processes can run it)."""
    record, issues = _normalized(raw, dialect, profile)
    issues.extend(cut)
    issues.extend(unmapped_fields(record))
    return materialize(record, issues, _identifier(raw))


def materialize(record: Mapping[str, Any], issues: list[RecordIssue], identifier: str | None) -> Materialized:
    """A DCAT-US-shaped record as an RDF dataset through the DCAT-US ↔ DCAT tables (every source that
    builds such dicts comes through here); ``identifier`` names the record in an error."""
    graph = record_graph()
    subject = dataset_node(record)
    graph.add((subject, RDF.type, DCAT.Dataset))
    try:
        json_to_graph(record, DATASET_FIELDS, graph, subject)
    except (TypeError, ValueError) as exc:
        raise RecordError(f"cannot turn the record into RDF: {exc}", identifier=identifier) from exc
    return Materialized(graph, subject, issues)


def _normalized(raw: Mapping[str, Any], dialect: Dialect, profile: Profile) -> tuple[Record, list[RecordIssue]]:
    if dialect is Dialect.V10 or (dialect is Dialect.UNDECLARED and is_v10_record(raw)):
        return upgrade_v10(raw), validate(raw, Profile.LEGACY)
    if dialect is Dialect.V30:
        record, notes = normalize_v30(raw)
        return record, dcatus3_checker().validate(raw) + notes
    return dict(raw), validate(raw, profile)


def dataset_node(record: Mapping[str, Any]) -> Node:
    """The dataset's node: its identifier when that is an http(s) IRI, else a blank node."""
    identifier = record.get("identifier")
    if isinstance(identifier, str) and identifier.startswith(("http://", "https://")) and is_iri(identifier):
        return URIRef(identifier)
    return bnode()


def _identifier(raw: Mapping[str, Any]) -> str | None:
    value = raw.get("identifier")
    if isinstance(value, Mapping):
        value = value.get("@id") or value.get("notation")
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip() if isinstance(value, str | int | float) else ""
    return text or None


def _text(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool) and bool(str(value).strip())


def _parse_failure(fetched: Fetched, listed: int, exc: Exception) -> str:
    detail = _first_line(exc)
    if "UTF8" in detail or "UTF-8" in detail:
        return (
            f"{fetched.url} is not valid UTF-8 (after {listed} datasets); JSON must be UTF-8 unless the "
            "server declares another charset in its Content-Type"
        )
    log.info("JSON from %s not read: %s", fetched.url, detail)
    return f"{fetched.url} stopped being valid JSON after {listed} datasets"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _not_json_message(fetched: Fetched, head: bytes) -> str:
    if not head.strip():
        return f"{fetched.url} returned an empty body"
    start = " ".join(head.lstrip()[:60].decode("utf-8", "replace").split())  # one line: no literal "\n"
    kind = fetched.content_type or "no content type"
    return f"{fetched.url} did not return JSON ({kind}; the body starts “{start}”)"
