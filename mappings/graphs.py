"""Graph construction shared by harvesters and mappings, tuned for thousands of small graphs a second.

A harvest builds one small graph per record. rdflib's ``Memory`` store dispatches events and keeps
context indexes that such graphs never use, and ``SimpleMemory`` pays for a Python exception on every
new key; :class:`RecordStore` is the same two-index dictionary store written with ``setdefault``, about
five times faster to fill. It implements rdflib's ``Store`` interface, so the graphs parse, query and
serialize as any other.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.store import Store
from rdflib.term import Node

Triple = tuple[Node, Node, Node]
_Index = dict[Node, dict[Node, dict[Node, None]]]

_counter = itertools.count()
_prefix = os.urandom(4).hex()
_LITERALS: dict[str, Literal] = {}
_LITERAL_CACHE_MAX = 50_000
_CACHED_LENGTH = 80


class RecordStore(Store):
    """An in-memory, context-free triple store indexed by subject and by predicate/object."""

    context_aware = False
    formula_aware = False
    transaction_aware = False
    graph_aware = False

    def __init__(self, configuration: str | None = None, identifier: Any = None) -> None:
        super().__init__(configuration)
        self.identifier = identifier
        self._spo: _Index = {}
        self._pos: _Index = {}
        self._pos_built = False
        self._namespaces: dict[str, URIRef] = {}
        self._prefixes: dict[URIRef, str] = {}

    def add(self, triple: Triple, context: Any, quoted: bool = False) -> None:
        s, p, o = triple
        self._spo.setdefault(s, {}).setdefault(p, {})[o] = None
        if self._pos_built:
            self._pos.setdefault(p, {}).setdefault(o, {})[s] = None

    def _by_predicate(self) -> _Index:
        """The predicate/object index, built on the first lookup that needs it: a record's graph is
        mostly read by subject (mapping, writers), so filling it on every add was wasted work."""
        if not self._pos_built:
            for s, by_predicate in self._spo.items():
                for p, objects in by_predicate.items():
                    by_object = self._pos.setdefault(p, {})
                    for o in objects:
                        by_object.setdefault(o, {})[s] = None
            self._pos_built = True
        return self._pos

    def remove(self, triple: Any, context: Any = None) -> None:
        for (s, p, o), _ in list(self.triples(triple)):
            del self._spo[s][p][o]
            if self._pos_built:
                del self._pos[p][o][s]

    def triples(self, triple_pattern: Any, context: Any = None) -> Iterator[tuple[Triple, Iterator[Any]]]:
        s, p, o = triple_pattern
        for found in self._match(s, p, o):
            yield found, iter(())

    def _match(self, s: Node | None, p: Node | None, o: Node | None) -> Iterator[Triple]:
        if s is not None:
            by_predicate = self._spo.get(s, {})
            predicates = [p] if p is not None else list(by_predicate)
            for pred in predicates:
                objects = by_predicate.get(pred, {})
                if o is None:
                    yield from ((s, pred, obj) for obj in list(objects))
                elif o in objects:
                    yield s, pred, o
        elif p is not None:
            by_object = self._by_predicate().get(p, {})
            wanted = [o] if o is not None else list(by_object)
            for obj in wanted:
                yield from ((subj, p, obj) for subj in list(by_object.get(obj, {})))
        else:
            for subj, by_predicate in list(self._spo.items()):
                for pred, objects in list(by_predicate.items()):
                    yield from ((subj, pred, obj) for obj in list(objects) if o is None or obj == o)

    def __len__(self, context: Any = None) -> int:
        return sum(len(objects) for by_predicate in self._spo.values() for objects in by_predicate.values())

    def bind(self, prefix: str, namespace: URIRef, override: bool = True) -> None:
        if not override and (prefix in self._namespaces or namespace in self._prefixes):
            return
        old = self._namespaces.pop(prefix, None)
        if old is not None:
            self._prefixes.pop(old, None)
        old_prefix = self._prefixes.pop(namespace, None)
        if old_prefix is not None:
            self._namespaces.pop(old_prefix, None)
        self._namespaces[prefix] = namespace
        self._prefixes[namespace] = prefix

    def namespace(self, prefix: str) -> URIRef | None:
        return self._namespaces.get(prefix)

    def prefix(self, namespace: URIRef) -> str | None:
        return self._prefixes.get(namespace)

    def namespaces(self) -> Iterator[tuple[str, URIRef]]:
        yield from list(self._namespaces.items())

    def properties(self, subject: Node) -> dict[Node, list[Node]]:
        """Every predicate of ``subject`` with its objects, in insertion order."""
        return {p: list(objects) for p, objects in self._spo.get(subject, {}).items()}

    def objects_of(self, subject: Node, predicate: Node) -> list[Node]:
        return list(self._spo.get(subject, {}).get(predicate, {}))

    def predicate_objects_of(self, subject: Node) -> list[tuple[Node, Node]]:
        return [(p, o) for p, objects in self._spo.get(subject, {}).items() for o in objects]

    def by_subject(self) -> Mapping[Node, Mapping[Node, Mapping[Node, None]]]:
        """The subject → predicate → objects index itself, in insertion order (for writers; read only)."""
        return self._spo


_RECORD = URIRef("urn:nutmeg:record")


class RecordGraph(Graph):
    """A Graph on a :class:`RecordStore` whose hot methods skip the generic checks.

    ``add`` skips the term-type assertions (the mappings only ever pass terms), and ``objects`` /
    ``predicate_objects`` with plain IRIs read the store's index directly instead of going through
    property-path dispatch. Anything else falls through to rdflib's own implementation.
    """

    def __init__(self) -> None:
        self._records = RecordStore()
        super().__init__(store=self._records, identifier=_RECORD, bind_namespaces="none")

    def add(self, triple: Triple) -> RecordGraph:
        self._records.add(triple, self)
        return self

    def objects(  # type: ignore[override]
        self, subject: Node | None = None, predicate: Node | None = None, unique: bool = False
    ) -> Iterator[Node]:
        if subject is not None and type(predicate) is URIRef:
            return iter(self._records.objects_of(subject, predicate))
        return super().objects(subject, predicate, unique)

    def predicate_objects(  # type: ignore[override]
        self, subject: Node | None = None, unique: bool = False
    ) -> Iterator[tuple[Node, Node]]:
        if subject is not None:
            return iter(self._records.predicate_objects_of(subject))
        return super().predicate_objects(subject, unique)


def record_graph() -> Graph:
    """A small graph for one record, on :class:`RecordStore`."""
    return RecordGraph()


def bnode() -> BNode:
    """A blank node with a cheap unique id (rdflib's default draws a uuid4 per node)."""
    return BNode(f"n{_prefix}{next(_counter):x}")


def plain(text: str) -> Literal:
    """A plain literal, made quickly; short repeated values (keywords, formats, names) are shared."""
    if len(text) > _CACHED_LENGTH:
        return Literal(text, normalize=False)
    found = _LITERALS.get(text)
    if found is None:
        if len(_LITERALS) >= _LITERAL_CACHE_MAX:
            _LITERALS.clear()
        found = _LITERALS[text] = Literal(text, normalize=False)
    return found
