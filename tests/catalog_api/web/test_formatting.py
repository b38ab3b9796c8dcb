"""Dates, durations, schedules and DCAT-US codes as people read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalog_api.web import formatting

NOW = datetime(2024, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2014-06-09", "9 Jun 2014"),
        ("2013-05-09T14:04:00.000Z", "9 May 2013"),
        (datetime(2020, 12, 31, 23, 0, tzinfo=UTC), "31 Dec 2020"),
        ("R/P1D", "R/P1D"),  # not a date: shown as published
        ("last spring", "last spring"),
        (None, ""),
        ("", ""),
    ],
)
def test_day(value: datetime | str | None, expected: str) -> None:
    assert formatting.day(value) == expected


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=10), "just now"),
        (timedelta(minutes=5), "5 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=30), "30 hours ago"),
        (timedelta(days=3), "3 days ago"),
        (timedelta(days=90), "3 months ago"),
        (timedelta(days=800), "2 years ago"),
        (-timedelta(hours=6), "in 6 hours"),
    ],
)
def test_ago(delta: timedelta, expected: str) -> None:
    assert formatting.ago(NOW - delta, NOW) == expected


def test_ago_of_nothing_is_empty() -> None:
    assert formatting.ago(None, NOW) == ""


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0.42, "0.4 s"), (59.9, "59.9 s"), (185, "3 min 5 s"), (7800, "2 h 10 min")],
)
def test_elapsed(seconds: float, expected: str) -> None:
    assert formatting.elapsed(NOW, NOW + timedelta(seconds=seconds)) == expected
    assert formatting.elapsed(NOW, None) == ""


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("PT6H", "every 6 hours"),
        ("P1D", "every day"),
        ("PT90M", "every 90 minutes"),
        ("P2W", "every 2 weeks"),
        ("R/PT1H", "every hour"),
        (None, "on demand"),
        ("sometimes", "sometimes"),
    ],
)
def test_interval_words(schedule: str | None, expected: str) -> None:
    assert formatting.interval_words(schedule) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("R/P1D", "Daily"),
        ("r/p1y", "Annually"),
        ("R/P3M", "Quarterly"),
        ("irregular", "Irregularly"),
        ("R/P9D", "R/P9D"),
    ],
)
def test_periodicity(code: str, expected: str) -> None:
    assert formatting.periodicity(code) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2010-01-01/2012-12-31", "1 Jan 2010 – 31 Dec 2012"),
        ("2019-01-01T00:00:00Z/2020-12-31T00:00:00Z", "1 Jan 2019 – 31 Dec 2020"),
        ("2000-01-01/..", "1 Jan 2000 – .."),
        ("R/P1Y", "R/P1Y"),
        ("the nineties", "the nineties"),
    ],
)
def test_temporal(value: str, expected: str) -> None:
    assert formatting.temporal(value) == expected


def test_counts() -> None:
    assert formatting.plural(1, "dataset") == "1 dataset"
    assert formatting.plural(2268, "dataset") == "2,268 datasets"
    assert formatting.number(1234567) == "1,234,567"
    assert formatting.number(None) == "–"
