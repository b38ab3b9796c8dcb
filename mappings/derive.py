"""Values derived from the model for search and display: format labels, dates, licence names, bbox.

All of it is tables plus short lookups, so a new format or licence is one line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from mappings.coverage import extent
from mappings.model import Dataset, Distribution

# media type → short format label
MEDIA_TYPE_LABELS: dict[str, str] = {
    "text/csv": "CSV",
    "application/csv": "CSV",
    "application/json": "JSON",
    "application/geo+json": "GeoJSON",
    "application/vnd.geo+json": "GeoJSON",
    "application/ld+json": "JSON-LD",
    "application/xml": "XML",
    "text/xml": "XML",
    "application/rdf+xml": "RDF",
    "application/xml+rdf": "RDF",
    "text/turtle": "RDF",
    "application/n-triples": "RDF",
    "application/vnd.ms-excel": "XLS",
    "application/excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/pdf": "PDF",
    "application/zip": "ZIP",
    "application/x-zip-compressed": "ZIP",
    "application/vnd.google-earth.kml+xml": "KML",
    "application/vnd.google-earth.kmz": "KMZ",
    "application/x-shapefile": "SHP",
    "application/vnd.shp": "SHP",
    "text/html": "HTML",
    "text/plain": "TXT",
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/msword": "DOC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "text/tab-separated-values": "TSV",
    "application/x-netcdf": "NetCDF",
    "application/netcdf": "NetCDF",
    "image/tiff": "TIFF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "application/vnd.esri": "Esri REST",
    "application/x-parquet": "Parquet",
    "application/vnd.apache.parquet": "Parquet",
    "application/sql": "SQL",
}

# free-text format names and file extensions → label
FORMAT_ALIASES: dict[str, str] = {
    "csv": "CSV",
    "json": "JSON",
    "geojson": "GeoJSON",
    "jsonld": "JSON-LD",
    "json-ld": "JSON-LD",
    "xml": "XML",
    "rdf": "RDF",
    "ttl": "RDF",
    "xls": "XLS",
    "excel": "XLS",
    "xlsx": "XLSX",
    "pdf": "PDF",
    "zip": "ZIP",
    "kml": "KML",
    "kmz": "KMZ",
    "shp": "SHP",
    "shapefile": "SHP",
    "esri shapefile": "SHP",
    "html": "HTML",
    "htm": "HTML",
    "web page": "HTML",
    "webpage": "HTML",
    "txt": "TXT",
    "text": "TXT",
    "rss": "RSS",
    "atom": "Atom",
    "doc": "DOC",
    "docx": "DOCX",
    "tsv": "TSV",
    "api": "API",
    "rest": "API",
    "esri rest": "Esri REST",
    "arcgis geoservices rest api": "Esri REST",
    "wms": "WMS",
    "wfs": "WFS",
    "netcdf": "NetCDF",
    "nc": "NetCDF",
    "tif": "TIFF",
    "tiff": "TIFF",
    "geotiff": "TIFF",
    "png": "PNG",
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "parquet": "Parquet",
    "sql": "SQL",
    "gpkg": "GeoPackage",
    "geopackage": "GeoPackage",
    "gtfs": "GTFS",
}

LICENSES: dict[str, str] = {
    "creativecommons.org/publicdomain/zero/1.0": "CC0-1.0",
    "creativecommons.org/licenses/by/4.0": "CC-BY-4.0",
    "creativecommons.org/licenses/by/3.0": "CC-BY-3.0",
    "creativecommons.org/licenses/by-sa/4.0": "CC-BY-SA-4.0",
    "creativecommons.org/licenses/by-sa/3.0": "CC-BY-SA-3.0",
    "creativecommons.org/licenses/by-nc/4.0": "CC-BY-NC-4.0",
    "creativecommons.org/licenses/by-nd/4.0": "CC-BY-ND-4.0",
    "opendatacommons.org/licenses/odbl": "ODbL-1.0",
    "opendatacommons.org/licenses/by": "ODC-By-1.0",
    "opendatacommons.org/licenses/pddl": "PDDL-1.0",
    "creativecommons.org/publicdomain/mark/1.0": "Public Domain Mark",
    "project-open-data.cio.gov/unknown-license": "Unknown",
    "www.usa.gov/government-works": "US Government Work",
    "www.usa.gov/publicdomain/label": "US Government Work",
    "opensource.org/licenses/mit": "MIT",
    "www.gnu.org/licenses/gpl-3.0": "GPL-3.0",
    "www.apache.org/licenses/license-2.0": "Apache-2.0",
    "www.nationalarchives.gov.uk/doc/open-government-licence": "OGL-UK",
}

_DATE_PREFIX = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{2,8})$")


def format_label(dist: Distribution) -> str | None:
    """A short, comparable label (``CSV``) for a distribution's format."""
    if dist.format:
        text = " ".join(dist.format.split()).lower()
        if text in FORMAT_ALIASES:
            return FORMAT_ALIASES[text]
    if dist.media_type:
        media = dist.media_type.split(";", 1)[0].strip().lower()
        if media in MEDIA_TYPE_LABELS:
            return MEDIA_TYPE_LABELS[media]
    for url in (dist.download_url, dist.access_url):
        label = _label_from_url(url)
        if label:
            return label
    if dist.format and len(dist.format) <= 24:
        return dist.format.strip().upper()
    return None


