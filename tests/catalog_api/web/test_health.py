"""A source's next run follows its schedule from its last job; job statuses read as words and tones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from catalog_api.web.health import next_run, status_tone, status_words
from index.store import SourceRow

NOW = datetime(2024, 11, 26, 12, 0, tzinfo=UTC)
SOURCE = SourceRow(
    id=1,
    name="s",
    kind="datajson",
    url="http://x/data.json",
    title=None,
    description=None,
    publisher=None,
    options={},
    federal=False,
    allow_private=False,
    schedule="PT6H",
    enabled=True,
    created_at=NOW - timedelta(days=10),
    etag=None,
    last_modified=None,
    bookmark=None,
    last_success_at=None,
    last_full_harvest_at=None,
    last_job_at=NOW - timedelta(hours=2),
)


def test_the_next_run_is_the_schedule_after_the_last_job() -> None:
    run = next_run(SOURCE, NOW)
    assert (run.at, run.words) == (NOW + timedelta(hours=4), "")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"last_job_at": NOW - timedelta(hours=7)}, "due now"),
        ({"last_job_at": None}, "due now"),
        ({"schedule": None}, "on demand"),
        ({"enabled": False}, "disabled"),
        ({"schedule": "whenever"}, "unreadable schedule 'whenever'"),
    ],
)
def test_no_time_to_show(changes: dict[str, object], words: str) -> None:
    run = next_run(replace(SOURCE, **changes), NOW)
    assert (run.at, run.words) == (None, words)


@pytest.mark.parametrize(
    ("status", "tone", "words"),
    [
        ("succeeded", "ok", "Succeeded"),
        ("unchanged", "ok", "Unchanged"),
        ("suspicious", "warn", "Held back"),
        ("failed", "bad", "Failed"),
        ("running", "info", "Running"),
        ("exotic", "none", "Exotic"),
        (None, "none", "Never harvested"),
    ],
)
def test_statuses(status: str | None, tone: str, words: str) -> None:
    assert (status_tone(status), status_words(status)) == (tone, words)


def test_a_planned_run_is_shown_as_planned_without_reading_the_schedule_again() -> None:
    """The worker runs a source at its planned time (``when_due``) whatever its schedule says now; the
    overview says the same, and so needs no cron parser for a source that has run."""
    planned = NOW + timedelta(hours=3)
    for schedule in ("30 2 * * *", "whenever"):
        run = next_run(replace(SOURCE, schedule=schedule, next_run_at=planned), NOW)
        assert (run.at, run.words) == (planned, "")
