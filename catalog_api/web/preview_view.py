"""What a dataset page shows of a distribution's data preview: the first rows as a table (cells as
text), the columns with their inferred types, the size of the file and the problems found in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from catalog_api.web.formatting import number
from index.previews import PreviewRow

MAX_COLUMNS = 30  # shown on the page (the API has them all)
MAX_PROBLEMS = 10
MAX_CELL = 120
NUMERIC = frozenset({"integer", "number", "year"})
FORMAT_NAMES = {"csv": "CSV", "tsv": "TSV", "xlsx": "Excel workbook", "json": "JSON", "geojson": "GeoJSON"}


@dataclass(frozen=True, slots=True)
class PreviewColumnView:
    name: str
    type: str
    numeric: bool


@dataclass(frozen=True, slots=True)
class PreviewView:
    ok: bool
    message: str | None
    summary: str  # "134 rows · 3 columns · CSV, UTF-8"
    caption: str  # "The first 20 of 134 rows"
    columns: list[PreviewColumnView]
    more_columns: int
    rows: list[list[str]]
    row_count: int | None
    truncated: bool
    problems: list[dict[str, Any]]
    problem_count: int
    fetched_at: datetime | None
    api_path: str


def preview_view(row: PreviewRow) -> PreviewView:
    shown = row.columns[:MAX_COLUMNS]
    return PreviewView(
        ok=row.ok,
        message=row.message,
        summary=_summary(row),
        caption=_caption(len(row.rows), row.row_count, row.truncated),
        columns=[PreviewColumnView(c["name"], c["type"], c["type"] in NUMERIC) for c in shown],
        more_columns=max(0, len(row.columns) - len(shown)),
        rows=[[cell_text(cell) for cell in r[: len(shown)]] for r in row.rows],
        row_count=row.row_count,
        truncated=row.truncated,
        problems=row.errors[:MAX_PROBLEMS],
        problem_count=row.error_count,
        fetched_at=row.fetched_at,
        api_path=f"/api/v1/datasets/{row.record_id}/distributions/{row.position}/preview",
    )


def previews_by_position(rows: dict[int, PreviewRow]) -> dict[int, PreviewView]:
    return {position: preview_view(row) for position, row in rows.items()}


def first_shown(views: dict[int, PreviewView]) -> int | None:
    """The first distribution with a preview to show (its table is open on the page)."""
    return next((n for n, view in sorted(views.items()) if view.ok), None)


def cell_text(value: Any) -> str:
    """A cell as a person reads it: empty for none, JSON for nested values, long text cut."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = orjson.dumps(value).decode() if isinstance(value, dict | list) else str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _caption(shown: int, count: int | None, truncated: bool) -> str:
    if not shown:
        return "No rows"
    if count == shown and not truncated:
        return "The one row" if shown == 1 else f"All {number(shown)} rows"
    if count is None:
        return f"The first {number(shown)} rows"
    return f"The first {number(shown)} of {'at least ' if truncated else ''}{number(count)} rows"


def _summary(row: PreviewRow) -> str:
    parts: list[str] = []
    if row.row_count is not None:
        rows = f"{number(row.row_count)} row{'' if row.row_count == 1 else 's'}"
        parts.append(f"at least {rows}" if row.truncated else rows)
    if row.columns:
        parts.append(f"{len(row.columns)} column{'' if len(row.columns) == 1 else 's'}")
    kind = FORMAT_NAMES.get(row.kind, row.kind.upper())
    parts.append(f"{kind}, {row.encoding.upper()}" if row.encoding else kind)
    return " · ".join(parts)
