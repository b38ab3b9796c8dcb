"""Bring the data.json dialects met in the wild to the DCAT-US 1.1 shape before they become RDF.

* **1.0** (Project Open Data v1.0, 2013–2014; Socrata and early CKAN exports, often a bare array): string
  ``publisher``/``contactPoint`` + ``mbox``, comma-joined ``keyword``, ``accessURL``/``format`` on the
  dataset, ``distribution[].accessURL`` + ``formats``, capitalised ``accessLevel``, word frequencies.
* **3.0** (DCAT-US 3.0 JSON-LD): object identifiers and ``conformsTo``; what has no 1.1 counterpart is
  reported by :func:`unmapped_fields`, never dropped silently.

Each rule is a row in a table; :func:`upgrade_v10` applies them in a short loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from mappings.dcatus import KNOWN_DATASET_KEYS, KNOWN_DISTRIBUTION_KEYS, mailto
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
    """A DCAT-US 3.0 record reduced to the 1.1 fields it shares; notes what changed."""
    out: Record = dict(record)
    issues: list[RecordIssue] = []
    identifier = record.get("identifier")
    if isinstance(identifier, Mapping):
        value = identifier.get("@id") or identifier.get("notation")
        if isinstance(value, str) and value:
            out["identifier"] = value
            issues.append(_note("identifier", f"DCAT-US 3.0 identifier object read as {value!r}", "info"))
        else:
            out.pop("identifier")
    conforms = record.get("conformsTo")
    if isinstance(conforms, Mapping):
        out.pop("conformsTo")
        issues.append(_note("conformsTo", "DCAT-US 3.0 standard object is not mapped to 1.1"))
    return out, issues


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
