"""Reading untrusted RDF documents and cutting them into one record per dataset.

* :func:`rdf_format` picks the syntax from the Content-Type, else the URL's extension, else the first
  bytes (Turtle, RDF/XML, JSON-LD, N-Triples, N3, TriG).
* :func:`parse_rdf` parses it safely: RDF/XML is checked for entity declarations first (rdflib's expat
  parser would expand them), Turtle-family nesting is capped, and JSON-LD is read offline by
  :mod:`harvesters.jsonld` (bundled contexts only, at every depth).
* :func:`record_for` turns one dataset node into a :class:`HarvestedRecord`: its description (the node's
  triples and, recursively, those of the blank nodes and described resources it points to, stopping at
  other datasets and catalogs), a content hash over a canonical N-Triples form that does not depend on
  blank-node labels, and a picklable ``build``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.exceptions import ParserError
from rdflib.term import Node

from harvesters.base import HarvestedRecord, Materialized, SkippedRecord, content_hash
from harvesters.errors import ParseError
from harvesters.fieldcaps import FieldCaps, cap_triples
from harvesters.jsonld import MAX_DEPTH as MAX_JSONLD_DEPTH
from harvesters.jsonld import to_graph
from harvesters.xmlsafe import refuse_entities
from mappings.graphs import record_graph
from mappings.model import RecordIssue
from mappings.rdfterms import best_literal
from mappings.vocab import DCAT, DCTERMS, RDF, SCHEMA, SDO

Triple = tuple[Node, Node, Node]
log = logging.getLogger("nutmeg.harvest")

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
    """``data`` as a graph; :class:`ParseError` in our words (the parser's own is logged) when it is not
    valid RDF, nests deeper than the parsers can take, or names a JSON-LD context outside the bundled set.
    No parser here opens a URL or a file: JSON-LD contexts come from :mod:`harvesters.jsonld`, RDF/XML
    is checked for entities and external references first, and the other syntaxes include nothing."""
    if not data.strip():
        raise ParseError(f"{base} returned an empty body")
    if fmt == "json-ld":
        return to_graph(_json(data, base), base=base, notes=notes if notes is not None else [])
    if fmt == "xml":
        refuse_entities(data, where=base)
    elif nesting_exceeds(data, MAX_NESTING):
        raise ParseError(f"{base}: the {fmt} nests blank nodes, lists or formulas deeper than {MAX_NESTING}; refused")
    graph = Graph(bind_namespaces="none")
    try:
        with warnings.catch_warnings():  # TriG and N3 parse through rdflib's deprecated ConjunctiveGraph
            warnings.simplefilter("ignore", DeprecationWarning)
            graph.parse(data=data, format=fmt, publicID=base)
    except (ParserError, SyntaxError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        log.info("%s from %s not read: %r", fmt, base, exc)
        raise ParseError(f"{base} is not valid {fmt} RDF{_where(exc)}") from exc
    return graph


def _json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise ParseError(f"{where}: the JSON-LD nests deeper than {MAX_JSONLD_DEPTH} levels; refused") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"{where} is not valid JSON-LD{_where(exc)}") from exc


def _where(exc: BaseException) -> str:
    """Where the parser stopped, as a position only (never the parser's own words)."""
    line = getattr(exc, "lineno", None)
    if line is None and isinstance(getattr(exc, "lines", None), int):  # rdflib's BadSyntax counts from 0
        line = exc.lines + 1  # type: ignore[attr-defined]
    if line is None and callable(getattr(exc, "getLineNumber", None)):  # expat, through SAX
        line = exc.getLineNumber()  # type: ignore[attr-defined]
    if isinstance(line, int) and line > 0:
        return f" (stopped at line {line})"
    return ""


# Turtle / N3 / TriG tokens that matter for nesting: strings and IRIs (skipped whole), comments, brackets.
_TOKENS = re.compile(
    rb'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    rb'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"\s]*>|#[^\n]*|[\[({]|[\])}]'
)
MAX_NESTING = 100


def nesting_exceeds(data: bytes, limit: int) -> bool:
    """True when ``[``/``(``/``{`` nest deeper than ``limit`` in a Turtle-family document (rdflib's parser
    recurses once per level); strings, IRIs and comments are skipped."""
    depth = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"(", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b")", b"}"):
            depth = max(0, depth - 1)
    return False


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
    issues: tuple[RecordIssue, ...] = ()


def identifier_of(graph: Graph, subject: Node) -> str | None:
    """dct:identifier (or schema.org identifier), else the dataset's IRI; None for an anonymous node."""
    for predicate in (DCTERMS.identifier, SCHEMA.identifier, SDO.identifier):
        found = best_literal(graph.objects(subject, predicate))
        if found is not None and str(found).strip():
            return str(found).strip()
    if isinstance(subject, URIRef):
        return str(subject)
    return None


def rdf_records(
    graph: Graph, where: str, seen: set[str] | None = None, caps: FieldCaps | None = None
) -> Iterator[RdfRecord | SkippedRecord]:
    """One :class:`RdfRecord` per dataset in ``graph`` (or a skip saying why not), over-long literals cut
    to ``caps``; ``seen`` carries the identifiers already read across pages."""
    seen = set() if seen is None else seen
    caps = caps or FieldCaps()
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
        cut: list[RecordIssue] = []
        triples = tuple(cap_triples(description(graph, subject), caps, cut))
        yield RdfRecord(identifier, triples, subject, canonical_ntriples(triples, subject), tuple(cut))


def harvested(record: RdfRecord, issues: tuple[RecordIssue, ...] = ()) -> HarvestedRecord:
    build = partial(build_rdf, record.triples, record.subject, (*issues, *record.issues))
    return HarvestedRecord(record.identifier, content_hash(record.canonical), record.canonical, build)


def build_rdf(triples: tuple[Triple, ...], subject: Node, issues: tuple[RecordIssue, ...]) -> Materialized:
    """A dataset's description as a record graph (module level, so worker processes can run it)."""
    graph = record_graph()
    for triple in triples:
        graph.add(triple)
    graph.add((subject, RDF.type, DCAT.Dataset))
    return Materialized(graph, subject, list(issues))
