"""Making a harvested record publishable in the catalog's own data.json.

Harvested records keep their values as published; many would fail the DCAT-US schema data.gov checks
(``application/pdf; charset=binary``, ``"accrualPeriodicity": "Weekly"``, a licence written as prose, no
contact). Leaving such a record out of data.json hides the dataset from data.gov, so the export repairs
what it can, in three steps, and says what it did:

1. **normalize** values to the form the schema asks for, when the meaning is unambiguous (tables below);
   a description over data.gov's 10,000-character cap is **shortened** at a sentence boundary and ends
   with a link to the dataset's page, where the whole text is;
2. **fill** required fields that are missing from the catalog's configured defaults
   (``NUTMEG_DEFAULT_*``: publisher, contact and its email, access level; bureau and program codes when
   federal) and from what the record itself says: ``modified`` from ``issued`` or else the day the
   catalog last saw the record change, ``keyword`` from the record's themes or else its publisher —
   each adjustment names where the value came from. Never from guesses (a title is not a description);
3. only if the record is still invalid: **drop** the values the schema rejects (an optional field is
   better absent than invalid) and fill again (a required value that was dropped is then missing).

The schema is data.gov's own (``validation.datagov_checker``): what its harvester applies to each
dataset of a "dcatus1.1" source.

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
from datetime import datetime
from typing import Any, Literal

from mappings.datajson import CatalogDefaults, apply_defaults
from mappings.dcatus import mailto
from mappings.dcatus3 import FREQUENCY_WORDS_V3, dataset_to_dcatus3
from mappings.derive import MEDIA_TYPE_LABELS, format_label
from mappings.model import Distribution, RecordIssue
from mappings.rdfterms import is_iri
from mappings.validation import Checker, Profile, datagov_checker, dcatus3_checker

Action = Literal["normalized", "shortened", "dropped", "filled"]
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
DESCRIPTION_MAX = 10_000  # data.gov's cap (its dataset schemas' maxLength)
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s")


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One thing the export did to a record: ``filled`` ``contactPoint.fn`` from ``catalog default``..."""

    action: Action
    field: str
    source: str = ""  # where a filled value came from (``issued``, ``theme``, ``catalog default``...)


@dataclass(frozen=True, slots=True)
class RecordContext:
    """What the catalog knows about a record beyond its fields: its page, when it last saw it change."""

    page_url: str | None = None
    last_changed: datetime | None = None


@dataclass
class Exportable:
    """A record made ready for data.json: the object to publish (None when it cannot be), what was done
    to it, and the problems that keep it out."""

    record: JSON | None
    adjustments: list[Adjustment] = field(default_factory=list)
    problems: list[RecordIssue] = field(default_factory=list)


def make_exportable(
    record: JSON, defaults: CatalogDefaults, profile: Profile, context: RecordContext | None = None
) -> Exportable:
    """Normalize, drop what stays invalid, fill what is missing, and check ``record`` against data.gov's
    schema for ``profile`` (a copy is changed)."""
    context = context or RecordContext()
    checker = datagov_checker(profile)
    work = copy.deepcopy(record)
    adjustments = normalize(work) + shorten(work, context) + fill(work, defaults, profile, context)
    if not checker.is_valid(work):  # the slow, thorough path only for what defaults did not fix
        adjustments += drop_invalid(work, checker)
        adjustments += fill(work, defaults, profile, context)
    problems = checker.validate(work)
    return Exportable(None if problems else work, adjustments, problems)


