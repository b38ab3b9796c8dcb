"""Opaque cursors for walking every result of a query, past any page limit (search_after style).

A cursor is ``base64url(payload).base64url(mac)``: the payload names the query it belongs to (a
fingerprint), the sort key of the last hit handed out and the page it leads to; the MAC is an HMAC-SHA256
of the payload with the deployment's signing key (``catalog_api/secret.py``), so a client can neither
forge a cursor nor change one. A cursor that is damaged, unsigned, signed with another key, for another
query, or whose contents do not have the shape this module writes is a ``400 bad_cursor``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

from catalog_api.errors import ApiError
from index.search.base import SortKey

MAC_BYTES = 16
MAX_CURSOR_CHARS = 2048
MAX_PAGE = 1_000_000_000
# the first element of a sort key, by sort: a score, a time (None = undated), a title or a popularity
_FIRST: dict[str, tuple[type, ...]] = {
    "relevance": (float, int),
    "modified": (float, int, type(None)),
    "title": (str,),
    "quality": (float, int, type(None)),  # a score; None = unscored
    "popular": (int,),
}


def fingerprint(params: Mapping[str, Any]) -> str:
    """A short hash of the query a cursor belongs to (so it cannot be replayed on another query)."""
    return hashlib.blake2b(orjson.dumps(params, option=orjson.OPT_SORT_KEYS), digest_size=6).hexdigest()


def encode(signing_key: bytes, query_fingerprint: str, key: SortKey, page: int) -> str:
    payload = orjson.dumps({"q": query_fingerprint, "k": list(key), "p": page})
    return f"{_b64(payload)}.{_b64(_mac(signing_key, payload))}"


def decode(signing_key: bytes, cursor: str, query_fingerprint: str, sort: str) -> tuple[SortKey, int]:
    """The sort key and page number a cursor stands for; 400 when it is damaged, forged or for another query."""
    data = _verified(signing_key, cursor)
    if data.get("q") != query_fingerprint:
        raise ApiError(400, "bad_cursor", "parameter 'cursor' belongs to a different query; start again without it")
    key, page = data.get("k"), data.get("p")
    if not isinstance(key, list) or not _is_key(key, sort) or not isinstance(page, int) or not _is_page(page):
        raise _not_ours()
    return tuple(key), page


def _verified(signing_key: bytes, cursor: str) -> dict[str, Any]:
    if len(cursor) > MAX_CURSOR_CHARS or cursor.count(".") != 1:
        raise _not_ours()
    encoded, mac = cursor.split(".")
    try:
        payload, signature = _unb64(encoded), _unb64(mac)
    except (binascii.Error, ValueError):
        raise _not_ours() from None
    if not hmac.compare_digest(signature, _mac(signing_key, payload)):
        raise _not_ours()
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise _not_ours() from None
    if not isinstance(data, dict) or set(data) != {"q", "k", "p"}:
        raise _not_ours()
    return data


def _is_key(key: list[Any], sort: str) -> bool:
    if len(key) != 2 or not isinstance(key[1], str):
        return False
    first = key[0]
    return not isinstance(first, bool) and isinstance(first, _FIRST.get(sort, ()))


def _is_page(page: int) -> bool:
    return not isinstance(page, bool) and 2 <= page <= MAX_PAGE


def _not_ours() -> ApiError:
    return ApiError(400, "bad_cursor", "parameter 'cursor' is not a cursor this API issued; start again without it")


def _mac(signing_key: bytes, payload: bytes) -> bytes:
    return hmac.new(signing_key, payload, hashlib.sha256).digest()[:MAC_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError("empty or not ASCII")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
