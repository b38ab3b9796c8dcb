"""Profiles of tabular data files, made by the ``frictionless`` library from bytes already fetched.

frictionless is only ever handed bytes (its ``buffer`` scheme) or rows in memory (``inline``), never a
path or a URL, so it opens no file and no connection of its own. It infers each column's type from a
sample, then every row is read and cast: the row count, the encoding and every problem it finds
(a cell of the wrong type, a missing or extra cell, a blank or duplicate header) come from it.

* CSV/TSV: the encoding is the declared charset when the bytes decode in it, else UTF-8, else Windows-1252
  (a declared charset the bytes do not fit is reported); a file cut at the size cap ends at its last
  whole line.
* XLSX: the first sheet, through frictionless's excel plugin (openpyxl, read-only, XML with entities off
  via defusedxml); a workbook that would unpack past the limit (a zip bomb) is refused before openpyxl
  opens it.
* JSON: an array of objects, one row each; GeoJSON: a FeatureCollection, one row per feature's
  ``properties`` plus a ``geometry_type`` column. Both are streamed (ijson), so a file cut at the cap
  still gives its whole records.

A file that cannot be read raises :class:`UnreadableFile` with the reason in words.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import math
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from decimal import Decimal
from typing import Any

import ijson

log = logging.getLogger("nutmeg.previews")
MAX_ERRORS = 50  # problems kept per file (all are counted)
MAX_CELL_CHARS = 300  # longer text cells are kept cut
MAX_MESSAGE_CHARS = 300
MAX_ZIP_ENTRIES = 10_000
MAX_COLUMNS = 500  # a wider "table" is refused (a file of one endless line is not a table)
KEY_SAMPLE = 1000  # JSON records whose keys make the columns
_CLOCK_EVERY = 256  # rows between deadline checks
GEOMETRY_COLUMN = "geometry_type"


class UnreadableFile(Exception):
    """The file could not be read as its kind; ``code`` names the problem, the message explains it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Profile:
    """What frictionless found: columns and their types, the first rows, the count, the problems."""

    kind: str
    encoding: str | None
    columns: list[dict[str, str]] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    row_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    truncated: bool = False  # the file was cut at the size cap, or reading stopped at the time cap

    def problem(self, code: str, message: str, row: int | None = None, column: str | None = None) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(
                {"type": code, "message": _clip(message, MAX_MESSAGE_CHARS), "row": row, "field": column}
            )


@dataclass(frozen=True, slots=True)
class Limits:
    max_rows: int  # rows kept
    max_unpacked_bytes: int  # XLSX
    deadline: float  # time.monotonic() by which reading stops


def profile_file(body: bytes, kind: str, *, charset: str | None, truncated: bool, limits: Limits) -> Profile:
    """Profile ``body`` (a whole file, or its first part when ``truncated``) as ``kind``."""
    from frictionless import FrictionlessException

    reader = _READERS[kind]
    try:
        return reader(body, charset, truncated, limits)
    except FrictionlessException as exc:
        raise UnreadableFile(exc.error.type, _clip(exc.error.message, MAX_MESSAGE_CHARS)) from exc


# -- CSV / TSV --------------------------------------------------------------------------------------


def _delimited(kind: str) -> Callable[[bytes, str | None, bool, Limits], Profile]:
    def read(body: bytes, charset: str | None, truncated: bool, limits: Limits) -> Profile:
        from frictionless import Resource

        if truncated:
            body = body[: body.rfind(b"\n") + 1] or body
        encoding, note = choose_encoding(body, charset)
        _check_width(_header_width(body, encoding, "\t" if kind == "tsv" else ","))
        profile = Profile(kind, encoding, truncated=truncated)
        if note:
            profile.problem("charset", note)
        _read_table(Resource(data=body, format=kind, encoding=encoding), profile, limits)
        return profile

    return read


def _header_width(body: bytes, encoding: str, delimiter: str) -> int:
    """Fields on the first line (read before frictionless, whose type inference slows with width)."""
    first = body.split(b"\n", 1)[0][: 1 << 20].decode(encoding, errors="replace")
    try:
        return len(next(csv.reader([first], delimiter=delimiter), []))
    except csv.Error:
        return first.count(delimiter) + 1


