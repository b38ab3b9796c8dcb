"""Bring the data.json dialects met in the wild to the DCAT-US 1.1 shape before they become RDF.

* **1.0** (Project Open Data v1.0, 2013–2014; Socrata and early CKAN exports, often a bare array): string
  ``publisher``/``contactPoint`` + ``mbox``, comma-joined ``keyword``, ``accessURL``/``format`` on the
  dataset, ``distribution[].accessURL`` + ``formats``, capitalised ``accessLevel``, word frequencies.
* **3.0** (DCAT-US 3.0 JSON-LD): objects where 1.1 has strings — identifier, contact lists, publisher
  chains, periods of time, locations, landing-page documents, data-dictionary distributions, standards,
  concepts, rights lists — read into the model's shape by a table (:data:`V30_RULES`); what the model
  has no place for is reported by :func:`unmapped_fields` (and kept in the stored source record), never
  dropped silently.

Each rule is a row in a table; :func:`upgrade_v10` applies them in a short loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import orjson

from mappings.dcatus import KNOWN_DATASET_KEYS, KNOWN_DISTRIBUTION_KEYS, geometry_bbox, mailto
from mappings.derive import licence_url_in_text
from mappings.frequencies import FREQUENCIES
from mappings.model import RecordIssue, Severity
from mappings.rdfterms import is_iri

Record = dict[str, Any]


# v1.0 key → v1.1 key, for fields that only changed name.
RENAMES: dict[str, str] = {
    "accessLevelComment": "rights",
    "dataDictionary": "describedBy",
    "PrimaryITInvestmentUII": "primaryITInvestmentUII",
    "releaseDate": "issued",
    "frequency": "accrualPeriodicity",
}

# v1.0 keys that have no 1.1 counterpart: consumed by the rules below, or reported.
CONSUMED_V10 = frozenset({"mbox", "keywords", "webService", "accessURL", "format", "feed"})


def is_v10_record(record: Mapping[str, Any]) -> bool:
    """Heuristic for a 1.0 record inside a catalog that did not say which version it is."""
    return (
        "mbox" in record
        or isinstance(record.get("publisher"), str)
        or isinstance(record.get("contactPoint"), str)
        or isinstance(record.get("keyword"), str)
        or ("accessURL" in record and "distribution" not in record)
        or "webService" in record
    )


def upgrade_v10(record: Mapping[str, Any]) -> Record:
    """A 1.0 record in the 1.1 shape (the original stays stored as the source record)."""
    out: Record = {RENAMES.get(k, k): v for k, v in record.items() if k not in CONSUMED_V10}
    for rule in V10_RULES:
        rule(record, out)
    return out


def _publisher(old: Mapping[str, Any], out: Record) -> None:
    if isinstance(old.get("publisher"), str) and old["publisher"].strip():
        out["publisher"] = {"@type": "org:Organization", "name": old["publisher"].strip()}


def _contact(old: Mapping[str, Any], out: Record) -> None:
    name, email = old.get("contactPoint"), old.get("mbox")
    if isinstance(name, str) or isinstance(email, str):
        contact: Record = {"@type": "vcard:Contact"}
        if isinstance(name, str) and name.strip():
            contact["fn"] = name.strip()
        if isinstance(email, str) and email.strip():
            contact["hasEmail"] = mailto(email)
        out["contactPoint"] = contact


def _keywords(old: Mapping[str, Any], out: Record) -> None:
    words: list[str] = []
    for value in (old.get("keyword"), old.get("keywords")):
        items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
        for word in items:
            if isinstance(word, str) and word.strip() and word.strip() not in words:
                words.append(word.strip())
    if words:
        out["keyword"] = words
    elif "keyword" in out and not isinstance(out["keyword"], list):
        del out["keyword"]


def _access_level(old: Mapping[str, Any], out: Record) -> None:
    level = old.get("accessLevel")
    if isinstance(level, str):
        out["accessLevel"] = level.strip().lower()


def _as_list(key: str) -> Callable[[Mapping[str, Any], Record], None]:
    def rule(old: Mapping[str, Any], out: Record) -> None:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = [v.strip() for v in value.split(",") if v.strip()] if key != "references" else [value]

    return rule


def _frequency(old: Mapping[str, Any], out: Record) -> None:
    value = out.get("accrualPeriodicity")
    if isinstance(value, str) and value.strip().lower() in FREQUENCIES:
        out["accrualPeriodicity"] = FREQUENCIES[value.strip().lower()]


def _license(old: Mapping[str, Any], out: Record) -> None:
    """Socrata's 1.0 licences are prose with the licence's (or the publisher's) URL in it: the URL becomes
    the licence, without the brackets around it, and the prose the rights statement."""
    value = old.get("license")
    if not isinstance(value, str) or is_iri(value.strip()):
        return
    url = licence_url_in_text(value)
    if url is not None:
        out["license"] = url
        if not out.get("rights"):
            out["rights"] = " ".join(value.split())
    elif "\n" in value:
        out["license"] = value.strip()


def _distributions(old: Mapping[str, Any], out: Record) -> None:
    listed = old.get("distribution")
    dists = [_distribution(d) for d in listed if isinstance(d, Mapping)] if isinstance(listed, list) else []
    if not dists and isinstance(old.get("accessURL"), str):
        dists.append(_distribution({"accessURL": old["accessURL"], "format": old.get("format")}))
    if isinstance(old.get("webService"), str):
        dists.append({"@type": "dcat:Distribution", "accessURL": old["webService"], "format": "API"})
    if isinstance(old.get("feed"), str):
        dists.append(
            {
                "@type": "dcat:Distribution",
                "downloadURL": old["feed"],
                "mediaType": "application/rss+xml",
                "format": "RSS",
            }
        )
    if dists:
        out["distribution"] = dists


def _distribution(old: Mapping[str, Any]) -> Record:
    dist: Record = {"@type": "dcat:Distribution"}
    formats = old.get("formats")
    first = formats[0] if isinstance(formats, list) and formats and isinstance(formats[0], Mapping) else {}
    media = old.get("format") if isinstance(old.get("format"), str) else first.get("value")
    if isinstance(old.get("accessURL"), str):
        dist["downloadURL" if media else "accessURL"] = old["accessURL"]
    if isinstance(media, str) and media:
        dist["mediaType"] = media
    if isinstance(first.get("label"), str) and first["label"]:
        dist["format"] = first["label"].upper()
    for key in ("title", "description", "downloadURL", "mediaType"):
        if isinstance(old.get(key), str):
            dist[key] = old[key]
    return dist


V10_RULES: tuple[Callable[[Mapping[str, Any], Record], None], ...] = (
    _publisher,
    _contact,
    _keywords,
    _access_level,
    _as_list("language"),
    _as_list("theme"),
    _as_list("references"),
    _as_list("bureauCode"),
    _as_list("programCode"),
    _frequency,
    _license,
    _distributions,
)


def describes_catalog_itself(record: Mapping[str, Any]) -> bool:
    """Socrata's 2013 exports list the data.json file itself as the first 'dataset'."""
    identifier = record.get("identifier")
    return (
        isinstance(identifier, str)
        and identifier.rstrip("/").endswith("/data.json")
        and record.get("webService") in (identifier, None)
        and "distribution" not in record
    )


def normalize_v30(record: Mapping[str, Any]) -> tuple[Record, list[RecordIssue]]:
    """A DCAT-US 3.0 record in the model's shape (the 1.1 fields plus the 3.0 ones the model holds);
    notes every value that changed shape or could not be kept."""
    out: Record = {k: v for k, v in record.items() if v is not None}
    issues: list[RecordIssue] = []
    _described_by_type(out)
    for key, rule in V30_RULES:
        if key in out:
            _apply(out, key, rule(out[key], key), issues)
    distributions = out.get("distribution")
    if isinstance(distributions, list):
        out["distribution"] = [_distribution_v30(d, i, issues) for i, d in enumerate(distributions)]
    return out, issues


Converted = tuple[Any, str | None]  # (the model-shaped value or None to leave it out, a note or None)


def _apply(out: Record, key: str, converted: Converted, issues: list[RecordIssue]) -> None:
    value, note = converted
    if value is None:
        del out[key]
    else:
        out[key] = value
    if note:
        issues.append(_note(key, note, "info" if value is not None else "warning"))


def _distribution_v30(item: Any, index: int, issues: list[RecordIssue]) -> Any:
    if not isinstance(item, Mapping):
        return item
    out: Record = {k: v for k, v in item.items() if v is not None}
    found: list[RecordIssue] = []
    _described_by_type(out)
    for key, rule in V30_DISTRIBUTION_RULES:
        if key in out:
            _apply(out, key, rule(out[key], key), found)
    issues.extend(i.model_copy(update={"path": f"distribution[{index}].{i.path}"}) for i in found)
    return out


def _described_by_type(out: Record) -> None:
    """A 3.0 data dictionary is a Distribution: its media type is 1.1's ``describedByType``."""
    described = out.get("describedBy")
    if isinstance(described, Mapping) and "describedByType" not in out:
        media = _first_string(described, "mediaType")
        if media:
            out["describedByType"] = media


def _first_string(value: Any, *keys: str) -> str | None:
    for key in keys:
        found = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(found, str) and found.strip():
            return found
    return None


def _first_of_list(value: Any, key: str) -> tuple[Any, str | None]:
    """3.0 allows a list where the model keeps one value: the first, and a note when more are lost."""
    if not isinstance(value, list):
        return value, None
    items = [v for v in value if v is not None]
    note = f"{len(items)} values of {key!r}; the model keeps the first" if len(items) > 1 else None
    return (items[0] if items else None), note


def _identifier_v30(value: Any, key: str) -> Converted:
    if not isinstance(value, Mapping):
        return value, None
    found = _first_string(value, "@id", "notation")
    return found, (f"DCAT-US 3.0 identifier object read as {found!r}" if found else "identifier object without @id")


def _contact_v30(value: Any, key: str) -> Converted:
    first, note = _first_of_list(value, key)
    if not isinstance(first, Mapping):
        return first, note
    contact = {k: first[k] for k in ("fn", "hasEmail", "tel") if isinstance(first.get(k), str)}
    if "fn" not in contact and isinstance(first.get("organization-name"), str):
        contact["fn"] = first["organization-name"]
    return {"@type": "vcard:Contact", **contact}, note


def _organization_v30(value: Any, key: str) -> Converted:
    if not isinstance(value, Mapping):
        return value, None
    org: Record = {"@type": "org:Organization"}
    name = _first_string(value, "name", "prefLabel")
    if name:
        org["name"] = name
    parent, note = _first_of_list(value.get("subOrganizationOf"), "subOrganizationOf")
    if isinstance(parent, Mapping):
        org["subOrganizationOf"] = _organization_v30(parent, key)[0]
    return org, note


def _period_v30(value: Any, key: str) -> Converted:
    """``[{startDate, endDate}]`` → ``start/end`` (``..`` for an open end)."""
    first, note = _first_of_list(value, key)
    if not isinstance(first, Mapping):
        return first, note
    start, end = _first_string(first, "startDate"), _first_string(first, "endDate")
    if not (start or end):
        return None, "a period of time with neither start nor end"
    return f"{start or '..'}/{end or '..'}", note


def _location_v30(value: Any, key: str) -> Converted:
    """A Location → its IRI, its box (``west,south,east,north``) or its name."""
    first, note = _first_of_list(value, key)
    if not isinstance(first, Mapping):
        return first, note
    for shape in ("bbox", "geometry"):
        box = _box(first.get(shape))
        if box:
            return box, note
    return _first_string(first, "@id", "prefLabel", "identifier"), note


def _box(value: Any) -> str | None:
    text = orjson.dumps(value).decode() if isinstance(value, (Mapping, list)) else value
    box = geometry_bbox(text) if isinstance(text, str) else None
    return ",".join(f"{v:g}" for v in box) if box else None


def _document_v30(value: Any, key: str) -> Converted:
    """A landing-page Document → its URL."""
    if not isinstance(value, Mapping):
        return value, None
    return _first_string(value, "accessURL", "@id", "downloadURL"), None


def _described_by_v30(value: Any, key: str) -> Converted:
    """A data-dictionary Distribution → its URL (its media type goes to ``describedByType``)."""
    if not isinstance(value, Mapping):
        return value, None
    return _first_string(value, "downloadURL", "accessURL", "@id"), None


def _standard_v30(value: Any, key: str) -> Converted:
    first, note = _first_of_list(value, key)
    if not isinstance(first, Mapping):
        return first, note
    return _first_string(first, "identifier", "@id"), note


def _concepts_v30(value: Any, key: str) -> Converted:
    if not isinstance(value, list):
        value = [value]
    labels = [_first_string(v, "prefLabel", "@id") if isinstance(v, Mapping) else v for v in value]
    return [v for v in labels if isinstance(v, str)] or None, None


def _rights_v30(value: Any, key: str) -> Converted:
    if not isinstance(value, list):
        return value, None
    texts = [v for v in value if isinstance(v, str) and v.strip()]
    return ("\n".join(texts) or None), (f"{len(texts)} rights statements joined" if len(texts) > 1 else None)


def _series_v30(value: Any, key: str) -> Converted:
    """DatasetSeries objects (or IRIs) → what the model keeps of each: ``@id``, ``title``, ``description``."""
    items = value if isinstance(value, list) else [value]
    kept = [
        {k: v for k, v in item.items() if k in ("@id", "title", "description") and isinstance(v, str)}
        if isinstance(item, Mapping)
        else {"@id": item}
        for item in items
        if isinstance(item, (Mapping, str))
    ]
    return [k for k in kept if k] or None, None


def _as_strings(value: Any, key: str) -> Converted:
    return ([value] if isinstance(value, str) else value), None


V30_RULES: tuple[tuple[str, Callable[[Any, str], Converted]], ...] = (
    ("identifier", _identifier_v30),
    ("contactPoint", _contact_v30),
    ("publisher", _organization_v30),
    ("temporal", _period_v30),
    ("spatial", _location_v30),
    ("landingPage", _document_v30),
    ("describedBy", _described_by_v30),
    ("conformsTo", _standard_v30),
    ("theme", _concepts_v30),
    ("rights", _rights_v30),
    ("inSeries", _series_v30),
    ("language", _as_strings),
    ("keyword", _as_strings),
)

V30_DISTRIBUTION_RULES: tuple[tuple[str, Callable[[Any, str], Converted]], ...] = (
    ("describedBy", _described_by_v30),
    ("conformsTo", _standard_v30),
)


def unmapped_fields(record: Mapping[str, Any]) -> Iterator[RecordIssue]:
    """Fields that the 1.1 model has no place for (kept in the stored source record)."""
    for key in record:
        if key not in KNOWN_DATASET_KEYS and not key.startswith("@"):
            yield _note(key, f"field {key!r} is not part of DCAT-US 1.1; kept in the source record, not mapped")
    distributions = record.get("distribution")
    if not isinstance(distributions, list):
        return
    for i, dist in enumerate(distributions):
        if isinstance(dist, Mapping):
            for key in dist:
                if key not in KNOWN_DISTRIBUTION_KEYS and not key.startswith("@"):
                    yield _note(f"distribution[{i}].{key}", f"field {key!r} is not part of DCAT-US 1.1; not mapped")


def _note(path: str, message: str, severity: Severity = "warning") -> RecordIssue:
    return RecordIssue(path=path, message=message, severity=severity, code="unmapped")
