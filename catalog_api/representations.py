"""One dataset in every form it is published in: HTML, JSON, and DCAT RDF (Turtle, JSON-LD, RDF/XML,
N-Triples). Routes pick the form by extension or Accept header (``catalog_api.negotiation``)."""

from __future__ import annotations

import orjson
from fastapi.responses import Response

from catalog_api.settings import Settings
from index.ids import slug_path
from index.store import RecordRow
from mappings.catalog_rdf import CatalogDescription, Entry, dataset_document
from mappings.model import Dataset
from mappings.rdf_out import FORMATS
from mappings.rdfwriters import write


def dataset_url(settings: Settings, record: RecordRow) -> str:
    """The stable, readable page URL of a dataset (its canonical IRI too)."""
    return f"{settings.base_url}/dataset/{slug_path(record.title, record.id)}"


def alternates(settings: Settings, record: RecordRow) -> list[tuple[str, str, str]]:
    """(format, media type, URL) of every non-HTML form of the dataset."""
    base = dataset_url(settings, record)
    forms = [("json", "application/json", f"{settings.base_url}/api/v1/datasets/{record.id}")]
    forms += [(name, media, f"{base}.{name}") for name, (_, media) in FORMATS.items()]
    return forms


def catalog_description(settings: Settings) -> CatalogDescription:
    """The catalog as its DCAT RDF describes it; its publisher is the default publisher, else its title."""
    return CatalogDescription(
        iri=f"{settings.base_url}/catalog",
        homepage=f"{settings.base_url}/",
        title=settings.catalog_title,
        description=settings.catalog_description,
        publisher=settings.default_publisher or settings.catalog_title,
        base_url=settings.base_url,
    )


def entry(settings: Settings, record: RecordRow) -> Entry:
    """A stored record as the DCAT RDF publishes it (with its catalog record's dates)."""
    return Entry(
        dataset=Dataset.model_validate(record.dataset),
        iri=dataset_url(settings, record),
        first_seen=record.first_seen,
        last_changed=record.last_changed,
    )


def rdf_response(settings: Settings, record: RecordRow, fmt: str) -> Response:
    graph = dataset_document(entry(settings, record), catalog_description(settings))
    _, media = FORMATS[fmt]
    return Response(write(graph, fmt), media_type=media, headers={"Vary": "Accept"})


def json_response(record: RecordRow) -> Response:
    return Response(orjson.dumps(record.dataset), media_type="application/json", headers={"Vary": "Accept"})
