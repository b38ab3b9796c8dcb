"""From the model to what the search index holds (the same for every backend)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from index.search.base import SearchDoc
from index.store import RecordRow
from mappings.coverage import period
from mappings.derive import (
    bbox,
    facet_value,
    format_labels,
    license_label,
    parse_modified,
    unique_keywords,
)
from mappings.model import Dataset

DESCRIPTION_IN_SUMMARY = 600


def search_doc(
    id_: str, source: str, content_hash: str, dataset: Dataset, organization: str | None = None
) -> SearchDoc:
    """The search document of one dataset; ``organization`` (the title of the organization the record
    belongs to) is its publisher facet when given, so facets, pages and CKAN name registered organizations."""
    modified = parse_modified(dataset.modified) or parse_modified(dataset.issued)
    publisher = facet_value(organization) if organization else _publisher(dataset)
    formats = tuple(format_labels(dataset))
    keywords = tuple(unique_keywords(dataset.keyword))
    themes = tuple(dict.fromkeys(facet_value(t) for t in dataset.theme if t.strip()))
    license_ = license_label(dataset.license)
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
    )


def _publisher(dataset: Dataset) -> str | None:
    return facet_value(dataset.publisher.name) if dataset.publisher and dataset.publisher.name else None


def doc_from_row(row: RecordRow) -> SearchDoc:
    """A stored record's search document, with when the catalog first saw it and last saw it change."""
    doc = search_doc(row.id, row.source, row.content_hash, Dataset.model_validate(row.dataset), row.organization)
    return replace(doc, created=row.first_seen, changed=row.last_changed)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= DESCRIPTION_IN_SUMMARY:
        return text
    return text[: DESCRIPTION_IN_SUMMARY - 1].rsplit(" ", 1)[0] + "…"
