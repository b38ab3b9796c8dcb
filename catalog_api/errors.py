"""One JSON error shape for every API error: ``{"error": {"code": ..., "message": ...}}``.

Messages say what went wrong, where, and what to do next; a 500 never shows internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.search.base import BackendUnavailable, SearchError
from index.store import Conflict, NotFound

log = logging.getLogger("nutmeg.api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    422: "bad_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """Raised by handlers for an error with a chosen status, code and message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        fields: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.fields = fields  # per-field problems of a request body: [{"field", "message"}]


MAX_MESSAGE = 1000  # an error never echoes a huge parameter back
MAX_ECHO = 80  # characters of a bad value quoted in a message


def error_body(code: str, message: str, fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": clip(message, MAX_MESSAGE)}
    if fields is not None:
        body["fields"] = fields
    return {"error": body}


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    fields: list[dict[str, str]] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, fields), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(SearchError, _search_error)
    app.add_exception_handler(BackendUnavailable, _unavailable)
    app.add_exception_handler(Exception, _internal)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers, exc.fields)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = list(dict.fromkeys(_describe(e) for e in exc.errors()))  # a union's parts may say it twice
    return error_response(400, "bad_parameter", "; ".join(problems) or "invalid request")


# pydantic's names for the members of a ``datetime | date`` parameter: said as one, in words people use
_DATE_PARTS = ("datetime", "date")
DATE_HINT = "use YYYY-MM-DD or an ISO 8601 date-time (e.g. 2024-05-01 or 2024-05-01T12:00:00Z)"


def _describe(error: Any) -> str:
    location = [str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body")]
    is_date = (len(location) > 1 and location[-1] in _DATE_PARTS) or error.get("type", "").startswith(_DATE_PARTS)
    if len(location) > 1 and location[-1] in _DATE_PARTS:
        location = location[:-1]
    name = ".".join(location) or "request"
    value = error.get("input")
    shown = f" (got {clip(str(value), MAX_ECHO)!r})" if isinstance(value, str | int | float) else ""
    return f"parameter '{name}': {DATE_HINT if is_date else error.get('msg', 'invalid')}{shown}"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES.get(exc.status_code, "error")
    message = str(exc.detail) if exc.detail else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = f"nothing at {request.url.path}; see /docs for the API"
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
        headers = {**(headers or {}), "Allow": ", ".join(_allowed(request))}
    return error_response(exc.status_code, code, message, headers)


def _allowed(request: Request) -> list[str]:
    """Every method some route answers at this path (Starlette names only the first matching route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):  # routes of included routers too
        path_regex = getattr(route, "path_regex", None)
        if route.methods and path_regex is not None and path_regex.match(request.url.path):
            methods |= route.methods
    return sorted(methods)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return error_response(404, "not_found", str(exc))


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    return error_response(409, "conflict", str(exc))


async def _search_error(request: Request, exc: Exception) -> JSONResponse:
    return error_response(400, "bad_query", str(exc))


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("search engine unavailable: %s", exc)
    return error_response(
        503,
        "search_unavailable",
        "the search engine is unavailable; try again shortly",
        {"Retry-After": "30"},
    )


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "something went wrong on our side; it has been logged")
