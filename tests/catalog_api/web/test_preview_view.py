"""How a preview reads on the page: its caption, its summary and its cells as text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from catalog_api.web.preview_view import cell_text, preview_view
from index.previews import PreviewRow

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def row(count: int | None, shown: int, truncated: bool = False, **values: object) -> PreviewRow:
    columns = [{"name": "n", "type": "integer"}]
    return PreviewRow(
        "r1",
        0,
        "https://x.gov/a.csv",
        "csv",
        "ok",
        NOW,
        row_count=count,
        truncated=truncated,
        columns=columns,
        rows=[[i] for i in range(shown)],
        encoding="utf-8",
        **values,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("count", "shown", "truncated", "caption", "summary"),
    [
        (2, 2, False, "All 2 rows", "2 rows · 1 column · CSV, UTF-8"),
        (1, 1, False, "The one row", "1 row · 1 column · CSV, UTF-8"),
        (1234, 20, False, "The first 20 of 1,234 rows", "1,234 rows · 1 column · CSV, UTF-8"),
        (900, 20, True, "The first 20 of at least 900 rows", "at least 900 rows · 1 column · CSV, UTF-8"),
        (0, 0, False, "No rows", "0 rows · 1 column · CSV, UTF-8"),
    ],
)
def test_caption_and_summary(count: int, shown: int, truncated: bool, caption: str, summary: str) -> None:
    view = preview_view(row(count, shown, truncated))
    assert (view.caption, view.summary) == (caption, summary)
    assert view.api_path == "/api/v1/datasets/r1/distributions/0/preview"


def test_cells_as_text() -> None:
    assert [cell_text(v) for v in (None, True, 3, 2.5, "x", {"a": [1]})] == ["", "true", "3", "2.5", "x", '{"a":[1]}']
    assert len(cell_text("y" * 500)) == 120
