"""Federation outputs: the catalog's data.json (what data.gov harvests), in DCAT-US 1.1 and 3.0, and the
export report."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from catalog_api.conditional import head_response, not_modified, validators
from catalog_api.deps import ServicesDep
from catalog_api.exporting import datajson_chunks, export_report
from catalog_api.openapi import NOT_MODIFIED, media
from catalog_api.schemas import Adjusted, ExcludedRecord, ExportReport
from catalog_api.services import Services

router = APIRouter(tags=["federation"])

Version = Literal["1.1", "3.0"]
_RESPONSES: dict[int | str, dict[str, Any]] = {
    **media("application/json", description="a DCAT-US catalog (data.json)", schema={"type": "object"}),
    **NOT_MODIFIED,
}


def _datajson(request: Request, services: Services, version: str) -> Response:
    current = validators(services.store, services.settings, f"data.json/{version}")
    unchanged = not_modified(request, current)
    if unchanged is not None:
        return unchanged
    if request.method == "HEAD":
        return head_response("application/json", current.headers())
    chunks = datajson_chunks(services.store, services.settings, version=version)
    return StreamingResponse(chunks, media_type="application/json", headers=current.headers())


@router.head("/data.json", include_in_schema=False)
@router.get(
    "/data.json",
    summary="The catalog as data.json, in the DCAT-US version NUTMEG_DATAJSON_VERSION picks (1.1 by default)",
    response_class=StreamingResponse,
    responses=_RESPONSES,
)
def data_json(request: Request, services: ServicesDep) -> Response:
    return _datajson(request, services, services.settings.datajson_version)


@router.head("/dcat-us/1.1/data.json", include_in_schema=False)
@router.get(
    "/dcat-us/1.1/data.json",
    summary="The catalog as DCAT-US 1.1 data.json",
    response_class=StreamingResponse,
    responses=_RESPONSES,
)
def data_json_v11(request: Request, services: ServicesDep) -> Response:
    return _datajson(request, services, "1.1")


@router.head("/dcat-us/3.0/data.json", include_in_schema=False)
@router.get(
    "/dcat-us/3.0/data.json",
    summary="The catalog as DCAT-US 3.0 JSON",
    response_class=StreamingResponse,
    responses=_RESPONSES,
)
def data_json_v30(request: Request, services: ServicesDep) -> Response:
    return _datajson(request, services, "3.0")


@router.get(
    "/api/v1/export/datajson/report",
    response_model=ExportReport,
    summary="Records left out of data.json, with the reason, and what the export adjusted",
)
def datajson_report(
    services: ServicesDep,
    version: Annotated[Version | None, Query(description="DCAT-US version (default: what /data.json serves)")] = None,
) -> ExportReport:
    chosen = version or services.settings.datajson_version
    tally = export_report(services.store, services.settings, chosen)
    excluded = [ExcludedRecord(id=e.id, title=e.title, source=e.source, problems=e.problems) for e in tally.excluded]
    adjusted = [
        Adjusted(action=a.action, field=a.field, source=a.source, records=n)
        for a, n in sorted(tally.adjusted.items(), key=lambda item: (item[0].action, item[0].field, item[0].source))
    ]
    return ExportReport(
        profile=services.settings.profile.value,
        version=chosen,
        exported=tally.exported,
        excluded=excluded,
        adjusted=adjusted,
    )
