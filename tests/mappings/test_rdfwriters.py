"""The fast Turtle, N-Triples and JSON-LD writers: whatever goes in comes back out of rdflib's parsers as
the same graph — odd strings, odd IRIs, nested, shared and cyclic blank nodes."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import XSD

from mappings.rdf_out import bind_prefixes
from mappings.rdfwriters import quote_iri, quote_string, write
from mappings.vocab import DCAT, DCTERMS, RDF
from tests.support.rdfcompare import parse, same_graph

FORMATS = ("ttl", "nt", "jsonld")
EX = Namespace("http://example.org/ns#")


def tricky() -> Graph:
    graph = bind_prefixes(Graph())
    graph.bind("ex", EX)
    dataset = URIRef("http://example.org/dataset/1")
    graph.add((dataset, RDF.type, DCAT.Dataset))
    texts = [
        'quote " and backslash \\ and \\n not a newline',
        "line one\nline two\r\nwith\ttab",
        "control \x00\x07\x1f\x7f characters",
        "accents é ü, CJK 数据, emoji 🦀",
        "",
        "   ",
        '"""triple quoted"""',
    ]
    for text in texts:
        graph.add((dataset, DCTERMS.description, Literal(text)))
    graph.add((dataset, DCTERMS.title, Literal("Titre", lang="fr")))
    graph.add((dataset, DCTERMS.title, Literal("Title", lang="en-US")))
    graph.add((dataset, DCTERMS.modified, Literal("2020-01-02", datatype=XSD.date)))
    graph.add((dataset, EX["count"], Literal(42)))
    graph.add((dataset, EX.custom, Literal("x", datatype=URIRef("http://example.org/types#mine"))))
    for iri in (
        "http://example.org/path?q=1&r=%20#frag",
        "http://example.org/ns#with.dot",
        "http://example.org/ns#0starts-with-digit",
        "urn:isbn:0451450523",
    ):
        graph.add((dataset, DCTERMS.references, URIRef(iri)))
    graph.add((dataset, EX["local-name_ok"], Literal("prefixed predicate")))
    nested = BNode()
    deeper = BNode()
    graph.add((dataset, DCAT.distribution, nested))
    graph.add((nested, RDF.type, DCAT.Distribution))
    graph.add((nested, DCTERMS.temporal, deeper))
    graph.add((deeper, DCAT.startDate, Literal("2020", datatype=XSD.gYear)))
    shared = BNode()
    graph.add((dataset, DCTERMS.publisher, shared))
    graph.add((URIRef("http://example.org/dataset/2"), DCTERMS.publisher, shared))
    graph.add((shared, EX.name, Literal("Shared agent")))
    first, second = BNode(), BNode()  # a cycle no root reaches
    graph.add((first, EX.next, second))
    graph.add((second, EX.next, first))
    graph.add((BNode(), EX.name, Literal("an unreferenced blank subject")))
    graph.add((dataset, EX.dangling, BNode()))  # a blank object with no properties
    return graph


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_through_rdflib(fmt: str) -> None:
    graph = tricky()
    back = parse(write(graph, fmt), fmt)
    assert len(back) == len(graph)
    assert same_graph(back, graph)


@pytest.mark.parametrize("fmt", FORMATS)
def test_characters_iris_may_not_hold_are_escaped(fmt: str) -> None:
    """Such IRIs are not valid (rdflib warns and cannot compare them), but must not break the document."""
    graph = Graph()
    odd = "http://example.org/a|b{c}^d`e\\f"
    graph.add((URIRef("http://example.org/s"), DCTERMS.references, URIRef(odd)))
    graph.add((URIRef("http://example.org/s"), DCTERMS.title, Literal("after")))
    back = parse(write(graph, fmt), fmt)
    assert {str(o) for o in back.objects(None, DCTERMS.references)} == {odd}
    assert {str(o) for o in back.objects(None, DCTERMS.title)} == {"after"}


def test_turtle_nests_blank_nodes_used_once_and_uses_prefixes() -> None:
    text = write(tricky(), "ttl").decode()
    assert "@prefix dcat: <http://www.w3.org/ns/dcat#> ." in text
    assert "dcat:distribution [" in text
    assert "<http://example.org/dataset/1> a dcat:Dataset ;" in text
    assert '"Titre"@fr' in text
    assert '"2020-01-02"^^xsd:date' in text
    assert "ex:local-name_ok" in text
    assert "<http://example.org/ns#with.dot>" in text  # not a safe local name: written in full


def test_lone_surrogates_become_replacement_characters() -> None:
    graph = Graph()
    graph.add((URIRef("http://example.org/s"), DCTERMS.title, Literal("bad \ud800 half")))
    for fmt in FORMATS:
        back = parse(write(graph, fmt), fmt)
        (title,) = back.objects(None, DCTERMS.title)
        assert "bad" in str(title)
        assert "\ud800" not in str(title)


def test_quoting() -> None:
    assert quote_string('a"b\\c\nd\x01') == '"a\\"b\\\\c\\nd\\u0001"'
    assert quote_iri("http://x/a b<c>") == "<http://x/a\\u0020b\\u003Cc\\u003E>"


def test_rdfxml_goes_through_rdflib_without_what_xml_cannot_carry() -> None:
    graph = tricky()
    back = parse(write(graph, "rdf"), "rdf")
    assert (None, None, Literal("control \x7f characters")) in back  # NUL, BEL and US are not XML 1.0
    graph.remove((None, None, Literal("control \x00\x07\x1f\x7f characters")))
    back.remove((None, None, Literal("control \x7f characters")))
    assert same_graph(back, graph)
