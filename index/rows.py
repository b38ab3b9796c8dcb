"""The store's source and job rows, and the schema's newest revision: light to import (no SQLAlchemy).

``index/store.py`` builds these rows from SQLAlchemy's typed results; ``index/sqlite_reader.py`` builds
the same rows from SQLite's raw values for the CLI's read-only light path (``nutmeg source list``), so a
command that only reads starts without importing SQLAlchemy or alembic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class SourceRow:
    id: int
    name: str
    kind: str
    url: str
    title: str | None
    description: str | None
    publisher: str | None
    options: dict[str, Any]
    federal: bool
    allow_private: bool
    schedule: str | None
    enabled: bool
    created_at: datetime
    etag: str | None
    last_modified: str | None
    bookmark: str | None
    last_success_at: datetime | None
    last_full_harvest_at: datetime | None
    last_job_at: datetime | None
    credentials: dict[str, Any] | None = field(default=None, repr=False)  # never printed
    organization_id: int | None = None
    next_run_at: datetime | None = None  # planned by the worker's schedule (index/schedules.py)
    consecutive_failures: int = 0


@dataclass(frozen=True, slots=True)
class JobRow:
    id: int
    source_id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    listed: int
    new: int
    updated: int
    unchanged: int
    withdrawn: int
    failed: int
    skipped: int
    message: str | None
    stats: dict[str, Any]
    owner: str | None = None
    heartbeat_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProblemCount:
    """How many live records of a source carry problems, and how many problems they carry in all."""

    records: int = 0
    problems: int = 0


def source_row(values: Mapping[Any, Any]) -> SourceRow:
    """A source row from a mapping of (at least) its fields, already typed."""
    return SourceRow(**{k: values[k] for k in SourceRow.__slots__})


def job_row(values: Mapping[Any, Any]) -> JobRow:
    """A job row from a mapping of (at least) its fields, already typed."""
    return JobRow(**{k: values[k] for k in JobRow.__slots__})


_REVISION_LINE = re.compile(r"^(down_revision|revision)\b[^=]*=\s*(.+)$", re.MULTILINE)


def newest_revisions() -> set[str]:
    """The head revisions of ``index/migrations/versions``: revisions no other migration builds on."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (Path(__file__).parent / "migrations" / "versions").glob("*.py"):  # not importlib.resources: 25 ms
        if path.name != "__init__.py":
            for key, value in _REVISION_LINE.findall(path.read_text("utf-8")):
                (revisions if key == "revision" else parents).update(re.findall(r"[\"']([^\"']+)[\"']", value))
    return revisions - parents


class SourceReads(Protocol):
    """What a source's overview reads (``nutmeg source list``, the health of ``catalog_api/web/health.py``):
    :class:`index.store.Store`, or the SQLite light reader of ``index/sqlite_reader.py``."""

    def list_sources(self) -> list[SourceRow]: ...

    def list_jobs(self, source_id: int, *, limit: int = 50, offset: int = 0) -> list[JobRow]: ...

    def last_job_with_status(self, source_id: int, status: str) -> JobRow | None: ...

    def error_count(self, job_id: int) -> int: ...

    def live_count(self, source_id: int | None = None) -> int: ...
