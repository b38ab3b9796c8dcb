"""Liveness and readiness: the store and the search engine, each with its status."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from catalog_api.deps import ServicesDep
from catalog_api.schemas import HealthStatus

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=HealthStatus,
    summary="Is the catalog healthy?",
    responses={503: {"model": HealthStatus, "description": "the store or the search index is degraded"}},
)
def healthz(services: ServicesDep) -> JSONResponse:
    try:
        database = {
            "ok": True,
            "version": services.store.server_version(),
            "datasets": services.store.live_count(),
        }
    except SQLAlchemyError as exc:
        database = {"ok": False, "detail": type(exc).__name__}
    try:
        health = services.index.health()
        search = {
            "ok": health.ok,
            "backend": health.backend,
            "version": health.version,
            "detail": health.detail,
            "documents": health.documents,
        }
    except Exception as exc:  # an engine that is down may fail in many ways; report, don't crash
        search = {"ok": False, "backend": getattr(services.index, "name", "?"), "detail": str(exc)[:200]}
    ok = bool(database["ok"]) and bool(search["ok"])
    body = HealthStatus(status="ok" if ok else "degraded", database=database, search=search)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if ok else 503)
