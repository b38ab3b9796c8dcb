"""Checking a source before it is saved: the name is a slug, the URL parses and answers, and the body
looks like the kind it is registered as ("this is an HTML page; did you mean --kind html?").

The probe goes through the harvesters' HTTP client, so it is as SSRF-guarded, size-capped and timed as a
harvest (private and loopback addresses refused unless allowed). It reads at most the first 64 KiB.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from harvesters.registry import UnknownHarvester, require_kind
from index.governance import is_slug

if TYPE_CHECKING:
    from harvesters.http import HttpClient

SNIFF_BYTES = 64 * 1024

# what a body looks like -> (how to say it, the kind to suggest)
LOOKS: dict[str, tuple[str, str]] = {
    "datajson": ("a DCAT-US data.json catalog", "datajson"),
    "html": ("an HTML page", "html"),
    "rss": ("an RSS or Atom feed", "rss"),
    "rdf": ("an RDF document", "dcat"),
    "iso": ("an ISO 19139 metadata record", "iso"),
    "xml": ("an XML document", "feed"),
    "json": ("a JSON document that is not a data.json catalog", "datajson"),
    "other": ("neither JSON, XML nor HTML", "datajson"),
}
# the looks each kind accepts; kinds whose URL is an API base or a listing are only checked to answer
ACCEPTS: dict[str, frozenset[str]] = {
    "datajson": frozenset({"datajson"}),
    "dcat": frozenset({"rdf"}),
    "feed": frozenset({"rss", "xml", "rdf"}),
    "rss": frozenset({"rss"}),
    "html": frozenset({"html"}),
}


class SourceCheckError(Exception):
    """The source cannot be registered as given; the message says why and what to do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Checked:
    status: int
    looks: str
    content_type: str


def check_name(name: str) -> None:
    if not is_slug(name):
        raise SourceCheckError(
            "name",
            f"{name!r} is not a valid source name: use lower-case letters, digits and hyphens, e.g. dot-incidents",
        )


def check_kind(kind: str) -> None:
    try:
        require_kind(kind)
    except UnknownHarvester as exc:
        raise SourceCheckError("kind", str(exc)) from exc


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "file") or (parts.scheme != "file" and not parts.hostname):
        raise SourceCheckError("url", f"{url!r} is not an http(s) URL, e.g. https://data.example.gov/data.json")


def probe(http: HttpClient, url: str, kind: str, *, option_hint: str = "--kind") -> Checked:
    """Fetch the start of ``url`` and check it looks like ``kind``; raises :class:`SourceCheckError`."""
    from harvesters.errors import FetchError

    check_url(url)
    try:
        with http.open(url) as fetched:
            body = _head(fetched.iter_bytes())
            status, content_type = fetched.status, fetched.content_type
    except FetchError as exc:
        raise SourceCheckError("url", f"{url} does not answer as a source: {exc}") from exc
    looks = sniff(body, content_type)
    accepted = ACCEPTS.get(kind)
    if accepted is not None and looks not in accepted:
        described, suggestion = LOOKS[looks]
        cannot = f"{option_hint} {kind} cannot read it"
        hint = f"; did you mean {option_hint} {suggestion}? ({cannot})" if suggestion != kind else f"; {cannot}"
        raise SourceCheckError("kind", f"{url}: this is {described}{hint}")
    return Checked(status, looks, content_type)


def _head(chunks: object) -> bytes:
    out = bytearray()
    for chunk in chunks:  # type: ignore[attr-defined]
        out.extend(chunk)
        if len(out) >= SNIFF_BYTES:
            break
    return bytes(out[:SNIFF_BYTES])


_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*(<!doctype\s+html|<html|<head|<body)", re.I | re.S)
_XML_ROOT = re.compile(rb"<(?!\?|!)([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)", re.S)
_TURTLE = re.compile(rb"^\s*(@prefix|@base|prefix\s|base\s|<[^>\s]+>\s+<[^>\s]+>)", re.I)


def sniff(body: bytes, content_type: str = "") -> str:
    """What a body looks like: one of the keys of :data:`LOOKS`."""
    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return _json_looks(text)
    if _HTML.match(text) or (content_type in ("text/html", "application/xhtml+xml") and not text.startswith(b"<?xml")):
        return "html"
    if text.startswith(b"<"):
        return _xml_looks(text)
    if _TURTLE.match(text) or content_type in ("text/turtle", "application/n-triples"):
        return "rdf"
    return "other"


def _json_looks(text: bytes) -> str:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):  # cut at 64 KiB, or nested too deep: judge by the opening
        head = text[:2000].decode("utf-8", "replace")
        if '"@context"' in head or '"@graph"' in head:
            return "rdf"
        return "datajson" if '"dataset"' in head or text[:1] == b"[" else "json"
    if isinstance(document, dict) and ("dataset" in document or ("@graph" in document and "@context" in document)):
        return "datajson" if "dataset" in document else "rdf"
    if isinstance(document, list) and all(isinstance(d, dict) and "title" in d for d in document[:5]):
        return "datajson"  # data.json 1.0 (2013) was a bare list of datasets
    return "json"


def _xml_looks(text: bytes) -> str:
    found = _XML_ROOT.search(text)
    if found is None:
        return "other"
    root = found.group(2).decode("ascii", "replace").lower()
    if root in ("rss", "feed"):
        return "rss"
    if root == "rdf" and b"purl.org/rss/1.0" in text[:4000]:
        return "rss"
    if root == "rdf":
        return "rdf"
    if root in ("md_metadata", "mi_metadata", "metadata"):
        return "iso"
    if root == "html":
        return "html"
    return "xml"
