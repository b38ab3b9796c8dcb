"""Conditional GET for the catalog's published outputs (data.json, catalog pages, sitemaps).

Each output is a function of the live records, the settings that shape it and the code that writes it,
so its ETag is a hash of the catalog's version (:func:`index.publishing.catalog_version`), the output's
own variant (``data.json``, ``catalog.ttl?page=3``...), those settings and Nutmeg's version. A harvester
that sends the ETag back gets a ``304`` without the catalog being rebuilt. ``Last-Modified`` is the newest
change to a live record or withdrawal; per RFC 9110 it is only consulted when there is no
``If-None-Match``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from importlib import metadata

from fastapi import Request
from fastapi.responses import Response

from catalog_api.settings import Settings
from index.publishing import CatalogVersion, catalog_version
from index.store import Store

CACHE_CONTROL = "public, no-cache"


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str
    last_modified: datetime | None

    def headers(self) -> dict[str, str]:
        out = {"ETag": self.etag, "Cache-Control": CACHE_CONTROL}
        if self.last_modified is not None:
            out["Last-Modified"] = http_date(self.last_modified)
        return out


def validators(store: Store, settings: Settings, variant: str) -> Validators:
    """The ETag and Last-Modified of ``variant`` as the catalog stands now."""
    return validators_for(catalog_version(store), settings, variant)


def validators_for(version: CatalogVersion, settings: Settings, variant: str) -> Validators:
    shape = "|".join(
        (
            _software_version(),
            variant,
            version.fingerprint,
            settings.base_url,
            settings.profile.value,
            settings.catalog_title,
            settings.catalog_description,
            repr(settings.catalog_defaults()),
            f"{settings.catalog_page_size}/{settings.sitemap_size}",
        )
    )
    digest = hashlib.blake2b(shape.encode("utf-8"), digest_size=16).hexdigest()
    return Validators(f'"{digest}"', version.last_modified)


def not_modified(request: Request, current: Validators) -> Response | None:
    """A ``304`` when the request's validators match ``current``; None when the body must be sent."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return _304(current) if _etag_matches(if_none_match, current.etag) else None
    since = _parse_http_date(request.headers.get("if-modified-since"))
    if (
        since is not None
        and current.last_modified is not None
        and current.last_modified.replace(microsecond=0) <= since
    ):
        return _304(current)
    return None


def _304(current: Validators) -> Response:
    return Response(status_code=304, headers=current.headers())


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): ``W/"x"`` matches ``"x"``; ``*`` matches anything."""
    wanted = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def _parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _software_version() -> str:
    try:
        return metadata.version("nutmeg-catalog")
    except metadata.PackageNotFoundError:
        return "dev"


def head_response(media_type: str, headers: dict[str, str]) -> Response:
    """The answer to HEAD for a streamed document: the GET's headers, and no ``Content-Length`` — its length
    is not known until it is written, and announcing 0 (what an empty body would say) would be wrong."""
    response = Response(media_type=media_type, headers=headers)
    del response.headers["content-length"]
    return response
