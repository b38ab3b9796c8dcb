"""Security headers on every response: pages, the API, feeds, static files and errors alike.

The Content-Security-Policy lets a page load only what this host serves — no inline script or style
(``unsafe-inline`` is never allowed; the templates link static files instead), no plugins, no framing by
other sites (``frame-ancestors``). Images may also be ``data:`` URLs (Swagger UI draws its icons so) and
the API docs' ReDoc may start its search worker from a ``blob:``. HSTS is sent only over https (directly
or as a trusted proxy forwarded it), since browsers ignore it over http and it must not pin a plain-http
development server.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The SHA-256 of the empty string: ReDoc's styled-components creates empty <style> elements and fills them
# through the CSSOM (which CSP does not govern); allowing exactly that hash on the docs pages lets it, while
# every inline style with content stays refused.
EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
# ...and one <style> with content: the perfect-scrollbar CSS inside redoc.standalone.js (fastapi-offline 1.7.7).
# If an update changes it, the browser test of /redoc fails on the CSP violation and prints the new hash.
REDOC_SCROLLBAR_STYLE_HASH = "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='"


def content_security_policy(style_src: str = "'self'") -> str:
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {style_src}",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


CONTENT_SECURITY_POLICY = content_security_policy()
DOCS_CONTENT_SECURITY_POLICY = content_security_policy(f"'self' {EMPTY_STYLE_HASH} {REDOC_SCROLLBAR_STYLE_HASH}")
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` (and HSTS over https) unless a response set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if secure:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