def make_exportable_v3(record: JSON, defaults: CatalogDefaults, context: RecordContext | None = None) -> Exportable:
    """The DCAT-US 3.0 form of ``record`` (the model's DCAT-US JSON), checked with data.gov's 3.0
    ``Dataset`` definition. Repairs are the ones 3.0 needs: normalized values it would refuse, a
    description over the cap shortened, the catalog's defaults for a missing publisher or contact; then
    the values it still rejects are dropped (required ones cannot be, and keep the record out)."""
    context = context or RecordContext()
    checker = dcatus3_checker()
    work = copy.deepcopy(record)
    done = normalize(work, "3.0") + shorten(work, context)
    done += [Adjustment("filled", name, "catalog default") for name in apply_defaults(work, defaults, False)]
    converted = dataset_to_dcatus3(work)
    if not checker.is_valid(converted):
        done += drop_invalid(converted, checker)
        done += _refill_contact_v3(converted, defaults)
    problems = checker.validate(converted)
    return Exportable(None if problems else converted, done, problems)


# -- 1. normalize ----------------------------------------------------------------------------------


def normalize(record: JSON, version: str = "1.1") -> list[Adjustment]:
    """Rewrite values to the schema's form where the meaning is clear; returns what changed."""
    dataset_rules, distribution_rules = _RULES[version]
    done: list[Adjustment] = []
    for key, rule in dataset_rules:
        if key in record and rule(record):
            done.append(Adjustment("normalized", key))
    for item in _distributions(record):
        for key, item_rule in distribution_rules:
            how = item_rule(item)
            if how:
                done.append(_distribution_adjustment(key, how))
    return done


def _distribution_adjustment(key: str, how: bool | str) -> Adjustment:
    if how is True:
        return Adjustment("normalized", f"distribution.{key}")
    if how == "accessURL":
        return Adjustment("normalized", "distribution.downloadURL", "moved to accessURL: no known media type")
    return Adjustment("filled", "distribution.mediaType", str(how))


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


def _download_media_type(item: JSON) -> bool | str:
    """A download needs a media type: take the one its format (or else its URL's extension) names, else
    offer the link as an access URL. Returns where the media type came from, or ``"accessURL"``."""
    if not item.get("downloadURL") or _MEDIA_TYPE.match(str(item.get("mediaType") or "")):
        return False
    fields = _model_fields(item)
    fields.pop("mediaType", None)
    by_format = format_label(Distribution.model_validate({"format": fields.get("format")}))
    label = format_label(Distribution.model_validate(fields))
    media = LABEL_MEDIA_TYPES.get(label or "")
    if media:
        item["mediaType"] = media
        return "format" if LABEL_MEDIA_TYPES.get(by_format or "") == media else "URL extension"
    item.pop("mediaType", None)
    if not item.get("accessURL"):
        item["accessURL"] = item.pop("downloadURL")
    else:
        del item["downloadURL"]
    return "accessURL"


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

_MEDIA_TYPE = re.compile(r"^[-\w]+/[-\w]+(\.[-\w]+)*([+][-\w]+)?$")  # data.gov's mediaType pattern

_DISTRIBUTION_RULES: tuple[tuple[str, Callable[[JSON], bool | str]], ...] = (
    ("mediaType", _media_type),
    ("downloadURL", _download_media_type),
)


def _refill_contact_v3(record: JSON, defaults: CatalogDefaults) -> list[Adjustment]:
    """A contact whose name or email 3.0 rejected (and so lost) takes the catalog's again."""
    contact = record.get("contactPoint")
    if not isinstance(contact, dict):
        return []
    done: list[Adjustment] = []
    for key, value in (("fn", defaults.contact_name), ("hasEmail", defaults.contact_email)):
        if not contact.get(key) and value:
            contact[key] = mailto(value) if key == "hasEmail" else value
            done.append(Adjustment("filled", f"contactPoint.{key}", "catalog default"))
    return done


def _frequency_v3(record: JSON) -> bool:
    """3.0 also takes ISO 19115 and Dublin Core frequency words: keep those, rewrite the others."""
    value = record["accrualPeriodicity"]
    if isinstance(value, str) and value.strip().lower() in FREQUENCY_WORDS_V3:
        fixed = FREQUENCY_WORDS_V3[value.strip().lower()]
        record["accrualPeriodicity"] = fixed
        return fixed != value
    return _frequency(record)


