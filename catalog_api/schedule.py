"""Schedules: when the worker next harvests a source (or runs one of its periodic tasks).

A schedule is written one of two ways:

* a **cron expression**, five fields in UTC (``30 2 * * *``, ``*/15 6-18 * * 1-5``, ``@daily``), read by
  croniter. ``H`` in a field is a value taken from a hash of the source's name (Jenkins' spelling:
  ``H H(1-5) * * *`` is once a night between 01:00 and 05:59 UTC at a minute of the source's own); it is
  fixed into plain numbers when the schedule is saved, so what is shown is what runs;
* an **ISO 8601 duration or repeating interval**: ``PT6H`` or ``R/PT6H`` (six hours after the last run
  started), ``P1M`` (a calendar month), ``R/2026-01-01T02:00:00Z/P1D`` (every day at 02:00 UTC, counted
  from that start), ``R5/2026-01-01T02:00:00Z/P1D`` (five runs from that start, then no more).

``off`` (or nothing) means only when asked. New sources get :data:`DEFAULT` unless told otherwise, so a
hundred sources do not all start at 02:00.

Runs are planned from the *start* of the last run. A schedule that was missed (the worker was down) is due
at once and runs once, not once per missed time. After ``n`` failed runs in a row a source backs off
(:func:`backed_off`): its next run waits for 2^(n-1) turns of its schedule, at most ``cap`` longer than its
normal next run.

Nothing here reads the clock: every function is given the moment it decides for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI parses schedules before it opens the store; keep this module light
    from dateutil.relativedelta import relativedelta

    from index.rows import SourceRow

DEFAULT = "H H(1-5) * * *"  # nightly, at a time between 01:00 and 05:59 UTC taken from the source's name
OFF_WORDS = frozenset({"off", "none", "manual", "never"})
MINIMUM = timedelta(minutes=1)
MAXIMUM = timedelta(days=3653)  # ten years
LONGEST = 40  # characters the store keeps
EXAMPLES = (
    "a cron expression such as '30 2 * * *' (UTC), or ISO 8601 such as 'PT6H', 'R/P1D' or 'R/2026-01-01T02:00:00Z/P1D'"
)
_REFERENCE = datetime(2026, 1, 1, tzinfo=UTC)

_DURATION = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
_REPEAT = re.compile(r"R(?P<count>\d*)")


class ScheduleError(ValueError):
    """A schedule that cannot be read; the message says what was wrong and shows the accepted forms."""


@dataclass(frozen=True, slots=True)
class Cron:
    """A cron expression (UTC)."""

    expression: str

    aligned = True  # runs fall on fixed times, whenever the last one happened

    def next_after(self, moment: datetime) -> datetime | None:
        from croniter import croniter

        following: datetime = croniter(self.expression, moment.astimezone(UTC)).get_next(datetime)
        return following


@dataclass(frozen=True, slots=True)
class Every:
    """An ISO 8601 duration, optionally anchored at a start and limited to a number of runs."""

    step: relativedelta
    start: datetime | None = None
    count: int | None = None

    @property
    def aligned(self) -> bool:
        return self.start is not None

    def next_after(self, moment: datetime) -> datetime | None:
        """The next run after ``moment`` (None: no run left, or past the year 9999)."""
        try:
            return self._next_after(moment)
        except (OverflowError, ValueError):
            return None

    def _next_after(self, moment: datetime) -> datetime | None:
        if self.start is None:
            return moment + self.step
        if moment < self.start:
            return self.start
        n = self._occurrence_at_or_before(moment) + 1
        if self.count is not None and n >= self.count:
            return None
        return self.start + self.step * n

    def _occurrence_at_or_before(self, moment: datetime) -> int:
        """The number of the last run at or before ``moment`` (0 is the start); calendar steps differ in
        length, so a guess from the average length is corrected both ways."""
        assert self.start is not None
        n = max(int((moment - self.start) / ((self.start + self.step) - self.start)), 0)
        while n > 0 and self.start + self.step * n > moment:
            n -= 1
        while self.start + self.step * (n + 1) <= moment:
            n += 1
        return n


Schedule = Cron | Every


def parse(text: str, name: str = "") -> Schedule:
    """Read a schedule (``name`` fills cron's ``H`` fields); raises :class:`ScheduleError`."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ScheduleError(f"the schedule is empty; write {EXAMPLES}, or 'off'")
    if cleaned[0] in "PpRr" and " " not in cleaned:
        return _iso(cleaned.upper())
    return _cron(cleaned, name)


def normalize(text: str | None, name: str) -> str | None:
    """The schedule to store for what an operator wrote: None for ``off``/nothing, cron's ``H`` fields
    fixed into numbers, ISO forms upper-cased. Raises :class:`ScheduleError`."""
    if text is None or not text.strip() or text.strip().lower() in OFF_WORDS:
        return None
    schedule = parse(text, name)
    stored = schedule.expression if isinstance(schedule, Cron) else " ".join(text.split()).upper()
    if len(stored) > LONGEST:
        raise ScheduleError(f"{stored!r} is longer than {LONGEST} characters; write it shorter (ranges, steps)")
    return stored


def parse_interval(text: str) -> timedelta:
    """The fixed length of a bare ISO 8601 duration (``PT6H`` → 6 hours; calendar months and years are
    refused here: they have no fixed length). Raises :class:`ScheduleError`."""
    schedule = parse(text)
    if not isinstance(schedule, Every) or schedule.step.months or schedule.step.years:
        raise ScheduleError(f"{text!r} is not a fixed ISO 8601 duration such as PT6H or P1D")
    return (_REFERENCE + schedule.step) - _REFERENCE


# -- reading the two forms -------------------------------------------------------------------------


def _iso(text: str) -> Every:
    parts = text.split("/")
    repeat = _REPEAT.fullmatch(parts[0]) if len(parts) > 1 else None
    if len(parts) > 1 and repeat is None:
        raise ScheduleError(f"{text!r}: a repeating interval starts with R or Rn, e.g. R/P1D")
    count = int(repeat["count"]) if repeat and repeat["count"] else None
    if count == 0:
        raise ScheduleError(f"{text!r} repeats zero times; leave the count out (R/…) to repeat for ever")
    body = parts[1:] if repeat else parts
    if len(body) == 1:
        if count is not None:
            raise ScheduleError(f"{text!r}: a run count needs a start, e.g. R{count}/2026-01-01T02:00:00Z/P1D")
        return Every(_duration(body[0], text))
    if len(body) == 2 and body[0].startswith("P"):
        raise ScheduleError(f"{text!r}: write the start before the duration, e.g. R/2026-01-01T02:00:00Z/P1D")
    if len(body) == 2:
        return Every(_duration(body[1], text), _start(body[0], text), count)
    raise ScheduleError(f"{text!r} is not a schedule; write {EXAMPLES}")


def _duration(text: str, whole: str) -> relativedelta:
    from dateutil.relativedelta import relativedelta

    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groupdict().values()):
        raise ScheduleError(f"{whole!r} is not a schedule; write {EXAMPLES} (whole numbers only)")
    try:
        step = relativedelta(**{k: int(v) for k, v in match.groupdict().items() if v})  # type: ignore[arg-type]
        length = (_REFERENCE + step) - _REFERENCE
    except (OverflowError, ValueError):
        length = MAXIMUM + MAXIMUM
    if length < MINIMUM:
        raise ScheduleError(f"{whole!r} is shorter than the one-minute minimum")
    if length > MAXIMUM:
        raise ScheduleError(f"{whole!r} is longer than the ten-year maximum")
    return step


