"""What a dataset's page shows, from the model: distributions with format badges and safe links, the
coverage and provenance facts, and links to the dataset's other forms.

Every URL comes from an untrusted source: only http(s) and ftp URLs become links (never ``javascript:``
or ``data:``), and a contact email becomes a ``mailto:`` link only when it looks like an address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode, urlsplit

from catalog_api.linkcheck.views import LinkFlag
from catalog_api.representations import alternates
from catalog_api.settings import Settings
from catalog_api.web.maps import MapView, box_map, box_words
from index.store import RecordRow
from mappings.dcatus import parse_bbox
from mappings.derive import bbox, format_label
from mappings.model import Dataset, Distribution

LINK_SCHEMES = ("http", "https", "ftp")
SERVICE_LABELS = {"API", "Esri REST", "WMS", "WFS"}
_EMAIL = re.compile(r"^[^@\s:/]+@[^@\s:/]+\.[^@\s:/]+$")

# alternate form → what a person calls it
FORM_NAMES: dict[str, str] = {
    "json": "JSON (API)",
    "jsonld": "JSON-LD",
    "ttl": "Turtle",
    "rdf": "RDF/XML",
    "nt": "N-Triples",
}


def safe_url(value: str | None) -> str | None:
    """``value`` when it is an absolute http(s)/ftp URL with a host, else None."""
    if not value:
        return None
    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc or any(c.isspace() for c in text):
        return None
    return text


def email_href(value: str | None) -> str | None:
    if not value:
        return None
    address = value.strip().removeprefix("mailto:").strip()
    return f"mailto:{address}" if _EMAIL.match(address) else None


@dataclass(frozen=True, slots=True)
class DistributionView:
    title: str
    description: str | None
    label: str | None  # the format badge
    media_type: str | None
    download_url: str | None
    access_url: str | None
    service: bool  # an API or map service rather than a file
    conforms_to: str | None
    described_by: str | None
    link_flags: tuple[LinkFlag, ...] = ()  # its links the checker found broken or moved


def with_link_flags(views: list[DistributionView], flags: Mapping[int, Sequence[LinkFlag]]) -> list[DistributionView]:
    """The views with each distribution's flagged links (``flags``: position from 0 → its flags)."""
    return [replace(v, link_flags=tuple(flags.get(i, ()))) for i, v in enumerate(views)]


def distribution_view(dist: Distribution, position: int) -> DistributionView:
    label = format_label(dist)
    download, access = safe_url(dist.download_url), safe_url(dist.access_url)
    return DistributionView(
        title=_title(dist, label, download or access, position),
        description=dist.description,
        label=label,
        media_type=dist.media_type,
        download_url=download,
        access_url=access if access != download else None,
        service=label in SERVICE_LABELS or (access is not None and download is None and label not in (None, "HTML")),
        conforms_to=safe_url(dist.conforms_to),
        described_by=safe_url(dist.described_by),
    )


def _title(dist: Distribution, label: str | None, url: str | None, position: int) -> str:
    if dist.title and dist.title.strip():
        return dist.title.strip()
    host = urlsplit(url).netloc if url else None
    if label and host:
        return f"{label} from {host}"
    return label or host or f"Resource {position}"


def distributions(dataset: Dataset) -> list[DistributionView]:
    return [distribution_view(d, i) for i, d in enumerate(dataset.distribution, start=1)]


def bbox_words(dataset: Dataset) -> str | None:
    """``W -75.28, S 39.87, E -74.96, N 40.14`` when ``spatial`` is a bounding box (a place name, a
    geometry or anything else is shown as published)."""
    box = parse_bbox(dataset.spatial.replace(" ", "")) if dataset.spatial else None
    if box is None:
        return None
    west, south, east, north = box
    return f"W {west:g}, S {south:g}, E {east:g}, N {north:g}"


def extent_map(dataset: Dataset) -> MapView | None:
    """A map of the dataset's extent (a bbox, a geometry or a place the gazetteer knows), if it has one."""
    box = bbox(dataset)
    if box is None:
        return None
    return box_map(box, f"Map of the area covered: {box_words(box)}")


def area_search(dataset: Dataset) -> str | None:
    """The search for datasets intersecting this one's extent."""
    box = bbox(dataset)
    return None if box is None else "/?" + urlencode({"bbox": ",".join(f"{v:g}" for v in box)})


def other_forms(settings: Settings, record: RecordRow) -> list[tuple[str, str, str]]:
    """(name, media type, site-relative path) of the dataset's JSON and RDF forms."""
    out: list[tuple[str, str, str]] = []
    for fmt, media, href in alternates(settings, record):
        path = href.removeprefix(settings.base_url) if href.startswith(settings.base_url) else href
        out.append((FORM_NAMES.get(fmt, fmt.upper()), media, path))
    return out
