"""Harvest schedules: each source may carry an ISO 8601 duration (``PT6H``, ``P1D``); the worker
harvests it when that much time has passed since its last job."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI parses schedules before it opens the store; keep this module light
    from index.store import SourceRow

_DURATION = re.compile(
    r"^(?:R\d*/)?P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
MINIMUM = timedelta(minutes=1)


def parse_interval(text: str) -> timedelta:
    """``PT6H`` → 6 hours (weeks, days, hours, minutes, seconds; ``R/`` prefixes accepted)."""
    match = _DURATION.match(text.strip().upper())
    if not match or not any(match.groupdict().values()):
        raise ValueError(f"{text!r} is not an ISO 8601 duration like PT6H or P1D")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    interval = timedelta(**parts)
    if interval < MINIMUM:
        raise ValueError(f"{text!r} is shorter than the one-minute minimum")
    return interval


def due_sources(sources: Iterable[SourceRow], now: datetime) -> list[str]:
    """Names of enabled, scheduled sources whose interval has passed since their last job."""
    due: list[str] = []
    for source in sources:
        if not source.enabled or not source.schedule:
            continue
        last = source.last_job_at
        if last is None or now - last >= parse_interval(source.schedule):
            due.append(source.name)
    return due
