"""How the pages show dates, durations, counts and DCAT-US codes to people (Jinja filters)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from catalog_api.schedule import Cron, ScheduleError, parse, parse_interval
from mappings.derive import parse_modified

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

# DCAT-US accrualPeriodicity (ISO 8601 repeating durations) → words
PERIODICITY: dict[str, str] = {
    "R/P10Y": "Every ten years",
    "R/P4Y": "Every four years",
    "R/P3Y": "Every three years",
    "R/P2Y": "Every two years",
    "R/P1Y": "Annually",
    "R/P6M": "Twice a year",
    "R/P4M": "Three times a year",
    "R/P3M": "Quarterly",
    "R/P2M": "Every two months",
    "R/P1M": "Monthly",
    "R/P0.5M": "Twice a month",
    "R/P2W": "Every two weeks",
    "R/P0.33W": "Three times a week",
    "R/P0.5W": "Twice a week",
    "R/P1W": "Weekly",
    "R/P3.5D": "Twice a week",
    "R/P1D": "Daily",
    "R/PT1H": "Hourly",
    "R/PT1S": "Continuously updated",
    "IRREGULAR": "Irregularly",
}

# (upper bound, unit seconds, singular name) for "3 hours ago"
_AGO_UNITS: tuple[tuple[float, int, str], ...] = (
    (90, 1, "second"),
    (3570, 60, "minute"),  # 59.5 minutes: an hour from there on
    (36 * 3600, 3600, "hour"),
    (45 * 86400, 86400, "day"),
    (540 * 86400, 30 * 86400, "month"),
    (float("inf"), 365 * 86400, "year"),
)

# (unit seconds, name) for "every 6 hours"
_INTERVAL_UNITS: tuple[tuple[int, str], ...] = ((7 * 86400, "week"), (86400, "day"), (3600, "hour"), (60, "minute"))


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def number(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def day(value: datetime | str | None) -> str:
    """``9 Jun 2014`` for a datetime or an ISO date string; other text as published."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else parse_modified(value)
    if moment is None:
        return str(value)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def moment(value: datetime | None) -> str:
    """``2024-11-26 19:47 UTC``."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else ""


def ago(value: datetime | None, now: datetime) -> str:
    """``3 hours ago`` / ``in 2 days``."""
    if value is None:
        return ""
    seconds = (now - value).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 45:
        return "just now"
    for bound, unit, name in _AGO_UNITS:
        if seconds < bound:
            text = plural(max(1, round(seconds / unit)), name)
            return f"in {text}" if future else f"{text} ago"
    raise AssertionError("unreachable: the last bound is infinite")


def elapsed(start: datetime | None, end: datetime | None) -> str:
    """``0.4 s`` / ``3 min 5 s`` / ``2 h 10 min``."""
    if start is None or end is None:
        return ""
    seconds = (end - start).total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def interval_words(schedule: str | None) -> str:
    """``PT6H`` → ``every 6 hours``; ``30 2 * * *`` → ``daily at 02:30 UTC``; no schedule → ``on demand``;
    other cron expressions and anchored repeats as written."""
    if not schedule:
        return "on demand"
    try:
        parsed = parse(schedule)
    except ScheduleError:
        return schedule
    if isinstance(parsed, Cron):
        return _daily_words(parsed.expression) or f"cron {parsed.expression} (UTC)"
    if parsed.start is not None or parsed.step.months or parsed.step.years:
        return schedule
    return "every " + _interval_text(parse_interval(schedule))


def _daily_words(expression: str) -> str | None:
    minute, hour, *rest = expression.split()
    if rest != ["*", "*", "*"] or not (minute.isdigit() and hour.isdigit()):
        return None
    return f"daily at {int(hour):02d}:{int(minute):02d} UTC"


def _interval_text(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit, name in _INTERVAL_UNITS:
        if seconds % unit == 0:
            count = seconds // unit
            return name if count == 1 else plural(count, name)
    return plural(seconds, "second")


def periodicity(value: str | None) -> str:
    """A DCAT-US accrualPeriodicity in words (unknown codes as published)."""
    if not value:
        return ""
    return PERIODICITY.get(value.strip().upper(), value.strip())


def temporal(value: str | None) -> str:
    """``2010-01-01/2012-12-31`` → ``1 Jan 2010 – 31 Dec 2012`` (each end as published if it is no date)."""
    if not value:
        return ""
    parts = value.strip().split("/")
    if len(parts) != 2 or value.upper().startswith("R/"):
        return value.strip()
    return " – ".join(day(part) or "…" for part in parts)