# What DCAT-US 3.0 takes as it is (no licence-as-rights, no download moved for want of a media type).
_DATASET_RULES_V3 = tuple(
    (key, _frequency_v3 if key == "accrualPeriodicity" else rule) for key, rule in _DATASET_RULES if key != "license"
)
_DISTRIBUTION_RULES_V3 = tuple((key, rule) for key, rule in _DISTRIBUTION_RULES if key == "mediaType")
_RULES = {
    "1.1": (_DATASET_RULES, _DISTRIBUTION_RULES),
    "3.0": (_DATASET_RULES_V3, _DISTRIBUTION_RULES_V3),
}


def _distributions(record: JSON) -> Iterable[JSON]:
    items = record.get("distribution")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


# -- 2. drop ---------------------------------------------------------------------------------------


def shorten(record: JSON, context: RecordContext) -> list[Adjustment]:
    """A description over data.gov's cap: cut at the last sentence that fits, then a link to the whole."""
    text = record.get("description")
    if not isinstance(text, str) or len(text) <= DESCRIPTION_MAX:
        return []
    record["description"] = shortened(text, context.page_url)
    return [Adjustment("shortened", "description", f"cut at a sentence to {DESCRIPTION_MAX:,} characters")]


def shortened(text: str, page_url: str | None, limit: int = DESCRIPTION_MAX) -> str:
    """``text`` cut at a sentence boundary so that it and the pointer to ``page_url`` fit in ``limit``."""
    tail = f" … (shortened; the full description is at {page_url})" if page_url else " …"
    room = limit - len(tail)
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, room + 1)]
    cut = ends[-1] if ends and ends[-1] > room // 2 else text.rfind(" ", 0, room)
    return text[: cut if cut > 0 else room].rstrip() + tail


def drop_invalid(record: JSON, checker: Checker) -> list[Adjustment]:
    """Remove every value the schema rejects (required ones are filled again in the next step)."""
    done: list[Adjustment] = []
    for _ in range(_MAX_PASSES):
        paths = {
            tuple(e.absolute_path) for e in checker.leaf_errors(record) if e.validator != "required" and e.absolute_path
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


def fill(record: JSON, defaults: CatalogDefaults, profile: Profile, context: RecordContext) -> list[Adjustment]:
    """Fill missing required fields from what the record says, then the catalog's configured defaults."""
    federal = profile is Profile.FEDERAL
    done = [Adjustment("filled", name, "catalog default") for name in apply_defaults(record, defaults, federal)]
    return done + [Adjustment("filled", name, source) for name, source in _own_values(record, context)]


def _own_values(record: JSON, context: RecordContext) -> Iterable[tuple[str, str]]:
    if not record.get("modified"):
        source = _fill_modified(record, context)
        if source:
            yield "modified", source
    if not record.get("keyword"):
        source = _fill_keyword(record)
        if source:
            yield "keyword", source


def _fill_modified(record: JSON, context: RecordContext) -> str | None:
    """The dataset's last change: when it was issued (never changed since, as far as the record says),
    else the day the catalog last saw the record change."""
    issued = record.get("issued")
    if isinstance(issued, str) and issued.strip():
        record["modified"] = issued.strip()
        return "issued"
    if context.last_changed is not None:
        record["modified"] = context.last_changed.date().isoformat()
        return "harvest: last change seen"
    return None


def _fill_keyword(record: JSON) -> str | None:
    """Tags from the record's own subject categories (themes), else the name of its publisher."""
    themes = [t.strip() for t in record.get("theme") or [] if isinstance(t, str) and t.strip()]
    if themes:
        record["keyword"] = list(dict.fromkeys(themes))
        return "theme"
    publisher = record.get("publisher")
    name = publisher.get("name") if isinstance(publisher, dict) else None
    if isinstance(name, str) and name.strip():
        record["keyword"] = [name.strip()]
        return "publisher"
    return None
