"""Where and when a dataset covers, as numbers the search index can filter on.

* :func:`extent`: ``spatial`` → ``(west, south, east, north)``: a ``w,s,e,n`` string, a GeoJSON or WKT
  geometry, ckanext-datajson's ``[[south, west], [north, east]]``, or a place name the bundled gazetteer
  knows (:mod:`mappings.places`).
* :func:`period`: ``temporal`` → ``(start, end)`` in UTC, either end open (``None``): ISO 8601 intervals
  (``2010-01-01/2012-12-31``, ``2010/..``, ``2015-03-01/P1Y``), years, months, days, ``1/5/2010``,
  ``March 5, 2010``, ``2010-2014``, ``2015-16`` (but ``2011-12`` is a month, as in ISO 8601),
  ``… to present``; a list of periods (``2015-16, 2017-18``) covers from its earliest to its latest year.
  Each end covers its whole year, month or day.
"""

from __future__ import annotations

import calendar
import re
from contextlib import suppress
from datetime import UTC, datetime, timedelta

from mappings.dcatus import geometry_bbox, parse_bbox
from mappings.places import Box, lookup

Period = tuple[datetime | None, datetime | None]

_NUM = r"\s*([-+\d.eE]+)\s*"
_PAIRS = re.compile(rf"^\s*\[\s*\[{_NUM},{_NUM}\]\s*,\s*\[{_NUM},{_NUM}\]\s*\]\s*$")
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_OPEN = {"", "..", "present", "now", "current", "ongoing", "today"}
_RANGE = re.compile(r"\s+(?:to|through|until|thru)\s+|\s*[–—]\s*|\s+-\s+")
_YEARS = re.compile(r"^(\d{4})\s*-\s*(\d{2}|\d{4})$")
_ANY_YEAR = re.compile(r"(?<!\d)(1[6-9]\d\d|20\d\d)(?!\d)")
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T.*)?$", re.IGNORECASE)


def extent(spatial: str | None) -> Box | None:
    """The box a ``spatial`` value covers, or None when it names nothing Nutmeg can place."""
    if not spatial or not spatial.strip():
        return None
    text = spatial.strip()
    box = parse_bbox(text.replace(" ", ""))
    if box is not None:
        return box
    pairs = _PAIRS.match(text)
    if pairs:
        return _pairs_box(*(float(v) for v in pairs.groups()))
    if re.search(r"\d", text) and re.search(r"[{(\[]", text):
        return geometry_bbox(text)
    return lookup(text)


def _pairs_box(a: float, b: float, c: float, d: float) -> Box | None:
    """``[[lat, lon], [lat, lon]]`` as ckanext-datajson writes it (``[[lon, lat], …]`` when a first
    value is no latitude)."""
    south, west, north, east = (a, b, c, d) if abs(a) <= 90 and abs(c) <= 90 else (b, a, d, c)
    if not (-90 <= south <= north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
        return None
    return west, south, east, north


def period(temporal: str | None) -> Period | None:
    """The (start, end) a ``temporal`` value covers, or None when it names no time."""
    if not temporal or not temporal.strip() or temporal.strip().upper().startswith("R/"):
        return None
    text = " ".join(temporal.split())
    ends = _split(text)
    if ends is not None:
        with suppress(ValueError):
            start, end = _moment(ends[0], last=False), _end(ends[1], ends[0])
            if (start is not None or end is not None) and (start is None or end is None or start <= end):
                return start, end
    with suppress(ValueError):
        single_start, single_end = _moment(text, last=False), _moment(text, last=True)
        if single_start is not None and single_end is not None:
            return single_start, single_end
    return _years(text)


def _split(text: str) -> tuple[str, str] | None:
    if text.count("/") == 1 and not re.match(r"^\d{1,2}/\d{1,2}/\d{4}$", text):
        start, end = text.split("/")
        return start.strip(), end.strip()
    years = _YEARS.match(text)
    if years and not (len(years[2]) == 2 and int(years[2]) <= 12):  # 2011-12 is ISO 8601's December 2011
        first, second = years.groups()
        return first, second if len(second) == 4 else first[:2] + second
    parts = _RANGE.split(text)
    if len(parts) == 2:
        return parts[0].strip(), parts[1].strip()
    return None


def _end(text: str, start_text: str) -> datetime | None:
    duration = _DURATION.match(text)
    if duration:
        start = _moment(start_text, last=False)
        if start is None:
            raise ValueError("a duration after an open start")
        years, months, weeks, days = (int(g or 0) for g in duration.groups())
        return start + timedelta(days=365 * years + 30 * months + 7 * weeks + days)
    return _moment(text, last=True)


def _moment(text: str, *, last: bool) -> datetime | None:
    """One end: a datetime, or None for an open end; ValueError for text that is no date."""
    value = text.strip().lower()
    if value in _OPEN:
        return None
    try:
        parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return _coarse(value, last=last)
    if len(value) <= 10:  # a day: its last moment when it ends a period
        return _day(parsed.year, parsed.month, parsed.day, last=last)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _coarse(value: str, *, last: bool) -> datetime:
    """A year, ``2010-05``, ``5/1/2010``, ``May 1, 2010``, ``1 May 2010`` or ``May 2010`` (ValueError else)."""
    if re.fullmatch(r"\d{4}", value):
        return _day(int(value), 12 if last else 1, 31 if last else 1, last=last)
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
        return _month(int(match[1]), int(match[2]), last=last)
    if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value):
        return _day(int(match[3]), int(match[1]), int(match[2]), last=last)
    if match := re.fullmatch(r"([a-z]+)\.? (\d{1,2}),? (\d{4})", value):
        return _day(int(match[3]), _month_number(match[1]), int(match[2]), last=last)
    if match := re.fullmatch(r"(\d{1,2}) ([a-z]+)\.? (\d{4})", value):
        return _day(int(match[3]), _month_number(match[2]), int(match[1]), last=last)
    if match := re.fullmatch(r"([a-z]+)\.?,? (\d{4})", value):
        return _month(int(match[2]), _month_number(match[1]), last=last)
    raise ValueError(f"no date: {value!r}")


def _month_number(name: str) -> int:
    if name not in _MONTHS:
        raise ValueError(f"no month: {name!r}")
    return _MONTHS[name]


def _day(year: int, month: int, day: int, *, last: bool) -> datetime:
    moment = datetime(year, month, day, tzinfo=UTC)
    return moment + timedelta(days=1, microseconds=-1) if last else moment


def _month(year: int, month: int, *, last: bool) -> datetime:
    return _day(year, month, calendar.monthrange(year, month)[1] if last else 1, last=last)


def _years(text: str) -> Period | None:
    """Free text naming years (``2015-2016, 2017-2018``): from the first day of the earliest to the last
    day of the latest, open-ended when it says the period goes on."""
    years = [int(y) for y in _ANY_YEAR.findall(text)]
    if not years:
        return None
    start = _day(min(years), 1, 1, last=False)
    open_end = re.search(r"\b(present|ongoing|current|no specified end)\b", text.lower())
    return start, None if open_end else _day(max(years), 12, 31, last=True)
