"""Making a record's data.json form publishable: repairs, then leaving out what cannot be repaired.

DCAT-US is strict about form (media types without parameters, ISO 8601 frequencies, URIs without
spaces); harvested catalogs are not. For the catalog's own data.json, a record is first *repaired* where
the intent is unambiguous (a table of small fixes), then optional fields that are still invalid are *left
out* (and noted), so one bad ``license`` does not keep a dataset out of data.gov. Only a required field
that is missing or invalid keeps the record out — after the catalog's defaults are tried. The model keeps
what the source published; only the exported form changes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from mappings.frequencies import iso_frequency
from mappings.model import RecordIssue
from mappings.validation import Profile, required_fields, validate

Record = dict[str, Any]
_MEDIA = re.compile(r"^\s*([-\w]+/[-\w.+]+)\s*(;.*)?$")
_YEAR_RANGE = re.compile(r"^\s*(\d{4})\s*[-–/]\s*(\d{4})\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")


def _media_type(value: Any) -> Any:
    match = _MEDIA.match(value) if isinstance(value, str) else None
    return match.group(1).lower() if match else value


def _frequency(value: Any) -> Any:
    return (iso_frequency(value) or value) if isinstance(value, str) else value


def _temporal(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    years = _YEAR_RANGE.match(value)
    if years:
        return f"{years.group(1)}-01-01/{years.group(2)}-12-31"
    year = _YEAR.match(value)
    return f"{year.group(1)}-01-01/{year.group(1)}-12-31" if year else value


def _trimmed(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


_EMAIL = re.compile(r"[\w.+~!$&'*=-]+@[\w-]+(?:\.[\w-]+)+")


def _email(value: Any) -> Any:
    """``mailto: a@b.gov, c@d.gov`` → ``mailto:a@b.gov`` (the first address, as DCAT-US allows one)."""
    match = _EMAIL.search(value) if isinstance(value, str) else None
    return f"mailto:{match.group(0)}" if match else value


# field → repair; a repair returns the value unchanged when it cannot help.
DATASET_REPAIRS: dict[str, Callable[[Any], Any]] = {
    "accrualPeriodicity": _frequency,
    "temporal": _temporal,
    "license": _trimmed,
    "landingPage": _trimmed,
    "describedBy": _trimmed,
}
CONTACT_REPAIRS: dict[str, Callable[[Any], Any]] = {"hasEmail": _email}
# inside a required object, the keys that are themselves required (others may be left out)
NESTED_REQUIRED: dict[str, dict[Profile, frozenset[str]]] = {
    "contactPoint": {Profile.FEDERAL: frozenset({"fn", "hasEmail"}), Profile.NON_FEDERAL: frozenset({"fn"})},
    "publisher": {Profile.FEDERAL: frozenset({"name"}), Profile.NON_FEDERAL: frozenset({"name"})},
}
DISTRIBUTION_REPAIRS: dict[str, Callable[[Any], Any]] = {
    "mediaType": _media_type,
    "describedByType": _media_type,
    "downloadURL": _trimmed,
    "accessURL": _trimmed,
}


def publishable(record: Record, profile: Profile) -> tuple[Record, list[RecordIssue], list[RecordIssue]]:
    """(the export form, notes on what was repaired or left out, problems that still keep it out)."""
    out = copy.deepcopy(record)
    notes = _repair(out)
    for _ in range(4):
        problems = validate(out, profile)
        optional = [p for p in problems if not _required(p.path, profile)]
        if not optional:
            return out, notes, problems
        for problem in optional:
            notes.extend(_leave_out(out, problem))
    return out, notes, validate(out, profile)


def _repair(record: Record) -> list[RecordIssue]:
    notes = [_apply(record, key, fix, key) for key, fix in DATASET_REPAIRS.items()]
    contact = record.get("contactPoint")
    if isinstance(contact, dict):
        notes += [_apply(contact, k, fix, f"contactPoint.{k}") for k, fix in CONTACT_REPAIRS.items()]
    distributions = record.get("distribution")
    if isinstance(distributions, list):
        for i, dist in enumerate(distributions):
            if isinstance(dist, dict):
                notes += [_apply(dist, k, fix, f"distribution[{i}].{k}") for k, fix in DISTRIBUTION_REPAIRS.items()]
    return [n for n in notes if n is not None]


def _apply(target: Record, key: str, fix: Callable[[Any], Any], path: str) -> RecordIssue | None:
    if key not in target:
        return None
    fixed = fix(target[key])
    if fixed == target[key]:
        return None
    note = RecordIssue(
        path=path, message=f"published as {fixed!r} (was {target[key]!r})", severity="info", code="repaired"
    )
    target[key] = fixed
    return note


def _root(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _required(path: str, profile: Profile) -> bool:
    """Whether the value at ``path`` is one the profile requires (so it cannot simply be left out)."""
    root = _root(path)
    if root not in required_fields(profile):
        return False
    rest = path[len(root) :].lstrip(".")
    nested = NESTED_REQUIRED.get(root, {}).get(profile)
    return not rest or nested is None or _root(rest) in nested


def _leave_out(record: Record, problem: RecordIssue) -> list[RecordIssue]:
    """Drop the invalid optional value at ``problem.path`` (a distribution goes whole if it must)."""
    root = _root(problem.path)
    match = re.match(r"^distribution\[(\d+)\](?:\.(\w+))?", problem.path)
    if match and isinstance(record.get("distribution"), list):
        return _leave_out_distribution(record, int(match.group(1)), match.group(2), problem)
    inner = problem.path[len(root) :].lstrip(".")
    if inner and isinstance(record.get(root), dict) and inner in record[root]:
        del record[root][inner]
        return [
            RecordIssue(
                path=problem.path,
                message=f"left out of data.json: {problem.message}",
                severity="warning",
                code="omitted",
            )
        ]
    if root in record:
        del record[root]
        return [
            RecordIssue(
                path=root, message=f"left out of data.json: {problem.message}", severity="warning", code="omitted"
            )
        ]
    return []


def _leave_out_distribution(record: Record, index: int, key: str | None, problem: RecordIssue) -> list[RecordIssue]:
    distributions: list[Any] = record["distribution"]
    if index >= len(distributions) or distributions[index] is None:
        return []
    dist = distributions[index]
    if key and isinstance(dist, dict) and key in dist and key not in ("downloadURL", "mediaType"):
        del dist[key]
        where = f"distribution[{index}].{key}"
    else:
        distributions[index] = None
        where = f"distribution[{index}]"
    record["distribution"] = [d for d in distributions if d is not None] or None
    if record["distribution"] is None:
        del record["distribution"]
    return [
        RecordIssue(path=where, message=f"left out of data.json: {problem.message}", severity="warning", code="omitted")
    ]
