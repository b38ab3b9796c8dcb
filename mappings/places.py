"""Place names → bounding boxes, from the gazetteer bundled in ``mappings/data/places.json``.

The gazetteer holds the United States, every state and territory, every county (U.S. Census Bureau
cartographic boundaries 2017, public domain, through the ``us-atlas`` npm package) and every country
(Natural Earth 1:110m, public domain, through ``world-atlas``); ``mappings/places_build.py`` made it.
A box is ``(west, south, east, north)``; ``west > east`` when it crosses the antimeridian (Alaska).

Names are matched whole after folding case and punctuation: ``Pennsylvania``, ``PA``, ``Philadelphia
County, PA``, ``Philadelphia, Pennsylvania``, ``United States``, ``Canada``. A longer text is tried part by
part (``United States- National``, ``Seattle, Washington``: of the parts that name a place, the broadest wins). A
county alone (``Philadelphia``) is no match: many states share county names.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

Box = tuple[float, float, float, float]
WORLD: Box = (-180.0, -90.0, 180.0, 90.0)
_DATA = Path(__file__).parent / "data" / "places.json"
_COUNTY_WORDS = {"": "county", "LA": "parish", "AK": "borough"}
_NATION = (
    "united states", "united states of america", "usa", "us", "u s", "u s a", "america", "nationwide", "50 states",
    "all states",
)  # fmt: skip
_WORLDWIDE = ("worldwide", "world", "global", "earth", "international")
_SEPARATORS = re.compile(r"\s*[;/()–—]\s*|\s+-\s*|\s*-\s+")
_PARTS = re.compile(r",|\band\b")


def fold(text: str) -> str:
    """Lower case; separators (``;``, ``/``, a spaced dash) as commas, other punctuation as spaces."""
    text = _SEPARATORS.sub(",", text.lower())
    parts = (" ".join(re.sub(r"[^\w]+", " ", p).split()) for p in text.split(","))
    return ", ".join(p for p in parts if p)


@cache
def gazetteer() -> dict[str, Box]:
    """Every name the gazetteer answers to (folded) → its box."""
    rows = json.loads(_DATA.read_text(encoding="utf-8"))["places"]
    names: dict[str, Box] = {}
    states: dict[str, str] = {}
    for kind, name, state, *_ in rows:
        if kind == "state":
            states[state] = name
    for kind, name, state, west, south, east, north in rows:
        box = (float(west), float(south), float(east), float(north))
        for alias in _aliases(kind, name, state, states):
            names[alias] = _union(names[alias], box) if alias in names and kind == "county" else box
    for alias in _NATION:
        names[alias] = names["united states"]
    for alias in _WORLDWIDE:
        names[alias] = WORLD
    return names


def _aliases(kind: str, name: str, state: str, states: dict[str, str]) -> list[str]:
    if kind in ("nation", "country"):
        return [fold(name)]
    if kind == "state":
        return [fold(name), state.lower(), f"state of {fold(name)}"]
    word = _COUNTY_WORDS.get(state, "county")
    out = []
    for where in (fold(states.get(state, state)), state.lower()):
        out += [f"{fold(name)}, {where}", f"{fold(name)} {word}, {where}", f"{fold(name)} {where}"]
    return out


def _union(a: Box, b: Box) -> Box:
    """Two boxes of one name in one state (a county and a city that share it); wrapping boxes stay as
    the first."""
    if a[0] > a[2] or b[0] > b[2]:
        return a
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def lookup(text: str) -> Box | None:
    """The box of a place name, or None when the gazetteer does not know it."""
    key = fold(text)
    if not key or len(key) > 200:
        return None
    names = gazetteer()
    if key in names:
        return names[key]
    found = [names[p] for p in (part.strip(" ,") for part in _PARTS.split(key)) if p in names]
    return max(found, key=area, default=None)  # "United States, Puerto Rico": the place holding the others


def area(box: Box) -> float:
    """Square degrees (enough to tell the broadest of a few places)."""
    west, south, east, north = box
    return ((east - west) % 360 or (360.0 if east != west else 0.0)) * (north - south)
