"""Catalog-wide dataset ids and URL slugs."""

from __future__ import annotations

import hashlib
import re
import unicodedata

ID_LENGTH = 16
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648's alphabet, lower case (base64.b32encode's, 5x slower)
_SHIFTS = tuple(range(75, -1, -5))
_ID = re.compile(r"^[a-z2-7]{16}$")


def record_id(source: str, identifier: str) -> str:
    """A stable 16-character id for ``identifier`` within ``source`` (base32 of a keyed hash).

    Identifiers are only unique inside one catalog, so the source name is part of the key; the id
    survives re-harvests and is safe in URLs.
    """
    digest = hashlib.blake2b(f"{source}\x00{identifier}".encode(), digest_size=10).digest()
    number = int.from_bytes(digest, "big")  # 80 bits: exactly 16 base32 digits, no padding
    return "".join([_BASE32[(number >> shift) & 31] for shift in _SHIFTS])


def is_record_id(value: str) -> bool:
    return bool(_ID.match(value))


def slugify(title: str, limit: int = 60) -> str:
    """A readable, ASCII, lower-case slug of a title (``"Crime Stats 2012"`` → ``crime-stats-2012``)."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] or slug[:limit]
    return slug or "dataset"


def slug_path(title: str, id_: str) -> str:
    """``crime-stats-2012-<id>``: the last path segment of a dataset's page."""
    return f"{slugify(title)}-{id_}"


def id_from_slug(segment: str) -> str | None:
    """The record id at the end of a ``slug-id`` segment (or the segment itself when it is an id)."""
    candidate = segment[-ID_LENGTH:]
    if len(segment) > ID_LENGTH and segment[-ID_LENGTH - 1] != "-":
        return None
    return candidate if is_record_id(candidate) else None
