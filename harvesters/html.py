"""Agency web pages: schema.org Dataset markup, or a page of links to data files.

Each page is read with extruct (JSON-LD, microdata, RDFa, all turned into JSON-LD); every schema.org
Dataset becomes a record through the same tables as DCAT (schema.org names are read as their DCAT
counterparts; remote contexts are never fetched). A page without Dataset markup whose links point at
data files (csv, xlsx, json, xml, zip, geojson, shp, pdf...) becomes one dataset: the page title and
meta description, one distribution per file. With ``max_pages`` > 1 the harvester also follows links to
other pages of the same site, breadth first, up to that many pages.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import urldefrag, urljoin, urlsplit

import extruct
import lxml.html
from lxml import etree

from harvesters.base import Harvester, HarvestItem, HarvestRun, HarvestState, OptionSpec, SkippedRecord
from harvesters.bodydigest import same_body
from harvesters.errors import FetchError, FetchTimeout, ParseError
from harvesters.fieldcaps import FieldCaps
from harvesters.rdfsource import harvested, parse_rdf, rdf_records
from harvesters.records import Record, dict_record
from mappings.model import RecordIssue

DATA_EXTENSIONS = frozenset(
    "csv tsv xls xlsx ods json geojson xml zip shp kml kmz gpkg pdf parquet txt rdf ttl jsonld".split()
)
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{2,8})$")
SYNTAXES = ["json-ld", "microdata", "rdfa"]
MAX_DEPTH = 128  # element nesting accepted in a page (lxml itself stops at 256)
log = logging.getLogger("nutmeg.harvest")


class HtmlHarvester(Harvester):
    kind: ClassVar[str] = "html"
    title: ClassVar[str] = "Agency web page"
    summary: ClassVar[str] = "A web page with schema.org Dataset markup, or with links to data files."
    option_specs: ClassVar[tuple[OptionSpec, ...]] = (
        OptionSpec("max_pages", "follow links to this many pages of the same site (default 1: this page only)"),
    )
    parallel_safe: ClassVar[bool] = True

    def records(self, state: HarvestState, run: HarvestRun) -> Iterator[HarvestItem]:
        limit = max(1, int(self.source.options.get("max_pages", 1)))
        queue, visited, seen = [self.source.url], set[str](), set[str]()
        while queue and len(visited) < limit:
            url = queue.pop(0)
            visited.add(url)
            page = self._page(url, run, first=len(visited) == 1, state=state)
            if page is None:
                return
            items, links = page
            for item in items:
                if isinstance(item, SkippedRecord) or item.identifier not in seen:
                    run.listed += 1
                    yield item
                if not isinstance(item, SkippedRecord):
                    seen.add(item.identifier)
            queue.extend(link for link in links if link not in visited and link not in queue)
        if not seen:
            raise ParseError(f"{self.source.url}: no schema.org Dataset markup and no links to data files")
        run.stats["pages"] = len(visited)
        run.complete = True

    def _page(
        self, url: str, run: HarvestRun, *, first: bool, state: HarvestState
    ) -> tuple[list[HarvestItem], list[str]] | None:
        validators = state.validators if first and limit_one(self.source.options) else None
        try:
            fetched, body = self.http.get_bytes(url, headers={"Accept": "text/html"}, validators=validators)
        except FetchTimeout:
            raise  # the job is out of time: the pages after this one would all be skipped, then withdrawn
        except FetchError:
            if first:
                raise
            run.notes.append(f"{url} could not be fetched; skipped")
            return [], []
        if fetched.not_modified:
            run.not_modified = True
            return None
        if first and same_body(state.body if limit_one(self.source.options) else None, fetched, body, run):
            return None
        if first:
            run.validators = fetched.validators
        tree = _html(body, fetched.url)
        items = _marked_up(body, fetched.url, run, self.source.caps) or _link_page(tree, fetched.url, self.source.caps)
        return items, _same_site_pages(tree, fetched.url)


def limit_one(options: Mapping[str, Any]) -> bool:
    """True when only the source's own page is read (then its body is the whole harvest's)."""
    return int(options.get("max_pages", 1)) <= 1


def _html(body: bytes, url: str) -> etree._Element:
    if not body.strip():
        raise ParseError(f"{url} returned an empty page")
    try:
        tree = lxml.html.document_fromstring(body, parser=lxml.html.HTMLParser(no_network=True, huge_tree=False))
    except (etree.ParserError, ValueError) as exc:
        log.info("HTML from %s not read: %r", url, exc)
        raise ParseError(f"{url} is not an HTML page") from exc
    if element_depth_exceeds(tree, MAX_DEPTH):
        raise ParseError(f"{url} nests HTML elements deeper than {MAX_DEPTH} levels; refused")
    return tree


def element_depth_exceeds(root: etree._Element, limit: int) -> bool:
    """True when elements nest deeper than ``limit`` below ``root`` (checked without recursion; extruct's
    microdata reader recurses per nested item and fails past ~250)."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in element)
    return False


