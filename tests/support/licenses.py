"""Every licence string the fixture files hold: data.json ``license``, CKAN ``license_id``/``license_url``/
``license_title``, Socrata ``license`` objects and ``licenseId``, and ``dct:license`` in RDF and ISO files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

JSON_KEYS = ("license", "license_id", "license_url", "license_title", "licenseId")
RDF_PATTERNS = (
    re.compile(r"""(?:dct|dcterms):license[^>]*?rdf:resource=["']([^"']+)["']"""),
    re.compile(r"""<(?:dct|dcterms):license(?:\s[^>]*)?>([^<]+)<"""),
    re.compile(r"""(?:dct|dcterms):license\s+<([^>]+)>"""),
    re.compile(
        r""""(?:dct:license|dcterms:license|http://purl.org/dc/terms/license)"\s*:\s*\{\s*"@id"\s*:\s*"([^"]+)\""""
    ),
)


def _from_json(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in JSON_KEYS and isinstance(item, str):
                yield item
            elif key == "license" and isinstance(item, dict):
                yield from (item[k] for k in ("name", "url", "id") if isinstance(item.get(k), str))
            yield from _from_json(item)
    elif isinstance(value, list):
        for item in value:
            yield from _from_json(item)


def licence_strings(*roots: Path) -> set[str]:
    found: set[str] = set()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.stat().st_size > 50_000_000:
                continue
            if path.suffix == ".json":
                try:
                    found.update(_from_json(json.loads(path.read_bytes())))
                except (ValueError, RecursionError):  # the hostile fixtures include a deeply nested one
                    continue
            elif path.suffix in (".rdf", ".ttl", ".xml", ".jsonld", ".nt", ".n3"):
                text = path.read_text("utf-8", errors="replace")
                for pattern in RDF_PATTERNS:
                    found.update(m.strip() for m in pattern.findall(text))
    return {value for value in found if value.strip()}
