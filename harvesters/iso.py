"""Geospatial metadata: ISO 19139 / 19115-2 records (and FGDC CSDGM where a WAF mixes them in).

``iso``: a WAF (web-accessible folder) — an HTML listing of XML files, each fetched and read.
``csw``: a CSW 2.0.2 endpoint, ``GetRecords`` paged with ``startPosition``/``nextRecord`` (ISO output).

Each record maps through a table of XPaths (:data:`ISO_FIELDS`, :data:`FGDC_FIELDS`): title, abstract,
keywords, bounding box → spatial, temporal extent, contacts, online resources → distributions. Every
document goes through the safe XML parser (no entities, no network, no DTD).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from lxml import etree

from harvesters.base import (
    HarvestedRecord,
    Harvester,
    HarvestItem,
    HarvestRun,
    HarvestState,
    OptionSpec,
    SkippedRecord,
)
from harvesters.errors import FetchError, ParseError
from harvesters.paging import Paginator
from harvesters.records import Record, dict_record, is_http
from harvesters.xmlsafe import local_name, parse_xml

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gml": "http://www.opengis.net/gml",
    "gml32": "http://www.opengis.net/gml/3.2",
    "gmi": "http://www.isotc211.org/2005/gmi",
    "srv": "http://www.isotc211.org/2005/srv",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "csw": "http://www.opengis.net/cat/csw/2.0.2",
    "xlink": "http://www.w3.org/1999/xlink",
}
ISO_ROOTS = ("MD_Metadata", "MI_Metadata")
IDENT = "gmd:identificationInfo/*"
CHAR = "*[self::gco:CharacterString or self::gmx:Anchor]"


def _texts(node: etree._Element, path: str) -> list[str]:
    found = node.xpath(path, namespaces=NS)
    values = found if isinstance(found, list) else [found]
    out: list[str] = []
    for value in values:
        raw = "".join(str(t) for t in value.itertext()) if isinstance(value, etree._Element) else str(value)
        text = " ".join(raw.split())
        if text and text not in out:
            out.append(text)
    return out


def _elements(node: etree._Element, path: str) -> list[etree._Element]:
    found = node.xpath(path, namespaces=NS)
    return [e for e in found if isinstance(e, etree._Element)] if isinstance(found, list) else []


def _one(path: str) -> Callable[[etree._Element], str | None]:
    return lambda node: next(iter(_texts(node, path)), None)


def _many(path: str) -> Callable[[etree._Element], list[str]]:
    return lambda node: _texts(node, path)


def _bbox(prefix: str, sides: tuple[str, str, str, str]) -> Callable[[etree._Element], str | None]:
    def read(node: etree._Element) -> str | None:
        values = [next(iter(_texts(node, f"{prefix}/{side}")), None) for side in sides]
        if not all(values):
            return None
        try:
            west, south, east, north = (float(v) for v in values if v)
        except ValueError:
            return None
        return f"{west:g},{south:g},{east:g},{north:g}"

    return read


def _period(start: str, end: str) -> Callable[[etree._Element], str | None]:
    def read(node: etree._Element) -> str | None:
        begin, finish = next(iter(_texts(node, start)), None), next(iter(_texts(node, end)), None)
        if not (begin or finish):
            return None
        return f"{begin or '..'}/{finish or '..'}"

    return read


def _iso_contact(node: etree._Element) -> Record | None:
    for path in (f"{IDENT}/gmd:pointOfContact/gmd:CI_ResponsibleParty", "gmd:contact/gmd:CI_ResponsibleParty"):
        for party in _elements(node, path):
            name = _one(f"gmd:individualName/{CHAR}")(party) or _one(f"gmd:organisationName/{CHAR}")(party)
            email = _one(f".//gmd:electronicMailAddress/{CHAR}")(party)
            if name or email:
                return {"fn": name, "hasEmail": email}
    return None


def _iso_publisher(node: etree._Element) -> Record | None:
    for path in (
        f"{IDENT}/gmd:pointOfContact/gmd:CI_ResponsibleParty[.//gmd:CI_RoleCode/@codeListValue='publisher']",
        f"{IDENT}/gmd:pointOfContact/gmd:CI_ResponsibleParty",
        "gmd:contact/gmd:CI_ResponsibleParty",
    ):
        for party in _elements(node, path):
            name = _one(f"gmd:organisationName/{CHAR}")(party)
            if name:
                return {"name": name}
    return None


def _iso_distributions(node: etree._Element) -> list[Record]:
    out: list[Record] = []
    for online in _elements(node, ".//gmd:distributionInfo//gmd:CI_OnlineResource"):
        url = _one("gmd:linkage/gmd:URL")(online)
        if not url or not is_http(url):
            continue
        protocol = _one(f"gmd:protocol/{CHAR}")(online) or ""
        is_file = "download" in protocol.lower() or bool(
            re.search(r"\.(zip|csv|json|geojson|xlsx?|shp|kmz?|tif)$", url)
        )
        out.append(
            {
                "title": _one(f"gmd:name/{CHAR}")(online),
                "description": _one(f"gmd:description/{CHAR}")(online),
                "downloadURL" if is_file else "accessURL": url,
                "format": protocol or None,
            }
        )
    return out


ISO_FIELDS: tuple[tuple[str, Callable[[etree._Element], Any]], ...] = (
    ("identifier", _one(f"gmd:fileIdentifier/{CHAR}")),
    ("title", _one(f"{IDENT}/gmd:citation/gmd:CI_Citation/gmd:title/{CHAR}")),
    ("description", _one(f"{IDENT}/gmd:abstract/{CHAR}")),
    ("keyword", _many(f"{IDENT}/gmd:descriptiveKeywords/gmd:MD_Keywords/gmd:keyword/{CHAR}")),
    ("modified", _one("gmd:dateStamp/*")),
    ("issued", _one(f"{IDENT}/gmd:citation//gmd:CI_Date[.//@codeListValue='publication']/gmd:date/*")),
    ("publisher", _iso_publisher),
    ("contactPoint", _iso_contact),
    (
        "spatial",
        _bbox(
            f"{IDENT}//gmd:EX_GeographicBoundingBox",
            (
                "gmd:westBoundLongitude/*",
                "gmd:southBoundLatitude/*",
                "gmd:eastBoundLongitude/*",
                "gmd:northBoundLatitude/*",
            ),
        ),
    ),
    (
        "temporal",
        _period(
            f"{IDENT}//gmd:EX_TemporalExtent//*[local-name()='beginPosition' or local-name()='begin']",
            f"{IDENT}//gmd:EX_TemporalExtent//*[local-name()='endPosition' or local-name()='end']",
        ),
    ),
    ("rights", _one(f"{IDENT}/gmd:resourceConstraints//gmd:otherConstraints/{CHAR}")),
    ("theme", _many(f"{IDENT}/gmd:topicCategory/gmd:MD_TopicCategoryCode")),
    ("language", _many("gmd:language/gmd:LanguageCode/@codeListValue")),
    ("distribution", _iso_distributions),
)


def _fgdc_distributions(node: etree._Element) -> list[Record]:
    urls = _texts(node, "distinfo//networkr | idinfo/citation/citeinfo/onlink")
    return [{"accessURL": url} for url in urls if is_http(url)]


FGDC_FIELDS: tuple[tuple[str, Callable[[etree._Element], Any]], ...] = (
    ("identifier", _one("idinfo/datsetid | idinfo/citation/citeinfo/onlink")),
    ("title", _one("idinfo/citation/citeinfo/title")),
    ("description", _one("idinfo/descript/abstract")),
    ("keyword", _many("idinfo/keywords/theme/themekey | idinfo/keywords/place/placekey")),
    ("modified", _one("metainfo/metd")),
    ("issued", _one("idinfo/citation/citeinfo/pubdate")),
    (
        "publisher",
        lambda n: (
            {"name": v}
            if (v := _one("idinfo/citation/citeinfo/publish | idinfo/citation/citeinfo/origin")(n))
            else None
        ),
    ),
    ("contactPoint", lambda n: {"fn": _one(".//cntorg | .//cntper")(n), "hasEmail": _one(".//cntemail")(n)}),
    ("spatial", _bbox("idinfo/spdom/bounding", ("westbc", "southbc", "eastbc", "northbc"))),
    ("temporal", _period("idinfo/timeperd//begdate | idinfo/timeperd//caldate", "idinfo/timeperd//enddate")),
    ("rights", _one("idinfo/useconst | idinfo/accconst")),
    ("distribution", _fgdc_distributions),
)


def xml_to_dcatus(root: etree._Element, url: str) -> tuple[Record, str]:
    """An ISO 19139 or FGDC record in the DCAT-US shape, and which standard it was."""
    name = local_name(root)
    if name in ISO_ROOTS:
        record, standard = {key: read(root) for key, read in ISO_FIELDS}, "iso19139"
    elif name == "metadata":
        record, standard = {key: read(root) for key, read in FGDC_FIELDS}, "fgdc"
    else:
        raise ParseError(f"{url} is neither ISO 19139 nor FGDC metadata (root element {name!r})")
    record["identifier"] = record.get("identifier") or url
    record["landingPage"] = url if is_http(url) else None
    record["accessLevel"] = "public"
    return record, standard


def _item(record: Record, where: str) -> HarvestItem:
    if not record.get("title"):
        return SkippedRecord(record.get("identifier"), f"{where} has no title", "title")
    return dict_record(str(record["identifier"]), record)


class WafHarvester(Harvester):
    kind: ClassVar[str] = "iso"
    title: ClassVar[str] = "ISO 19139 WAF"
    summary: ClassVar[str] = "A web-accessible folder of ISO 19139 (or FGDC) XML records."
    option_specs: ClassVar[tuple[OptionSpec, ...]] = (OptionSpec("max_files", "read at most this many files"),)
    parallel_safe: ClassVar[bool] = True

    def records(self, state: HarvestState, run: HarvestRun) -> Iterator[HarvestItem]:
        _, listing = self.http.get_bytes(self.source.url, headers={"Accept": "text/html, application/xhtml+xml"})
        files = waf_links(listing, self.source.url)[: int(self.source.options.get("max_files", 100_000))]
        if not files:
            raise ParseError(f"{self.source.url} lists no .xml files; is it a WAF?")
        seen: set[str] = set()
        for url in files:
            run.listed += 1
            yield self._file(url, seen, run)
        run.complete = True

    def _file(self, url: str, seen: set[str], run: HarvestRun) -> HarvestItem:
        try:
            _, body = self.http.get_bytes(url, headers={"Accept": "application/xml, text/xml"})
            record, standard = xml_to_dcatus(parse_xml(body, where=url), url)
        except ParseError as exc:
            return SkippedRecord(None, str(exc), url, "unreadable", locator=url)
        except FetchError as exc:
            if exc.status is not None and exc.status < 500:
                return SkippedRecord(None, str(exc), url, "unreadable", locator=url)
            raise
        run.stats[standard] = run.stats.get(standard, 0) + 1
        if record["identifier"] in seen:
            return SkippedRecord(str(record["identifier"]), f"{url} repeats an identifier", url, "duplicate")
        seen.add(str(record["identifier"]))
        item = _item(record, url)
        return replace(item, locator=url) if isinstance(item, HarvestedRecord) else item


_HREF = re.compile(rb"""href\s*=\s*["']([^"'#?]+\.xml)["']""", re.IGNORECASE)


def waf_links(listing: bytes, base: str) -> list[str]:
    """The .xml files a folder listing links to, below the listing's own folder, in listing order."""
    folder = base if base.endswith("/") else base.rsplit("/", 1)[0] + "/"
    out: list[str] = []
    for match in _HREF.finditer(listing):
        url = urljoin(base, match.group(1).decode("utf-8", "replace"))
        if url.startswith(folder) and urlsplit(url).netloc == urlsplit(base).netloc and url not in out:
            out.append(url)
    return out