def _marked_up(body: bytes, url: str, run: HarvestRun, caps: FieldCaps) -> list[HarvestItem]:
    try:
        found = extruct.extract(body, base_url=url, syntaxes=SYNTAXES, uniform=True, errors="log")
    except (ValueError, TypeError, KeyError, RecursionError, etree.ParserError) as exc:
        log.info("structured data in %s not read: %r", url, exc)
        run.notes.append(f"{url}: structured data could not be read")
        return []
    documents = [d for syntax in SYNTAXES for d in found.get(syntax) or [] if isinstance(d, dict | list)]
    if not documents:
        return []
    notes: list[str] = []
    try:
        graph = parse_rdf(json.dumps(documents).encode(), "json-ld", base=url, notes=notes)
    except ParseError as exc:
        run.notes.append(str(exc))
        return []
    run.notes.extend(n for n in notes if n not in run.notes)
    issues = tuple(RecordIssue(path="@context", message=n, severity="warning", code="unmapped") for n in notes)
    return [r if isinstance(r, SkippedRecord) else harvested(r, issues) for r in rdf_records(graph, url, caps=caps)]


def _links(tree: etree._Element, url: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        if href and not href.startswith(("javascript:", "mailto:")):
            target = urldefrag(urljoin(url, href.strip()))[0]
            if target.startswith(("http://", "https://")):
                out.append((target, " ".join("".join(str(t) for t in anchor.itertext()).split())))
    return out


def _extension(url: str) -> str:
    match = _EXTENSION.search(urlsplit(url).path)
    return match.group(1).lower() if match else ""


def _link_page(tree: etree._Element, url: str, caps: FieldCaps) -> list[HarvestItem]:
    files = [(link, text) for link, text in _links(tree, url) if _extension(link) in DATA_EXTENSIONS]
    if not files:
        return []
    title = " ".join(tree.findtext(".//title", default="").split()) or url
    descriptions = tree.xpath("//meta[@name='description']/@content")
    description = str(descriptions[0]).strip() if isinstance(descriptions, list) and descriptions else None
    record: Record = {
        "identifier": url,
        "title": title,
        "description": description,
        "landingPage": url,
        "accessLevel": "public",
        "distribution": [
            {"title": text or link.rsplit("/", 1)[-1], "downloadURL": link, "format": _extension(link).upper()}
            for link, text in dict.fromkeys(files)
        ],
    }
    return [dict_record(url, record, caps=caps)]


def _same_site_pages(tree: etree._Element, url: str) -> list[str]:
    host = urlsplit(url).netloc
    pages = [
        link
        for link, _ in _links(tree, url)
        if urlsplit(link).netloc == host and _extension(link) in ("", "html", "htm", "aspx", "php")
    ]
    return list(dict.fromkeys(pages))