def _start(text: str, whole: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ScheduleError(f"{whole!r}: the start {text!r} is not an ISO 8601 date or time") from None
    if len(text) <= 10 and moment.time() == time(0):  # a date alone: midnight UTC
        return datetime.combine(date.fromisoformat(text), time(0), UTC)
    if moment.tzinfo is None:
        raise ScheduleError(f"{whole!r}: give the start's time zone, e.g. {text}Z for UTC")
    return moment.astimezone(UTC)


def _cron(text: str, name: str) -> Cron:
    from croniter import CroniterError, croniter

    fields = text.split()
    if len(fields) == 1 and not text.startswith("@"):
        raise ScheduleError(f"{text!r} is not a schedule; write {EXAMPLES}, or 'off'")
    if not text.startswith("@") and len(fields) != 5:
        raise ScheduleError(
            f"{text!r} has {len(fields)} fields; a cron expression has five "
            f"(minute hour day-of-month month day-of-week, in UTC); or write {EXAMPLES}"
        )
    try:
        parsed = croniter(text, _REFERENCE, hash_id=name.encode() or b"nutmeg")
        fixed = _fixed(text, parsed.expanded) if any(_hashed(f) for f in fields) else text
        Cron(fixed).next_after(_REFERENCE)  # a date that never comes (30 February) fails here
    except CroniterError as exc:
        raise ScheduleError(f"{text!r} is not a schedule ({exc}); write {EXAMPLES}") from None
    return Cron(fixed)


_HASH = re.compile(r"(?<![A-Z])H(?![A-Z])")  # H alone, not inside a name such as THU


def _hashed(field: str) -> bool:
    return _HASH.search(field.upper()) is not None


def _fixed(text: str, expanded: Sequence[Sequence[object]]) -> str:
    """``H H(1-5) * * *`` → ``58 5 * * *``: hashed fields as the numbers they stand for."""
    fields = text.split()
    return " ".join(
        ",".join(str(v) for v in values) if _hashed(field) else field
        for field, values in zip(fields, expanded, strict=True)
    )


# -- deciding when ---------------------------------------------------------------------------------


def first_run(schedule: Schedule, now: datetime) -> datetime | None:
    """When a source that has never run is due: now, or the start of an anchored schedule still ahead."""
    if isinstance(schedule, Every) and schedule.start is not None and schedule.start > now:
        return schedule.start
    return now


def next_run(schedule: Schedule, last_start: datetime | None, now: datetime) -> datetime | None:
    """When a source whose last run started at ``last_start`` is due next (None: no run is left)."""
    if last_start is None:
        return first_run(schedule, now)
    return schedule.next_after(last_start)


def backed_off(schedule: Schedule, normal: datetime, failures: int, cap: timedelta) -> datetime:
    """The next run after ``failures`` failed runs in a row: the normal one after one failure, then
    2^(n-1) turns of the schedule ahead, at most ``cap`` after the normal one (on the schedule's own times
    when it has fixed ones)."""
    if failures < 2:
        return normal
    following = schedule.next_after(normal)
    period = (following - normal) if following is not None else timedelta(0)
    delay = min(period * ((1 << min(failures - 1, 16)) - 1), cap)
    target = normal + delay
    if not schedule.aligned or delay == timedelta(0):
        return target
    return schedule.next_after(target - timedelta(microseconds=1)) or target


def when_due(source: SourceRow, now: datetime) -> datetime | None:
    """When the worker harvests ``source`` next: the time planned when its last job ended, or (not planned
    yet: new, or its schedule just changed) its schedule's next time after its last job. None: on demand,
    disabled, no run left, or a schedule that can no longer be read."""
    if not source.enabled or not source.schedule or source.kind == "api":
        return None
    if source.next_run_at is not None:
        return source.next_run_at
    try:
        schedule = parse(source.schedule, source.name)
    except ScheduleError:
        return None
    return next_run(schedule, source.last_job_at, now)


def due_sources(sources: Iterable[SourceRow], now: datetime) -> list[SourceRow]:
    """The sources whose next run has come, the longest-waiting first."""
    due = [(when, s) for s in sources if (when := when_due(s, now)) is not None and when <= now]
    return [s for _, s in sorted(due, key=lambda pair: (pair[0], pair[1].name))]
