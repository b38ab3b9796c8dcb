"""Error pages for people: a browser that asks for a page gets the error as HTML, everything else (the
API, data.json, machine-readable forms, scripts) keeps the one JSON error shape.

The JSON handlers in ``catalog_api.errors`` stay the single place that decides status, code and message;
this module only wraps them and re-renders their answer when the request wants HTML.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from catalog_api.negotiation import choose, split_extension

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]

MACHINE_PREFIXES = ("/api/", "/static/", "/docs", "/redoc")
MACHINE_PATHS = {"/data.json", "/healthz", "/openapi.json"}
FORM_PREFIXES = ("/manage", "/signin", "/signout")  # pages whose forms post: their errors are pages too
KEPT_HEADERS = ("retry-after", "allow")
TITLES: dict[int, str] = {
    400: "That request could not be understood",
    401: "Sign in first",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    406: "Not available in that form",
    409: "Conflict",
    410: "This dataset was withdrawn",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def wants_html(request: Request) -> bool:
    """A GET for a page (not an API or data path) from a client that prefers HTML to JSON."""
    path = request.url.path
    if request.method == "POST" and path.startswith(FORM_PREFIXES):
        return choose(request.headers.get("accept"), default="json") == "html"
    if request.method not in ("GET", "HEAD") or path in MACHINE_PATHS or path.startswith(MACHINE_PREFIXES):
        return False
    if split_extension(path.rsplit("/", 1)[-1])[1] not in (None, "html"):
        return False
    return choose(request.headers.get("accept"), default="json") == "html"


def install(app: FastAPI, templates: Jinja2Templates) -> None:
    """Wrap every registered exception handler (call after ``catalog_api.errors.install``)."""
    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = _html_aware(handler, templates)


def _html_aware(handler: Handler, templates: Jinja2Templates) -> Handler:
    async def respond(request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        if inspect.isawaitable(response):
            response = await response
        if not isinstance(response, JSONResponse) or not wants_html(request):
            return response
        return error_page(templates, request, response)

    return respond


def error_page(templates: Jinja2Templates, request: Request, response: JSONResponse) -> Response:
    error: dict[str, Any] = orjson.loads(bytes(response.body)).get("error", {})
    status = response.status_code
    context = {
        "status": status,
        "title": TITLES.get(status, "Something went wrong" if status >= 500 else "That did not work"),
        "code": error.get("code", "error"),
        "message": error.get("message", ""),
    }
    headers = {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
    return templates.TemplateResponse(request, "error.html", context, status_code=status, headers=headers)
