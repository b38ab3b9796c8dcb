"""CKAN's action API at ``/api/3/action/{action}`` (and ``/api/action/{action}``, where ckanapi calls),
by GET with query parameters or POST with a JSON or form body, in CKAN's envelope: ``help``,
``success`` and ``result`` or ``error``."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from catalog_api import ckan
from catalog_api.deps import ServicesDep
from catalog_api.errors import ApiError
from catalog_api.openapi import ckan_errors, errors
from catalog_api.usage import count_use

router = APIRouter(tags=["ckan"])

PATHS = ("/api/3/action/{action}", "/api/action/{action}")
# documented as the known actions; any other is CKAN's "Bad request - Action name not known" (400)
Action = Annotated[str, Path(json_schema_extra={"enum": list(ckan.ACTIONS)}, description="the action's name")]
DOCUMENTED: dict[str, Any] = {
    "response_class": JSONResponse,
    "responses": {
        200: {"description": "CKAN's envelope: help, success and result"},
        **ckan_errors(400, 404, 409),
        **errors(503),
    },
}
BODY = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "application/x-www-form-urlencoded": {"schema": {"type": "object", "additionalProperties": True}},
        },
    }
}
DOCUMENTED_POST = {**DOCUMENTED, "openapi_extra": BODY}


COUNTED = {"package_show": "id", "resource_show": "package_id"}  # action → the field naming the dataset


@router.get("/api/3", summary="CKAN API version")
def api_version() -> dict[str, int]:
    return {"version": ckan.API_VERSION}


@router.get(PATHS[0], summary="A CKAN read action, parameters in the query", **DOCUMENTED)
@router.post(PATHS[0], summary="A CKAN read action, parameters in a JSON or form body", **DOCUMENTED_POST)
@router.get(PATHS[1], include_in_schema=False)
@router.post(PATHS[1], include_in_schema=False)
async def action(action: Action, request: Request, services: ServicesDep) -> JSONResponse:
    help_url = f"{services.settings.base_url}/api/3/action/help_show?name={action}"
    try:
        params = await _params(request)
        result = await run_in_threadpool(ckan.call, services, action, params)
    except ckan.CkanError as exc:
        return _answer(exc.status, {"help": help_url, "success": False, "error": exc.body()})
    except ApiError as exc:
        error = ckan.CkanError(exc.status if exc.status != 400 else 409, "Validation Error", exc.message)
        return _answer(error.status, {"help": help_url, "success": False, "error": error.body()})
    if action in COUNTED and isinstance(result, dict):  # a dataset read through the CKAN API is an API request
        count_use(request, str(result.get(COUNTED[action], "")), "api")
    return _answer(200, {"help": help_url, "success": True, "result": result})


async def _params(request: Request) -> dict[str, Any]:
    """Query parameters, overridden by a POST body (JSON object, or a form)."""
    params: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return params
    body = await request.body()
    if not body.strip():
        return params
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return {**params, **{k: v for k, v in form.items() if isinstance(v, str)}}
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ckan.CkanError(400, "Bad request", "Bad request - JSON Error: the body is not valid JSON") from None
    if not isinstance(decoded, dict):
        raise ckan.CkanError(400, "Bad request", "Bad request - JSON Error: the body must be a JSON object")
    return {**params, **decoded}


def _answer(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status)
