"""The publishing forms' fields and the dataset JSON they stand for (both ways)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ACCESS_LEVELS = ("public", "restricted public", "non-public")


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text | textarea | url | email | date | select | list
    required: bool = False
    hint: str = ""
    choices: tuple[str, ...] = ()


DATASET_FIELDS: tuple[FormField, ...] = (
    FormField("identifier", "Identifier", required=True, hint="unique within your organization, e.g. dot-incidents"),
    FormField("title", "Title", required=True),
    FormField("description", "Description", "textarea", required=True),
    FormField("keyword", "Keywords", "list", hint="separated by commas"),
    FormField("theme", "Topics", "list", hint="separated by commas"),
    FormField("modified", "Last modified", "date"),
    FormField("accessLevel", "Access level", "select", choices=ACCESS_LEVELS),
    FormField("license", "Licence URL", "url"),
    FormField("landingPage", "Landing page", "url"),
    FormField("accrualPeriodicity", "Update frequency", hint="ISO 8601, e.g. R/P1D for daily"),
    FormField("contact_name", "Contact name"),
    FormField("contact_email", "Contact email", "email"),
    FormField("download_url", "Download URL", "url"),
    FormField("media_type", "Download media type", hint="e.g. text/csv"),
)


def _text(form: Mapping[str, str], name: str) -> str | None:
    value = (form.get(name) or "").strip()
    return value or None


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def dataset_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The dataset JSON the form describes (an empty field is a removed one: ``None``)."""
    out: dict[str, Any] = {}
    for field in DATASET_FIELDS:
        if field.name in ("contact_name", "contact_email", "download_url", "media_type"):
            continue
        value = _text(form, field.name)
        out[field.name] = _list(value) if field.kind == "list" else value
    name, email = _text(form, "contact_name"), _text(form, "contact_email")
    contact = {"fn": name, "hasEmail": f"mailto:{email.removeprefix('mailto:')}" if email else None}
    out["contactPoint"] = {k: v for k, v in contact.items() if v} or None
    url, media = _text(form, "download_url"), _text(form, "media_type")
    out["distribution"] = [{k: v for k, v in {"downloadURL": url, "mediaType": media}.items() if v}] if url else []
    return out


def form_from_dataset(dataset: Mapping[str, Any]) -> dict[str, str]:
    """The form's values for an existing dataset."""
    out: dict[str, str] = {}
    for field in DATASET_FIELDS:
        value = dataset.get(field.name)
        if isinstance(value, list):
            out[field.name] = ", ".join(str(v) for v in value)
        elif isinstance(value, str):
            out[field.name] = value
    contact = dataset.get("contactPoint") or {}
    out["contact_name"] = contact.get("fn") or ""
    out["contact_email"] = (contact.get("hasEmail") or "").removeprefix("mailto:")
    first = (dataset.get("distribution") or [{}])[0]
    out["download_url"] = first.get("downloadURL") or ""
    out["media_type"] = first.get("mediaType") or ""
    return out


GROUPS = {"contact_name": "contactPoint", "contact_email": "contactPoint", "download_url": "distribution"}
GROUPS["media_type"] = "distribution"


def edit_body(current: Mapping[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """A PATCH body from an edit form: only the fields whose values the person changed (so a harvested
    record gets overrides for exactly those)."""
    before = form_from_dataset(current)
    wanted = dataset_from_form(form)
    body: dict[str, Any] = {}
    for field in DATASET_FIELDS:
        if field.name == "identifier" or (form.get(field.name) or "").strip() == before.get(field.name, "").strip():
            continue
        target = GROUPS.get(field.name, field.name)
        body[target] = wanted[target]
    return body


SOURCE_KINDS = ("datajson", "dcat", "ckan", "socrata", "feed", "rss", "html", "iso", "csw")
