"""The model → DCAT-US 1.1 data.json: one dataset object, catalog defaults, and the catalog wrapper."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mappings.dcatus import mailto
from mappings.model import Dataset

CONFORMS_TO = "https://project-open-data.cio.gov/v1.1/schema"
CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
DESCRIBED_BY = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"

# Nested objects get their DCAT-US JSON-LD @type.
_TYPES: dict[str, str] = {"publisher": "org:Organization", "contactPoint": "vcard:Contact"}


@dataclass(frozen=True, slots=True)
class CatalogDefaults:
    """What the catalog fills in when a harvested record lacks a required value (from Settings)."""

    publisher: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    access_level: str | None = None
    bureau_code: tuple[str, ...] = ()
    program_code: tuple[str, ...] = ()


def dataset_to_datajson(dataset: Dataset) -> dict[str, Any]:
    """The dataset as a DCAT-US 1.1 JSON object (empty values left out)."""
    body = dataset.model_dump(exclude_none=True, by_alias=True)
    out: dict[str, Any] = {"@type": "dcat:Dataset"}
    for key, value in body.items():
        if value == [] or value == {}:
            continue
        out[key] = _typed(key, value)
    return out


def _typed(key: str, value: Any) -> Any:
    if key in _TYPES and isinstance(value, dict):
        return {"@type": _TYPES[key], **_suborganizations(value)}
    if key == "distribution" and isinstance(value, list):
        return [{"@type": "dcat:Distribution", **item} for item in value]
    return value


def _suborganizations(value: dict[str, Any]) -> dict[str, Any]:
    parent = value.get("subOrganizationOf")
    if isinstance(parent, dict):
        value = {**value, "subOrganizationOf": {"@type": "org:Organization", **_suborganizations(parent)}}
    return value


def apply_defaults(record: dict[str, Any], defaults: CatalogDefaults, federal: bool) -> list[str]:
    """Fill required values the record lacks from the catalog's defaults; returns the fields filled."""
    filled: list[str] = []
    if not _has_publisher(record) and defaults.publisher:
        record["publisher"] = {"@type": "org:Organization", "name": defaults.publisher}
        filled.append("publisher")
    filled.extend(_default_contact(record, defaults))
    if not record.get("accessLevel") and defaults.access_level:
        record["accessLevel"] = defaults.access_level
        filled.append("accessLevel")
    if federal:
        for key, value in (("bureauCode", defaults.bureau_code), ("programCode", defaults.program_code)):
            if not record.get(key) and value:
                record[key] = list(value)
                filled.append(key)
    return filled


def _has_publisher(record: dict[str, Any]) -> bool:
    publisher = record.get("publisher")
    return isinstance(publisher, dict) and bool(publisher.get("name"))


def _default_contact(record: dict[str, Any], defaults: CatalogDefaults) -> Iterable[str]:
    contact = record.get("contactPoint")
    contact = dict(contact) if isinstance(contact, dict) else {"@type": "vcard:Contact"}
    filled: list[str] = []
    if not contact.get("fn") and defaults.contact_name:
        contact["fn"] = defaults.contact_name
        filled.append("contactPoint.fn")
    if not contact.get("hasEmail") and defaults.contact_email:  # data.gov requires an email in any profile
        contact["hasEmail"] = mailto(defaults.contact_email)
        filled.append("contactPoint.hasEmail")
    if filled:
        record["contactPoint"] = contact
    return filled


def catalog_header(*, catalog_id: str | None = None) -> dict[str, Any]:
    """The catalog wrapper's fields, written before the streamed ``dataset`` array."""
    header: dict[str, Any] = {"@context": CONTEXT, "@type": "dcat:Catalog"}
    if catalog_id:
        header["@id"] = catalog_id
    header["conformsTo"] = CONFORMS_TO
    header["describedBy"] = DESCRIBED_BY
    return header
