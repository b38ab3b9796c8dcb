"""Schedule maths with the moment given (no clock read): cron and every ISO 8601 form, bad input, what
is stored, when a source is due, and how a failing source backs off."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from catalog_api.schedule import (
    Cron,
    Every,
    ScheduleError,
    backed_off,
    due_sources,
    next_run,
    normalize,
    parse,
    parse_interval,
    when_due,
)
from index.store import SourceRow

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # a Saturday
HOUR = timedelta(hours=1)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "last_start", "expected"),
    [
        # cron, in UTC: the first time after the last run started
        ("30 2 * * *", at(28, 2, 30), at(29, 2, 30)),
        ("30 2 * * *", at(27, 2, 31), at(28, 2, 30)),  # missed while the worker was down: due, once
        ("*/15 * * * *", at(28, 9, 50), at(28, 10, 0)),
        ("0 6-18/6 * * 1-5", at(27, 18), at(30, 6)),  # Friday evening → Monday morning
        ("@daily", at(28, 0), at(29, 0)),
        ("@hourly", at(28, 9, 59), at(28, 10)),
        ("0 0 1 * *", at(28), at(1, month=12)),
        # a bare ISO 8601 duration: that long after the last run started
        ("PT6H", at(28, 4), at(28, 10)),
        ("P1D", at(28, 4), at(29, 4)),
        ("PT90M", at(28, 9), at(28, 10, 30)),
        ("P2W", at(14), at(28)),
        ("P1DT12H", at(27), at(28, 12)),
        ("P1M", at(31, month=10), at(30)),  # a calendar month: 31 October → 30 November
        ("P1Y", at(28), datetime(2027, 11, 28, tzinfo=UTC)),
        ("R/PT6H", at(28, 4), at(28, 10)),
        ("r/p1d", at(28, 4), at(29, 4)),
        # anchored repeats: on the anchor's own times, whenever the last run was
        ("R/2026-01-01T02:00:00Z/P1D", at(28, 2, 7), at(29, 2)),
        ("R/2026-01-01T02:00:00Z/P1D", at(25, 13), at(26, 2)),
        ("R/2026-01-01T02:00:00+02:00/P1D", at(28, 0, 30), at(29, 0)),  # 02:00 at +02:00 is 00:00 UTC
        ("R/2026-01-31/P1M", at(31, month=10), at(30)),  # month ends clamp, without drifting
        ("R/2026-01-31/P1M", at(30), at(31, month=12)),
        ("R/2026-12-01T00:00:00Z/P1D", at(28), at(1, month=12)),  # the start is still ahead
        ("R3/2026-11-28T02:00:00Z/PT6H", at(28, 8), at(28, 14)),  # the third and last run
        ("R3/2026-11-28T02:00:00Z/PT6H", at(28, 14), None),  # no run left
    ],
)
def test_next_run_after_the_last_one(text: str, last_start: datetime, expected: datetime | None) -> None:
    assert next_run(parse(text, "src"), last_start, NOW) == expected


def test_a_source_never_run_is_due_at_once_unless_its_start_is_ahead() -> None:
    for text in ("30 2 * * *", "PT6H", "R/P1D", "R/2026-01-01T02:00:00Z/P1D"):
        assert next_run(parse(text, "src"), None, NOW) == NOW
    assert next_run(parse("R/2026-12-01T00:00:00Z/P1D"), None, NOW) == at(1, month=12)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("PT6H", "PT6H"),
        (" r/p1d ", "R/P1D"),
        ("R/2026-01-01T02:00:00Z/P1D", "R/2026-01-01T02:00:00Z/P1D"),
        ("30  2 * *   *", "30 2 * * *"),
        ("@weekly", "@weekly"),
        ("0 3 * * THU", "0 3 * * THU"),
        ("off", None),
        ("OFF", None),
        ("none", None),
        ("", None),
        (None, None),
    ],
)
def test_what_is_stored(text: str | None, stored: str | None) -> None:
    assert normalize(text, "src") == stored


def test_hashed_fields_are_fixed_per_name_and_spread_sources_over_the_night() -> None:
    nights = {normalize("H H(1-5) * * *", f"source-{n}") for n in range(40)}
    assert len(nights) > 20  # not all at one minute
    for stored in nights:
        assert stored is not None
        minute, hour, *rest = stored.split()
        assert rest == ["*", "*", "*"]
        assert 1 <= int(hour) <= 5
        assert 0 <= int(minute) <= 59
    assert normalize("H H(1-5) * * *", "phl") == normalize("H H(1-5) * * *", "phl")  # stable
    quarter = normalize("H/15 * * * *", "phl")
    assert quarter is not None
    assert len(quarter.split()[0].split(",")) == 4


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("often", "'often' is not a schedule"),
        ("every day", "has 2 fields; a cron expression has five"),
        ("* * * * * *", "has 6 fields"),
        ("61 * * * *", "out of range"),
        ("0 0 30 2 *", "'0 0 30 2 *' is not a schedule"),  # 30 February never comes
        ("PT0.5H", "whole numbers only"),
        ("P", "is not a schedule"),
        ("PT", "is not a schedule"),
        ("PT30S", "shorter than the one-minute minimum"),
        ("P11Y", "longer than the ten-year maximum"),
        ("P999999999999D", "longer than the ten-year maximum"),
        ("PT99999999999999999999H", "longer than the ten-year maximum"),
        ("@reboot", "'@reboot' is not a schedule"),
        ("1-5/0 * * * *", "is not a schedule"),
        ("R0/P1D", "repeats zero times"),
        ("R5/P1D", "a run count needs a start"),
        ("X/P1D", "'X/P1D' is not a schedule"),
        ("R/P1D/2026-01-01T00:00:00Z", "write the start before the duration"),
        ("R/2026-01-01T02:00:00/P1D", "give the start's time zone"),
        ("R/2026-13-01T02:00:00Z/P1D", "is not an ISO 8601 date or time"),
        ("R/2026-01-01T02:00:00Z/P1D/P1D", "is not a schedule"),
        ("", "the schedule is empty"),
        ("*/5 1-5 1,8,15,22 JAN,FEB,MAR,APR,MAY MON-FRI", "longer than 40 characters"),
    ],
)
def test_bad_schedules_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ScheduleError, match=None) as caught:
        normalize(text, "src") if text else parse(text)
    assert says in str(caught.value)


def test_parse_interval_is_for_fixed_lengths() -> None:
    assert parse_interval("PT6H") == 6 * HOUR
    assert parse_interval("R/P1W") == timedelta(days=7)
    with pytest.raises(ScheduleError, match="not a fixed ISO 8601 duration"):
        parse_interval("P1M")
    with pytest.raises(ScheduleError, match="not a fixed ISO 8601 duration"):
        parse_interval("30 2 * * *")


def test_a_schedule_that_runs_past_the_year_9999_has_no_run_left() -> None:
    assert next_run(parse("R/9999-12-31T23:59:59Z/P1D"), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), NOW) is None


def test_the_two_forms() -> None:
    assert isinstance(parse("30 2 * * *"), Cron)
    every = parse("R4/2026-01-01T02:00:00Z/PT6H")
    assert isinstance(every, Every)
    assert (every.start, every.count) == (datetime(2026, 1, 1, 2, tzinfo=UTC), 4)


# -- backing off --------------------------------------------------------------------------------------


CAP = timedelta(days=7)


@pytest.mark.parametrize(
    ("text", "failures", "expected"),
    [
        ("PT1H", 0, NOW + HOUR),
        ("PT1H", 1, NOW + HOUR),  # one failure: the normal next run
        ("PT1H", 2, NOW + 2 * HOUR),
        ("PT1H", 3, NOW + 4 * HOUR),
        ("PT1H", 5, NOW + 16 * HOUR),
        ("PT1H", 9, NOW + HOUR + CAP),  # 256 h, capped at a week past the normal run
        ("PT1H", 500, NOW + HOUR + CAP),  # no overflow however long it fails
        ("30 2 * * *", 1, at(29, 2, 30)),
        ("30 2 * * *", 2, at(30, 2, 30)),  # skips one night
        ("30 2 * * *", 3, at(2, 2, 30, month=12)),  # skips three
        ("30 2 * * *", 20, at(6, 2, 30, month=12)),  # capped: a week past the normal run, on a scheduled time
    ],
)
def test_a_failing_source_backs_off_exponentially_up_to_the_cap(text: str, failures: int, expected: datetime) -> None:
    schedule = parse(text)
    normal = next_run(schedule, NOW, NOW)
    assert normal is not None
    assert backed_off(schedule, normal, failures, CAP) == expected


# -- when a source is due ------------------------------------------------------------------------------

SOURCE = SourceRow(
    id=1,
    name="src",
    kind="datajson",
    url="http://127.0.0.1/data.json",
    title=None,
    description=None,
    publisher=None,
    options={},
    federal=False,
    allow_private=True,
    schedule="PT6H",
    enabled=True,
    created_at=NOW - timedelta(days=3),
    etag=None,
    last_modified=None,
    bookmark=None,
    last_success_at=None,
    last_full_harvest_at=None,
    last_job_at=NOW - 2 * HOUR,
)


def test_when_due_reads_the_plan_first_then_the_schedule() -> None:
    assert when_due(SOURCE, NOW) == NOW + 4 * HOUR  # not planned yet: the schedule after the last job
    assert when_due(replace(SOURCE, next_run_at=NOW + 9 * HOUR), NOW) == NOW + 9 * HOUR
    assert when_due(replace(SOURCE, last_job_at=None), NOW) == NOW
    for off in ({"schedule": None}, {"enabled": False}, {"kind": "api"}, {"schedule": "whenever"}):
        assert when_due(replace(SOURCE, **off), NOW) is None  # type: ignore[arg-type]


def test_due_sources_longest_waiting_first() -> None:
    rows = [
        replace(SOURCE, id=1, name="later", next_run_at=NOW + HOUR),
        replace(SOURCE, id=2, name="b", next_run_at=NOW - HOUR),
        replace(SOURCE, id=3, name="a", next_run_at=NOW - 2 * HOUR),
        replace(SOURCE, id=4, name="never", last_job_at=None),
        replace(SOURCE, id=5, name="manual", schedule=None, last_job_at=None),
    ]
    assert [s.name for s in due_sources(rows, NOW)] == ["a", "b", "never"]
