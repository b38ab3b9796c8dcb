"""Where a request was sent: the address links are built from when ``NUTMEG_BASE_URL`` is unset.

Behind a reverse proxy the app sees the proxy's connection; the proxy says where the client went in
``X-Forwarded-Proto``, ``X-Forwarded-Host`` and ``X-Forwarded-For``. Those headers are believed only from the
addresses in ``NUTMEG_TRUSTED_PROXIES``: uvicorn's ``ProxyHeadersMiddleware`` handles the scheme and the
client address, and :class:`ForwardedHost` (outside it, so it still sees the proxy's address) the host.
"""

from __future__ import annotations

import ipaddress
import re

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

# a host name, IPv4 or bracketed IPv6 address, with an optional port: nothing that could break out of a URL
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")


def plausible_host(value: str) -> bool:
    return bool(_HOST.match(value))


class ForwardedHost:
    """Take the ``Host`` a trusted proxy forwarded (the first ``X-Forwarded-Host`` value) as the request's."""

    def __init__(self, app: ASGIApp, trusted: list[str]) -> None:
        self.app = app
        self.any = "*" in trusted
        self.networks = [ipaddress.ip_network(item, strict=False) for item in trusted if item != "*"]

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return self.any
        return self.any or any(ip in network for network in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client and self.trusts(client[0]):
            forwarded = dict(scope["headers"]).get(b"x-forwarded-host")
            host = forwarded.decode("latin-1").split(",")[0].strip() if forwarded else ""
            if plausible_host(host):
                headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
                scope = {**scope, "headers": [*headers, (b"host", host.encode("latin-1"))]}
        await self.app(scope, receive, send)


def install_proxy_headers(app: FastAPI, trusted: list[str]) -> None:
    """Believe forwarded headers from ``trusted`` addresses (IPs or CIDR ranges, ``*`` = any)."""
    if trusted:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)
        app.add_middleware(ForwardedHost, trusted=trusted)  # added last: runs first, sees the proxy's address


def request_base_url(request: Request) -> str:
    """``scheme://host[:port][root_path]`` as the client addressed it (the server's own address for a bad Host)."""
    host = request.headers.get("host", "")
    if not plausible_host(host):
        server = request.scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    scheme = "https" if request.url.scheme in ("https", "wss") else "http"
    root = request.scope.get("root_path", "").rstrip("/")
    return f"{scheme}://{host}{root}"
