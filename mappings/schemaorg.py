"""The model → schema.org ``Dataset`` JSON-LD, as Google Dataset Search reads it.

https://developers.google.com/search/docs/appearance/structured-data/dataset lists what is read: name,
description, url, identifier, keywords, license, creator/publisher, distribution (DataDownload with
encodingFormat and contentUrl), temporalCoverage, spatialCoverage, dateModified, isAccessibleForFree.
"""

from __future__ import annotations

from typing import Any

from mappings.dcatus import parse_bbox
from mappings.derive import format_label
from mappings.model import Dataset, Distribution


def schema_org_dataset(dataset: Dataset, *, url: str) -> dict[str, Any]:
    """A schema.org Dataset object (with its @context) for the page at ``url``."""
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
        "keywords": dataset.keyword or None,
        "license": dataset.license,
        "dateModified": dataset.modified,
        "datePublished": dataset.issued,
        "temporalCoverage": dataset.temporal,
        "sameAs": dataset.landing_page,
        "inLanguage": dataset.language[0] if dataset.language else None,
        "isAccessibleForFree": (dataset.access_level or "public").lower() == "public",
    }
    if dataset.publisher is not None:
        organization = {"@type": "Organization", "name": dataset.publisher.name}
        optional["publisher"] = organization
        optional["creator"] = organization
    if dataset.contact_point is not None and dataset.contact_point.fn:
        contact: dict[str, Any] = {"@type": "ContactPoint", "name": dataset.contact_point.fn}
        if dataset.contact_point.has_email:
            contact["email"] = dataset.contact_point.has_email.removeprefix("mailto:")
        optional["contactPoint"] = contact
    if dataset.spatial:
        optional["spatialCoverage"] = _place(dataset.spatial)
    downloads = [d for d in (_download(x) for x in dataset.distribution) if d]
    if downloads:
        optional["distribution"] = downloads
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def _description(dataset: Dataset) -> str:
    """Google needs 50–5000 characters; fall back to the title rather than leave it out."""
    text = (dataset.description or "").strip() or dataset.title
    return text[:5000]


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
    return out


def _place(spatial: str) -> dict[str, Any]:
    bbox = parse_bbox(spatial)
    if bbox is None:
        return {"@type": "Place", "name": spatial}
    west, south, east, north = bbox
    return {"@type": "Place", "geo": {"@type": "GeoShape", "box": f"{south} {west} {north} {east}"}}
