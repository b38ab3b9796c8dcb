"""A metadata quality score per dataset, 0–100, with its reasons.

Modelled on data.europa.eu's Metadata Quality Assessment (MQA, https://data.europa.eu/mqa/methodology;
the indicators and their points are listed in docs/search.md): the same dimensions with the same points —
findability 100, accessibility 100, interoperability 80, reusability 75, contextuality 20 — where MQA's
"DCAT-AP compliance" indicator (30 points of interoperability) becomes a dimension of its own,
**validity**: the record as published checked against the schema data.gov applies. The total (405
points, as MQA's) is scaled to 0–100.

Adaptations to DCAT-US: themes are MQA's categories, ``accessLevel`` its access rights, and the
distribution's ``describedBy`` (a data dictionary) stands in for the byte size DCAT-US has no field for.

Links: accessibility uses the link checker's status of each ``accessURL`` and ``downloadURL`` when given
(``ok``, ``redirected``, ``broken``, ``unchecked``); a URL that was not checked costs nothing, a broken one
costs its indicator's points.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mappings.derive import format_label
from mappings.licenses import recognize
from mappings.model import Dataset, Distribution, RecordIssue

Dimension = Literal["findability", "accessibility", "interoperability", "reusability", "contextuality", "validity"]
DIMENSIONS: dict[Dimension, int] = {  # maximum points of each dimension
    "findability": 100,
    "accessibility": 100,
    "interoperability": 80,
    "reusability": 75,
    "contextuality": 20,
    "validity": 30,
}
TOTAL = sum(DIMENSIONS.values())  # 405, as MQA's
LinkStatus = Literal["ok", "redirected", "broken", "unchecked"]
WORKING: frozenset[str] = frozenset({"ok", "redirected", "unchecked"})  # unchecked: no penalty

# Formats (as mappings.derive labels them) a program can read, and the open (non-proprietary) ones.
MACHINE_READABLE = frozenset(
    {"CSV", "TSV", "JSON", "JSON-LD", "GEOJSON", "XML", "RDF", "XLS", "XLSX", "ODS", "KML", "KMZ", "SHP", "GTFS"}
    | {"API", "WFS", "WMS", "RSS", "ATOM", "TTL", "N-TRIPLES", "PARQUET", "SQL", "GML", "GPKG"}
)
NON_PROPRIETARY = frozenset(
    {"CSV", "TSV", "JSON", "JSON-LD", "GEOJSON", "XML", "RDF", "ODS", "KML", "GTFS", "RSS", "ATOM", "TTL"}
    | {"N-TRIPLES", "PARQUET", "GML", "GPKG", "TXT", "HTML", "PDF", "PNG", "TIFF", "JPEG", "WFS", "WMS", "ZIP"}
)
ACCESS_LEVELS = frozenset({"public", "restricted public", "non-public"})
_MEDIA_TYPE = re.compile(r"^[a-z]+/[a-z0-9.+_-]+$", re.IGNORECASE)  # type/subtype, as IANA registers them


@dataclass(frozen=True, slots=True)
class Reason:
    """One indicator that cost points: its dimension, what is wrong, and the points it lost."""

    dimension: Dimension
    indicator: str
    message: str
    lost: int

    def as_json(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "indicator": self.indicator, "message": self.message, "lost": self.lost}


@dataclass(frozen=True, slots=True)
class Assessment:
    score: int  # 0–100
    points: dict[Dimension, int]  # per dimension, out of DIMENSIONS
    reasons: tuple[Reason, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "reasons": [r.as_json() for r in self.reasons],
            "dimensions": {d: {"points": p, "max": DIMENSIONS[d]} for d, p in self.points.items()},
        }


@dataclass(frozen=True, slots=True)
class _Check:
    dimension: Dimension
    indicator: str
    points: int
    passed: bool
    message: str  # what is wrong when it did not pass


def assess(
    dataset: Dataset,
    problems: Sequence[RecordIssue | Mapping[str, Any]] = (),
    link_status: Mapping[str, str] | None = None,
) -> Assessment:
    """Score ``dataset``; ``problems`` are its data.gov schema errors (as
    :func:`mappings.validation.Checker.validate` gives them), ``link_status`` maps URL → link status."""
    links = link_status or {}
    checks = [
        *_findability(dataset),
        *_accessibility(dataset, links),
        *_interoperability(dataset),
        *_reusability(dataset),
        *_contextuality(dataset),
        _validity(problems),
    ]
    points: dict[Dimension, int] = dict.fromkeys(DIMENSIONS, 0)
    for check in checks:
        points[check.dimension] += check.points if check.passed else 0
    reasons = tuple(Reason(c.dimension, c.indicator, c.message, c.points) for c in checks if not c.passed)
    return Assessment(round(100 * sum(points.values()) / TOTAL), points, reasons)


def _findability(d: Dataset) -> list[_Check]:
    return [
        _Check("findability", "keyword", 30, any(k.strip() for k in d.keyword), "no keywords"),
        _Check("findability", "theme", 30, any(t.strip() for t in d.theme), "no theme (category)"),
        _Check("findability", "spatial", 20, bool(d.spatial and d.spatial.strip()), "no spatial coverage"),
        _Check("findability", "temporal", 20, bool(d.temporal and d.temporal.strip()), "no temporal coverage"),
    ]


def _accessibility(d: Dataset, links: Mapping[str, str]) -> list[_Check]:
    access = [u for dist in d.distribution for u in (dist.access_url or dist.download_url,) if u]
    downloads = [dist.download_url for dist in d.distribution if dist.download_url]
    broken_access = [u for u in access if links.get(u, "unchecked") not in WORKING]
    broken_downloads = [u for u in downloads if links.get(u, "unchecked") not in WORKING]
    if not access:
        access_message = "no distribution with an access or download URL"
    else:
        access_message = f"{_count(broken_access, 'broken access link')} of {len(access)}"
    return [
        _Check("accessibility", "access_url", 50, bool(access) and not broken_access, access_message),
        _Check("accessibility", "download_url", 20, bool(downloads), "no download URL"),
        _Check(
            "accessibility",
            "download_url_status",
            30,
            bool(downloads) and not broken_downloads,
            f"{_count(broken_downloads, 'broken download link')} of {len(downloads)}"
            if downloads
            else "no download URL to check",
        ),
    ]


def _interoperability(d: Dataset) -> list[_Check]:
    dists = d.distribution
    labels = [label for label in (format_label(x) for x in dists) if label]
    media = [x.media_type for x in dists if x.media_type]
    return [
        _Check(
            "interoperability", "format", 20, _every(dists, lambda x: bool(x.format)), "a distribution has no format"
        ),
        _Check("interoperability", "media_type", 10, bool(dists) and len(media) == len(dists), _missing_media(dists)),
        _Check(
            "interoperability",
            "media_type_vocabulary",
            10,
            bool(media) and all(_MEDIA_TYPE.match(m.split(";")[0].strip()) for m in media),
            "a media type is not an IANA type/subtype" if media else "no media type to check",
        ),
        _Check(
            "interoperability",
            "non_proprietary",
            20,
            any(label.upper() in NON_PROPRIETARY for label in labels),
            "no distribution in an open (non-proprietary) format",
        ),
        _Check(
            "interoperability",
            "machine_readable",
            20,
            any(label.upper() in MACHINE_READABLE for label in labels),
            "no distribution in a machine-readable format",
        ),
    ]


def _missing_media(dists: Sequence[Distribution]) -> str:
    if not dists:
        return "no distributions"
    missing = sum(1 for x in dists if not x.media_type)
    return f"{missing} of {len(dists)} distributions have no media type"


def _reusability(d: Dataset) -> list[_Check]:
    licence = bool(d.license and d.license.strip()) or any(x.license for x in d.distribution)
    known = recognize(d.license) is not None or any(recognize(x.license) for x in d.distribution)
    level = (d.access_level or "").strip().lower()
    contact = d.contact_point is not None and bool(d.contact_point.fn or d.contact_point.has_email)
    return [
        _Check("reusability", "license", 20, licence, "no licence"),
        _Check("reusability", "license_vocabulary", 10, known, "the licence is not one Nutmeg recognizes"),
        _Check("reusability", "access_level", 10, bool(level), "no access level"),
        _Check(
            "reusability", "access_level_vocabulary", 5, level in ACCESS_LEVELS, "access level not in DCAT-US's list"
        ),
        _Check("reusability", "contact_point", 20, contact, "no contact point"),
        _Check("reusability", "publisher", 10, d.publisher is not None and bool(d.publisher.name), "no publisher"),
    ]


def _contextuality(d: Dataset) -> list[_Check]:
    dictionary = bool(d.described_by) or any(x.described_by for x in d.distribution)
    return [
        _Check("contextuality", "rights", 5, bool(d.rights and d.rights.strip()), "no rights statement"),
        _Check("contextuality", "data_dictionary", 5, dictionary, "no data dictionary (describedBy)"),
        _Check("contextuality", "issued", 5, bool(d.issued), "no issued date"),
        _Check("contextuality", "modified", 5, bool(d.modified), "no modified date"),
    ]


def _validity(problems: Sequence[RecordIssue | Mapping[str, Any]]) -> _Check:
    errors = [p for p in problems if _severity(p) == "error"]
    fields = sorted({_path(p).split("[")[0].split(".")[0] or "$" for p in errors})
    message = f"{_count(errors, 'problem')} against data.gov's schema ({', '.join(fields[:5])})" if errors else ""
    return _Check("validity", "datagov_schema", 30, not errors, message)


def _severity(problem: RecordIssue | Mapping[str, Any]) -> str:
    return problem.severity if isinstance(problem, RecordIssue) else str(problem.get("severity", "error"))


def _path(problem: RecordIssue | Mapping[str, Any]) -> str:
    return problem.path if isinstance(problem, RecordIssue) else str(problem.get("path", "$"))


def _every(items: Sequence[Distribution], test: Any) -> bool:
    return bool(items) and all(test(x) for x in items)


def _count(items: Iterable[object], noun: str) -> str:
    n = len(list(items))
    return f"{n} {noun}" + ("" if n == 1 else "s")


RATINGS: tuple[tuple[int, str], ...] = ((87, "excellent"), (55, "good"), (30, "sufficient"), (0, "poor"))


def rating(score: int) -> str:
    """MQA's rating words for a score (its thresholds 351, 221 and 121 of 405 points, as percentages)."""
    return next(word for floor, word in RATINGS if score >= floor)


def summary(assessment: Mapping[str, Any]) -> str:
    """A plain-language sentence for the public: the rating and what is missing, by dimension."""
    score = int(assessment.get("score", 0))
    reasons = [r for r in assessment.get("reasons", []) if isinstance(r, Mapping)]
    if not reasons:
        return f"Metadata quality {score}/100 ({rating(score)}): every check passed."
    worst = sorted(reasons, key=lambda r: -int(r.get("lost", 0)))[:3]
    missing = "; ".join(str(r.get("message", "")) for r in worst)
    return f"Metadata quality {score}/100 ({rating(score)}). Most points lost to: {missing}."
