"""A loopback proxy that lets the official Elasticsearch client talk to the OpenSearch test node.

Maven Central has the Elasticsearch 8 server jar and its netty4 module, but not ``analysis-common`` (the
english analyzer, the lowercase normalizer) nor x-pack ``spatial`` (geo_shape), so no Elasticsearch node that
can hold Nutmeg's mapping can be started from it. The Elasticsearch client path therefore runs against
the OpenSearch node (same query DSL for everything Nutmeg sends) through this proxy, which supplies what
the client checks and nothing else:

* requests: ``application/vnd.elasticsearch+json; compatible-with=N`` (and ``+x-ndjson``) become the plain
  media types OpenSearch understands;
* responses: every one carries ``X-Elastic-Product: Elasticsearch`` (the client refuses others), and the
  root document (``GET /``) reads as Elasticsearch of the client's major version, so product detection
  picks the Elasticsearch client.

It records the media types it rewrote, so a test can show the official client really spoke through it.
With ``pose=False`` it forwards untouched, and ``busy`` makes the next ``_bulk`` requests come back 429
(``"request"``: the whole request refused; ``"item"``: the first item of the response refused), as a
cluster under load answers.
"""

from __future__ import annotations

import http.server
import re
import threading
from typing import Any

import httpx
import orjson

_COMPAT = re.compile(r"application/vnd\.elasticsearch\+([a-z-]+)\s*;\s*compatible-with=\d+")
_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "host",
    "accept-encoding",
    "content-encoding",
}


class ElasticsearchFacade:
    """``with ElasticsearchFacade(upstream, major=9) as proxy: proxy.url`` — an Elasticsearch look-alike."""

    def __init__(self, upstream: str, major: int = 9, *, pose: bool = True) -> None:
        self.upstream = upstream.rstrip("/")
        self.major = major
        self.pose = pose
        self.busy: list[str] = []
        self.bulk_requests = 0
        self.seen_media_types: set[str] = set()
        self._client = httpx.Client(timeout=60)
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ElasticsearchFacade:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        facade = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                bulk = self.path.split("?")[0].endswith("/_bulk")
                facade.bulk_requests += bulk
                fault = facade.busy.pop(0) if bulk and facade.busy else None
                if fault == "request":
                    self._reply(
                        429, orjson.dumps({"error": {"type": "es_rejected_execution_exception"}, "status": 429})
                    )
                    return
                headers = {k: facade.rewrite(v) for k, v in self.headers.items() if k.lower() not in _HOP}
                upstream = facade._client.request(
                    self.command, facade.upstream + self.path, headers=headers, content=body
                )
                content = upstream.content
                if facade.pose and self.command == "GET" and self.path.split("?")[0] in ("", "/"):
                    content = facade.root_document(content)
                if fault == "item":
                    content = refuse_first_item(content)
                extra = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP}
                self._reply(upstream.status_code, content, extra)

            def _reply(self, status: int, content: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for key, value in (headers or {"content-type": "application/json"}).items():
                    self.send_header(key, value)
                if facade.pose:
                    self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        return Handler

    def rewrite(self, value: str) -> str:
        if not self.pose:
            return value
        match = _COMPAT.search(value)
        if match is None:
            return value
        self.seen_media_types.add(match.group(0))
        return _COMPAT.sub(lambda m: f"application/{m.group(1)}", value)

    def root_document(self, content: bytes) -> bytes:
        document = orjson.loads(content)
        version = document["version"]
        version.pop("distribution", None)
        version |= {"number": f"{self.major}.0.0", "build_flavor": "default"}
        document["tagline"] = "You Know, for Search"
        return orjson.dumps(document)


def refuse_first_item(content: bytes) -> bytes:
    """A bulk response whose first item was rejected for load (the document is retried; indexing is
    idempotent by id, so the real write that did happen does no harm)."""
    response = orjson.loads(content)
    (action,) = response["items"][0]
    response["items"][0][action] |= {"status": 429, "error": {"type": "es_rejected_execution_exception"}}
    response["errors"] = True
    return orjson.dumps(response)
