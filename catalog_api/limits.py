"""Request-body limits for every endpoint: an ASGI middleware in front of the whole app.

A request that announces a body over ``NUTMEG_MAX_BODY_BYTES`` (``Content-Length``) is answered ``413``
before the app sees it; a body without a length (chunked), or longer than it announced, is counted while
the app reads it, and the read that passes the limit raises :class:`BodyTooLarge` — an ``HTTPException``,
so FastAPI's body parsing lets it through and the app's handlers answer it in the one error shape (and
this middleware does, should it arrive here unanswered). Nothing past the limit is ever buffered: the
server hands the body over in small chunks.
"""

from __future__ import annotations

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalog_api.errors import error_body


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, too_large(max_bytes), headers={"Connection": "close"})  # read no more of it


def too_large(max_bytes: int) -> str:
    return f"the request body is larger than {max_bytes:,} bytes (NUTMEG_MAX_BODY_BYTES); send less"


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with ``413 too_large``, announced or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _announced(scope) > self.max_bytes:
            await self._refuse(send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, self._counting(receive), sending)
        except BodyTooLarge:
            if started:  # the app answered before reading it all; nothing more can be said
                raise
            await self._refuse(send)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        return counted

    async def _refuse(self, send: Send) -> None:
        body = orjson.dumps(error_body("too_large", too_large(self.max_bytes)))
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": [*headers, (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _announced(scope: Scope) -> int:
    """The body size a request announces (0 without a usable Content-Length)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0
