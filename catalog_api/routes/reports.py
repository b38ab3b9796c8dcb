"""An organization's report (issue 13): ``GET /api/v1/organizations/{slug}/report`` (JSON, or one list as
CSV) and its page ``/organization/{slug}/report``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from catalog_api.deps import ServicesDep, html_url
from catalog_api.errors import ApiError
from catalog_api.openapi import errors, media
from catalog_api.reports import LISTS, Report, full_lists, organization_report, report_csv, report_json
from catalog_api.services import Services
from catalog_api.templating import templates
from index.governance import get_organization

router = APIRouter(tags=["api"])
pages = APIRouter(tags=["pages"], include_in_schema=False)

ListName = Literal["stale", "broken_links", "lowest_scores", "problems"]
Format = Literal["json", "csv"]


@router.get(
    "/api/v1/organizations/{slug}/report",
    summary="An organization's report: stale datasets, broken links, lowest scores, problems by kind",
    response_model=None,
    response_class=Response,
    responses={
        **media("application/json", "text/csv", description="the report, or one of its lists as CSV"),
        **errors(400, 404),
    },
)
def organization_report_api(
    slug: str,
    services: ServicesDep,
    list_: Annotated[ListName | None, Query(alias="list", description="one list (needed for CSV)")] = None,
    format_: Annotated[Format, Query(alias="format", description="json (default) or csv")] = "json",
) -> Response:
    org = get_organization(services.store, slug)
    now = services.clock()
    if format_ == "csv":
        if list_ is None:
            raise ApiError(400, "bad_parameter", f"a CSV is one list: add list= one of {', '.join(LISTS)}")
        report = full_lists(services, org, now)
        body = report_csv(report, list_, _linker(services))
        filename = f"{slug}-{list_.replace('_', '-')}.csv"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    found = report_json(organization_report(services, org, now), _linker(services))
    if list_ is not None:
        found = {"organization": found["organization"], "generated_at": found["generated_at"], list_: found[list_]}
    return Response(_json(found), media_type="application/json")


def _linker(services: Services) -> Any:
    return lambda id_, title: html_url(services.settings, id_, title)


def _json(value: Any) -> bytes:
    import orjson

    return orjson.dumps(value)


@pages.get("/organization/{slug}/report", response_class=HTMLResponse)
def organization_report_page(slug: str, request: Request, services: ServicesDep) -> HTMLResponse:
    org = get_organization(services.store, slug)
    report: Report = organization_report(services, org, services.clock())
    context = {"report": report, "lists": LISTS, "now": report.generated_at}
    return templates(request).TemplateResponse(request, "report.html", context)
