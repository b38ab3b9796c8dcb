"""The DCAT-AP 3.0.1 SHACL shapes (``tests/data/shacl/``, provenance in ``tests/data/README.md``) run by
pyshacl: the core constraints and the class ranges (Violations), and the recommended properties
(Warnings, reported but not failures)."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import SH

SHAPES = Path(__file__).resolve().parents[1] / "data" / "shacl"
FILES = ("semiceu-dcat-ap-3.0.1-shapes.ttl", "semiceu-dcat-ap-3.0.1-range.ttl")
RECOMMENDED = "semiceu-dcat-ap-3.0.1-shapes_recommended.ttl"


@cache
def shapes(*, recommended: bool = False) -> Graph:
    graph = Graph()
    for name in (*FILES, RECOMMENDED) if recommended else FILES:
        graph.parse(SHAPES / name, format="turtle")
    return graph


def shacl_results(data: Graph, *, recommended: bool = False) -> Counter[tuple[str, str, str]]:
    """(severity, path, message) → count of every result pyshacl reports for ``data``."""
    _, report, _ = validate(data, shacl_graph=shapes(recommended=recommended), allow_warnings=True)
    assert isinstance(report, Graph)
    found: Counter[tuple[str, str, str]] = Counter()
    for result in report.subjects(SH.resultSeverity, None):
        severity = str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        path = str(report.value(result, SH.resultPath))
        message = str(report.value(result, SH.resultMessage))[:160]
        found[(severity, path, message)] += 1
    return found


def violations(data: Graph) -> Counter[tuple[str, str, str]]:
    return Counter({k: v for k, v in shacl_results(data).items() if k[0] == "Violation"})
