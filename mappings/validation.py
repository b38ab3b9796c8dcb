"""Validation of DCAT-US records against the official JSON schemas bundled in ``mappings/schemas``.

Two validators per profile: a compiled ``fastjsonschema`` check answers "valid?" on the hot path
(~30k records/s); only a record that fails it goes through ``jsonschema`` to collect every error with its
field path. Both check ``format: uri`` with the same rule, so they never disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from mappings.model import RecordIssue

_URI = re.compile(r"^\w+:(\/?\/?)[^\s]+\Z")


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

CATALOG_SCHEMAS: dict[Profile, tuple[str, str]] = {
    Profile.FEDERAL: ("dcat-us-1.1", "catalog.json"),
    Profile.NON_FEDERAL: ("dcat-us-1.1-non-federal", "catalog.json"),
}


def load_schema(folder: str, name: str) -> dict[str, Any]:
    text = resources.files("mappings").joinpath("schemas", folder, name).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _base(schema: Mapping[str, Any]) -> str:
    return str(schema.get("id", "")).rstrip("#")


@cache
def _registry(profile: Profile) -> tuple[dict[str, Any], Registry[Any]]:
    folder, main, parts = _SCHEMA_FILES[profile]
    schema = load_schema(folder, main)
    registry: Registry[Any] = Registry()
    for name in (main, *parts):
        part = load_schema(folder, name)
        registry = registry.with_resource(_base(part), Resource.from_contents(part, DRAFT4))
    return schema, registry


def _uri_format(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


@cache
def _full_validator(profile: Profile) -> Draft4Validator:
    schema, registry = _registry(profile)
    checker = FormatChecker(formats=())
    checker.checks("uri")(_uri_format)
    return Draft4Validator(schema, registry=registry, format_checker=checker)


@cache
def _fast_validator(profile: Profile) -> Callable[[Any], Any]:
    schema, registry = _registry(profile)

    def resolve(uri: str) -> Any:
        return registry.get_or_retrieve(uri.rstrip("#")).value.contents

    handlers = {"https": resolve, "http": resolve}
    validate: Callable[[Any], Any] = fastjsonschema.compile(schema, handlers=handlers)
    return validate


@cache
def required_fields(profile: Profile) -> frozenset[str]:
    """Top-level fields the profile's dataset schema requires."""
    schema, _ = _registry(profile)
    return frozenset(schema.get("required", ()))


def is_valid(record: Mapping[str, Any], profile: Profile) -> bool:
    """The fast check: True when ``record`` satisfies the profile's schema."""
    try:
        _fast_validator(profile)(record)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def validate(record: Mapping[str, Any], profile: Profile) -> list[RecordIssue]:
    """Every schema error of ``record`` (empty when valid), each with its field path."""
    if is_valid(record, profile):
        return []
    return list(_issues(record, profile))


def _issues(record: Mapping[str, Any], profile: Profile) -> Iterator[RecordIssue]:
    errors = sorted(_full_validator(profile).iter_errors(record), key=lambda e: list(map(str, e.path)))
    for error in map(_deepest, errors):
        yield RecordIssue(path=field_path(error), message=_message(error), severity="error", code="schema")


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


def leaf_errors(record: Mapping[str, Any], profile: Profile) -> list[jsonschema.ValidationError]:
    """Every schema error of ``record`` at the value that causes it.

    An ``anyOf`` failure (``distribution`` is "an array or null") is replaced by the errors of the branch
    whose type matched, recursively, so each error's ``absolute_path`` names one bad value
    (``distribution[2].mediaType``) even when several values of one field are bad.
    """
    if is_valid(record, profile):
        return []
    found: list[jsonschema.ValidationError] = []
    for error in _full_validator(profile).iter_errors(record):
        found.extend(_leaves(error))
    return found


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