GET_RECORDS = """<?xml version="1.0" encoding="UTF-8"?>
<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="CSW" version="2.0.2"
  resultType="results" startPosition="{start}" maxRecords="{size}" outputSchema="http://www.isotc211.org/2005/gmd">
  <csw:Query typeNames="csw:Record"><csw:ElementSetName>full</csw:ElementSetName></csw:Query>
</csw:GetRecords>"""


class CswHarvester(Harvester):
    kind: ClassVar[str] = "csw"
    title: ClassVar[str] = "CSW 2.0.2 catalogue"
    summary: ClassVar[str] = "A CSW 2.0.2 endpoint, GetRecords paged, ISO 19139 records."
    option_specs: ClassVar[tuple[OptionSpec, ...]] = (OptionSpec("page_size", "records per GetRecords (default 50)"),)
    parallel_safe: ClassVar[bool] = True

    def records(self, state: HarvestState, run: HarvestRun) -> Iterator[HarvestItem]:
        size = int(self.source.options.get("page_size", 50))
        pages = Paginator(1)
        seen: set[str] = set()
        while not pages.finished:
            results = self._page(pages.current, size)
            for element in results:
                if not isinstance(element.tag, str) or local_name(element) not in ISO_ROOTS:
                    continue
                run.listed += 1
                record, _ = xml_to_dcatus(element, self.source.url)
                record["landingPage"] = None
                identifier = str(record["identifier"])
                if identifier in seen:
                    continue
                seen.add(identifier)
                yield _item(record, f"record {identifier}")
            pages.advance(next_record(results))
        run.stats["pages"] = pages.pages
        run.complete = True

    def _page(self, start: int, size: int) -> etree._Element:
        body = GET_RECORDS.format(start=start, size=size).encode()
        headers = {"Content-Type": "application/xml", "Accept": "application/xml"}
        with self.http.open(self.source.url, method="POST", content=body, headers=headers) as fetched:
            data = fetched.read(limit=self.http.policy.max_parse_bytes)
        root = parse_xml(data, where=self.source.url)
        if local_name(root) == "ExceptionReport":
            detail = " ".join(str(t) for t in root.itertext()).strip()[:300]
            raise ParseError(f"{self.source.url} answered with an OWS exception: {detail}")
        results = root.find("csw:SearchResults", NS)
        if results is None:
            raise ParseError(f"{self.source.url} did not answer GetRecords with SearchResults")
        return results


def next_record(results: Mapping[str, str] | etree._Element) -> int | None:
    """The next startPosition, or None when the server says it was the last page (0 or past the end)."""
    matched = int(results.get("numberOfRecordsMatched") or 0)
    following = int(results.get("nextRecord") or 0)
    if following <= 0 or following > matched:
        return None
    return following
