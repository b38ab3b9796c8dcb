"""The OpenAPI document tells the truth: every status an operation answers, errors with their one schema,
and every media type it answers in (feeds, sitemaps and RDF are not JSON).

Routes declare what is particular to them with :func:`errors` and :func:`media`; :func:`install`
completes every operation with what holds for all of them: ``413`` (the body limit in front of the whole
app), ``500``, ``400`` wherever a parameter or body can be wrong, ``404`` wherever a path names something;
and it drops the ``422`` FastAPI adds to every operation with parameters (with its own validation
schema), which this API never answers: invalid input is a ``400``. A route that does answer ``422``
declares it with ``errors(422)`` and gets the error schema like every other status.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from catalog_api.schemas import CkanErrorResponse, ErrorResponse
from catalog_api.settings import Settings

DESCRIPTIONS = {
    400: "a parameter (or the body) is missing, malformed, out of range or unknown (`bad_parameter`, `bad_cursor`, "
    "`bad_query`)",
    404: "nothing at this address (`not_found`)",
    406: "no offered format matches `Accept` (`not_acceptable`)",
    409: "a parameter is invalid (CKAN's Validation Error or Search Query Error)",
    410: "the dataset was withdrawn by its source (`gone`)",
    422: "the request is well formed but cannot be carried out (a route that answers it declares it)",
    413: "the request body is larger than `NUTMEG_MAX_BODY_BYTES` (`too_large`)",
    500: "something went wrong on the server; it has been logged (`internal_error`)",
    503: "the search engine is unavailable; retry after `Retry-After` seconds (`search_unavailable`)",
}
ALWAYS = (413, 500)
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "unchanged since the ETag or date sent"}}
RDF_MEDIA = ("text/turtle", "application/rdf+xml", "application/ld+json", "application/n-triples")


def errors(*statuses: int, model: type[BaseModel] = ErrorResponse) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for the error statuses a route answers, with the error schema."""
    return {status: {"model": model, "description": DESCRIPTIONS[status]} for status in statuses}


def ckan_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return errors(*statuses, model=CkanErrorResponse)


def media(*types: str, description: str, schema: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a 200 answered in other media types than JSON (use with ``response_class=Response``)."""
    shape = schema or {}  # any: XML, Turtle and HTML are text; JSON-LD is JSON whose shape RDF decides
    return {200: {"description": description, "content": {t: {"schema": shape} for t in types}}}


def install(app: FastAPI, settings: Settings) -> None:
    """Replace ``app.openapi`` with one that completes every operation's responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _add_error_schema(schema)
            for path, item in schema.get("paths", {}).items():
                for operation in item.values():
                    _complete(path, operation, settings)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_error_schema(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorResponse, CkanErrorResponse):
        definition = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
        components.update(definition.pop("$defs", {}))
        components.setdefault(model.__name__, definition)
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)


def _complete(path: str, operation: dict[str, Any], settings: Settings) -> None:
    responses = operation.setdefault("responses", {})
    if "HTTPValidationError" in str(responses.get("422", "")):
        del responses["422"]  # FastAPI's, not ours
    wanted = list(ALWAYS)
    if operation.get("parameters") or operation.get("requestBody") or path.startswith("/api/v1/"):
        wanted.append(400)
    if "{" in path:
        wanted.append(404)
    for status in wanted:
        responses.setdefault(str(status), _error(status))
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and parameter.get("name") == "per_page" and _is_api_search(path, operation):
            parameter["schema"]["maximum"] = settings.max_per_page
        alternatives = parameter.get("schema", {}).get("anyOf")
        if _is_search(operation) and alternatives and {"type": "null"} in alternatives:
            alternatives.append(BLANK)  # an optional search parameter sent empty is not given (OpenSearch)


BLANK = {"type": "string", "pattern": "^\\s*$"}  # empty or only spaces: not given (blank_is_none)


def _is_search(operation: dict[str, Any]) -> bool:
    return any(p.get("name") == "cursor" for p in operation.get("parameters", []))


def _is_api_search(path: str, operation: dict[str, Any]) -> bool:
    """The JSON search refuses a page larger than the setting; the feeds clamp it to the setting."""
    return path.startswith("/api/v1/") and any(p.get("name") == "cursor" for p in operation.get("parameters", []))


def _error(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
