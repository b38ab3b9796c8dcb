"""Chart geometry: bars scale to the largest value, stacks add up, columns stand on a nice axis."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from catalog_api.web.charts import (
    COLUMN_HEIGHT,
    Series,
    bar_chart,
    column_chart,
    nice_top,
    stacked_row,
    tick_values,
)

A, B, C = Series("a", "A"), Series("b", "B"), Series("c", "C")


def test_bars_scale_to_the_largest_and_count_the_rest() -> None:
    chart = bar_chart([("x", 200), ("y", 50), ("z", 10), ("w", 5)], lambda v: f"/?v={v}", top=2)
    assert [(r.label, r.value, r.percent, r.href) for r in chart.rows] == [
        ("x", 200, 100.0, "/?v=x"),
        ("y", 50, 25.0, "/?v=y"),
    ]
    assert (chart.others, chart.others_total) == (2, 15)


def test_no_bars() -> None:
    chart = bar_chart([], None, top=5)
    assert (chart.rows, chart.others, chart.others_total) == ([], 0, 0)


def test_a_stack_fills_the_row_in_order() -> None:
    row = stacked_row("p", None, [1, 0, 3], [A, B, C])
    assert row.total == 4
    assert [(s.series.key, s.value, s.x, s.width) for s in row.segments] == [("a", 1, 0.0, 25.0), ("c", 3, 25.0, 75.0)]


def test_an_empty_stack_has_no_segments() -> None:
    assert stacked_row("p", None, [0, 0, 0], [A, B, C]).segments == []


@pytest.mark.parametrize(
    ("largest", "top"),
    [(0, 1), (1, 1), (2, 2), (3, 3), (6, 6), (7, 8), (9, 10), (11, 20), (250, 300), (1685, 2000), (7001, 8000)],
)
def test_nice_top(largest: int, top: int) -> None:
    assert nice_top(largest) == top


def test_ticks_divide_the_axis_evenly() -> None:
    assert tick_values(2000) == [0, 500, 1000, 1500, 2000]
    assert tick_values(5) == [0, 1, 2, 3, 4, 5]
    assert tick_values(6) == [0, 2, 4, 6]
    assert tick_values(3) == [0, 1, 2, 3]
    assert tick_values(1) == [0, 1]


def test_columns_stack_on_a_shared_axis() -> None:
    days = [date(2024, 11, 1) + timedelta(days=i) for i in range(3)]
    chart = column_chart(days, [A, B], [[1, 1], [0, 0], [5, 0]])
    assert chart.total == 7
    assert [c.total for c in chart.columns] == [2, 0, 5]
    assert [t.value for t in chart.ticks] == [0, 1, 2, 3, 4, 5]
    tall = chart.columns[2].blocks[0]
    assert (tall.value, tall.y, tall.height) == (5, 0.0, COLUMN_HEIGHT)  # 5 is the top of a 0–5 axis
    low, high = chart.columns[0].blocks
    assert low.y + low.height == COLUMN_HEIGHT  # the first series stands on the axis
    assert high.y + high.height == low.y  # the next one on top of it
    assert low.height == high.height == COLUMN_HEIGHT / 5
    assert chart.columns[1].blocks == []
    assert [c.x for c in chart.columns] == pytest.approx([100 / 3 * i + 100 / 3 * 0.1 for i in range(3)], abs=1e-3)


def test_thirty_days_get_five_readable_date_labels_ending_today() -> None:
    days = [date(2024, 11, 1) + timedelta(days=i) for i in range(30)]
    chart = column_chart(days, [A], [[i] for i in range(30)])
    assert [label.text for label in chart.labels] == ["6 Nov", "12 Nov", "18 Nov", "24 Nov", "30 Nov"]
    assert chart.labels[-1].anchor == "end"
    assert chart.labels[-1].x == 100.0
