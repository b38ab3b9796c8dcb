"""Comparing graphs that went through a syntax and back: rdflib normalizes typed literals when it parses
(``2020-01-01T00:00:00Z`` becomes ``…+00:00``), so both sides are normalized the same way first."""

from __future__ import annotations

import warnings

from rdflib import Graph, Literal
from rdflib.compare import isomorphic


def normalized(graph: Graph) -> Graph:
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal):
            o = Literal(str(o), lang=o.language, datatype=o.datatype)
        out.add((s, p, o))
    return out


def same_graph(a: Graph, b: Graph) -> bool:
    return isomorphic(normalized(a), normalized(b))


PARSERS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdf": "xml"}


def parse(data: bytes, fmt: str) -> Graph:
    """Parse ``data`` in one of the catalog's formats with rdflib's own parsers.

    rdflib's JSON-LD parser builds a ConjunctiveGraph internally, which rdflib itself deprecates; that
    warning (and only it) is silenced here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ConjunctiveGraph is deprecated", category=DeprecationWarning)
        return Graph().parse(data=data, format=PARSERS[fmt])
