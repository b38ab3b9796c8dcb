"""Making a harvested record publishable in the catalog's own data.json.

Harvested records keep their values as published; many would fail the DCAT-US schema data.gov checks
(``application/pdf; charset=binary``, ``"accrualPeriodicity": "Weekly"``, a licence written as prose, no
contact). Leaving such a record out of data.json hides the dataset from data.gov, so the export repairs
what it can, in three steps, and says what it did:

1. **normalize** values to the form the schema asks for, when the meaning is unambiguous (tables below);
2. **fill** required fields that are missing from the catalog's configured defaults
   (``NUTMEG_DEFAULT_*``: publisher, contact, access level; bureau and program codes when federal) —
   never from guesses (a title is not a description);
3. only if the record is still invalid: **drop** the values the schema rejects (an optional field is
   better absent than invalid) and fill again (a required value that was dropped is then missing).

A record that is still invalid after that — a required value is missing and no default fits — is left
out, with its problems (``exporting.export_report``). Nothing here changes the stored record: the JSON
API keeps every value as published. A record valid as harvested is copied into data.json as the bytes
stored at harvest time; only the others go through these steps when data.json is built.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from mappings.datajson import CatalogDefaults, apply_defaults
from mappings.derive import MEDIA_TYPE_LABELS, format_label
from mappings.model import Distribution, RecordIssue
from mappings.rdfterms import is_iri
from mappings.validation import Profile, is_valid, leaf_errors, validate

Action = Literal["normalized", "dropped", "filled"]
JSON = dict[str, Any]

# Words agencies write for a frequency → the ISO 8601 repeating duration DCAT-US asks for.
FREQUENCIES: dict[str, str] = {
    "hourly": "R/PT1H",
    "daily": "R/P1D",
    "weekdays": "R/P1D",
    "weekly": "R/P1W",
    "biweekly": "R/P2W",
    "fortnightly": "R/P2W",
    "semimonthly": "R/P0.5M",
    "monthly": "R/P1M",
    "bimonthly": "R/P2M",
    "quarterly": "R/P3M",
    "semiannual": "R/P6M",
    "semiannually": "R/P6M",
    "biannual": "R/P6M",
    "biannually": "R/P6M",
    "annual": "R/P1Y",
    "annually": "R/P1Y",
    "yearly": "R/P1Y",
    "biennial": "R/P2Y",
    "biennially": "R/P2Y",
    "triennial": "R/P3Y",
    "decennial": "R/P10Y",
    "continuous": "R/PT1S",
    "continuously": "R/PT1S",
    "real-time": "R/PT1S",
    "realtime": "R/PT1S",
    "irregular": "irregular",
    "irregularly": "irregular",
    "as needed": "irregular",
}

# A short format label (``derive.format_label``) → its usual media type, for a download without one.
LABEL_MEDIA_TYPES: dict[str, str] = {label: media for media, label in reversed(MEDIA_TYPE_LABELS.items())}

_ISO_FREQUENCY = re.compile(r"R/P[0-9YMWDTHS.]+")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_YEAR_RANGE = re.compile(r"^\s*(\d{4})\s*(?:-|–|—|to)\s*(\d{4})\s*$")
_RIGHTS_MAX = 255
_MAX_PASSES = 4


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One thing the export did to a record: ``filled`` ``contactPoint.fn``, ``dropped`` ``license``..."""

    action: Action
    field: str


@dataclass
class Exportable:
    """A record made ready for data.json: the object to publish (None when it cannot be), what was done
    to it, and the problems that keep it out."""

    record: JSON | None
    adjustments: list[Adjustment] = field(default_factory=list)
    problems: list[RecordIssue] = field(default_factory=list)


def make_exportable(record: JSON, defaults: CatalogDefaults, profile: Profile) -> Exportable:
    """Normalize, drop what stays invalid, fill what is missing, and check ``record`` (a copy is changed)."""
    work = copy.deepcopy(record)
    adjustments = normalize(work) + fill(work, defaults, profile)
    if not is_valid(work, profile):  # the slow, thorough path only for what defaults did not fix
        adjustments += drop_invalid(work, profile)
        adjustments += fill(work, defaults, profile)
    problems = validate(work, profile)
    return Exportable(None if problems else work, adjustments, problems)


# -- 1. normalize ----------------------------------------------------------------------------------


def normalize(record: JSON) -> list[Adjustment]:
    """Rewrite values to the schema's form where the meaning is clear; returns what changed."""
    done: list[Adjustment] = []
    for key, rule in _DATASET_RULES:
        if key in record and rule(record):
            done.append(Adjustment("normalized", key))
    for item in _distributions(record):
        for key, rule in _DISTRIBUTION_RULES:
            if rule(item):
                done.append(Adjustment("normalized", f"distribution.{key}"))
    return done


def _access_level(record: JSON) -> bool:
    value = record["accessLevel"]
    if not isinstance(value, str):
        return False
    fixed = " ".join(value.split()).lower()
    record["accessLevel"] = fixed
    return fixed != value


