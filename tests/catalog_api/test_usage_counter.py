"""The in-memory usage counter: what it leaves out, that a failed flush loses nothing, and that its
flusher thread ends when idle and comes back with the next count."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.requests import Request

from catalog_api.usage import IDLE_FLUSHES, UsageCounter, counted
from index.search.embedded import EmbeddedIndex
from index.store import Store
from index.usage import usage_of

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"


def request(method: str = "GET", **headers: str) -> Request:
    raw = [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in {"user_agent": BROWSER, **headers}.items()]
    return Request({"type": "http", "method": method, "headers": raw, "path": "/"})


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        (request(), True),
        (request("POST"), True),  # CKAN clients read package_show by POST
        (request("HEAD"), False),
        (request(user_agent=""), False),
        (request(user_agent="Mozilla/5.0 (compatible; bingbot/2.0)"), False),
        (request(user_agent="Googlebot-Image/1.0"), False),
        (request(user_agent="Slackbot-LinkExpanding 1.0"), False),
        (request(user_agent="facebookexternalhit/1.1"), False),
        (request(user_agent="curl/8.5.0"), True),  # a person's script, openly
        (request(sec_purpose="prefetch;prerender"), False),
        (request(purpose="prefetch"), False),
    ],
)
def test_what_is_counted(made: Request, expected: bool) -> None:
    assert counted(made) is expected


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(f"sqlite:///{tmp_path}/store.db")
    yield opened
    opened.close()


def test_a_failed_flush_keeps_its_counts(store: Store) -> None:
    index = EmbeddedIndex(":memory:")
    counter = UsageCounter(store, index, flush_seconds=3600)
    try:
        for _ in range(3):
            counter.count(request(), "abc", "view")
        with pytest.raises(Exception, match="usage_daily"):
            counter.flush()  # the store has no tables yet
        store.migrate()
        assert counter.flush() == 3
        assert usage_of(store, "abc", datetime.now(UTC).date()).views.all_time == 3
    finally:
        counter.close()
        index.close()


def test_the_flusher_ends_when_idle_and_returns_with_the_next_count(store: Store) -> None:
    store.migrate()
    index = EmbeddedIndex(":memory:")
    counter = UsageCounter(store, index, flush_seconds=0.01)
    try:
        counter.count(request(), "abc", "download")
        first = counter._thread
        assert first is not None
        first.join(5 + IDLE_FLUSHES * 0.01)
        assert not first.is_alive()
        assert counter._thread is None
        counter.count(request(), "abc", "download")
        assert counter._thread is not None
        deadline = time.monotonic() + 5
        while usage_of(store, "abc", datetime.now(UTC).date()).downloads.all_time < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        counter.close()
        index.close()
