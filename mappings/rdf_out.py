"""The model → DCAT RDF for publishing (per dataset and for the whole catalog)."""

from __future__ import annotations

from rdflib import Graph, URIRef

from mappings.datajson import dataset_to_datajson
from mappings.dcatus import DATASET_FIELDS, json_to_graph
from mappings.model import Dataset
from mappings.vocab import BINDINGS, DCAT, RDF

FORMATS: dict[str, tuple[str, str]] = {
    # name → (rdflib serializer, media type)
    "ttl": ("turtle", "text/turtle"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("xml", "application/rdf+xml"),
    "nt": ("nt", "application/n-triples"),
}


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, namespace in BINDINGS.items():
        graph.bind(prefix, namespace)
    return graph


def add_dataset(graph: Graph, dataset: Dataset, iri: str) -> URIRef:
    """Add ``dataset`` to ``graph`` as the dcat:Dataset ``iri``; returns its node."""
    node = URIRef(iri)
    graph.add((node, RDF.type, DCAT.Dataset))
    json_to_graph(dataset_to_datajson(dataset), DATASET_FIELDS, graph, node)
    return node


def dataset_graph(dataset: Dataset, iri: str) -> Graph:
    graph = bind_prefixes(Graph())
    add_dataset(graph, dataset, iri)
    return graph


def serialize(graph: Graph, fmt: str) -> bytes:
    """Serialize in one of :data:`FORMATS` (``ttl``, ``jsonld``, ``rdf``, ``nt``)."""
    serializer, _ = FORMATS[fmt]
    data = graph.serialize(format=serializer, encoding="utf-8")
    return data if isinstance(data, bytes) else data.encode("utf-8")
