"""Fast writers for the RDF the catalog publishes: Turtle, N-Triples and JSON-LD.

rdflib's serializers are general and slow on large graphs (its Turtle writer sorts and re-scans every
subject; its JSON-LD writer is quadratic in places: a 500-dataset catalog page took 5 s and 98 s). These
writers make one pass over the graph in its insertion order, nest each blank node used exactly once
where it is used (``[ ... ]`` in Turtle, an embedded node object in JSON-LD) and label the others, and
escape every term by the grammar (IRIREF and STRING_LITERAL_QUOTE of RDF 1.1 Turtle/N-Triples). They work
on any rdflib graph; the tests parse their output back with rdflib and compare by isomorphism.

RDF/XML still goes through rdflib (``rdf_out.serialize``), after removing the characters XML cannot carry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from mappings.graphs import RecordStore
from mappings.rdf_out import serialize as rdflib_serialize
from mappings.vocab import RDF, XSD

_TYPE = RDF.type
_STRING = XSD.string
_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_IRI_ESCAPE = re.compile(r'[\x00-\x20<>"{}|^`\\\ud800-\udfff]')
_STRING_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\\ud800-\udfff]')
_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _uchar(char: str) -> str:
    code = ord(char)
    return "\\uFFFD" if 0xD800 <= code <= 0xDFFF else f"\\u{code:04X}"


def _iri_char(match: re.Match[str]) -> str:
    return _uchar(match.group(0))


def _string_char(match: re.Match[str]) -> str:
    char = match.group(0)
    return _ECHAR.get(char) or _uchar(char)


def quote_iri(iri: str) -> str:
    """``<iri>``, with characters IRIREF forbids written as ``\\uXXXX``."""
    return f"<{_IRI_ESCAPE.sub(_iri_char, iri)}>"


def quote_string(text: str) -> str:
    """A ``"..."`` string literal; quotes, backslashes and control characters escaped (lone surrogates,
    which no RDF syntax can carry, become U+FFFD)."""
    return f'"{_STRING_ESCAPE.sub(_string_char, text)}"'


@dataclass
class _Shape:
    """A graph read once: subjects in insertion order with their properties, and blank-node use counts."""

    subjects: dict[Node, dict[Node, list[Node]]] = field(default_factory=dict)
    references: dict[BNode, int] = field(default_factory=dict)

    @classmethod
    def of(cls, graph: Graph) -> _Shape:
        shape = cls()
        store = graph.store
        if isinstance(store, RecordStore):  # the catalog's own graphs: read the index, not triple by triple
            shape.subjects = {
                s: {p: list(objects) for p, objects in by.items()} for s, by in store.by_subject().items()
            }
        else:
            for s, p, o in graph:
                shape.subjects.setdefault(s, {}).setdefault(p, []).append(o)
        references = shape.references
        for properties in shape.subjects.values():
            for objects in properties.values():
                for o in objects:
                    if isinstance(o, BNode):
                        references[o] = references.get(o, 0) + 1
        return shape

    def nested(self, node: Node) -> bool:
        """Written where it is used: a blank node that is the object of exactly one triple."""
        return isinstance(node, BNode) and self.references.get(node, 0) == 1 and node in self.subjects

    def roots(self) -> Iterator[Node]:
        return (s for s in self.subjects if not self.nested(s))


class _Labels:
    """``_:b0``, ``_:b1``... for blank nodes (their own ids may not be valid labels)."""

    def __init__(self) -> None:
        self._labels: dict[BNode, str] = {}

    def __call__(self, node: BNode) -> str:
        label = self._labels.get(node)
        if label is None:
            label = self._labels[node] = f"_:b{len(self._labels)}"
        return label


class _Names:
    """IRIs written as prefixed names where a bound namespace allows it; records which prefixes were used."""

    def __init__(self, graph: Graph) -> None:
        bound = sorted(((str(ns), prefix) for prefix, ns in graph.namespaces() if prefix), key=lambda x: -len(x[0]))
        self._namespaces = bound
        self._cache: dict[str, str] = {}
        self.used: dict[str, str] = {}

    def compact(self, iri: str) -> str | None:
        for namespace, prefix in self._namespaces:
            if iri.startswith(namespace) and _LOCAL.match(iri[len(namespace) :]):
                self.used[prefix] = namespace
                return f"{prefix}:{iri[len(namespace) :]}"
        return None

    def turtle(self, iri: str) -> str:
        found = self._cache.get(iri)
        if found is None:
            found = self._cache[iri] = self.compact(iri) or quote_iri(iri)
        return found


# -- N-Triples -------------------------------------------------------------------------------------


def ntriples(graph: Graph) -> bytes:
    labels = _Labels()
    cache: dict[Node, str] = {}

    def term(node: Node) -> str:
        found = cache.get(node)
        if found is None:
            found = _nt_term(node, labels)
            if not isinstance(node, Literal) or len(found) < 64:
                cache[node] = found
        return found

    lines = [f"{term(s)} {term(p)} {term(o)} .\n" for s, p, o in _triples(graph)]
    return "".join(lines).encode("utf-8")


def _triples(graph: Graph) -> Iterator[tuple[Node, Node, Node]]:
    store = graph.store
    if not isinstance(store, RecordStore):
        yield from graph
        return
    for s, by in store.by_subject().items():
        for p, objects in by.items():
            for o in objects:
                yield s, p, o


def _nt_term(node: Node, labels: _Labels) -> str:
    if isinstance(node, URIRef):
        return quote_iri(str(node))
    if isinstance(node, BNode):
        return labels(node)
    assert isinstance(node, Literal)
    return _literal(node, lambda iri: quote_iri(iri))


def _literal(node: Literal, datatype_name: Callable[[str], str]) -> str:
    text = quote_string(str(node))
    if node.language:
        return f"{text}@{node.language}"
    if node.datatype is not None and node.datatype != _STRING:
        return f"{text}^^{datatype_name(str(node.datatype))}"
    return text


# -- Turtle ----------------------------------------------------------------------------------------


def turtle(graph: Graph) -> bytes:
    shape = _Shape.of(graph)
    names = _Names(graph)
    writer = _TurtleWriter(shape, names, _Labels())
    body: list[str] = []
    for subject in shape.roots():
        writer.statement(subject, body)
    for subject in shape.subjects:  # nested nodes a cycle kept from any root
        if subject not in writer.done:
            writer.statement(subject, body)
    head = "".join(f"@prefix {p}: {quote_iri(ns)} .\n" for p, ns in sorted(names.used.items()))
    return (head + ("\n" if head else "") + "".join(body)).encode("utf-8")


class _TurtleWriter:
    def __init__(self, shape: _Shape, names: _Names, labels: _Labels) -> None:
        self.shape = shape
        self.names = names
        self.labels = labels
        self.done: set[Node] = set()

    def statement(self, subject: Node, out: list[str]) -> None:
        self.done.add(subject)
        out.append(self.subject(subject))
        out.append(" ")
        self.properties(subject, out, "    ")
        out.append(" .\n\n")

    def subject(self, node: Node) -> str:
        return self.names.turtle(str(node)) if isinstance(node, URIRef) else self.labels(node)  # type: ignore[arg-type]

    def properties(self, subject: Node, out: list[str], indent: str) -> None:
        properties = self.shape.subjects.get(subject, {})
        ordered = sorted(properties.items(), key=lambda item: item[0] != _TYPE)
        for n, (predicate, objects) in enumerate(ordered):
            if n:
                out.append(f" ;\n{indent}")
            out.append("a" if predicate == _TYPE else self.names.turtle(str(predicate)))
            out.append(" ")
            for m, obj in enumerate(objects):
                if m:
                    out.append(", ")
                self.object(obj, out, indent)

    def object(self, node: Node, out: list[str], indent: str) -> None:
        if isinstance(node, URIRef):
            out.append(self.names.turtle(str(node)))
        elif isinstance(node, Literal):
            out.append(_literal(node, self.names.turtle))
        elif self.shape.nested(node) and node not in self.done:
            self.done.add(node)
            inner = indent + "    "
            out.append(f"[\n{inner}")
            self.properties(node, out, inner)
            out.append(f"\n{indent}]")
        else:
            out.append(self.labels(node))  # type: ignore[arg-type]


# -- JSON-LD ---------------------------------------------------------------------------------------


def jsonld(graph: Graph) -> bytes:
    """Compact JSON-LD: a ``@context`` of the prefixes used and a ``@graph`` of node objects."""
    shape = _Shape.of(graph)
    names = _Names(graph)
    writer = _JsonLdWriter(shape, names, _Labels())
    nodes = [writer.node(s) for s in shape.roots()]
    nodes += [writer.node(s) for s in shape.subjects if s not in writer.done]
    document = {"@context": dict(sorted(names.used.items())), "@graph": nodes}
    return orjson.dumps(document)


class _JsonLdWriter:
    def __init__(self, shape: _Shape, names: _Names, labels: _Labels) -> None:
        self.shape = shape
        self.names = names
        self.labels = labels
        self.done: set[Node] = set()
        self._keys: dict[str, str] = {}

    def key(self, iri: str) -> str:
        found = self._keys.get(iri)
        if found is None:
            found = self._keys[iri] = self.names.compact(iri) or iri
        return found

    def node(self, subject: Node, *, embedded: bool = False) -> dict[str, Any]:
        self.done.add(subject)
        out: dict[str, Any] = {}
        if not embedded:
            out["@id"] = str(subject) if isinstance(subject, URIRef) else self.labels(subject)  # type: ignore[arg-type]
        for predicate, objects in self.shape.subjects.get(subject, {}).items():
            if predicate == _TYPE:
                out["@type"] = [self.key(str(o)) if isinstance(o, URIRef) else self.labels(o) for o in objects]  # type: ignore[arg-type]
            else:
                values = [self.value(o) for o in objects]
                out[self.key(str(predicate))] = values[0] if len(values) == 1 else values
        return out

    def value(self, node: Node) -> Any:
        if isinstance(node, URIRef):
            return {"@id": str(node)}
        if isinstance(node, Literal):
            return _jsonld_literal(node, self.key)
        if self.shape.nested(node) and node not in self.done:
            return self.node(node, embedded=True)
        return {"@id": self.labels(node)}  # type: ignore[arg-type]


def _jsonld_literal(node: Literal, key: Callable[[str], str]) -> Any:
    text = str(node).encode("utf-8", "replace").decode("utf-8") if _has_surrogate(str(node)) else str(node)
    if node.language:
        return {"@value": text, "@language": node.language}
    if node.datatype is not None and node.datatype != _STRING:
        return {"@value": text, "@type": key(str(node.datatype))}
    return text


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text) if not text.isascii() else False


# -- RDF/XML ---------------------------------------------------------------------------------------

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def rdfxml(graph: Graph) -> bytes:
    """RDF/XML by rdflib, after removing from literals the characters XML 1.0 cannot carry at all (a
    harvested title may hold a NUL or a vertical tab; rdflib would write them and break the document)."""
    dirty = [(s, p, o) for s, p, o in graph if isinstance(o, Literal) and _NOT_XML.search(str(o))]
    if dirty:
        graph = _copy(graph)
        for s, p, o in dirty:
            assert isinstance(o, Literal)
            graph.remove((s, p, o))
            clean = Literal(_NOT_XML.sub("", str(o)), lang=o.language, datatype=o.datatype, normalize=False)
            graph.add((s, p, clean))
    return rdflib_serialize(graph, "rdf")


def _copy(graph: Graph) -> Graph:
    copied = Graph()
    for prefix, namespace in graph.namespaces():
        copied.bind(prefix, namespace)
    for triple in graph:
        copied.add(triple)
    return copied


WRITERS: dict[str, Callable[[Graph], bytes]] = {"ttl": turtle, "nt": ntriples, "jsonld": jsonld, "rdf": rdfxml}


def write(graph: Graph, fmt: str) -> bytes:
    """The graph in ``fmt``: ``ttl``, ``nt``, ``jsonld`` or ``rdf``."""
    return WRITERS[fmt](graph)
