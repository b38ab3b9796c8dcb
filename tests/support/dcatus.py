"""The official DCAT-US 1.1 catalog schemas as an independent check of a whole data.json document.

This does not use ``mappings.validation`` (what the exporter itself uses): it loads ``catalog.json`` of
the profile's folder with plain ``jsonschema`` (draft 4), with every schema of that folder registered
under its ``id``, and the draft-4 format checker (``uri`` checked by ``rfc3987`` when installed).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMAS = Path(__file__).resolve().parents[2] / "mappings" / "schemas"
FOLDERS = {"federal": "dcat-us-1.1", "non-federal": "dcat-us-1.1-non-federal"}


@cache
def catalog_validator(profile: str) -> Draft4Validator:
    folder = SCHEMAS / FOLDERS[profile]
    registry: Registry[Any] = Registry()
    for path in sorted(folder.glob("*.json")):
        schema = json.loads(path.read_text("utf-8"))
        registry = registry.with_resource(schema["id"].rstrip("#"), Resource.from_contents(schema, DRAFT4))
    catalog = json.loads((folder / "catalog.json").read_text("utf-8"))
    return Draft4Validator(catalog, registry=registry.crawl(), format_checker=Draft4Validator.FORMAT_CHECKER)


def catalog_errors(document: Any, profile: str) -> list[str]:
    """Every schema error of a data.json document, as ``path: message`` lines."""
    errors = catalog_validator(profile).iter_errors(document)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors]
