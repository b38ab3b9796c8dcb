"""RDF → the model: a dcat:Dataset node of any DCAT graph becomes a :class:`Dataset`."""

from __future__ import annotations

from pydantic import ValidationError
from rdflib import Graph, URIRef
from rdflib.term import Node

from mappings.dcatus import DATASET_FIELDS, graph_to_json
from mappings.errors import MappingError
from mappings.model import Dataset
from mappings.vocab import DCAT, RDF


def dataset_nodes(graph: Graph) -> list[Node]:
    """Every dcat:Dataset in ``graph`` (in the order the graph holds them)."""
    return list(dict.fromkeys(graph.subjects(RDF.type, DCAT.Dataset)))


def dataset_from_graph(graph: Graph, subject: Node) -> Dataset:
    """Map ``subject`` to the model; a dataset without dct:identifier takes its IRI."""
    data = graph_to_json(graph, subject, DATASET_FIELDS)
    if "identifier" not in data and isinstance(subject, URIRef):
        data["identifier"] = str(subject)
    if not data.get("identifier"):
        raise MappingError("the dataset has no identifier (no dct:identifier and no IRI)", path="identifier")
    if not data.get("title"):
        raise MappingError("the dataset has no title (dct:title)", path="title")
    try:
        return Dataset.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise MappingError(f"cannot map {path}: {first['msg']}", path=path) from exc
