"""Validation of DCAT-US records against the official JSON schemas bundled in ``mappings/schemas``.

Two sets of rules, each with two validators:

* the **source** schemas (Project Open Data 1.0 and 1.1, draft 4): what a harvested record is checked
  against, as its publisher declared it (:func:`is_valid`, :func:`validate`, :func:`leaf_errors`);
* **data.gov's** schemas (``schemas/datagov/``, JSON Schema 2020-12, byte copies of what data.gov's
  harvester applies): the DCAT-US 1.1 federal or non-federal dataset schema and the DCAT-US 3.0
  ``Dataset`` definition with its ``$ref``s resolved offline. What Nutmeg publishes is judged by these
  (:func:`datagov_checker`, :func:`dcatus3_checker`).

A compiled ``jsonschema-rs`` check (Rust) answers "valid?" on the hot path (~100k records/s, four times
fastjsonschema's speed); only a record that fails it goes through ``jsonschema`` to collect every error
with its field path. Both check formats (``uri``, ``iri``, ``date``, ``date-time``) with the same
functions, so they never disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012
from rfc3986_validator import validate_rfc3986

from mappings.model import RecordIssue

_URI = re.compile(r"^\w+:(\/?\/?)[^\s]+\Z")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")

DCATUS3_ROOT = "https://resources.data.gov/dcat-us/3.0.0/definitions/"
DCATUS3_DATASET = DCATUS3_ROOT + "dataset"


class Profile(StrEnum):
    """Which official schema a record is checked against."""

    FEDERAL = "federal"
    NON_FEDERAL = "non-federal"
    LEGACY = "v1.0"


_SCHEMA_FILES: dict[Profile, tuple[str, str, tuple[str, ...]]] = {
    Profile.FEDERAL: (
        "dcat-us-1.1",
        "dataset.json",
        ("distribution.json", "organization.json", "vcard.json"),
    ),
    Profile.NON_FEDERAL: ("dcat-us-1.1-non-federal", "dataset-non-federal.json", ()),
    Profile.LEGACY: ("dcat-us-1.0", "single_entry.json", ()),
}

# data.gov's per-dataset schema for a "dcatus1.1: federal" / "dcatus1.1: non-federal" source.
_DATAGOV_FILES: dict[Profile, str] = {
    Profile.FEDERAL: "federal_dataset.json",
    Profile.NON_FEDERAL: "non-federal_dataset.json",
}
DATAGOV_VERSION = "datagov-harvester@e04f7de8"  # the upstream commit the bundled copies come from

CATALOG_SCHEMAS: dict[Profile, tuple[str, str]] = {
    Profile.FEDERAL: ("dcat-us-1.1", "catalog.json"),
    Profile.NON_FEDERAL: ("dcat-us-1.1-non-federal", "catalog.json"),
}


def load_schema(folder: str, name: str) -> dict[str, Any]:
    text = resources.files("mappings").joinpath("schemas", *folder.split("/"), name).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


# -- formats: one function per format, shared by both validators ----------------------------------


def _uri_format(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


def _strict_uri(value: object) -> bool:
    """RFC 3986 absolute URI (what ``jsonschema`` checks with rfc3987 installed, as data.gov's harvester)."""
    return not isinstance(value, str) or bool(validate_rfc3986(value, rule="URI"))


def _date(value: object) -> bool:
    if not isinstance(value, str) or not _DATE.match(value):
        return not isinstance(value, str)
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _date_time(value: object) -> bool:
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        return not isinstance(value, str)
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True


_SOURCE_FORMATS: dict[str, Callable[[object], bool]] = {"uri": _uri_format}
_DATAGOV_FORMATS: dict[str, Callable[[object], bool]] = {
    "uri": _strict_uri,
    "iri": _strict_uri,  # stricter than RFC 3987's IRI rule: never accepts what data.gov would refuse
    "date": _date,
    "date-time": _date_time,
}


def _format_checker(formats: Mapping[str, Callable[[object], bool]]) -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, check in formats.items():
        checker.checks(name)(check)
    return checker


# -- one checker per set of rules -----------------------------------------------------------------


@dataclass(frozen=True)
class Checker:
    """A schema's two validators: ``fast`` (says whether it is valid) and ``full`` (every error)."""

    name: str
    fast: jsonschema_rs.Validator
    full: Validator
    required: frozenset[str]

    def is_valid(self, record: Mapping[str, Any]) -> bool:
        return bool(self.fast.is_valid(record))

    def validate(self, record: Mapping[str, Any]) -> list[RecordIssue]:
        """Every schema error of ``record`` (empty when valid), each with its field path."""
        if self.is_valid(record):
            return []
        errors = sorted(self.full.iter_errors(record), key=lambda e: list(map(str, e.path)))
        return [
            RecordIssue(path=field_path(e), message=_message(e), severity="error", code="schema")
            for e in map(_deepest, errors)
        ]

    def leaf_errors(self, record: Mapping[str, Any]) -> list[jsonschema.ValidationError]:
        """Every schema error of ``record`` at the value that causes it.

        An ``anyOf`` failure (``distribution`` is "an array or null") is replaced by the errors of the
        branch whose type matched, recursively, so each error's ``absolute_path`` names one bad value
        (``distribution[2].mediaType``) even when several values of one field are bad.
        """
        if self.is_valid(record):
            return []
        found: list[jsonschema.ValidationError] = []
        for error in self.full.iter_errors(record):
            found.extend(_leaves(error))
        return found


def _base(schema: Mapping[str, Any]) -> str:
    return str(schema.get("id", "")).rstrip("#")


def _compile(
    schema: dict[str, Any], registry: Registry[Any], formats: Mapping[str, Callable[[object], bool]]
) -> jsonschema_rs.Validator:
    """The fast validator; ``$ref``s resolve from ``registry`` (never the network), and only the formats
    ``full`` checks are checked, with the same functions."""

    def resolve(uri: str) -> Any:
        return registry.get_or_retrieve(uri.rstrip("#")).value.contents

    unchecked = dict.fromkeys(_RS_FORMATS - formats.keys(), _any_value)  # as ``full``: not checked at all
    return jsonschema_rs.validator_for(
        schema, formats={**unchecked, **formats}, validate_formats=True, ignore_unknown_formats=True, retriever=resolve
    )


def _any_value(value: object) -> bool:
    return True


# The formats jsonschema-rs checks by itself; those ``full`` does not check are switched off.
_RS_FORMATS = frozenset(
    (
        "date date-time time duration email idn-email hostname idn-hostname ipv4 ipv6 uri uri-reference iri "
        "iri-reference uri-template json-pointer relative-json-pointer regex uuid"
    ).split()
)


@cache
def source_checker(profile: Profile) -> Checker:
    """The Project Open Data schema a harvested record of ``profile`` is checked against."""
    folder, main, parts = _SCHEMA_FILES[profile]
    schema = load_schema(folder, main)
    registry: Registry[Any] = Registry()
    for name in (main, *parts):
        part = load_schema(folder, name)
        registry = registry.with_resource(_base(part), Resource.from_contents(part, DRAFT4))
    full = Draft4Validator(schema, registry=registry, format_checker=_format_checker(_SOURCE_FORMATS))
    fast = _compile(schema, registry, _SOURCE_FORMATS)
    return Checker(f"{folder}/{main}", fast, full, frozenset(schema.get("required", ())))


@cache
def datagov_checker(profile: Profile) -> Checker:
    """data.gov's DCAT-US 1.1 dataset schema for ``profile`` (federal or non-federal), 2020-12."""
    name = _DATAGOV_FILES[profile]
    schema = load_schema("datagov/dcatus1.1", name)
    full = Draft202012Validator(schema, format_checker=_format_checker(_DATAGOV_FORMATS))
    fast = _compile(schema, Registry(), _DATAGOV_FORMATS)
    return Checker(f"{DATAGOV_VERSION}/dcatus1.1/{name}", fast, full, frozenset(schema.get("required", ())))


@cache
def dcatus3_registry() -> Registry[Any]:
    """Every DCAT-US 3.0 definition data.gov vendors, by its ``$id`` (so ``$ref``s resolve offline)."""
    folder = resources.files("mappings").joinpath("schemas", "datagov", "dcatus3.0", "definitions")
    registry: Registry[Any] = Registry()
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            contents = json.loads(entry.read_text("utf-8"))
            registry = registry.with_resource(contents["$id"], Resource.from_contents(contents, DRAFT202012))
    return registry


@cache
def dcatus3_checker(definition: str = "dataset") -> Checker:
    """data.gov's DCAT-US 3.0 definition ``definition`` (``dataset``, ``catalog``…), 2020-12."""
    registry = dcatus3_registry()
    schema: dict[str, Any] = registry.contents(DCATUS3_ROOT + definition)
    full = Draft202012Validator(schema, registry=registry, format_checker=_format_checker(_DATAGOV_FORMATS))
    fast = _compile(schema, registry, _DATAGOV_FORMATS)
    return Checker(f"{DATAGOV_VERSION}/dcatus3.0/{definition}", fast, full, frozenset(schema.get("required", ())))


def problems_key(profile: Profile) -> str:
    """The key a record's stored export problems are kept under: the profile and the rules' version
    (problems stored under an older key, or another profile, are computed again at export)."""
    return f"{profile.value}/{DATAGOV_VERSION}"


def required_fields(profile: Profile) -> frozenset[str]:
    """Top-level fields the profile's dataset schema requires."""
    return source_checker(profile).required


def is_valid(record: Mapping[str, Any], profile: Profile) -> bool:
    """The fast check: True when ``record`` satisfies the profile's source schema."""
    return source_checker(profile).is_valid(record)


def validate(record: Mapping[str, Any], profile: Profile) -> list[RecordIssue]:
    """Every source-schema error of ``record`` (empty when valid), each with its field path."""
    return source_checker(profile).validate(record)


def leaf_errors(record: Mapping[str, Any], profile: Profile) -> list[jsonschema.ValidationError]:
    """:meth:`Checker.leaf_errors` with the profile's source schema."""
    return source_checker(profile).leaf_errors(record)


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For ``anyOf`` failures, the branch error that explains most (``distribution[1].downloadURL``)."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        candidates = [e for e in error.context if e.validator != "type"] or list(error.context)
        best = best_match(candidates)
        if best is None or len(best.absolute_path) <= len(error.absolute_path):
            break
        error = best
    return error


def field_path(error: jsonschema.ValidationError) -> str:
    """``distribution[2].mediaType`` style path of an error (``$`` for the record itself)."""
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = _missing_key(error)
        if missing:
            path = f"{path}.{missing}" if path else missing
    return path or "$"


def _missing_key(error: jsonschema.ValidationError) -> str | None:
    match = re.match(r"'([^']+)' is a required property", error.message)
    return match.group(1) if match else None


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        return f"required field is missing ({error.message})"
    if error.validator in ("anyOf", "oneOf"):
        return f"value {_short(error.instance)} matches none of the allowed forms"
    if error.validator == "pattern":
        return f"value {_short(error.instance)} does not match the required pattern"
    if error.validator == "format":
        return f"value {_short(error.instance)} is not a valid {error.validator_value}"
    return error.message if len(error.message) < 300 else error.message[:297] + "..."


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        yield error
        return
    branches: dict[Any, list[jsonschema.ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
    typed = [b for b in branches.values() if not any(e.validator == "type" and not e.relative_path for e in b)]
    if len(typed) != 1:
        yield error
        return
    for sub in typed[0]:
        yield from _leaves(sub)
