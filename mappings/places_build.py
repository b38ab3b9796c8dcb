"""Builds the bundled gazetteer (``mappings/data/places.json``) and the map outline
(``catalog_api/static/outline.svg``) from two public-domain atlases. Run by hand, not at run time:

    npm pack us-atlas@3.0.1 world-atlas@2.0.2   # then unpack both
    python -m mappings.places_build us-atlas/package world-atlas/package

* ``us-atlas`` 3.0.1 (npm): the U.S. Census Bureau's cartographic boundary files, 2017 edition (public
  domain), as TopoJSON: every state, territory and county with its name and FIPS code.
* ``world-atlas`` 2.0.2 (npm): Natural Earth 1:110m countries and land (public domain), as TopoJSON.

A box is the smallest longitude range holding every vertex (it may cross the antimeridian: Alaska, the
nation), so a place's box is ``west, south, east, north`` with ``west > east`` when it wraps.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

# FIPS state code → USPS abbreviation (the Census Bureau's own table).
USPS = {
    "01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA", "08": "CO", "09": "CT", "10": "DE", "11": "DC",
    "12": "FL", "13": "GA", "15": "HI", "16": "ID", "17": "IL", "18": "IN", "19": "IA", "20": "KS", "21": "KY",
    "22": "LA", "23": "ME", "24": "MD", "25": "MA", "26": "MI", "27": "MN", "28": "MS", "29": "MO", "30": "MT",
    "31": "NE", "32": "NV", "33": "NH", "34": "NJ", "35": "NM", "36": "NY", "37": "NC", "38": "ND", "39": "OH",
    "40": "OK", "41": "OR", "42": "PA", "44": "RI", "45": "SC", "46": "SD", "47": "TN", "48": "TX", "49": "UT",
    "50": "VT", "51": "VA", "53": "WA", "54": "WV", "55": "WI", "56": "WY", "60": "AS", "66": "GU", "69": "MP",
    "72": "PR", "78": "VI",
}  # fmt: skip
OUTLINE_STEP = 0.2  # degrees: vertices closer than this to the last one kept are dropped from the outline


def decoded_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Every arc as absolute longitude/latitude pairs (TopoJSON arcs are quantized and delta-encoded)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def rings(geometry: dict[str, Any], arcs: list[list[tuple[float, float]]]) -> Iterator[list[tuple[float, float]]]:
    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    for polygon in polygons:
        for ring in polygon:
            points: list[tuple[float, float]] = []
            for index in ring:
                arc = arcs[index] if index >= 0 else arcs[~index][::-1]
                points.extend(arc)
            yield points


def box(points: list[tuple[float, float]]) -> list[float]:
    """The smallest box holding the points; west > east when the smallest longitude range wraps."""
    lons = sorted({round(x, 4) for x, _ in points})
    lats = [y for _, y in points]
    gaps = [(b - a, i) for i, (a, b) in enumerate(pairwise(lons))]
    wrap_gap = lons[0] + 360 - lons[-1]
    widest, at = max(gaps, default=(0.0, -1))
    west, east = (lons[at + 1], lons[at]) if widest > wrap_gap else (lons[0], lons[-1])
    return [round(west, 4), round(min(lats), 4), round(east, 4), round(max(lats), 4)]


def places(us_atlas: Path, world_atlas: Path) -> list[list[Any]]:
    """``[kind, name, state, west, south, east, north]`` rows: the nation, states, counties, countries."""
    counties = json.loads((us_atlas / "counties-10m.json").read_text())
    arcs = decoded_arcs(counties)
    objects = counties["objects"]
    rows: list[list[Any]] = []
    for geometry in objects["nation"]["geometries"]:
        rows.append(["nation", "United States", "", *box([p for r in rings(geometry, arcs) for p in r])])
    states = {g["id"]: g["properties"]["name"] for g in objects["states"]["geometries"]}
    for geometry in objects["states"]["geometries"]:
        points = [p for r in rings(geometry, arcs) for p in r]
        rows.append(["state", geometry["properties"]["name"], USPS[geometry["id"]], *box(points)])
    for geometry in objects["counties"]["geometries"]:
        if "arcs" not in geometry:
            continue
        points = [p for r in rings(geometry, arcs) for p in r]
        state = geometry["id"][:2]
        rows.append(["county", geometry["properties"]["name"], USPS[state], *box(points)])
        assert state in states
    world = json.loads((world_atlas / "countries-110m.json").read_text())
    world_arcs = decoded_arcs(world)
    for geometry in world["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name")
        if name and "arcs" in geometry and name != "United States of America":
            rows.append(["country", name, "", *box([p for r in rings(geometry, world_arcs) for p in r])])
    return rows


def outline_svg(us_atlas: Path, world_atlas: Path) -> str:
    """The world's land and the U.S. state lines as one SVG in longitude/latitude (y = -latitude)."""
    world = json.loads((world_atlas / "land-110m.json").read_text())
    land = [
        ring for g in world["objects"]["land"]["geometries"] for ring in rings(g, decoded_arcs(world))
    ]  # fmt: skip
    states = json.loads((us_atlas / "states-10m.json").read_text())
    state_arcs = decoded_arcs(states)  # every shared border once: draw arcs, not rings
    land_path = " ".join(_path(r, close=True) for r in land)
    state_path = " ".join(_path(a, close=False) for a in state_arcs)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-180 -90 360 180" preserveAspectRatio="none">'
        f'<path d="{land_path}" fill="#f3f1e6" stroke="#8d9688" stroke-width="0.2"/>'
        f'<path d="{state_path}" fill="none" stroke="#a3ab9d" stroke-width="0.1"/>'
        "</svg>\n"
    )


def _path(points: list[tuple[float, float]], *, close: bool) -> str:
    kept: list[tuple[float, float]] = []
    for x, y in points:
        if not kept or abs(x - kept[-1][0]) + abs(y - kept[-1][1]) >= OUTLINE_STEP:
            kept.append((x, y))
    if len(kept) < 2:
        return ""
    text = "M" + " ".join(f"{x:.1f},{-y:.1f}" for x, y in kept)
    return text + ("Z" if close else "")


def main(argv: list[str]) -> None:
    us_atlas, world_atlas = Path(argv[0]), Path(argv[1])
    here = Path(__file__).parent
    rows = places(us_atlas, world_atlas)
    body = {
        "source": "us-atlas 3.0.1 (U.S. Census Bureau cartographic boundaries 2017, public domain); "
        "world-atlas 2.0.2 (Natural Earth 1:110m, public domain)",
        "columns": ["kind", "name", "state", "west", "south", "east", "north"],
        "places": rows,
    }
    (here / "data").mkdir(exist_ok=True)
    (here / "data" / "places.json").write_text(json.dumps(body, separators=(",", ":")) + "\n")
    (here.parent / "catalog_api" / "static" / "outline.svg").write_text(outline_svg(us_atlas, world_atlas))
    print(f"{len(rows)} places")


if __name__ == "__main__":
    main(sys.argv[1:])