def _label_from_url(url: str | None) -> str | None:
    if not url:
        return None
    match = _EXTENSION.search(urlsplit(url).path)
    return FORMAT_ALIASES.get(match.group(1).lower()) if match else None


def format_labels(dataset: Dataset) -> list[str]:
    labels: list[str] = []
    for dist in dataset.distribution:
        label = format_label(dist)
        if label and label not in labels:
            labels.append(label)
    return labels


def license_label(value: str | None) -> str | None:
    """A short name for well-known licence URLs; other values as published (trimmed)."""
    if not value:
        return None
    text = value.strip()
    return known_licence(text) or " ".join(text.split())[:200]


def known_licence(url: str) -> str | None:
    """The short name of a well-known licence's URL (None for any other value)."""
    key = re.sub(r"^https?://", "", url.strip().lower()).rstrip("/")
    for prefix, label in LICENSES.items():
        if key.startswith(prefix):
            return label
    return None


_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"]+")
_TRAILING = ".,;:!?'\""
_PAIRS = {")": "(", "]": "[", "}": "{"}


def urls_in_text(text: str) -> list[str]:
    """The URLs written in prose, without what surrounds them: ``Utilities(http://www.seattle.gov)`` gives
    ``http://www.seattle.gov`` — a closing bracket ends a URL unless the URL opened it, and trailing
    punctuation is the sentence's."""
    found = []
    for match in _URL_IN_TEXT.finditer(text):
        url = match.group(0)
        while url and (url[-1] in _TRAILING or (url[-1] in _PAIRS and url.count(_PAIRS[url[-1]]) < url.count(url[-1]))):
            url = url[:-1]
        if "://" in url and not url.endswith("://"):
            found.append(url)
    return found


def licence_url_in_text(text: str) -> str | None:
    """The licence's URL in a licence written as prose: a well-known licence's URL when the text names one
    (``…Seattle(http://www.seattle.gov/dpd)\nhttp://creativecommons.org/publicdomain/zero/1.0/legalcode``),
    else the first URL; None without one."""
    urls = urls_in_text(text)
    known = [u for u in urls if known_licence(u)]
    return known[0] if known else urls[0] if urls else None


def parse_modified(value: str | None) -> datetime | None:
    """The moment a DCAT-US ``modified`` value names (UTC), or None for intervals and free text.

    Accepts ISO 8601 dates and datetimes (``2013-05-09``, ``2013-05-09T14:04:00.000Z``) and the
    date part of anything that starts with one; a repeating interval (``R/P1D``) is not a date.
    """
    if not value:
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return _date_prefix(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _date_prefix(text: str) -> datetime | None:
    match = _DATE_PREFIX.match(text)
    if not match or text.startswith("R/"):
        return None
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    try:
        day_value = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return datetime(day_value.year, day_value.month, day_value.day, tzinfo=UTC)


def bbox(dataset: Dataset) -> tuple[float, float, float, float] | None:
    """The box ``spatial`` covers: a bbox string, a geometry, or a place the gazetteer knows."""
    return extent(dataset.spatial)


def facet_value(value: str) -> str:
    """The display form of a facet value: HTML entities decoded (some exporters write ``&amp;``),
    whitespace collapsed, trimmed."""
    return " ".join(html.unescape(value).split())


def keyword_value(value: str) -> str:
    """A keyword as every output shows it: as published (case kept), cleaned like a facet value."""
    return facet_value(value)


def unique_keywords(values: Iterable[str]) -> list[str]:
    """Keywords once each, compared case-insensitively (the first spelling stays): ``COVID-19`` and
    ``covid-19`` on one dataset are one keyword, which search facets count once."""
    kept: dict[str, str] = {}
    for value in values:
        keyword = keyword_value(value)
        if keyword:
            kept.setdefault(keyword.casefold(), keyword)
    return list(kept.values())