def _check_width(width: int) -> None:
    if width > MAX_COLUMNS:
        raise UnreadableFile("too-wide", f"{width:,} columns, over the {MAX_COLUMNS} previewed")


def choose_encoding(body: bytes, declared: str | None) -> tuple[str, str | None]:
    """The encoding to read ``body`` in, and a note when the declared one does not fit the bytes."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    if declared and _decodes(body, declared):
        return declared, None
    chosen = next(e for e in ("utf-8", "cp1252", "latin-1") if _decodes(body, e))
    if declared:
        return chosen, f"the server declares charset {declared}, but the file is not {declared}; read as {chosen}"
    return chosen, None


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        codecs.decode(body, encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


# -- XLSX -------------------------------------------------------------------------------------------


def _workbook(body: bytes, charset: str | None, truncated: bool, limits: Limits) -> Profile:
    from frictionless import Resource

    if truncated:
        raise UnreadableFile("too-large", "the workbook is larger than the preview limit; it cannot be read in part")
    check_unpacked_size(body, limits.max_unpacked_bytes)
    profile = Profile("xlsx", None)
    _read_table(Resource(data=body, format="xlsx"), profile, limits)
    return profile


def check_unpacked_size(body: bytes, limit: int) -> None:
    """Refuse a ZIP whose members would unpack past ``limit`` bytes, or that has too many members.

    The sizes are those the archive declares; Python's zipfile stops each member at its declared size,
    so a member that lies inflates no further than it says.
    """
    try:
        members = zipfile.ZipFile(io.BytesIO(body)).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise UnreadableFile("format", "not a readable XLSX workbook (the ZIP archive is damaged)") from None
    if len(members) > MAX_ZIP_ENTRIES:
        raise UnreadableFile("too-large", f"the workbook holds {len(members):,} files; not previewed")
    unpacked = sum(m.file_size for m in members)
    if unpacked > limit:
        raise UnreadableFile(
            "too-large",
            f"the workbook would unpack to {unpacked:,} bytes from {len(body):,}, over the {limit:,}-byte "
            "limit (NUTMEG_PREVIEW_MAX_UNPACKED_BYTES); not opened",
        )


# -- JSON / GeoJSON ----------------------------------------------------------------------------------


def _json(body: bytes, charset: str | None, truncated: bool, limits: Limits) -> Profile:
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"[":
        return _records(body, "json", "item", _plain, truncated, limits)
    if start == b"{":
        return _records(body, "geojson", "features.item", _feature, truncated, limits)
    raise UnreadableFile("format", "not JSON: the file does not start with [ or {")


def _records(
    body: bytes,
    kind: str,
    prefix: str,
    to_row: Callable[[Any], dict[str, Any]],
    truncated: bool,
    limits: Limits,
) -> Profile:
    from frictionless import Dialect, Resource
    from frictionless.formats import InlineControl

    profile = Profile(kind, "utf-8", truncated=truncated)
    sample, complete = _sample(body, prefix, to_row, profile)
    if not sample:
        _no_records(kind, complete)
        return profile
    keys = list(dict.fromkeys(k for row in sample for k in row))
    _check_width(len(keys))

    def rows() -> Iterator[dict[str, Any]]:
        yield from (to_row(item) for item in _items(body, prefix, profile if not complete else None))

    dialect = Dialect(controls=[InlineControl(keys=keys)])
    _read_table(Resource(data=rows, format="inline", dialect=dialect), profile, limits)
    return profile


def _sample(
    body: bytes, prefix: str, to_row: Callable[[Any], dict[str, Any]], profile: Profile
) -> tuple[list[dict[str, Any]], bool]:
    """The first records (their keys make the columns), and whether the whole file parsed cleanly."""
    sample: list[dict[str, Any]] = []
    try:
        for item in ijson.items(io.BytesIO(body), prefix, use_float=True):
            sample.append(to_row(item))
            if len(sample) >= KEY_SAMPLE:
                return sample, False
    except ijson.JSONError as exc:
        if not sample and not profile.truncated:
            log.info("JSON parse error: %s", exc)
            raise UnreadableFile(
                "format", "not valid JSON: the file breaks the JSON syntax before its first record"
            ) from None
        return sample, False
    return sample, True


def _items(body: bytes, prefix: str, profile: Profile | None) -> Iterator[Any]:
    """The records under ``prefix``, until the end or the first byte that is not JSON (reported)."""
    count = 0
    try:
        for item in ijson.items(io.BytesIO(body), prefix, use_float=True):
            count += 1
            yield item
    except ijson.JSONError as exc:
        if profile is not None and not profile.truncated:
            log.info("JSON parse error: %s", exc)
            profile.problem("format", f"the JSON syntax breaks after record {count:,}; the records before it are read")


def _no_records(kind: str, complete: bool) -> None:
    if kind == "geojson":
        raise UnreadableFile("format", "a JSON object that is not a GeoJSON FeatureCollection with features")
    if not complete:
        raise UnreadableFile("format", "not an array of records")


def _plain(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise UnreadableFile("format", "a JSON array of values, not of records (objects); not previewed")
    return item


def _feature(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise UnreadableFile("format", "a GeoJSON feature that is not an object")
    properties = item.get("properties")
    row: dict[str, Any] = dict(properties) if isinstance(properties, dict) else {}
    geometry = item.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    row[GEOMETRY_COLUMN] = kind if isinstance(kind, str) else None
    return row


# -- reading a table through frictionless ------------------------------------------------------------


def _read_table(resource: Any, profile: Profile, limits: Limits) -> None:
    """Open ``resource`` (frictionless infers the schema), read every row within the deadline, keep
    the first ``limits.max_rows`` and every problem found."""
    from frictionless import FrictionlessException

    with resource:
        if profile.encoding is not None and resource.encoding:
            profile.encoding = resource.encoding
        profile.columns = [{"name": f.name, "type": f.type} for f in resource.schema.fields]
        if not profile.columns:
            raise UnreadableFile("empty", "the file has no columns")
        _check_width(len(profile.columns))
        for error in resource.header.errors:
            _problem(profile, error)
        try:
            _read_rows(resource, profile, limits)
        except FrictionlessException as exc:  # a parser giving up half way: what was read stays
            _problem(profile, exc.error)


def _read_rows(resource: Any, profile: Profile, limits: Limits) -> None:
    width = len(profile.columns)
    for row in resource.row_stream:
        profile.row_count += 1
        if len(profile.rows) < limits.max_rows:
            profile.rows.append(_cells(row, width))
        for error in row.errors:
            _problem(profile, error)
        if profile.row_count % _CLOCK_EVERY == 0 and time.monotonic() > limits.deadline:
            profile.truncated = True
            profile.problem("time", f"reading stopped after {profile.row_count:,} rows: the time limit was reached")
            return


def _problem(profile: Profile, error: Any) -> None:
    profile.problem(error.type, error.message, getattr(error, "row_number", None), getattr(error, "field_name", None))


def _cells(row: Any, width: int) -> list[Any]:
    """A row as JSON values, aligned with the columns; a cell that failed its type keeps its text."""
    typed = list(row.to_list())[:width]
    raw = list(row.cells)
    out: list[Any] = []
    for index in range(width):
        value = typed[index] if index < len(typed) else None
        if value is None and index < len(raw) and raw[index] not in (None, ""):
            value = raw[index]
        out.append(json_value(value))
    return out


def json_value(value: Any) -> Any:
    """``value`` as JSON (numbers stay numbers, dates become ISO text, long text is cut)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _clip(value, MAX_CELL_CHARS)
    if isinstance(value, float | Decimal):
        return _number(value)
    if isinstance(value, datetime | date | clock_time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return value
    return _clip(str(value), MAX_CELL_CHARS)


def _number(value: float | Decimal) -> int | float | str:
    number = float(value)
    if not math.isfinite(number):
        return str(value)
    if isinstance(value, Decimal) and value == value.to_integral_value() and abs(value) < 2**53:
        return int(value)
    return number


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_READERS: dict[str, Callable[[bytes, str | None, bool, Limits], Profile]] = {
    "csv": _delimited("csv"),
    "tsv": _delimited("tsv"),
    "xlsx": _workbook,
    "json": _json,
    "geojson": _json,
}