def _frequency(record: JSON) -> bool:
    value = record["accrualPeriodicity"]
    if not isinstance(value, str):
        return False
    text = " ".join(value.split()).lower().rstrip(".")
    iso = _ISO_FREQUENCY.search(value)
    fixed = iso.group(0) if iso else FREQUENCIES.get(text, value)
    record["accrualPeriodicity"] = fixed
    return fixed != value


def _temporal(record: JSON) -> bool:
    value = record["temporal"]
    if not isinstance(value, str):
        return False
    year, years = _YEAR.match(value), _YEAR_RANGE.match(value)
    fixed = value
    if year:
        fixed = f"{year.group(1)}/{year.group(1)}"
    elif years and years.group(1) <= years.group(2):
        fixed = f"{years.group(1)}/{years.group(2)}"
    record["temporal"] = fixed
    return fixed != value


def _license_as_rights(record: JSON) -> bool:
    """A licence written as prose cannot be a ``license`` (a URI); it still tells users their rights."""
    value = record["license"]
    if not isinstance(value, str) or is_iri(value.strip()) or record.get("rights"):
        return False
    text = " ".join(value.split())
    if not text:
        return False
    record["rights"] = text[:_RIGHTS_MAX]
    del record["license"]
    return True


def _unique(key: str) -> Callable[[JSON], bool]:
    def rule(record: JSON) -> bool:
        value = record[key]
        if not isinstance(value, list):
            return False
        kept = [v for v in dict.fromkeys(_hashable(v) for v in value) if v not in ("", None)]
        record[key] = kept
        return kept != value

    return rule


def _hashable(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _media_type(item: JSON) -> bool:
    value = item.get("mediaType")
    if not isinstance(value, str):
        return False
    fixed = value.split(";", 1)[0].strip().lower()
    item["mediaType"] = fixed
    return fixed != value


def _download_media_type(item: JSON) -> bool:
    """A download needs a media type: take the one its format names, else offer the link as an access URL."""
    if not item.get("downloadURL") or item.get("mediaType"):
        return False
    label = format_label(Distribution.model_validate(_model_fields(item)))
    media = LABEL_MEDIA_TYPES.get(label or "")
    if media:
        item["mediaType"] = media
    elif not item.get("accessURL"):
        item["accessURL"] = item.pop("downloadURL")
    else:
        del item["downloadURL"]
    return True


def _model_fields(item: JSON) -> JSON:
    return {k: v for k, v in item.items() if k in ("format", "mediaType", "downloadURL", "accessURL")}


_DATASET_RULES: tuple[tuple[str, Callable[[JSON], bool]], ...] = (
    ("accessLevel", _access_level),
    ("accrualPeriodicity", _frequency),
    ("temporal", _temporal),
    ("license", _license_as_rights),
    ("keyword", _unique("keyword")),
    ("theme", _unique("theme")),
    ("references", _unique("references")),
    ("language", _unique("language")),
)

_DISTRIBUTION_RULES: tuple[tuple[str, Callable[[JSON], bool]], ...] = (
    ("mediaType", _media_type),
    ("downloadURL", _download_media_type),
)


def _distributions(record: JSON) -> Iterable[JSON]:
    items = record.get("distribution")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


# -- 2. drop ---------------------------------------------------------------------------------------


def drop_invalid(record: JSON, profile: Profile) -> list[Adjustment]:
    """Remove every value the schema rejects (required ones are filled again in the next step)."""
    done: list[Adjustment] = []
    for _ in range(_MAX_PASSES):
        paths = {
            tuple(e.absolute_path)
            for e in leaf_errors(record, profile)
            if e.validator != "required" and e.absolute_path
        }
        if not paths:
            break
        for path in sorted(paths, key=_deepest_last_index_first):
            if _remove(record, path):
                done.append(Adjustment("dropped", field_name(path)))
        _prune(record)
    return done


def _deepest_last_index_first(path: tuple[Any, ...]) -> tuple[int, list[Any]]:
    """Remove longer paths first, and later list items before earlier ones (indices stay valid)."""
    return (-len(path), [-p if isinstance(p, int) else 0 for p in path])


def _remove(record: JSON, path: tuple[Any, ...]) -> bool:
    parent: Any = record
    for part in path[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return False
    last = path[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
        return True
    if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        del parent[last]
        return True
    return False


def _prune(record: JSON) -> None:
    """Lists and objects emptied by dropping go too (``"keyword": []`` is itself invalid)."""
    for key in [k for k, v in record.items() if v in ([], {})]:
        del record[key]


def field_name(path: Iterable[Any]) -> str:
    """``("distribution", 2, "mediaType")`` → ``distribution.mediaType``."""
    return ".".join(str(p) for p in path if not isinstance(p, int)) or "$"


# -- 3. fill ---------------------------------------------------------------------------------------


def fill(record: JSON, defaults: CatalogDefaults, profile: Profile) -> list[Adjustment]:
    """Fill missing required fields from the catalog's configured defaults."""
    federal = profile is Profile.FEDERAL
    return [Adjustment("filled", name) for name in apply_defaults(record, defaults, federal)]
