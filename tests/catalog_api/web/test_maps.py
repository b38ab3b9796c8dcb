"""Maps drawn on the server: the viewBox holds the box, and a box across the antimeridian is two."""

from __future__ import annotations

import pytest

from catalog_api.web.maps import MIN_SPAN, box_map, rects


def _view(viewbox: str) -> tuple[float, float, float, float]:
    x, y, width, height = (float(v) for v in viewbox.split())
    return x, y, width, height


@pytest.mark.parametrize(
    "box",
    [(-75.28, 39.87, -74.96, 40.14), (-124.7, 24.5, -66.9, 49.4), (170.0, -50.0, 179.0, -30.0), (0.0, 0.0, 0.0, 0.0)],
)
def test_a_zoomed_map_holds_its_box_inside_the_world(box: tuple[float, float, float, float]) -> None:
    drawn = box_map(box, "label")
    x, y, width, height = _view(drawn.viewbox)
    west, south, east, north = box
    assert x <= west <= east <= x + width
    assert y <= -north <= -south <= y + height
    assert -180 <= x <= x + width <= 180.001
    assert -90 <= y <= y + height <= 90.001
    assert width == pytest.approx(2 * height)
    assert width >= MIN_SPAN
    assert [(r.x, r.y) for r in drawn.rects] == [(west, -north)]


def test_a_box_across_the_antimeridian_is_two_rectangles_on_the_world() -> None:
    alaska = (172.46, 51.23, -129.98, 71.35)
    drawn = box_map(alaska, "Alaska")
    assert drawn.world
    assert drawn.viewbox == "-180 -90 360 180"
    assert [(r.x, r.width) for r in rects(alaska)] == [(172.46, pytest.approx(7.54)), (-180.0, pytest.approx(50.02))]


def test_no_box_is_the_world() -> None:
    drawn = box_map(None, "World")
    assert drawn.world
    assert drawn.rects == []
