"""A record's problems grouped by kind: "keyword missing — 145 records", not 145 rows.

A problem (a :class:`~mappings.model.RecordIssue` or its JSON) has a field path (``distribution[2].mediaType``)
and a message in words that name the offending value (``'' is not of type 'array'``). Its *kind* is the
field without positions and what is wrong with it, in a few words (:func:`kind_of`), so problems that
differ only in the value or the position fall together. A problem that was *repaired* — a value the
catalog filled or fixed (severity ``info``: a default taken from the source), or a data.gov schema problem
the data.json export repairs — is counted apart from errors and labelled as such (:class:`Tally`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_POSITION = re.compile(r"\[\d+\]")
_VALID = re.compile(r"is not a valid ([\w-]+)")

# (text in the message, what is wrong) in the order they are tried; the first that matches wins.
WHAT: tuple[tuple[str, str], ...] = (
    ("required field is missing", "missing"),
    ("is a required property", "missing"),
    ("is not of type", "of the wrong type"),
    ("does not match the required pattern", "not in the required form"),
    ("matches none of the allowed forms", "not in an allowed form"),
    ("is not one of", "not an allowed value"),
    ("should be non-empty", "empty"),
    ("is too short", "empty"),
    ("is too long", "too long"),
    ("non-unique", "repeated"),
    ("has non-unique elements", "repeated"),
)
# issue codes whose kind is the code itself
CODE_WHAT: dict[str, str] = {
    "unmapped": "not understood (left out)",
    "truncated": "cut to size",
    "default": "filled from the source",
    "duplicate": "repeated in another record",
}


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of problem: the field (positions dropped) and what is wrong with it."""

    field: str
    what: str

    @property
    def label(self) -> str:
        return f"{self.field} {self.what}"


def kind_of(problem: Mapping[str, Any]) -> Kind:
    """The kind of one problem (its JSON: ``path``, ``message``, ``code``)."""
    path = str(problem.get("path") or "$")
    name = _POSITION.sub("", path).strip(".") or "record"
    name = "record" if name == "$" else name
    code = str(problem.get("code") or "schema")
    if code in CODE_WHAT:
        return Kind(name, CODE_WHAT[code])
    message = str(problem.get("message") or "")
    valid = _VALID.search(message)
    if valid:
        return Kind(name, f"not a valid {valid.group(1)}")
    for text, what in WHAT:
        if text in message:
            return Kind(name, what)
    return Kind(name, "invalid")


def distinct(issues: Iterable[Mapping[str, Any]], schema: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A record's harvest issues without those its data.gov schema problems say again (the same field found
    wrong by the source schema at harvest and by data.gov's schema): each problem once."""
    again = {str(p.get("path") or "$") for p in schema}
    return [i for i in issues if str(i.get("code") or "schema") != "schema" or str(i.get("path") or "$") not in again]


def is_repair(problem: Mapping[str, Any]) -> bool:
    """Whether a problem says what the catalog did (a value filled or fixed), not what is wrong."""
    return str(problem.get("severity") or "error") == "info"


@dataclass
class Group:
    """One kind of problem over many records."""

    kind: Kind
    repaired: bool
    severity: str
    records: set[str] = field(default_factory=set)
    occurrences: int = 0
    example: str = ""  # one message as written, to show what the kind means

    @property
    def label(self) -> str:
        return self.kind.label

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.label,
            "field": self.kind.field,
            "what": self.kind.what,
            "repaired": self.repaired,
            "severity": "repaired" if self.repaired else self.severity,
            "records": len(self.records),
            "occurrences": self.occurrences,
            "example": self.example,
        }


@dataclass
class Tally:
    """Problems of many records grouped by kind; repaired ones apart from errors and warnings."""

    groups: dict[tuple[Kind, bool, str], Group] = field(default_factory=dict)
    records: set[str] = field(default_factory=set)  # records with at least one problem that is not a repair
    repaired_records: set[str] = field(default_factory=set)

    def add(self, record_id: str, problems: Iterable[Mapping[str, Any]], *, repaired: bool = False) -> None:
        """Count ``problems`` of one record; ``repaired`` marks them all as repaired (the export fixed them)."""
        for problem in problems:
            fixed = repaired or is_repair(problem)
            severity = str(problem.get("severity") or "error")
            kind = kind_of(problem)
            group = self.groups.get((kind, fixed, severity))
            if group is None:
                group = self.groups[(kind, fixed, severity)] = Group(kind, fixed, severity)
                group.example = str(problem.get("message") or "")[:300]
            group.records.add(record_id)
            group.occurrences += 1
            (self.repaired_records if fixed else self.records).add(record_id)

    def sorted(self) -> list[Group]:
        """Errors first, then warnings, then repairs; each by records affected, most first."""
        order = {"error": 0, "warning": 1, "info": 2}
        return sorted(
            self.groups.values(),
            key=lambda g: (g.repaired, order.get(g.severity, 3), -len(g.records), g.kind.label),
        )

    @property
    def problems(self) -> int:
        return sum(g.occurrences for g in self.groups.values() if not g.repaired)

    @property
    def repairs(self) -> int:
        return sum(g.occurrences for g in self.groups.values() if g.repaired)

    def summary(self, datasets: int) -> str:
        """One plain sentence: how many records carry how many problems, and how many were repaired."""
        if not self.groups:
            return f"None of the {datasets:,} datasets has a metadata problem."
        parts = []
        if self.problems:
            parts.append(
                f"{_n(len(self.records), 'dataset')} of {datasets:,} carry {_n(self.problems, 'problem')} "
                f"of {_n(len({g.kind for g in self.groups.values() if not g.repaired}), 'kind')}"
            )
        if self.repairs:
            parts.append(f"{_n(self.repairs, 'value')} in {_n(len(self.repaired_records), 'dataset')} were repaired")
        return "; ".join(parts) + "."


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
