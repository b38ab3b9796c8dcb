"""Usage over HTTP: the counting download redirect the pages link through, and the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, StreamingResponse

from catalog_api.deps import ServicesDep
from catalog_api.errors import ApiError
from catalog_api.openapi import errors
from catalog_api.search_params import Iso
from catalog_api.usage import count_use
from catalog_api.web.dataset_view import distributions
from index.ids import id_from_slug
from index.usage import DailyRow, daily_rows
from mappings.model import Dataset

router = APIRouter(tags=["usage"])
CSV_COLUMNS = ("day", "dataset_id", "title", "views", "api", "downloads")
MAX_DISTRIBUTIONS = 100_000


@router.get(
    "/datasets/{dataset_id}/distributions/{number}/download",
    summary="Download a distribution (counted), by redirect to the URL its record holds",
    response_class=RedirectResponse,
    status_code=303,
    responses={303: {"description": "to the distribution's downloadURL"}, **errors(404, 410)},
)
def download(
    dataset_id: str,
    number: Annotated[int, Path(ge=0, le=MAX_DISTRIBUTIONS, description="the distribution's position, from 0")],
    request: Request,
    services: ServicesDep,
) -> RedirectResponse:
    """Only ever to the ``downloadURL`` of that distribution of that record, and only an absolute http(s)
    or ftp URL (never a URL taken from the request: no open redirect)."""
    record = services.store.get_record(id_from_slug(dataset_id) or dataset_id)
    if record.withdrawn:
        raise ApiError(410, "gone", f"dataset {record.id} was withdrawn by its source")
    listed = distributions(Dataset.model_validate(record.dataset))
    if number >= len(listed):
        raise ApiError(404, "not_found", f"dataset {record.id} has no distribution {number} (they count from 0)")
    target = listed[number].download_url
    if target is None:
        raise ApiError(404, "not_found", f"distribution {number} of dataset {record.id} has no download link")
    count_use(request, record.id, "download")
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


@router.get(
    "/api/v1/usage.csv",
    summary="Usage per dataset per day (CSV)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": ",".join(CSV_COLUMNS)}, **errors(400, 404)},
)
def usage_csv(
    services: ServicesDep,
    since: Annotated[date | None, Iso, Query(description="first day (UTC, ISO date), inclusive")] = None,
    until: Annotated[date | None, Iso, Query(description="last day (UTC, ISO date), inclusive")] = None,
    dataset: Annotated[str | None, Query(max_length=200, description="one dataset's id")] = None,
) -> StreamingResponse:
    if since and until and since > until:
        raise ApiError(400, "bad_parameter", "parameter 'since' must not be after 'until'")
    dataset_id = (id_from_slug(dataset) or dataset) if dataset else None
    if dataset_id is not None:
        services.store.get_record(dataset_id)  # 404 for an unknown dataset
    rows = daily_rows(services.store, since, until, dataset_id)
    headers = {"Content-Disposition": 'attachment; filename="usage.csv"'}
    return StreamingResponse(csv_lines(rows), media_type="text/csv; charset=utf-8", headers=headers)


def csv_lines(rows: Iterator[DailyRow]) -> Iterator[str]:
    """The header, then one line per dataset per day (RFC 4180 quoting)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for n, row in enumerate(rows, 1):
        writer.writerow((row.day.isoformat(), row.dataset_id, row.title or "", row.views, row.api, row.downloads))
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
