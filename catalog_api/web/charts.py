"""Chart geometry for server-rendered SVG: bars, stacked bars and columns over days.

The numbers and their layout are computed here (typed, testable); ``templates/_charts.html`` turns them
into SVG. Horizontal positions are percentages, so charts fill any width without scaling their text;
heights are pixels. Every chart is also a table of its numbers, so nothing is only in the picture.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from catalog_api.web.formatting import MONTHS

COLUMN_HEIGHT = 160  # px of the plotting area of a column chart
AXIS_LABELS = 5  # at most this many dates under a column chart


@dataclass(frozen=True, slots=True)
class Series:
    key: str  # also the CSS class of its marks
    name: str


@dataclass(frozen=True, slots=True)
class BarRow:
    label: str
    value: int
    href: str | None
    percent: float  # of the largest value


@dataclass(frozen=True, slots=True)
class BarChart:
    rows: list[BarRow]
    others: int  # how many values were left out
    others_total: int  # and their sum


def bar_chart(counts: Sequence[tuple[str, int]], href: Callable[[str], str] | None, top: int) -> BarChart:
    """The ``top`` largest values as bars scaled to the largest one."""
    shown = list(counts[:top])
    largest = max((value for _, value in shown), default=0)
    rows = [BarRow(label, value, href(label) if href else None, _percent(value, largest)) for label, value in shown]
    rest = counts[top:]
    return BarChart(rows, len(rest), sum(value for _, value in rest))


@dataclass(frozen=True, slots=True)
class Segment:
    series: Series
    value: int
    x: float  # percent
    width: float  # percent


@dataclass(frozen=True, slots=True)
class StackedRow:
    label: str
    href: str | None
    total: int
    segments: list[Segment]


def stacked_row(label: str, href: str | None, values: Sequence[int], series: Sequence[Series]) -> StackedRow:
    """One bar split into the shares of each series (as percentages of the row's total)."""
    total = sum(values)
    segments: list[Segment] = []
    x = 0.0
    for item, value in zip(series, values, strict=True):
        width = _percent(value, total)
        if value:
            segments.append(Segment(item, value, round(x, 3), width))
        x += width
    return StackedRow(label, href, total, segments)


@dataclass(frozen=True, slots=True)
class Block:
    series: Series
    value: int
    y: float  # px from the top
    height: float  # px


@dataclass(frozen=True, slots=True)
class Column:
    day: date
    label: str
    x: float  # percent
    width: float  # percent
    total: int
    blocks: list[Block]


@dataclass(frozen=True, slots=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True, slots=True)
class AxisLabel:
    x: float  # percent, the middle of its column
    text: str
    anchor: str = "middle"  # SVG text-anchor; the first and last labels stay inside the chart


@dataclass(frozen=True, slots=True)
class ColumnChart:
    series: list[Series]
    columns: list[Column]
    ticks: list[Tick]
    labels: list[AxisLabel]
    height: int
    total: int


def column_chart(days: Sequence[date], series: Sequence[Series], values: Sequence[Sequence[int]]) -> ColumnChart:
    """Stacked columns, one per day; ``values[i][j]`` is series ``j`` on day ``i``."""
    totals = [sum(v) for v in values]
    top = nice_top(max(totals, default=0))
    slot = 100 / max(len(days), 1)
    columns = [_column(day, i, slot, series, values[i], top) for i, day in enumerate(days)]
    ticks = [Tick(v, _y(v, top)) for v in tick_values(top)]
    every = max(1, math.ceil(len(days) / AXIS_LABELS))
    start = (len(days) - 1) % every  # the last day always has a label
    labels = [_label(c) for c in columns[start::every]]
    return ColumnChart(list(series), columns, ticks, labels, COLUMN_HEIGHT, sum(totals))


def _label(column: Column) -> AxisLabel:
    middle = round(column.x + column.width / 2, 3)
    if middle > 92:
        return AxisLabel(100.0, column.label, "end")
    if middle < 8:
        return AxisLabel(0.0, column.label, "start")
    return AxisLabel(middle, column.label)


def _column(day: date, index: int, slot: float, series: Sequence[Series], values: Sequence[int], top: int) -> Column:
    blocks: list[Block] = []
    base = 0
    for item, value in zip(series, values, strict=True):
        if value:
            blocks.append(Block(item, value, _y(base + value, top), _y(base, top) - _y(base + value, top)))
        base += value
    gap = slot * 0.2
    return Column(day, short_day(day), round(index * slot + gap / 2, 3), round(slot - gap, 3), base, blocks)


def _y(value: int, top: int) -> float:
    return round(COLUMN_HEIGHT - COLUMN_HEIGHT * value / top, 2) if top else float(COLUMN_HEIGHT)


def _percent(value: int, of: int) -> float:
    return round(100 * value / of, 3) if of else 0.0


NICE = (1, 2, 3, 4, 5, 6, 8, 10)  # axis tops, times a power of ten


def nice_top(largest: int) -> int:
    """The smallest of 1, 2, 3, 4, 5, 6, 8 × 10^k at or above ``largest`` (at least 1), for an axis."""
    if largest <= 1:
        return 1
    magnitude = int(10 ** math.floor(math.log10(largest)))
    for step in NICE:
        if step * magnitude >= largest:
            return step * magnitude
    raise AssertionError("unreachable: 10 × magnitude exceeds largest")


def tick_values(top: int) -> list[int]:
    """0, the top, and whole steps between (at most six lines)."""
    for parts in (4, 5, 3, 2, 1):
        if top % parts == 0:
            step = top // parts
            return list(range(0, top + 1, step))
    raise AssertionError("unreachable: every top divides by 1")


def short_day(value: date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]}"
