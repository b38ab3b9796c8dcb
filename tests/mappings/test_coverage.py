"""Where and when a dataset covers: every ``spatial`` and ``temporal`` form the fixtures hold, and the
gazetteer's place names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mappings.coverage import extent, period
from mappings.places import lookup
from tests.conftest import datasets_of


def _day(year: int, month: int, day: int, *, last: bool = False) -> datetime:
    if last:
        return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=UTC)
    return datetime(year, month, day, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2010-01-01/2012-12-31", _day(2010, 1, 1), _day(2012, 12, 31, last=True)),
        ("2015/2016", _day(2015, 1, 1), _day(2016, 12, 31, last=True)),
        ("2015-2016", _day(2015, 1, 1), _day(2016, 12, 31, last=True)),
        ("2015-16", _day(2015, 1, 1), _day(2016, 12, 31, last=True)),
        ("2011-12", _day(2011, 12, 1), _day(2011, 12, 31, last=True)),  # ISO 8601: December 2011
        ("2019", _day(2019, 1, 1), _day(2019, 12, 31, last=True)),
        ("2020-01/2020-06", _day(2020, 1, 1), _day(2020, 6, 30, last=True)),
        ("2020-03-01/Present", _day(2020, 3, 1), None),
        ("2010/..", _day(2010, 1, 1), None),
        ("../2010", None, _day(2010, 12, 31, last=True)),
        ("3/1/2020 - 5/2/2020", _day(2020, 3, 1), _day(2020, 5, 2, last=True)),
        ("August 1, 2018 to June 30, 2019", _day(2018, 8, 1), _day(2019, 6, 30, last=True)),
        ("May 2010", _day(2010, 5, 1), _day(2010, 5, 31, last=True)),
        ("2015-2016, 2017-2018", _day(2015, 1, 1), _day(2018, 12, 31, last=True)),
        ("October 1, 2019 - no specified end date", _day(2019, 1, 1), None),
        (
            "2020-03-01T00:00:00-04:00/2021-01-01T00:00:00-05:00",
            datetime(2020, 3, 1, 4, tzinfo=UTC),
            datetime(2021, 1, 1, 5, tzinfo=UTC),
        ),
        ("2015-03-01/P1Y", _day(2015, 3, 1), _day(2016, 2, 29)),
    ],
)
def test_periods(text: str, start: datetime | None, end: datetime | None) -> None:
    assert period(text) == (start, end)


@pytest.mark.parametrize("text", ["", "N/A", "Monthly", "R/P1D", "..", "soon"])
def test_no_period(text: str) -> None:
    assert period(text) is None


def test_every_fixture_period_is_read_or_refused_cleanly() -> None:
    read = 0
    for path in ("datajson/cdc.gov.data.json", "datajson/healthdata.gov-dkan-2020.data.json"):
        for record in datasets_of(path):
            covered = period(record.get("temporal"))
            if covered is not None:
                read += 1
                start, end = covered
                assert start is None or end is None or start <= end, record["temporal"]
    assert read > 700


@pytest.mark.parametrize(
    ("text", "box"),
    [
        ("-83.7284,42.2809,-82.9241,42.7937", (-83.7284, 42.2809, -82.9241, 42.7937)),
        ("-179.231086,-14.601813,+179.859681,+71.441059", (-179.231086, -14.601813, 179.859681, 71.441059)),
        ("[[-14.601813, -179.231086], [71.441059, 179.859681]]", (-179.231086, -14.601813, 179.859681, 71.441059)),
        ('{"type":"Polygon","coordinates":[[[-75,40],[-74,40],[-74,41],[-75,40]]]}', (-75.0, 40.0, -74.0, 41.0)),
        ("POLYGON((-75 40, -74 40, -74 41, -75 40))", (-75.0, 40.0, -74.0, 41.0)),
        ("Worldwide", (-180.0, -90.0, 180.0, 90.0)),
    ],
)
def test_extents(text: str, box: tuple[float, float, float, float]) -> None:
    assert extent(text) == box


@pytest.mark.parametrize(
    ("name", "inside", "outside"),
    [
        ("Pennsylvania", (-75.16, 39.95), (-74.0, 40.7)),  # Philadelphia in, Manhattan out
        ("PA", (-80.0, 40.44), (-81.0, 41.0)),
        ("Philadelphia, Pennsylvania", (-75.16, 39.95), (-75.35, 40.0)),
        ("Philadelphia County, PA", (-75.16, 39.95), (-79.99, 40.44)),
        ("Orleans Parish, Louisiana", (-90.07, 29.95), (-91.15, 30.45)),
        ("United States- National", (-98.0, 39.0), (2.35, 48.86)),
        ("Alaska", (-149.9, 61.2), (-123.1, 49.3)),
        ("Canada", (-79.4, 43.7), (-77.0, 38.9)),
    ],
)
def test_place_names(name: str, inside: tuple[float, float], outside: tuple[float, float]) -> None:
    box = lookup(name)
    assert box is not None

    def holds(point: tuple[float, float]) -> bool:
        west, south, east, north = box
        lon, lat = point
        in_lon = west <= lon <= east if west <= east else lon >= west or lon <= east
        return in_lon and south <= lat <= north

    assert holds(inside)
    assert not holds(outside)


def test_alaska_and_the_nation_cross_the_antimeridian() -> None:
    alaska, nation = lookup("Alaska"), lookup("United States")
    assert alaska is not None
    assert alaska[0] > alaska[2]
    assert nation is not None
    assert nation[0] > nation[2]


@pytest.mark.parametrize("name", ["Philadelphia", "Atlantis", "RSV-NET Sites", "", "x" * 500])
def test_unknown_places(name: str) -> None:
    assert lookup(name) is None
