"""Data files behind distributions, fetched for a preview: which ones are previewable, the capped
download, and what the bytes turn out to be.

A distribution is a candidate when its media type, format or URL says CSV, TSV, XLSX, JSON or GeoJSON;
the content has the last word (:func:`sniff`): a web page served as CSV, an old ``.xls`` served as XLSX,
a ZIP that is no workbook or binary data are refused with a message saying so. The download goes
through the harvesters' :class:`~harvesters.http.HttpClient` (SSRF guard, redirects checked hop by hop,
conditional GET, decompression counted) and stops at the size cap: a longer file is *cut*, not refused,
and the caller is told.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from harvesters.errors import BlockedAddressError, FetchError, FetchTimeout, ParseError
from harvesters.http import Fetched, HttpClient, HttpPolicy, Validators

# what a distribution's mediaType, format or file extension says it is
KIND_BY_MEDIA_TYPE: Mapping[str, str] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "text/comma-separated-values": "csv",
    "text/tab-separated-values": "tsv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/json": "json",
    "text/json": "json",
    "application/geo+json": "geojson",
    "application/vnd.geo+json": "geojson",
}
KIND_BY_FORMAT: Mapping[str, str] = {
    "csv": "csv",
    "tsv": "tsv",
    "tab": "tsv",
    "xlsx": "xlsx",
    "excel": "xlsx",  # confirmed by the content: an old .xls is refused with a message
    "json": "json",
    "geojson": "geojson",
}
KIND_BY_EXTENSION: Mapping[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".json": "json",
    ".geojson": "geojson",
}
KIND_NAMES: Mapping[str, str] = {
    "csv": "CSV",
    "tsv": "TSV",
    "xlsx": "an XLSX workbook",
    "json": "JSON",
    "geojson": "GeoJSON",
}
ACCEPT = (
    "text/csv, text/tab-separated-values, application/json, application/geo+json, "
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;q=0.9, */*;q=0.1"
)
_SNIFF = 4096


class NotPreviewable(Exception):
    """The file is not what a preview reads (a web page, an old .xls, binary data...); ``code`` names
    the kind of problem, the message says it in words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def declared_kind(media_type: str | None, fmt: str | None, url: str | None) -> str | None:
    """The previewable kind a distribution claims by its media type, format or URL's extension."""
    if media_type:
        found = KIND_BY_MEDIA_TYPE.get(media_type.split(";", 1)[0].strip().lower())
        if found:
            return found
    if fmt:
        found = KIND_BY_FORMAT.get(fmt.strip().lower().lstrip("."))
        if found:
            return found
    if url:
        try:
            path = urlsplit(url.strip()).path
        except ValueError:
            return None
        return KIND_BY_EXTENSION.get(PurePosixPath(path).suffix.lower())
    return None


# -- the download -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DataFile:
    """What one download gave: the body (at most the cap), whether it was cut, and its validators."""

    url: str
    body: bytes
    truncated: bool
    content_type: str
    charset: str | None  # declared by the server (Python's codec name)
    validators: Validators
    not_modified: bool = False


class PreviewClient(HttpClient):
    """The harvesters' client with a deadline per download instead of one per job: each thread fetching
    a file sets its own (:meth:`start_clock`), so a slow file never eats another's time."""

    def __init__(self, policy: HttpPolicy) -> None:
        self._local = threading.local()
        super().__init__(policy)

    @property
    def deadline(self) -> float:
        value: float = getattr(self._local, "deadline", time.monotonic() + self.policy.max_seconds)
        return value

    @deadline.setter
    def deadline(self, value: float) -> None:
        self._local.deadline = value

    def __enter__(self) -> PreviewClient:
        return self

    def start_clock(self) -> None:
        self.deadline = time.monotonic() + self.policy.max_seconds


