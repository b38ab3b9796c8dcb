"""The model's DCAT-US JSON → DCAT-US 3.0 JSON (what ``/dcat-us/3.0/data.json`` publishes).

A table of per-field rules, one row a field, following data.gov's 1.1 → 3.0 migration (GSA/dcat-us
``transforms.py``, summarized in ``tests/data/schema/dcat-us-3.0/FIELD-MAP-1.1-to-3.0.md``): strings
where 3.0 wants objects become the objects (a period of time, a location, a landing-page document, a
data-dictionary distribution, standards), ``rights`` a list, ``subOrganizationOf`` a list at every
level, a repeating ``modified`` moves to ``accrualPeriodicity``, languages keep their primary subtag, the
dataset licence is copied to distributions without one. Keys 3.0 has no property for (``accessLevel``,
``bureauCode``, ``isPartOf``...) stay as they are: 3.0's content model is open, and data.gov's migration
guide says to keep ``accessLevel``.

The input is the record *after* the data.json repairs (``datajson_export``); the output is checked with
data.gov's 3.0 ``Dataset`` definition by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mappings.dcatus import bbox_wkt, parse_bbox
from mappings.rdfterms import is_iri

JSON = dict[str, Any]
Rule = Callable[[Any, JSON], Any]  # (the value, the whole 1.1-shaped record) → the 3.0 value, or None

CONFORMS_TO: JSON = {
    "@type": "Standard",
    "title": "DCAT-US 3.0",
    "identifier": "https://resources.data.gov/dcat-us/3.0.0",
}

# ISO 8601 repeating durations → ISO 19115 maintenance codes (data.gov's ``transform_modified``).
REPEATS: dict[str, str] = {
    "R/P1D": "daily",
    "R/P1W": "weekly",
    "R/P2W": "fortnightly",
    "R/P1M": "monthly",
    "R/P3M": "quarterly",
    "R/P6M": "biannually",
    "R/P1Y": "annually",
    "R/PT1S": "continual",
}

# The frequency words 3.0 takes (ISO 19115 maintenance codes, Dublin Core frequency terms), by lower case.
FREQUENCY_WORDS_V3: dict[str, str] = {
    word.lower(): word
    for word in (
        *("continual", "daily", "weekly", "fortnightly", "monthly", "quarterly", "biannually", "annually"),
        *("asNeeded", "irregular", "notPlanned", "unknown", "continuous", "biweekly", "semiannual", "annual"),
        *("triennial", "biennial", "threeTimesAYear", "bimonthly", "semimonthly", "threeTimesAMonth"),
        *("semiweekly", "threeTimesAWeek"),
    )
}

# accessLevel → 3.0 accessRights text (data.gov's ``transform_access_rights``).
ACCESS_RIGHTS: dict[str, str] = {
    "public": "public",
    "restricted public": "Access restricted. Contact the publisher to request access.",
    "non-public": "Not available for public release. Contact the publisher for more information.",
}

_YEAR_OR_MONTH = re.compile(r"^\d{4}(-\d{2})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ZONED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_LOCAL = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}")
_LANGUAGE = re.compile(r"^([A-Za-z]{2})(?:[-_].*)?$")


def date_v3(value: Any) -> str | None:
    """A 3.0 date: date-time with zone, date, ``YYYY`` or ``YYYY-MM``; a local date-time keeps its date."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _ZONED.match(text) or _DATE.match(text) or _YEAR_OR_MONTH.match(text):
        return text
    local = _LOCAL.match(text)
    return local.group(1) if local else None


def _organization(value: Any, record: JSON) -> Any:
    if not isinstance(value, dict):
        return None
    out: JSON = {"@type": "Organization", "name": value.get("name")}
    parent = _organization(value.get("subOrganizationOf"), record)
    if parent:
        out["subOrganizationOf"] = [parent]
    return out


def _contact(value: Any, record: JSON) -> Any:
    if not isinstance(value, dict):
        return None
    return {"@type": "Kind", **{k: v for k, v in value.items() if k != "@type"}}


def _temporal(value: Any, record: JSON) -> Any:
    """``start/end`` → ``[PeriodOfTime]``, keeping the sides that are dates (``..`` is an open side)."""
    if not isinstance(value, str) or value.count("/") != 1:
        return None
    start, end = (date_v3(part) for part in value.split("/"))
    period = {k: v for k, v in (("startDate", start), ("endDate", end)) if v}
    return [{"@type": "PeriodOfTime", **period}] if period else None


def _spatial(value: Any, record: JSON) -> Any:
    if not isinstance(value, str) or not value.strip():
        return None
    box = parse_bbox(value)
    if box is not None:
        return {"@type": "Location", "bbox": bbox_wkt(box)}
    if value.startswith(("http://", "https://")) and is_iri(value):
        return {"@type": "Location", "@id": value}
    return {"@type": "Location", "prefLabel": value}


