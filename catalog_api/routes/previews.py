"""``GET /api/v1/datasets/{id}/distributions/{n}/preview``: a distribution's data preview and profile."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import Field

from catalog_api.deps import ServicesDep
from catalog_api.errors import ApiError
from catalog_api.openapi import errors
from catalog_api.previews import previewable
from catalog_api.schemas import Public
from index.ids import id_from_slug
from index.previews import PreviewRow, get_preview
from index.store import RecordRow
from mappings.derive import format_label
from mappings.model import Dataset

router = APIRouter(prefix="/api/v1", tags=["api"])
MAX_DISTRIBUTIONS = 1_000_000
Position = Annotated[int, Path(ge=0, le=MAX_DISTRIBUTIONS, description="the distribution's position, from 0")]


class PreviewColumn(Public):
    name: str
    type: str = Field(description="the type frictionless inferred: string, integer, number, date, datetime, ...")


class PreviewProblem(Public):
    type: str = Field(description="the kind of problem (type-error, missing-cell, charset, html, fetch, ...)")
    message: str
    row: int | None = Field(None, description="the row's position in the file (the header is row 1)")
    field: str | None = None


class PreviewPublic(Public):
    """A distribution's data file as the catalog last read it: columns, first rows, count, problems."""

    dataset_id: str
    distribution: int = Field(description="the distribution's position in the dataset, from 0")
    url: str = Field(description="the file that was read")
    format: str = Field(description="csv, tsv, xlsx, json or geojson: what the content turned out to be")
    status: Literal["ok", "failed"] = Field(description="failed: the file could not be fetched or read (see errors)")
    message: str | None = Field(None, description="why it failed, or why the last check kept an older preview")
    columns: list[PreviewColumn]
    rows: list[list[Any]] = Field(description="the first rows, each a list aligned with columns")
    row_count: int | None = Field(None, description="rows in the file (in the part read, when truncated)")
    truncated: bool = Field(description="only the first part of the file was read (size or time limit)")
    errors: list[PreviewProblem] = Field(description="the first problems found")
    error_count: int
    encoding: str | None = None
    bytes: int | None = Field(None, description="bytes read")
    fetched_at: datetime | None = Field(None, description="when the file was last downloaded")
    checked_at: datetime = Field(description="when the catalog last looked at it")


@router.get(
    "/datasets/{dataset_id}/distributions/{n}/preview",
    response_model=PreviewPublic,
    summary="A distribution's data preview",
    responses=errors(400, 404),
)
def distribution_preview(dataset_id: str, n: Position, services: ServicesDep) -> PreviewPublic:
    record = services.store.get_record(id_from_slug(dataset_id) or dataset_id)
    _check_previewable(record, n)
    found = get_preview(services.store, record.id, n)
    if found is None:
        raise ApiError(
            404,
            "preview_pending",
            f"distribution {n} of dataset {record.id} has not been previewed yet: previews are made after each "
            "harvest (or by `nutmeg check previews`); try again later",
        )
    return preview_public(found)


def _check_previewable(record: RecordRow, n: int) -> None:
    dataset = Dataset.model_validate(record.dataset)
    count = len(dataset.distribution)
    if n >= count:
        listed = f"distributions 0 to {count - 1}" if count else "no distributions"
        raise ApiError(404, "not_found", f"dataset {record.id} has {listed}; there is no distribution {n}")
    if n not in {position for position, _, _ in previewable(dataset)}:
        label = format_label(dataset.distribution[n]) or "of no stated format"
        raise ApiError(
            404,
            "not_previewable",
            f"distribution {n} of dataset {record.id} ({label}) has no preview: only CSV, TSV, XLSX, JSON and "
            "GeoJSON files with a download URL are previewed",
        )


def preview_public(row: PreviewRow) -> PreviewPublic:
    return PreviewPublic(
        dataset_id=row.record_id,
        distribution=row.position,
        url=row.url,
        format=row.kind,
        status="ok" if row.ok else "failed",
        message=row.message,
        columns=[PreviewColumn(**c) for c in row.columns],
        rows=row.rows,
        row_count=row.row_count,
        truncated=row.truncated,
        errors=[PreviewProblem(**e) for e in row.errors],
        error_count=row.error_count,
        encoding=row.encoding,
        bytes=row.bytes,
        fetched_at=row.fetched_at,
        checked_at=row.checked_at,
    )
