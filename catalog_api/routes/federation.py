"""Federation outputs: the catalog's data.json (what data.gov harvests) and its export report."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from catalog_api.conditional import not_modified, validators
from catalog_api.deps import ServicesDep
from catalog_api.exporting import datajson_chunks, export_report
from catalog_api.openapi import NOT_MODIFIED, media
from catalog_api.schemas import Adjusted, ExcludedRecord, ExportReport

router = APIRouter(tags=["federation"])


@router.head("/data.json", include_in_schema=False)
@router.get(
    "/data.json",
    summary="The catalog as DCAT-US 1.1 data.json",
    response_class=StreamingResponse,
    responses={
        **media("application/json", description="a DCAT-US 1.1 catalog", schema={"type": "object"}),
        **NOT_MODIFIED,
    },
)
def data_json(request: Request, services: ServicesDep) -> Response:
    current = validators(services.store, services.settings, "data.json")
    unchanged = not_modified(request, current)
    if unchanged is not None:
        return unchanged
    if request.method == "HEAD":
        return Response(media_type="application/json", headers=current.headers())
    chunks = datajson_chunks(services.store, services.settings)
    return StreamingResponse(chunks, media_type="application/json", headers=current.headers())


@router.get(
    "/api/v1/export/datajson/report",
    response_model=ExportReport,
    summary="Records left out of data.json, with the reason, and what the export adjusted",
)
def datajson_report(services: ServicesDep) -> ExportReport:
    tally = export_report(services.store, services.settings)
    excluded = [ExcludedRecord(id=e.id, title=e.title, source=e.source, problems=e.problems) for e in tally.excluded]
    adjusted = [
        Adjusted(action=a.action, field=a.field, records=n)
        for a, n in sorted(tally.adjusted.items(), key=lambda item: (item[0].action, item[0].field))
    ]
    return ExportReport(
        profile=services.settings.profile.value, exported=tally.exported, excluded=excluded, adjusted=adjusted
    )
