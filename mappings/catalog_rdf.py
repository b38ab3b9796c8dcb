"""The published DCAT RDF: one dataset, or one Hydra page of the whole catalog, in the DCAT-AP 3 profile.

A page is the ``dcat:Catalog`` (title, description, publisher, homepage) with its datasets on that page,
each with a ``dcat:CatalogRecord`` saying when the catalog first saw it and last saw it change, and the
page as a ``hydra:PartialCollectionView`` with first/previous/next/last links and the total. Harvesters
that know only the older Hydra terms (ckanext-dcat reads ``hydra:PagedCollection`` / ``hydra:nextPage``)
find those too.

(``mappings.rdf_out`` keeps the faithful form of the shared tables, values exactly as published; this
module is what the catalog publishes.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rdflib import Graph, Literal, URIRef

from mappings.datajson import dataset_to_datajson
from mappings.dcat_ap import dataset_fields
from mappings.dcatus import json_to_graph
from mappings.graphs import record_graph
from mappings.model import Dataset
from mappings.rdf_out import bind_prefixes
from mappings.vocab import DCAT, DCTERMS, FOAF, HYDRA, RDF, XSD


@dataclass(frozen=True, slots=True)
class CatalogDescription:
    """The catalog itself, as DCAT-AP describes it (title, description and publisher are mandatory)."""

    iri: str
    homepage: str
    title: str
    description: str
    publisher: str
    base_url: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One dataset to publish: the model, its IRI, and what the catalog knows of its history."""

    dataset: Dataset
    iri: str
    first_seen: datetime | None = None
    last_changed: datetime | None = None


@dataclass(frozen=True, slots=True)
class PageLinks:
    """Where a catalog page sits in the collection (URLs are the same format's pages)."""

    url: str
    first: str
    last: str
    previous: str | None
    next: str | None
    total: int
    per_page: int


def publish_dataset(graph: Graph, entry: Entry, catalog: CatalogDescription) -> URIRef:
    """Add ``entry`` to ``graph`` as a DCAT-AP dataset with its catalog record; returns its node."""
    node = URIRef(entry.iri)
    graph.add((node, RDF.type, DCAT.Dataset))
    json_to_graph(_datajson(entry.dataset), dataset_fields(catalog.base_url), graph, node)
    if entry.last_changed is not None:
        record = URIRef(f"{entry.iri}#record")
        graph.add((record, RDF.type, DCAT.CatalogRecord))
        graph.add((record, FOAF.primaryTopic, node))
        graph.add((record, DCTERMS.modified, _moment(entry.last_changed)))
        if entry.first_seen is not None:
            graph.add((record, DCTERMS.issued, _moment(entry.first_seen)))
    return node


def _datajson(dataset: Dataset) -> dict[str, Any]:
    """The dataset's DCAT-US form as DCAT-AP reads it: a description always (DCAT-AP requires one; the
    title stands in), and the dataset's licence and rights on each distribution, where DCAT-AP puts them."""
    body = dataset_to_datajson(dataset)
    if not str(body.get("description") or "").strip():
        body["description"] = body["title"]
    inherited = {k: body[k] for k in ("license", "rights") if body.get(k)}
    if inherited and isinstance(body.get("distribution"), list):
        body["distribution"] = [{**inherited, **d} if isinstance(d, dict) else d for d in body["distribution"]]
    return body


def _moment(value: datetime) -> Literal:
    text = value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Literal(text, datatype=XSD.dateTime, normalize=False)


def dataset_document(entry: Entry, catalog: CatalogDescription) -> Graph:
    """The graph published at a dataset's own URL."""
    graph = bind_prefixes(record_graph())
    publish_dataset(graph, entry, catalog)
    return graph


def catalog_page(entries: Sequence[Entry], catalog: CatalogDescription, links: PageLinks) -> Graph:
    """One page of the catalog: the catalog, the page's datasets and the Hydra view."""
    graph = bind_prefixes(record_graph())
    node = describe_catalog(graph, catalog)
    for entry in entries:
        dataset = publish_dataset(graph, entry, catalog)
        graph.add((node, DCAT.dataset, dataset))
        if entry.last_changed is not None:
            graph.add((node, DCAT.record, URIRef(f"{entry.iri}#record")))
    add_paging(graph, node, links)
    return graph


def describe_catalog(graph: Graph, catalog: CatalogDescription) -> URIRef:
    node = URIRef(catalog.iri)
    publisher = URIRef(f"{catalog.iri}#publisher")
    homepage = URIRef(catalog.homepage)
    triples: Iterable[tuple[URIRef, URIRef, Any]] = (
        (node, RDF.type, DCAT.Catalog),
        (node, DCTERMS.title, Literal(catalog.title)),
        (node, DCTERMS.description, Literal(catalog.description)),
        (node, DCTERMS.publisher, publisher),
        (node, FOAF.homepage, homepage),
        (homepage, RDF.type, FOAF.Document),
        (publisher, RDF.type, FOAF.Agent),
        (publisher, RDF.type, FOAF.Organization),
        (publisher, FOAF.name, Literal(catalog.publisher)),
    )
    for triple in triples:
        graph.add(triple)
    return node


def add_paging(graph: Graph, collection: URIRef, links: PageLinks) -> None:
    """The page as a ``hydra:PartialCollectionView`` of the catalog (and the older PagedCollection terms)."""
    view = URIRef(links.url)
    graph.add((collection, HYDRA.view, view))
    graph.add((collection, HYDRA.totalItems, Literal(links.total)))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, RDF.type, HYDRA.PagedCollection))
    graph.add((view, HYDRA.totalItems, Literal(links.total)))
    graph.add((view, HYDRA.itemsPerPage, Literal(links.per_page)))
    named = {
        (HYDRA.first, HYDRA.firstPage): links.first,
        (HYDRA.last, HYDRA.lastPage): links.last,
        (HYDRA.previous, HYDRA.previousPage): links.previous,
        (HYDRA.next, HYDRA.nextPage): links.next,
    }
    for predicates, url in named.items():
        if url is not None:
            for predicate in predicates:
                graph.add((view, predicate, URIRef(url)))
