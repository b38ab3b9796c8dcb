"""Maps drawn on the server: a box (a dataset's extent, a search's area) on the bundled outline.

Plate carrée in degrees: x is longitude, y is minus latitude, so an SVG ``viewBox`` is a window on the
world. The outline (``/static/outline.svg``: land from Natural Earth and U.S. state lines from the Census
Bureau, both public domain; ``mappings/places_build.py`` made it) is an ``<image>`` under the boxes, so a
map is a few hundred bytes of HTML and nothing comes from another host.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.search.base import Box, lon_ranges

WORLD_VIEW = (-180.0, -90.0, 360.0, 180.0)
MIN_SPAN = 5.0  # degrees of longitude a zoomed map shows at least (a dataset's area)
MARGIN = 0.6  # of the box's size, on each side


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class MapView:
    viewbox: str
    rects: list[Rect]
    label: str
    world: bool  # the whole world is shown (the draw-a-box map works on this view)


def rects(box: Box) -> list[Rect]:
    """The box as one rectangle, or two when it crosses the antimeridian."""
    _, south, _, north = box
    return [Rect(w, -north, max(e - w, 0.0), max(north - south, 0.0)) for w, e in lon_ranges(box)]


def box_map(box: Box | None, label: str, *, zoom: bool = True, min_span: float = MIN_SPAN) -> MapView:
    """A map of ``box``: zoomed around it (2:1, at least ``min_span`` degrees wide), or the world when it
    is large, crosses the antimeridian, or ``zoom`` is off."""
    if box is None:
        return MapView(_viewbox(WORLD_VIEW), [], label, True)
    west, south, east, north = box
    if not zoom or west > east or east - west > 180:
        return MapView(_viewbox(WORLD_VIEW), rects(box), label, True)
    width = max(east - west, 2 * (north - south), min_span) * (1 + 2 * MARGIN)
    height = width / 2
    x = min(max((west + east) / 2 - width / 2, -180.0), 180.0 - width)
    y = min(max(-(south + north) / 2 - height / 2, -90.0), 90.0 - height)
    if width >= 360:
        return MapView(_viewbox(WORLD_VIEW), rects(box), label, True)
    return MapView(_viewbox((x, y, width, height)), rects(box), label, False)


def _viewbox(view: tuple[float, float, float, float]) -> str:
    return " ".join(f"{v:.3f}".rstrip("0").rstrip(".") for v in view)


def box_words(box: Box) -> str:
    """``W -75.28, S 39.87, E -74.96, N 40.14`` (as the dataset page writes an extent)."""
    west, south, east, north = box
    return f"W {west:.2f}, S {south:.2f}, E {east:.2f}, N {north:.2f}"
