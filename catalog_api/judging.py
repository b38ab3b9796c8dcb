"""Freshness and quality as the API and the pages show them (issue 13).

The index holds each dataset's due and stale instants and its quality (computed at index time,
:mod:`index.documents`); this module turns what a hit or a stored record carries into the word and the
score at the services' clock, and versions cached answers by the minute so a cached search never shows a
freshness older than that.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime
from typing import Any

from index.documents import doc_from_row
from index.store import RecordRow
from mappings.freshness import State, state


def _moment(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def hit_freshness(summary: Mapping[str, Any], now: datetime) -> State:
    """A search hit's freshness at ``now`` (from the instants its summary keeps)."""
    at = summary.get("freshness_at") or {}
    return state(_moment(at.get("due_at")), _moment(at.get("stale_at")), now)


def record_judgement(
    row: RecordRow, now: datetime, links: Mapping[str, str] | None = None
) -> tuple[State, dict[str, Any]]:
    """A stored record's freshness at ``now`` and its quality (score, reasons, dimensions); ``links``: URL →
    the link checker's state (``index.linkchecks.link_states_of``)."""
    doc = doc_from_row(row, links)
    return state(doc.due_at, doc.stale_at, now), dict(doc.summary.get("quality") or {})


def minute_versioned(version: Callable[[], Hashable | None]) -> Callable[[], Hashable | None]:
    """A cache version that also changes every minute: freshness moves with the clock, not the index."""

    def versioned() -> Hashable | None:
        found = version()
        return None if found is None else (found, int(time.time() // 60))

    return versioned
