"""Query parameters are checked against what each route declares, so a mistake is an error rather than
silently ignored:

* on ``/api/v1``, an unknown parameter is a 400 naming it (``freshnes=stale``, a typo, would otherwise
  return everything);
* on every documented operation, a parameter that takes one value given several times
  (``q=a&q=b``) is a 400 (FastAPI would quietly keep the last).

Each route's parameters are read from what it declares (its own and its dependencies' ``Query``
parameters), once per route, so a parameter added to a route is known at once.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from catalog_api.errors import ApiError

STRICT_PREFIX = "/api/v1/"
_SEQUENCES = (list, tuple, set, frozenset)


@dataclass(frozen=True, slots=True)
class Declared:
    """The query parameters a route takes, by the name clients send, and those taking one value."""

    names: frozenset[str]
    single: frozenset[str]


async def check_query_parameters(request: Request) -> None:
    """An app-wide dependency applying the rules above to the matched route."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.include_in_schema:
        return
    declared = _declared(request, route)
    query = request.query_params
    if route.path.startswith(STRICT_PREFIX):
        for name in query:
            if name not in declared.names:
                raise ApiError(400, "bad_parameter", _unknown(name, declared.names))
    for name in declared.single:
        if len(query.getlist(name)) > 1:
            raise ApiError(400, "bad_parameter", f"parameter {name!r} takes one value; it was given more than once")


def _declared(request: Request, route: APIRoute) -> Declared:
    state = request.app.state
    if not hasattr(state, "declared_query"):
        state.declared_query = {}
    cache: dict[str, Declared] = state.declared_query
    found = cache.get(route.unique_id)
    if found is None:
        found = cache[route.unique_id] = declared_query(route.dependant)
    return found


def declared_query(dependant: Dependant) -> Declared:
    """The query parameters of a route (or dependency) and of everything it depends on."""
    names = {field.alias for field in dependant.query_params}
    single = {field.alias for field in dependant.query_params if not _is_sequence(field.field_info.annotation)}
    for sub in dependant.dependencies:
        inner = declared_query(sub)
        names |= inner.names
        single |= inner.single
    return Declared(frozenset(names), frozenset(single))


def _is_sequence(annotation: object) -> bool:
    origin = typing.get_origin(annotation)
    if origin in _SEQUENCES:
        return True
    return any(_is_sequence(arg) for arg in typing.get_args(annotation)) if origin is not None else False


def _unknown(name: str, known: frozenset[str]) -> str:
    shown = name if len(name) <= 40 else name[:40] + "…"
    if not known:
        return f"unknown parameter {shown!r}: this endpoint takes no query parameters"
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown parameter {shown!r}; {hint}this endpoint takes: {', '.join(sorted(known))}"
