"""Reading untrusted RDF documents and cutting them into one record per dataset.

* :func:`rdf_format` picks the syntax from the Content-Type, else the URL's extension, else the first
  bytes (Turtle, RDF/XML, JSON-LD, N-Triples, N3, TriG).
* :func:`parse_rdf` parses it safely: RDF/XML is checked for entity declarations first (rdflib's expat
  parser would expand them), and JSON-LD never fetches a remote ``@context`` — the contexts met in
  catalogs (DCAT-US ``catalog.jsonld``, schema.org) are bundled, any other is left out and reported.
* :func:`record_for` turns one dataset node into a :class:`HarvestedRecord`: its description (the node's
  triples and, recursively, those of the blank nodes and described resources it points to, stopping at
  other datasets and catalogs), a content hash over a canonical N-Triples form that does not depend on
  blank-node labels, and a picklable ``build``.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, partial
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.exceptions import ParserError
from rdflib.term import Node

from harvesters.base import HarvestedRecord, Materialized, SkippedRecord, content_hash
from harvesters.errors import ParseError
from harvesters.xmlsafe import refuse_entities
from mappings.graphs import record_graph
from mappings.model import RecordIssue
from mappings.rdfterms import best_literal
from mappings.vocab import DCAT, DCTERMS, RDF, SCHEMA, SDO

Triple = tuple[Node, Node, Node]

RDF_ACCEPT = (
    "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.9, application/n-triples;q=0.8, "
    "application/trig;q=0.5, text/n3;q=0.5, */*;q=0.1"
)

MEDIA_TYPES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/xml+rdf": "xml",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "text/n3": "n3",
    "application/trig": "trig",
}

EXTENSIONS: dict[str, str] = {
    "ttl": "turtle",
    "turtle": "turtle",
    "rdf": "xml",
    "owl": "xml",
    "xml": "xml",
    "jsonld": "json-ld",
    "json": "json-ld",
    "nt": "nt",
    "n3": "n3",
    "trig": "trig",
}

# Remote JSON-LD contexts served from the package instead of the network (None: the bundled DCAT-US one).
SCHEMA_ORG_CONTEXT: dict[str, Any] = {"@vocab": "http://schema.org/"}
KNOWN_CONTEXTS: dict[str, dict[str, Any] | None] = {
    "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld": None,
    "http://project-open-data.cio.gov/v1.1/schema/catalog.jsonld": None,
    **{
        f"{scheme}://schema.org{tail}": SCHEMA_ORG_CONTEXT
        for scheme in ("http", "https")
        for tail in ("", "/", "/docs/jsonldcontext.json", "/docs/jsonldcontext.jsonld")
    },
}

# The types a dataset's description never reaches into (each has its own record, or none).
BOUNDARY_TYPES = frozenset(
    {DCAT.Dataset, DCAT.Catalog, URIRef(f"{DCAT}DatasetSeries"), DCAT.CatalogRecord, SCHEMA.Dataset, SDO.Dataset}
)
MAX_DEPTH = 6
_HTML = re.compile(rb"^\s*(<!doctype html|<html)", re.IGNORECASE)


def rdf_format(content_type: str, url: str, head: bytes) -> str:
    """The rdflib parser name for a response."""
    found = MEDIA_TYPES.get(content_type)
    if found:
        return found
    extension = urlsplit(url).path.rsplit(".", 1)[-1].lower() if "." in urlsplit(url).path else ""
    if extension in EXTENSIONS:
        return EXTENSIONS[extension]
    return _sniff(head, url, content_type)


def _sniff(head: bytes, url: str, content_type: str) -> str:
    start = head.lstrip()[:200]
    if _HTML.match(start):
        raise ParseError(f"{url} returned an HTML page ({content_type or 'no content type'}), not RDF")
    if start[:1] in (b"{", b"["):
        return "json-ld"
    if start.startswith(b"<?xml") or start.startswith(b"<rdf:") or start.startswith(b"<RDF"):
        return "xml"
    return "turtle"


def parse_rdf(data: bytes, fmt: str, *, base: str, notes: list[str] | None = None) -> Graph:
    """``data`` as a graph; :class:`ParseError` with the parser's own words when it is not valid RDF."""
    if not data.strip():
        raise ParseError(f"{base} returned an empty body")
    if fmt == "xml":
        refuse_entities(data, where=base)
    graph = Graph(bind_namespaces="none")
    try:
        if fmt == "json-ld":
            document = offline_jsonld(_json(data, base), notes if notes is not None else [])
            with warnings.catch_warnings():  # rdflib's JSON-LD parser wraps the sink in a deprecated class
                warnings.simplefilter("ignore", DeprecationWarning)
                graph.parse(data=json.dumps(document), format="json-ld", base=base)
        else:
            graph.parse(data=data, format=fmt, publicID=base)
    except ParseError:
        raise
    except (ParserError, SyntaxError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ParseError(f"{base} is not valid {fmt} RDF: {_first_line(exc)}") from exc
    return graph


def _json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"{where} is not valid JSON-LD: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


@cache
def _dcat_us_context() -> dict[str, Any]:
    text = resources.files("mappings").joinpath("schemas", "dcat-us-1.1", "catalog.jsonld").read_text("utf-8")
    context: dict[str, Any] = json.loads(text)["@context"]
    return context


def offline_jsonld(document: Any, notes: list[str]) -> Any:
    """``document`` with every remote ``@context`` replaced by a bundled copy, or dropped (and noted)."""
    if isinstance(document, list):
        return [offline_jsonld(item, notes) for item in document]
    if not isinstance(document, dict):
        return document
    out: dict[str, Any] = {}
    for key, value in document.items():
        if key == "@context":
            out[key] = _offline_context(value, notes)
        else:
            out[key] = offline_jsonld(value, notes)
    return out


def _offline_context(value: Any, notes: list[str]) -> Any:
    if isinstance(value, list):
        kept = [_offline_context(item, notes) for item in value]
        return [item for item in kept if item is not None]
    if isinstance(value, str):
        known = KNOWN_CONTEXTS.get(value.strip(), False)
        if known is False:
            notes.append(f"remote JSON-LD context {value!r} was not fetched; terms only it defines are not read")
            return None
        return known if known is not None else _dcat_us_context()
    if isinstance(value, dict) and "@import" in value:
        notes.append(f"JSON-LD @import {value['@import']!r} was not fetched")
        return {k: v for k, v in value.items() if k != "@import"}
    return value


# -- records -------------------------------------------------------------------------------------


def dataset_nodes(graph: Graph) -> list[Node]:
    """dcat:Dataset nodes (and schema.org Datasets, typed dcat:Dataset on the way), in graph order."""
    for schema_type in (SCHEMA.Dataset, SDO.Dataset):
        for node in list(graph.subjects(RDF.type, schema_type)):
            graph.add((node, RDF.type, DCAT.Dataset))
    return list(dict.fromkeys(graph.subjects(RDF.type, DCAT.Dataset)))


def description(graph: Graph, subject: Node) -> list[Triple]:
    """The triples describing ``subject``: its own, and those of the nodes it points to that are blank or
    described in the graph (publishers, distributions, contacts), never crossing into another dataset."""
    out: list[Triple] = []
    seen: set[Node] = {subject}
    frontier: list[tuple[Node, int]] = [(subject, 0)]
    while frontier:
        node, depth = frontier.pop()
        for predicate, obj in graph.predicate_objects(node):
            out.append((node, predicate, obj))
            if obj in seen or isinstance(obj, Literal) or depth >= MAX_DEPTH:
                continue
            if isinstance(obj, BNode) or _described(graph, obj):
                seen.add(obj)
                frontier.append((obj, depth + 1))
    return out


def _described(graph: Graph, node: Node) -> bool:
    types = set(graph.objects(node, RDF.type))
    if types & BOUNDARY_TYPES:
        return False
    return next(iter(graph.predicate_objects(node)), None) is not None


def canonical_ntriples(triples: Iterable[Triple], subject: Node) -> bytes:
    """Sorted N-Triples where each blank node is named by a hash of what it says (recursively), so the
    same description parsed twice gives the same bytes."""
    by_subject: dict[Node, list[tuple[Node, Node]]] = {}
    for s, p, o in triples:
        by_subject.setdefault(s, []).append((p, o))
    names: dict[Node, str] = {}

    def name(node: Node, path: frozenset[Node]) -> str:
        if isinstance(node, URIRef):
            return "<" + str(node).replace("\\", "\\\\").replace(">", "\\u003E").replace(" ", "%20") + ">"
        if not isinstance(node, BNode):
            return node.n3()
        if node in names:
            return names[node]
        if node in path:  # a blank-node cycle: name it by position only
            return "_:cycle"
        inner = path | {node}
        body = sorted(f"{p.n3()} {name(o, inner)}" for p, o in by_subject.get(node, []))
        label = "_:b" + hashlib.blake2b("\n".join(body).encode(), digest_size=8).hexdigest()
        names[node] = "_:root" if node == subject else label
        return names[node]

    lines = sorted({f"{name(s, frozenset())} {p.n3()} {name(o, frozenset())} ." for s, p, o in triples})
    return "\n".join(lines).encode("utf-8")


@dataclass(frozen=True, slots=True)
class RdfRecord:
    identifier: str
    triples: tuple[Triple, ...]
    subject: Node
    canonical: bytes


def identifier_of(graph: Graph, subject: Node) -> str | None:
    """dct:identifier (or schema.org identifier), else the dataset's IRI; None for an anonymous node."""
    for predicate in (DCTERMS.identifier, SCHEMA.identifier, SDO.identifier):
        found = best_literal(graph.objects(subject, predicate))
        if found is not None and str(found).strip():
            return str(found).strip()
    if isinstance(subject, URIRef):
        return str(subject)
    return None


def rdf_records(graph: Graph, where: str, seen: set[str] | None = None) -> Iterator[RdfRecord | SkippedRecord]:
    """One :class:`RdfRecord` per dataset in ``graph`` (or a skip saying why not); ``seen`` carries the
    identifiers already read across pages."""
    seen = set() if seen is None else seen
    for index, subject in enumerate(dataset_nodes(graph)):
        path = f"{where}#dataset[{index}]"
        identifier = identifier_of(graph, subject)
        if identifier is None:
            yield SkippedRecord(None, f"{path} is a blank node without dct:identifier; it cannot be followed", path)
            continue
        if identifier in seen:
            message = f"{path} repeats identifier {identifier!r}; the first dataset with it was kept"
            yield SkippedRecord(identifier, message, path, "duplicate")
            continue
        seen.add(identifier)
        triples = tuple(description(graph, subject))
        yield RdfRecord(identifier, triples, subject, canonical_ntriples(triples, subject))


def harvested(record: RdfRecord, issues: tuple[RecordIssue, ...] = ()) -> HarvestedRecord:
    build = partial(build_rdf, record.triples, record.subject, issues)
    return HarvestedRecord(record.identifier, content_hash(record.canonical), record.canonical, build)


def build_rdf(triples: tuple[Triple, ...], subject: Node, issues: tuple[RecordIssue, ...]) -> Materialized:
    """A dataset's description as a record graph (module level, so worker processes can run it)."""
    graph = record_graph()
    for triple in triples:
        graph.add(triple)
    graph.add((subject, RDF.type, DCAT.Dataset))
    return Materialized(graph, subject, list(issues))