def _landing_page(value: Any, record: JSON) -> Any:
    if not isinstance(value, str):
        return None
    return {"@type": "Document", "accessURL": value, "title": record.get("title") or value}


def _described_by(value: Any, item: JSON) -> Any:
    if not isinstance(value, str):
        return None
    dictionary = {"@type": "Distribution", "accessURL": value}
    media = item.get("describedByType")
    return {**dictionary, "mediaType": media} if isinstance(media, str) else dictionary


def _standards(value: Any, record: JSON) -> Any:
    return [{"@type": "Standard", "identifier": value}] if isinstance(value, str) else None


def _rights(value: Any, record: JSON) -> Any:
    return [value] if isinstance(value, str) and value.strip() else None


def _languages(value: Any, record: JSON) -> Any:
    codes = [m.group(1).lower() for m in map(_LANGUAGE.match, value if isinstance(value, list) else []) if m]
    return list(dict.fromkeys(codes)) or None


def _series(value: Any, record: JSON) -> Any:
    """The series the dataset belongs to (3.0 requires each to have a title and a description)."""
    items = value if isinstance(value, list) else []
    kept = [
        {"@type": "DatasetSeries", **s}
        for s in items
        if isinstance(s, dict) and s.get("title") and s.get("description")
    ]
    return kept or None


def _modified(value: Any, record: JSON) -> Any:
    return date_v3(value)


def _same(value: Any, record: JSON) -> Any:
    return value


def _drop(value: Any, record: JSON) -> Any:
    return None


DATASET_RULES: dict[str, Rule] = {
    "@type": lambda value, record: "Dataset",
    "publisher": _organization,
    "contactPoint": _contact,
    "temporal": _temporal,
    "spatial": _spatial,
    "landingPage": _landing_page,
    "describedBy": _described_by,
    "describedByType": _drop,  # carried by describedBy's mediaType
    "conformsTo": _standards,
    "inSeries": _series,
    "rights": _rights,
    "language": _languages,
    "modified": _modified,
    "issued": lambda value, record: date_v3(value),
    "created": lambda value, record: date_v3(value),
}

DISTRIBUTION_RULES: dict[str, Rule] = {
    "@type": lambda value, item: "Distribution",
    "describedBy": _described_by,
    "describedByType": _drop,
    "conformsTo": _standards,
    "issued": lambda value, item: date_v3(value),
    "modified": lambda value, item: date_v3(value),
}


def dataset_to_dcatus3(record: JSON) -> JSON:
    """A DCAT-US JSON dataset (the model's form, repaired for export) as a DCAT-US 3.0 Dataset."""
    out = _convert(record, DATASET_RULES)
    out.setdefault("@type", "Dataset")
    _repeating_modified(record, out)
    _access_rights(record, out)
    distributions = [d for d in record.get("distribution") or [] if isinstance(d, dict)]
    if distributions:
        out["distribution"] = [_distribution(d, record) for d in distributions]
    return out


def _convert(source: JSON, rules: dict[str, Rule]) -> JSON:
    out: JSON = {}
    for key, value in source.items():
        if key == "distribution":
            continue
        converted = rules.get(key, _same)(value, source)
        if converted is not None and converted != []:
            out[key] = converted
    return out


def _distribution(item: JSON, record: JSON) -> JSON:
    out = {"@type": "Distribution", **_convert(item, DISTRIBUTION_RULES)}
    license_ = record.get("license")
    if "license" not in out and isinstance(license_, str):
        out["license"] = license_  # 3.0 puts licences on distributions (data.gov's propagate_license)
    return out


def _repeating_modified(record: JSON, out: JSON) -> None:
    """1.1 allowed a repeating interval as ``modified``; 3.0 reads it as the update frequency."""
    modified = record.get("modified")
    if isinstance(modified, str) and modified.startswith("R/") and "accrualPeriodicity" not in record:
        out["accrualPeriodicity"] = REPEATS.get(modified, "irregular")


def _access_rights(record: JSON, out: JSON) -> None:
    level = record.get("accessLevel")
    if "accessRights" not in out and isinstance(level, str) and level in ACCESS_RIGHTS:
        out["accessRights"] = ACCESS_RIGHTS[level]


def catalog_header_v3(*, catalog_id: str | None, title: str | None, description: str | None) -> JSON:
    """The 3.0 catalog's fields, written before the streamed ``dataset`` array."""
    header: JSON = {"@type": "Catalog"}
    if catalog_id:
        header["@id"] = catalog_id
    header["conformsTo"] = CONFORMS_TO
    if title:
        header["title"] = title
    if description:
        header["description"] = description
    return header
