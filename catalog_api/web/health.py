"""How a source's harvests are going: its last job, last success, record errors and next run.

Light to import (no SQLAlchemy): ``nutmeg source list`` reads it through the SQLite light reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from catalog_api.schedule import ScheduleError, parse, when_due
from index.rows import JobRow, ProblemCount, SourceReads, SourceRow

Tone = Literal["ok", "warn", "bad", "info", "none"]

# job status → (tone, words)
STATUS: dict[str, tuple[Tone, str]] = {
    "succeeded": ("ok", "Succeeded"),
    "unchanged": ("ok", "Unchanged"),
    "suspicious": ("warn", "Held back"),
    "failed": ("bad", "Failed"),
    "cancelled": ("warn", "Cancelled"),
    "running": ("info", "Running"),
}


def status_tone(status: str | None) -> Tone:
    return STATUS.get(status or "", ("none", ""))[0]


def status_words(status: str | None) -> str:
    if status is None:
        return "Never harvested"
    return STATUS.get(status, ("none", status.capitalize()))[1]


@dataclass(frozen=True, slots=True)
class NextRun:
    """When the worker will next harvest a source."""

    at: datetime | None
    words: str  # "due now", "on demand", "disabled", or empty when ``at`` says it


def next_run(source: SourceRow, now: datetime) -> NextRun:
    """When the worker harvests ``source`` next (``catalog_api.schedule.when_due``), in words when no time."""
    if not source.enabled:
        return NextRun(None, "disabled")
    if not source.schedule or source.kind == "api":
        return NextRun(None, "on demand")
    if source.next_run_at is None:  # a planned run was planned from the schedule, read then: not again
        try:
            parse(source.schedule, source.name)
        except ScheduleError:
            return NextRun(None, f"unreadable schedule {source.schedule!r}")
    at = when_due(source, now)
    if at is None:
        return NextRun(None, "no run left")
    if at <= now:
        return NextRun(None, "due now")
    return NextRun(at, "")


@dataclass(frozen=True, slots=True)
class SourceHealth:
    source: SourceRow
    datasets: int
    last_job: JobRow | None
    last_job_errors: int
    next_run: NextRun
    problems: ProblemCount = field(default_factory=ProblemCount)  # over the live records, not the last job's log
    failing: bool = False  # NUTMEG_SCHEDULE_FLAG_AFTER failed runs in a row: the worker backs off

    @property
    def tone(self) -> Tone:
        return status_tone(self.last_job.status if self.last_job else None)

    @property
    def words(self) -> str:
        return status_words(self.last_job.status if self.last_job else None)


def source_health(
    store: SourceReads, source: SourceRow, now: datetime, flag_after: int = 3, *, problems: bool = False
) -> SourceHealth:
    """A source's health; with ``problems``, also what its live records carry (it reads every record's
    problems, so only the pages that show the count ask for it, from a :class:`index.store.Store`).
    ``flag_after``: failed runs in a row that flag it (NUTMEG_SCHEDULE_FLAG_AFTER)."""
    jobs = store.list_jobs(source.id, limit=1)
    last = jobs[0] if jobs else None
    errors = store.error_count(last.id) if last else 0
    found = _problems(store, source.id) if problems else ProblemCount()
    failing = source.consecutive_failures >= flag_after
    health = SourceHealth(source, store.live_count(source.id), last, errors, next_run(source, now), found)
    return replace(health, failing=failing)


def _problems(store: SourceReads, source_id: int) -> ProblemCount:
    from index.quality import problem_count  # reads records with SQLAlchemy: only the pages ask
    from index.store import Store

    if not isinstance(store, Store):
        raise TypeError("a source's problem count reads the records through index.store.Store")
    return problem_count(store, source_id)
