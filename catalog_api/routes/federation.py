"""Federation outputs: the catalog's data.json (what data.gov harvests) and its export report."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from catalog_api.deps import ServicesDep
from catalog_api.exporting import datajson_chunks, export_report
from catalog_api.schemas import ExcludedRecord, ExportReport

router = APIRouter(tags=["federation"])


@router.get("/data.json", summary="The catalog as DCAT-US 1.1 data.json", response_class=StreamingResponse)
def data_json(services: ServicesDep) -> StreamingResponse:
    chunks = datajson_chunks(services.store, services.settings)
    return StreamingResponse(chunks, media_type="application/json")


@router.get(
    "/api/v1/export/datajson/report",
    response_model=ExportReport,
    summary="Records left out of data.json, with the reason",
)
def datajson_report(services: ServicesDep) -> ExportReport:
    tally = export_report(services.store, services.settings)
    excluded = [ExcludedRecord(id=e.id, title=e.title, source=e.source, problems=e.problems) for e in tally.excluded]
    return ExportReport(profile=services.settings.profile.value, exported=tally.exported, excluded=excluded)
