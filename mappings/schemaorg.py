"""The model → schema.org ``Dataset`` JSON-LD, as Google Dataset Search reads it.

https://developers.google.com/search/docs/appearance/structured-data/dataset lists what is read: name,
description, url, sameAs, identifier, keywords, license, isAccessibleForFree, isPartOf, creator,
publisher, includedInDataCatalog, distribution (DataDownload with encodingFormat and contentUrl),
temporalCoverage, spatialCoverage, dateModified, datePublished, inLanguage. Only schema.org properties of
``Dataset`` are used (a contact point belongs to the creating organization, not to the dataset), and dates
are written only when they are ISO 8601.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mappings.dcatus import parse_bbox
from mappings.derive import format_label
from mappings.model import ContactPoint, Dataset, Distribution, Organization
from mappings.rdfterms import date_literal, is_iri
from mappings.richtext import plain_text
from mappings.vocab import XSD

DESCRIPTION_MAX = 5000
_ISO_DATES = frozenset({XSD.date, XSD.dateTime, XSD.gYear})


@dataclass(frozen=True, slots=True)
class DataCatalog:
    """The catalog a dataset page belongs to (``includedInDataCatalog``)."""

    name: str | None
    url: str


def schema_org_dataset(dataset: Dataset, *, url: str, catalog: DataCatalog | None = None) -> dict[str, Any]:
    """A schema.org Dataset object (with its @context) for the page at ``url``.

    Without ``catalog``, the catalog is the site the page is on (``…/dataset/…`` → ``…/``).
    """
    out: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": url,
        "name": dataset.title,
        "description": _description(dataset),
        "url": url,
        "identifier": dataset.identifier,
    }
    optional: dict[str, Any] = {
        "keywords": list(dict.fromkeys([*dataset.keyword, *dataset.theme])) or None,
        "license": _license(dataset.license),
        "conditionsOfAccess": dataset.rights,
        "isAccessibleForFree": _free(dataset.access_level),
        "dateModified": _iso_date(dataset.modified),
        "datePublished": _iso_date(dataset.issued),
        "temporalCoverage": dataset.temporal,
        "spatialCoverage": _place(dataset.spatial) if dataset.spatial else None,
        "sameAs": dataset.landing_page if dataset.landing_page and is_iri(dataset.landing_page) else None,
        "inLanguage": (dataset.language[0] if len(dataset.language) == 1 else dataset.language) or None,
        "isPartOf": _parent(dataset.is_part_of),
        "includedInDataCatalog": _catalog(catalog, url),
    }
    if dataset.publisher is not None:
        optional["publisher"] = _organization(dataset.publisher, None)
        optional["creator"] = _organization(dataset.publisher, dataset.contact_point)
    downloads = [d for d in (_download(x) for x in dataset.distribution) if d]
    if downloads:
        optional["distribution"] = downloads
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def _description(dataset: Dataset) -> str:
    """Google needs 50–5000 characters; fall back to the title rather than leave it out."""
    text = plain_text(dataset.description) or dataset.title  # schema.org's description is text
    return text[:DESCRIPTION_MAX]


def _license(value: str | None) -> Any:
    if not value or not value.strip():
        return None
    text = value.strip()
    return text if is_iri(text) else {"@type": "CreativeWork", "name": " ".join(text.split())}


def _free(access_level: str | None) -> bool | None:
    if not access_level:
        return None
    return " ".join(access_level.split()).lower() == "public"


def _iso_date(value: str | None) -> str | None:
    if not value:
        return None
    literal = date_literal(value)
    return str(literal) if literal.datatype in _ISO_DATES else None


def _parent(value: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    parent: dict[str, Any] = {"@type": "Dataset", "identifier": value}
    if is_iri(value) and value.startswith(("http://", "https://")):
        parent["url"] = value
    return parent


def _catalog(catalog: DataCatalog | None, url: str) -> dict[str, Any] | None:
    if catalog is None:
        site, found, _ = url.partition("/dataset/")
        if not found:
            return None
        catalog = DataCatalog(None, f"{site}/")
    out: dict[str, Any] = {"@type": "DataCatalog", "url": catalog.url}
    if catalog.name:
        out["name"] = catalog.name
    return out


def _organization(organization: Organization, contact: ContactPoint | None) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "Organization", "name": organization.name}
    if organization.sub_organization_of is not None:
        out["parentOrganization"] = _organization(organization.sub_organization_of, None)
    if contact is not None and (contact.fn or contact.has_email):
        point: dict[str, Any] = {"@type": "ContactPoint", "contactType": "data steward"}
        if contact.fn:
            point["name"] = contact.fn
        if contact.has_email:
            point["email"] = contact.has_email.removeprefix("mailto:")
        out["contactPoint"] = point
    return out


def _download(dist: Distribution) -> dict[str, Any] | None:
    url = dist.download_url or dist.access_url
    if not url:
        return None
    out: dict[str, Any] = {"@type": "DataDownload", "contentUrl": url}
    encoding = dist.media_type or format_label(dist)
    if encoding:
        out["encodingFormat"] = encoding
    if dist.title:
        out["name"] = dist.title
    if dist.description:
        out["description"] = dist.description
    return out


def _place(spatial: str) -> dict[str, Any]:
    bbox = parse_bbox(spatial)
    if bbox is None:
        return {"@type": "Place", "name": spatial}
    west, south, east, north = bbox
    return {"@type": "Place", "geo": {"@type": "GeoShape", "box": f"{south} {west} {north} {east}"}}
