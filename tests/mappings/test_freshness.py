"""Freshness against an injected clock: every accrualPeriodicity form a catalog writes (ISO 8601 repeating
durations, DCAT-US frequency words, the Dublin Core Collection Description frequency vocabulary, the EU
frequency authority codes) gives due and stale instants, and the state moves with the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mappings.frequencies import FREQUENCIES
from mappings.freshness import (
    CONTINUOUS_PERIOD,
    NEVER_DUE,
    duration,
    expected_period,
    schedule,
    state,
)

MODIFIED = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)

# value → the period it means (days)
PERIODS: dict[str, float] = {
    "R/P1D": 1,
    "R/PT1H": 1,  # under a day but over an hour: kept as an hour (checked below)
    "R/P3M": 3 * 30.436875,
    "R/P1W": 7,
    "R/P2W": 14,
    "R/P1M": 30.436875,
    "R/P1Y": 365.2425,
    "R/P10Y": 3652.425,
    "R/P3.5D": 3.5,
    "R/P0.33W": 0.33 * 7,
    "R/P0.5M": 0.5 * 30.436875,
    "R/P4M": 4 * 30.436875,
    "R/P6M": 6 * 30.436875,
    "P1D": 1,
    "R5/2020-01-01/P1M": 30.436875,
    "R/P1DT12H": 1.5,
}
# The Dublin Core Collection Description Frequency Vocabulary (http://purl.org/cld/freq/), every term.
DUBLIN_CORE: dict[str, float] = {
    "triennial": 3 * 365.2425,
    "biennial": 2 * 365.2425,
    "annual": 365.2425,
    "semiannual": 6 * 30.436875,
    "threeTimesAYear": 4 * 30.436875,
    "quarterly": 3 * 30.436875,
    "bimonthly": 2 * 30.436875,
    "monthly": 30.436875,
    "semimonthly": 0.5 * 30.436875,
    "biweekly": 14,
    "threeTimesAMonth": 0.33 * 30.436875,
    "weekly": 7,
    "semiweekly": 3.5,
    "threeTimesAWeek": 0.33 * 7,
    "daily": 1,
    "continuous": 1,  # continuous: expected to change at least daily
}
EU_CODES: dict[str, float] = {
    "DAILY": 1,
    "WEEKLY": 7,
    "MONTHLY": 30.436875,
    "QUARTERLY": 3 * 30.436875,
    "ANNUAL": 365.2425,
    "ANNUAL_2": 6 * 30.436875,
    "BIENNIAL": 2 * 365.2425,
    "DECENNIAL": 3652.425,
    "MONTHLY_2": 0.5 * 30.436875,
    "WEEKLY_2": 3.5,
    "CONT": 1,
    "UPDATE_CONT": 1,
}


def _days(value: str) -> float:
    kind, period = expected_period(value)
    assert kind == "period", value
    assert period is not None
    return period / DAY


@pytest.mark.parametrize(("value", "days"), [(k, v) for k, v in PERIODS.items() if k != "R/PT1H"])
def test_iso_durations(value: str, days: float) -> None:
    assert _days(value) == pytest.approx(days)


def test_hourly_is_an_hour() -> None:
    assert duration("R/PT1H") == timedelta(hours=1)
    assert expected_period("R/PT1H") == ("period", timedelta(hours=1))


@pytest.mark.parametrize("word", sorted(FREQUENCIES))
def test_every_dcat_us_frequency_word(word: str) -> None:
    kind, period = expected_period(word)
    if word == "irregular":
        assert (kind, period) == ("irregular", None)
    else:
        assert kind == "period", word
        assert period is not None
        assert period > timedelta(0)
        expected = duration(FREQUENCIES[word])
        assert expected is not None
        assert period == (CONTINUOUS_PERIOD if expected < timedelta(hours=1) else expected)


@pytest.mark.parametrize(("term", "days"), sorted(DUBLIN_CORE.items()))
def test_every_dublin_core_frequency_term(term: str, days: float) -> None:
    assert _days(term) == pytest.approx(days)
    assert _days(f"http://purl.org/cld/freq/{term}") == pytest.approx(days)


@pytest.mark.parametrize(("code", "days"), sorted(EU_CODES.items()))
def test_eu_frequency_codes(code: str, days: float) -> None:
    iri = f"http://publications.europa.eu/resource/authority/frequency/{code}"
    assert _days(iri) == pytest.approx(days)


@pytest.mark.parametrize(
    "value", ["irregular", "Irregular", "http://purl.org/cld/freq/irregular", "IRREG", "AS_NEEDED"]
)
def test_irregular_is_due_after_a_year_and_stale_after_two(value: str) -> None:
    when = schedule(value, MODIFIED)
    assert state(when.due_at, when.stale_at, MODIFIED + 300 * DAY) == "fresh"
    assert state(when.due_at, when.stale_at, MODIFIED + 400 * DAY) == "due"
    assert state(when.due_at, when.stale_at, MODIFIED + 800 * DAY) == "stale"


@pytest.mark.parametrize("value", ["continual", "continuous", "R/PT1S", "R/PT1M", "CONT"])
def test_continuous_is_expected_daily(value: str) -> None:
    when = schedule(value, MODIFIED)
    assert state(when.due_at, when.stale_at, MODIFIED + timedelta(hours=20)) == "fresh"
    assert state(when.due_at, when.stale_at, MODIFIED + timedelta(hours=30)) == "due"
    assert state(when.due_at, when.stale_at, MODIFIED + timedelta(hours=60)) == "stale"


@pytest.mark.parametrize(
    "value", ["NEVER", "http://publications.europa.eu/resource/authority/frequency/NOT_PLANNED", "never"]
)
def test_never_updated_stays_fresh(value: str) -> None:
    when = schedule(value, MODIFIED)
    assert when.due_at == NEVER_DUE
    assert state(when.due_at, when.stale_at, datetime(2200, 1, 1, tzinfo=UTC)) == "fresh"


@pytest.mark.parametrize("value", [None, "", "  ", "unknown", "UNKNOWN", "sometimes", "R/PXYZ", "P0D", "2011-06-30"])
def test_unknown(value: str | None) -> None:
    when = schedule(value, MODIFIED)
    assert (when.due_at, when.stale_at) == (None, None)
    assert state(when.due_at, when.stale_at, MODIFIED) == "unknown"


def test_no_modified_is_unknown() -> None:
    assert state(*_instants(schedule("R/P1D", None)), MODIFIED) == "unknown"


def _instants(when: object) -> tuple[datetime | None, datetime | None]:
    return when.due_at, when.stale_at  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", [*PERIODS, *DUBLIN_CORE, *EU_CODES, *FREQUENCIES])
def test_the_state_moves_with_the_clock(value: str) -> None:
    """Fresh just after modified, due after one period and its grace, stale after two."""
    when = schedule(value, MODIFIED)
    assert when.due_at is not None
    assert when.stale_at is not None
    assert MODIFIED < when.due_at <= when.stale_at
    assert state(when.due_at, when.stale_at, MODIFIED) == "fresh"
    if when.due_at == NEVER_DUE:
        return
    assert state(when.due_at, when.stale_at, when.due_at - timedelta(seconds=1)) == "fresh"
    if when.stale_at > when.due_at:
        assert state(when.due_at, when.stale_at, when.due_at) == "due"
    assert state(when.due_at, when.stale_at, when.stale_at) == "stale"


def test_daily_thresholds() -> None:
    """Daily: a grace of a tenth of the period (2.4 h) — due after 26.4 h, stale after 50.4 h."""
    when = schedule("R/P1D", MODIFIED)
    assert when.due_at == MODIFIED + timedelta(hours=26.4)
    assert when.stale_at == MODIFIED + timedelta(hours=50.4)


def test_annual_grace_is_capped_at_thirty_days() -> None:
    when = schedule("annual", MODIFIED)
    assert when.due_at is not None
    assert when.due_at - MODIFIED == timedelta(days=365.2425) + timedelta(days=30)


@pytest.mark.parametrize("value", ["R/P99999999999999999Y", "R/P", "R/PT", "P", "R/P1Y" * 10_000, "R/P1.5.5D", "\x00"])
def test_hostile_values_never_raise(value: str) -> None:
    when = schedule(value, MODIFIED)
    assert state(when.due_at, when.stale_at, MODIFIED) in ("fresh", "unknown")


def test_a_modified_date_near_the_end_of_time_is_never_due() -> None:
    when = schedule("R/P10Y", datetime(9995, 1, 1, tzinfo=UTC))
    assert when.stale_at == NEVER_DUE
