"""Unknown query parameters on ``/api/v1`` are errors, not silently ignored: ``freshnes=stale`` (a typo)
would otherwise return everything. Each route's known parameters are read from what it declares
(its own and its dependencies' ``Query`` parameters), so a parameter added to a route is known at once.
"""

from __future__ import annotations

import difflib

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from catalog_api.errors import ApiError

STRICT_PREFIX = "/api/v1/"


async def reject_unknown_parameters(request: Request) -> None:
    """An app-wide dependency: on ``/api/v1`` routes, a query parameter the route does not take is a 400."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.path.startswith(STRICT_PREFIX):
        return
    known = _known(request, route)
    for name in request.query_params:
        if name not in known:
            raise ApiError(400, "bad_parameter", _unknown(name, known))


def _known(request: Request, route: APIRoute) -> frozenset[str]:
    cache: dict[str, frozenset[str]] = request.app.state.__dict__.setdefault("query_parameters", {})
    names = cache.get(route.unique_id)
    if names is None:
        names = cache[route.unique_id] = frozenset(query_names(route.dependant))
    return names


def query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route (or dependency) takes, by the name clients send (the alias)."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= query_names(sub)
    return names


def _unknown(name: str, known: frozenset[str]) -> str:
    shown = name if len(name) <= 40 else name[:40] + "…"
    if not known:
        return f"unknown parameter {shown!r}: this endpoint takes no query parameters"
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown parameter {shown!r}; {hint}this endpoint takes: {', '.join(sorted(known))}"
