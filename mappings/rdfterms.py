"""Small helpers for making and reading RDF terms from untrusted values."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from mappings.vocab import XSD

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_DATE = re.compile(r"^[+-]?\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^[+-]?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_YEAR = re.compile(r"^\d{4}$")
_PREFERRED_LANGS = ("en", "en-us", "en-gb", None)


def is_iri(value: str) -> bool:
    """True when ``value`` is an absolute IRI that serializes safely in every RDF syntax."""
    return bool(_IRI.match(value))


def iri_or_literal(value: str) -> URIRef | Literal:
    """An IRI when the string is one, otherwise a plain literal (nothing is dropped)."""
    value = value.strip()
    return URIRef(value) if is_iri(value) else Literal(value, normalize=False)


def text(value: str) -> Literal:
    return Literal(value)


_DATES: dict[str, Literal] = {}
_DATES_MAX = 50_000


def date_literal(value: str) -> Literal:
    """A typed literal for valid ISO dates/datetimes, keeping the published lexical form exactly;
    anything else (an interval, a typo such as month 13) stays a plain literal.

    Dates repeat across a catalog's records and a typed literal costs rdflib a parse of its value, so
    each distinct string is made once (literals are immutable; the cache is bounded)."""
    value = value.strip()
    found = _DATES.get(value)
    if found is None:
        if len(_DATES) >= _DATES_MAX:
            _DATES.clear()
        found = _DATES[value] = _date_literal(value)
    return found


def _date_literal(value: str) -> Literal:
    if _DATE.match(value) and _parses(date.fromisoformat, value):
        return Literal(value, datatype=XSD.date, normalize=False)
    if _DATETIME.match(value) and _parses(datetime.fromisoformat, value):
        return Literal(value, datatype=XSD.dateTime, normalize=False)
    if _YEAR.match(value):
        return Literal(value, datatype=XSD.gYear, normalize=False)
    return Literal(value, normalize=False)


def _parses(parse: Callable[[str], object], value: str) -> bool:
    try:
        parse(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def lexical(node: Node) -> str:
    """The string form of a term (IRI text or literal lexical form)."""
    return str(node)


def best_literal(nodes: Iterable[Node]) -> Node | None:
    """Pick one value among several: a language-less or English literal first, then the first seen."""
    first: Node | None = None
    for node in nodes:
        if first is None:
            first = node
        if isinstance(node, Literal) and (node.language or None) in _PREFERRED_LANGS:
            lang = node.language.lower() if node.language else None
            if lang in (None, "en"):
                return node
    return first


def first_value(graph: Graph, subject: Node, predicates: Iterable[URIRef]) -> Node | None:
    """The best object of the first predicate (in order) that has one."""
    for predicate in predicates:
        found = best_literal(graph.objects(subject, predicate))
        if found is not None:
            return found
    return None


def new_node() -> BNode:
    return BNode()
