"""A real HTTP server on loopback for harvest tests: serves files and misbehaves on request.

Each path is a :class:`Route`: a body (bytes, a file, or a generator for endless bodies), a status, extra
headers, delays, a redirect, a body cut short, ETag/Last-Modified with 304s. Requests are logged so tests
can assert on conditional headers and retries.
"""

from __future__ import annotations

import hashlib
import http.server
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

Body = bytes | Path | Callable[[], Iterator[bytes]]


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up (a harvester stopping at its size or time cap) is not an error."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass
class Route:
    body: Body = b""
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunk_delay: float = 0.0
    redirect_to: str | None = None
    truncate_at: int | None = None
    conditional: bool = True
    fail_times: int = 0
    fail_status: int = 503
    last_modified: float = 1_700_000_000.0

    def payload(self) -> bytes:
        if isinstance(self.body, Path):
            return self.body.read_bytes()
        if isinstance(self.body, bytes):
            return self.body
        raise TypeError("streamed bodies have no payload")


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    method: str = "GET"
    body: bytes = b""

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query, keep_blank_values=True)

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


Responder = Callable[[Seen], Route]


class LoopbackServer:
    """``with LoopbackServer() as server: server.route("/data.json", Route(...)); server.url("/data.json")``"""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.responders: dict[str, Responder] = {}
        self.requests: list[Seen] = []
        self.in_flight = 0
        self.peak_in_flight = 0  # the most requests the server was answering at once
        self._count_lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms delayed-ACK stalls

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer._handle(self)

            def do_POST(self) -> None:
                outer._handle(self)

            def do_HEAD(self) -> None:
                outer._handle(self)

        self._server = _Server((host, 0), Handler)
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def route(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def respond(self, path: str, responder: Responder) -> str:
        """Answer ``path`` with whatever ``responder`` makes of each request (fake APIs that page)."""
        self.responders[path] = responder
        return self.url(path)

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    # -- serving ---------------------------------------------------------------------------------

    def _handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        with self._count_lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            self._answer(handler)
        finally:
            with self._count_lock:
                self.in_flight -= 1

    def _answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        seen = Seen(handler.path, dict(handler.headers.items()), handler.command, body)
        self.requests.append(seen)
        responder = self.responders.get(path)
        route = responder(seen) if responder is not None else self.routes.get(path)
        try:
            if route is None:
                self._send(handler, 404, b'{"error": "not found"}', "application/json", {})
                return
            self._serve(handler, route)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            return

    def _serve(self, handler: http.server.BaseHTTPRequestHandler, route: Route) -> None:
        if route.delay:
            time.sleep(route.delay)
        if route.fail_times > 0:
            route.fail_times -= 1
            self._send(handler, route.fail_status, b"try later", "text/plain", dict(route.headers))
            return
        if route.redirect_to is not None:
            self._send(handler, route.status or 302, b"", "text/plain", {"Location": route.redirect_to})
            return
        if callable(route.body) and not isinstance(route.body, Path | bytes):
            self._stream(handler, route)
            return
        payload = route.payload()
        headers = dict(route.headers)
        if route.conditional and route.status == 200:
            etag = '"' + hashlib.sha1(payload).hexdigest() + '"'
            modified = formatdate(route.last_modified, usegmt=True)
            headers.setdefault("ETag", etag)
            headers.setdefault("Last-Modified", modified)
            if handler.headers.get("If-None-Match") == etag:
                self._send(handler, 304, b"", route.content_type, headers)
                return
        if route.truncate_at is not None:
            self._truncated(handler, route, payload, headers)
            return
        self._send(handler, route.status, payload, route.content_type, headers, route.chunk_delay)

    def _send(
        self,
        handler: http.server.BaseHTTPRequestHandler,
        status: int,
        payload: bytes,
        content_type: str,
        headers: dict[str, str],
        chunk_delay: float = 0.0,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        if "Content-Length" not in headers:
            handler.send_header("Content-Length", str(len(payload)) if status != 304 else "0")
        else:  # a made-up length: the connection cannot be reused, and the client is told so
            handler.send_header("Connection", "close")
            handler.close_connection = True
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if status == 304 or handler.command == "HEAD":
            return
        if not chunk_delay:
            handler.wfile.write(payload)
            return
        for start in range(0, len(payload), 4096):
            handler.wfile.write(payload[start : start + 4096])
            handler.wfile.flush()
            time.sleep(chunk_delay)

    def _truncated(
        self, handler: http.server.BaseHTTPRequestHandler, route: Route, payload: bytes, headers: dict[str, str]
    ) -> None:
        """Announce the whole body, send only part of it, then drop the connection."""
        handler.send_response(route.status)
        handler.send_header("Content-Type", route.content_type)
        handler.send_header("Content-Length", str(len(payload)))
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(payload[: route.truncate_at])
        handler.wfile.flush()
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)

    def _stream(self, handler: http.server.BaseHTTPRequestHandler, route: Route) -> None:
        """A chunked body from a generator (endless bodies stop when the client hangs up)."""
        handler.send_response(route.status)
        handler.send_header("Content-Type", route.content_type)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Connection", "close")  # closed after the body, as the client is told
        for key, value in route.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        assert callable(route.body)
        for chunk in route.body():
            if not chunk:
                continue
            handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            if route.chunk_delay:
                handler.wfile.flush()
                time.sleep(route.chunk_delay)
        handler.wfile.write(b"0\r\n\r\n")
        handler.close_connection = True
