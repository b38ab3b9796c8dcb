"""The API's documentation pages, Swagger UI at ``/docs`` and ReDoc at ``/redoc``, served from files this
app ships (the ``fastapi-offline`` package's copies of Swagger UI and ReDoc, mounted at ``/vendor``): a
state network or a strict Content-Security-Policy blocks CDNs, and nothing here loads from another host.

FastAPI's own pages start Swagger UI with an inline script, which the CSP forbids; here a static script
(``static/api-docs.js``) starts it, reading the OpenAPI URL from a data attribute. ReDoc starts itself
from its ``<redoc spec-url>`` element.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from catalog_api.security import DOCS_CONTENT_SECURITY_POLICY
from catalog_api.templating import templates
from catalog_api.web.static import Assets, CachedStaticFiles

router = APIRouter(include_in_schema=False)


def vendor_folder() -> Path:
    return Path(str(resources.files("fastapi_offline") / "static"))


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, "api_docs.html")


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    return _page(request, "redoc.html")


def _page(request: Request, template: str) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")
    context = {"openapi_url": f"{root}{request.app.openapi_url}"}
    response = templates(request).TemplateResponse(request, template, context)
    response.headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
    return response


def install_api_docs(app: FastAPI) -> None:
    """Mount the vendored Swagger UI and ReDoc files and add ``/docs`` and ``/redoc``."""
    vendor = Assets(vendor_folder(), prefix="/vendor")
    app.state.templates.env.globals.update(vendor_url=vendor.url)
    app.mount("/vendor", CachedStaticFiles(vendor), name="vendor")
    app.include_router(router)
