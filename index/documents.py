"""From the model to what the search index holds (the same for every backend)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from index.search.base import SearchDoc
from index.store import RecordRow
from mappings.coverage import period
from mappings.derive import (
    bbox,
    facet_value,
    format_labels,
    parse_modified,
    unique_keywords,
)
from mappings.freshness import schedule
from mappings.licenses import license_id
from mappings.model import Dataset, RecordIssue
from mappings.quality import assess

DESCRIPTION_IN_SUMMARY = 600


def search_doc(
    id_: str,
    source: str,
    content_hash: str,
    dataset: Dataset,
    organization: str | None = None,
    problems: Sequence[RecordIssue | Mapping[str, Any]] = (),
    link_status: Mapping[str, str] | None = None,
) -> SearchDoc:
    """The search document of one dataset; ``organization`` (the title of the organization the record
    belongs to) is its publisher facet when given, so facets, pages and CKAN name registered organizations.
    ``problems`` (its data.gov schema errors) and ``link_status`` (URL → link checker status) feed its
    quality score."""
    modified = parse_modified(dataset.modified) or parse_modified(dataset.issued)
    publisher = facet_value(organization) if organization else _publisher(dataset)
    formats = tuple(format_labels(dataset))
    keywords = tuple(unique_keywords(dataset.keyword))
    themes = tuple(dict.fromkeys(facet_value(t) for t in dataset.theme if t.strip()))
    license_ = license_id(dataset.license)  # the facet groups by licence, however a source spelled it
    access = dataset.access_level.strip().lower() if dataset.access_level else None
    summary: dict[str, Any] = {
        "id": id_,
        "identifier": dataset.identifier,
        "title": dataset.title,
        "description": _clip(dataset.description or ""),
        "publisher": publisher,
        "keyword": list(keywords),
        "theme": list(themes),
        "format": list(formats),
        "license": license_,
        "accessLevel": access,
        "modified": dataset.modified,
        "source": source,
        "landingPage": dataset.landing_page,
    }
    judged = _judged(dataset, modified, problems, link_status)
    summary |= judged.pop("summary")
    return SearchDoc(
        id=id_,
        title=dataset.title,
        description=dataset.description or "",
        keywords=keywords,
        themes=themes,
        publisher=publisher,
        formats=formats,
        license=license_,
        access_level=access,
        source=source,
        modified=modified,
        content_hash=content_hash,
        bbox=bbox(dataset),
        summary=summary,
        temporal=period(dataset.temporal),
        identifiers=tuple(dict.fromkeys(v for v in (dataset.identifier, dataset.landing_page) if v)),
        **judged,
    )


def _judged(
    dataset: Dataset,
    modified: datetime | None,
    problems: Sequence[RecordIssue | Mapping[str, Any]],
    link_status: Mapping[str, str] | None,
) -> dict[str, Any]:
    """Freshness instants and the quality score (issue 13): the SearchDoc fields, and what a hit shows."""
    when = schedule(dataset.accrual_periodicity, modified)
    quality = assess(dataset, problems, link_status).as_json()
    shown = {"due_at": _iso(when.due_at), "stale_at": _iso(when.stale_at)}
    return {
        "due_at": when.due_at,
        "stale_at": when.stale_at,
        "quality": quality["score"],
        "summary": {"freshness_at": shown, "quality": quality},
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def problems_of(row: RecordRow) -> list[dict[str, Any]]:
    """A stored record's data.gov schema problems (every profile it was checked against)."""
    return [p for found in row.export_problems.values() for p in found]


def _publisher(dataset: Dataset) -> str | None:
    return facet_value(dataset.publisher.name) if dataset.publisher and dataset.publisher.name else None


def doc_from_row(row: RecordRow, link_status: Mapping[str, str] | None = None) -> SearchDoc:
    """A stored record's search document, with when the catalog first saw it and last saw it change;
    ``link_status`` (URL → the link checker's status) counts in its quality score."""
    dataset = Dataset.model_validate(row.dataset)
    doc = search_doc(row.id, row.source, row.content_hash, dataset, row.organization, problems_of(row), link_status)
    return replace(doc, created=row.first_seen, changed=row.last_changed)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= DESCRIPTION_IN_SUMMARY:
        return text
    return text[: DESCRIPTION_IN_SUMMARY - 1].rsplit(" ", 1)[0] + "…"