def fetch_data_file(
    client: PreviewClient, url: str, *, validators: Validators | None, max_bytes: int, kind: str
) -> DataFile:
    """Download ``url`` within the client's per-file deadline: at most ``max_bytes`` of its body (a
    longer one is cut there); a 304 answers ``not_modified``. :class:`FetchError` when it fails."""
    client.start_clock()
    try:
        with client.open(url, validators=validators, headers={"Accept": ACCEPT}) as fetched:
            if fetched.not_modified:
                return DataFile(fetched.url, b"", False, "", None, validators or Validators(), not_modified=True)
            _refuse_huge_workbook(fetched, kind, max_bytes)
            charset = fetched.charset
            body, truncated = _read_capped(fetched, max_bytes)
            return DataFile(fetched.url, body, truncated, fetched.content_type, charset, fetched.validators)
    except BlockedAddressError as exc:  # said without the addresses it resolved to: the message is public
        host = urlsplit(url).hostname or "the host"
        raise BlockedAddressError(
            f"{host} (or a host it redirects to) is not a public address; previews of private addresses are off "
            "(NUTMEG_PREVIEW_ALLOW_PRIVATE)",
            url=url,
        ) from exc
    except FetchTimeout as exc:
        raise FetchTimeout(
            f"{url} took longer than {client.policy.max_seconds:g} s to download (NUTMEG_PREVIEW_MAX_SECONDS)",
            url=url,
        ) from exc
    except ParseError as exc:  # a charset that names no character set
        raise FetchError(str(exc), url=url) from exc


def _read_capped(fetched: Fetched, max_bytes: int) -> tuple[bytes, bool]:
    body = bytearray()
    for chunk in fetched.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            return bytes(body[:max_bytes]), True
    return bytes(body), False


def _refuse_huge_workbook(fetched: Fetched, kind: str, max_bytes: int) -> None:
    """A workbook cannot be read in part: one announced past the cap is not downloaded at all."""
    declared = fetched.headers.get("content-length", "")
    if kind == "xlsx" and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(
            f"the workbook is {int(declared):,} bytes, over the {max_bytes:,}-byte preview limit "
            "(NUTMEG_PREVIEW_MAX_BYTES); a workbook cannot be previewed in part",
            url=fetched.url,
        )


# -- what the bytes are -------------------------------------------------------------------------------


def sniff(body: bytes, content_type: str, declared: str) -> str:
    """The kind ``body`` really is, given what the distribution declared; :class:`NotPreviewable` when
    it is something a preview does not read."""
    head = body[:_SNIFF]
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    wanted = KIND_NAMES[declared]
    if not body.strip():
        raise NotPreviewable("empty", "the file is empty")
    if content_type in ("text/html", "application/xhtml+xml") or _is_html(text):
        raise NotPreviewable(
            "html", f"the server sent a web page (HTML), not {wanted}: often a sign-in, error or landing page"
        )
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(body, wanted)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise NotPreviewable("format", "an old Excel 97-2003 (.xls) workbook; only .xlsx workbooks are previewed")
    if declared == "xlsx":
        raise NotPreviewable("format", "not an XLSX workbook: the file is not a ZIP archive")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NotPreviewable("format", f"binary data, not {wanted}")
    if text.startswith(b"<?xml") or text.startswith(b"<"):
        raise NotPreviewable("format", f"an XML document, not {wanted}")
    if declared in ("csv", "tsv") and text[:2] in (b"[{", b'{"', b"[\n", b"[ ", b"[\r"):
        return "json"  # JSON labelled as CSV: read as what it is
    return declared


def _is_html(text: bytes) -> bool:
    lowered = text[:1024].lower()
    return lowered.startswith((b"<!doctype html", b"<html")) or (lowered.startswith(b"<") and b"<body" in lowered)


def _zip_kind(body: bytes, wanted: str) -> str:
    try:
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise NotPreviewable("format", "a damaged or incomplete ZIP archive (not a readable XLSX workbook)") from None
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise NotPreviewable("format", f"a ZIP archive, not {wanted}; files inside archives are not previewed")
