"""Opaque cursors for walking every result of a query, past any page limit (search_after style)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from catalog_api.errors import ApiError
from index.search.base import SortKey


def fingerprint(params: Mapping[str, Any]) -> str:
    """A short hash of the query a cursor belongs to (so it cannot be replayed on another query)."""
    return hashlib.blake2b(orjson.dumps(params, option=orjson.OPT_SORT_KEYS), digest_size=6).hexdigest()


def encode(query_fingerprint: str, key: SortKey, page: int) -> str:
    payload = orjson.dumps({"q": query_fingerprint, "k": list(key), "p": page})
    return base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")


def decode(cursor: str, query_fingerprint: str) -> tuple[SortKey, int]:
    """The sort key and page number a cursor stands for; 400 when it is damaged or for another query."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
        key, page, owner = tuple(data["k"]), int(data["p"]), str(data["q"])
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        raise ApiError(400, "bad_cursor", "parameter 'cursor' is not a cursor this API issued") from exc
    if owner != query_fingerprint:
        raise ApiError(400, "bad_cursor", "parameter 'cursor' belongs to a different query; start again without it")
    return key, page
