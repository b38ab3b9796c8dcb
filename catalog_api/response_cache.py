"""Repeated searches answered from memory until the index changes.

An ASGI middleware in front of the app: a ``GET`` of a cached path (the search API) whose canonical query
(parameters sorted), sent to the same scheme, host and root path (answers carry links to where they were
asked when ``NUTMEG_BASE_URL`` is unset), was answered ``200`` since the index last changed gets the same
bytes again, without routing, parameter parsing, searching or serializing. The key includes the search
backend's :meth:`~index.search.base.SearchBackend.version`, read without waiting on searches or writes, so
an answer is never served after the index changed (a harvest committing a batch empties the cache); a
backend that cannot tell its version (Elasticsearch/OpenSearch) is never cached. Only complete ``200``
answers are kept; errors always go through the app. Bounded by entries and bytes (least recently used
first out).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BYTES = 64 << 20


@dataclass(frozen=True, slots=True)
class Cached:
    headers: list[tuple[bytes, bytes]]
    body: bytes


class ResponseCache:
    """Serve repeated ``GET``s of ``paths`` from memory while ``version()`` stays the same."""

    def __init__(
        self, app: ASGIApp, *, paths: frozenset[str], version: Callable[[], Hashable | None], entries: int
    ) -> None:
        self.app = app
        self.paths = paths
        self.version = version
        self.entries = entries
        self._cache: OrderedDict[tuple[str, str, str], Cached] = OrderedDict()
        self._version: Hashable | None = None
        self._bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        version = self.version()
        if version is None:
            await self.app(scope, receive, send)
            return
        if version != self._version:
            self._forget(version)
        key = (origin(scope), scope["path"], canonical(scope.get("query_string", b"")))
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            await send({"type": "http.response.start", "status": 200, "headers": hit.headers})
            await send({"type": "http.response.body", "body": hit.body})
            return
        await self.app(scope, receive, self._recording(send, key, version))

    def _cacheable(self, scope: Scope) -> bool:
        return scope["type"] == "http" and scope["method"] == "GET" and scope["path"] in self.paths

    def _recording(self, send: Send, key: tuple[str, str, str], version: Hashable) -> Send:
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []

        async def recording(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if status == 200 and not message.get("more_body", False):
                    self._keep(key, version, Cached(headers, b"".join(parts)))
            await send(message)

        return recording

    def _keep(self, key: tuple[str, str, str], version: Hashable, entry: Cached) -> None:
        if version != self._version or len(entry.body) > MAX_BYTES // 16:
            return  # the index changed while this answer was made, or it is too big to be worth keeping
        previous = self._cache.pop(key, None)
        self._bytes -= len(previous.body) if previous else 0
        self._cache[key] = entry
        self._bytes += len(entry.body)
        while len(self._cache) > self.entries or self._bytes > MAX_BYTES:
            _, dropped = self._cache.popitem(last=False)
            self._bytes -= len(dropped.body)

    def _forget(self, version: Hashable) -> None:
        self._cache.clear()
        self._bytes = 0
        self._version = version


def canonical(query_string: bytes) -> str:
    """The query with its parameters in a fixed order (``b=1&a=2`` and ``a=2&b=1`` are one search)."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return urlencode(sorted(pairs))


def origin(scope: Scope) -> str:
    """Where the request was sent (scheme, ``Host`` header, root path): part of the key, because links in an
    answer follow it."""
    host = next((v for k, v in scope.get("headers", []) if k == b"host"), b"").decode("latin-1")
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"
