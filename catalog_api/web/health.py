"""How a source's harvests are going: its last job, last success, record errors and next run."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from catalog_api.schedule import ScheduleError, parse, when_due
from index.quality import ProblemCount, problem_count
from index.store import JobRow, SourceRow, Store

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
    store: Store, source: SourceRow, now: datetime, flag_after: int = 3, *, problems: bool = False
) -> SourceHealth:
    """A source's health; with ``problems``, also what its live records carry (it reads every record's
    problems, so only the pages that show the count ask for it). ``flag_after``: failed runs in a row
    that flag it (NUTMEG_SCHEDULE_FLAG_AFTER)."""
    jobs = store.list_jobs(source.id, limit=1)
    last = jobs[0] if jobs else None
    errors = store.list_errors(job_id=last.id, limit=0)[0] if last else 0
    found = problem_count(store, source.id) if problems else ProblemCount()
    failing = source.consecutive_failures >= flag_after
    health = SourceHealth(source, store.live_count(source.id), last, errors, next_run(source, now), found)
    return replace(health, failing=failing)
