"""One link-check pass: bring the store's list of links in step with the records, check the links that are
due (in threads, politely: ``harvesters.linkcheck``), and write the results in batches.

:func:`run_link_checks` is what ``nutmeg check links`` and the worker call. It runs in the calling process
(the CLI and the worker lower their CPU priority first) and never touches the search index: a link's state
is read from the store when a dataset is shown.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from catalog_api.schedule import parse_interval
from catalog_api.settings import Settings
from harvesters.http import Resolver, Validators, system_resolver
from harvesters.linkcheck import STATES, LinkProber, LinkResult, LinkState, LinkTarget, check_links
from index.linkchecks import (
    CheckWrite,
    DueLink,
    beat_run,
    due_links,
    finish_run,
    last_run,
    record_link_states,
    records_using,
    reindex_records,
    save_checks,
    start_run,
    sync_links,
)
from index.store import Conflict, Store

if TYPE_CHECKING:
    from catalog_api.worker import Worker

log = logging.getLogger("nutmeg.links")

Progress = Callable[[int, int], None]  # (links checked, links to check)
FLUSH_SECONDS = 2.0
RUN_STALE = timedelta(minutes=10)  # a pass marked running but silent this long was ended by a crash
_STATES: dict[str, LinkState] = {state: state for state in STATES}


@dataclass
class LinkCheckReport:
    """What a pass did: links due and checked, their states now, and how many changed state."""

    run_id: int
    due: int = 0
    checked: int = 0
    changed: int = 0
    states: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    stopped: bool = False
    changed_urls: list[str] = field(default_factory=list)
    broken_changed: list[str] = field(default_factory=list)  # links that became broken or stopped being
    rescored: int = 0  # records left waiting for the search index, their quality score to be redone

    def counts(self) -> dict[str, int]:
        return {"due": self.due, "checked": self.checked, "changed": self.changed, **self.states}


def link_checks_due(store: Store, settings: Settings, now: datetime) -> bool:
    """Whether the worker should start a pass: none is under way (one marked running but silent for
    :data:`RUN_STALE` is taken as dead) and none started within ``NUTMEG_LINK_CHECK_SCHEDULE``."""
    newest = last_run(store, finished=False)
    if newest is None:
        return True
    if newest.running:  # under way, or dead (silent too long): then a new pass starts at once
        return now - (newest.heartbeat_at or newest.started_at) >= RUN_STALE
    return now - newest.started_at >= parse_interval(settings.link_check_schedule)


class BackgroundLinkChecks:
    """The worker's link checks: whenever a pass is due, it runs in a thread of its own, so harvests never
    wait for links (the thread shares the worker's lowered CPU priority)."""

    def __init__(self, store: Store, settings: Settings, *, resolver: Resolver = system_resolver) -> None:
        self._store = store
        self._settings = settings
        self._resolver = resolver
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: LinkCheckReport | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def tick(self, now: datetime) -> bool:
        """Start a pass if one is due and none is running here; whether one was started."""
        if not self._settings.link_checks or self.running:
            return False
        if not link_checks_due(self._store, self._settings, now):
            return False
        self._thread = threading.Thread(target=self._run, name="link-check-pass", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        try:
            self.last = run_link_checks(
                self._store, self._settings, due_only=True, stop=self._stop, resolver=self._resolver
            )
        except Conflict as exc:  # another worker's pass began meanwhile
            log.info("no link-check pass here: %s", exc)
        except Exception:  # a pass that fails is logged; the worker and its harvests go on
            log.exception("a link-check pass failed")

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        """End the pass under way at its next link (what was checked is kept) and wait for it."""
        self._stop.set()
        self.wait()


def run_link_checks(
    store: Store,
    settings: Settings,
    *,
    source: str | None = None,
    due_only: bool = True,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    resolver: Resolver = system_resolver,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> LinkCheckReport:
    """Check the links of every live dataset (of ``source``, if named): those due per
    ``NUTMEG_LINK_CHECK_INTERVAL``, or all of them when ``due_only`` is False. Raises
    :class:`index.store.NotFound` for an unknown source and :class:`index.store.Conflict` while another pass
    is under way; a link's own failure is its state, never an error."""
    started = time.monotonic()
    now = clock()
    source_id = store.get_source(source).id if source else None
    report = LinkCheckReport(start_run(store, now, source, stale_before=now - RUN_STALE))
    prober = LinkProber(settings.link_policy(), resolver=resolver, clock=clock)
    try:
        synced = sync_links(store)  # inside the pass: one pass at a time reads and writes the list of links
        checked_before = now - parse_interval(settings.link_check_interval) if due_only else None
        due = due_links(store, source_id=source_id, checked_before=checked_before)
        report.due = len(due)
        _check_and_write(store, settings, prober, due, report, progress, stop)
        report.rescored = _rescore(store, report.broken_changed, synced.changed)
    finally:
        prober.close()
        report.seconds = time.monotonic() - started
        finish_run(store, report.run_id, "stopped" if report.stopped else "finished", report.counts(), clock())
    return report


def _check_and_write(
    store: Store,
    settings: Settings,
    prober: LinkProber,
    due: list[DueLink],
    report: LinkCheckReport,
    progress: Progress | None,
    stop: threading.Event | None,
) -> None:
    """Checks run in their own threads; this thread writes what they find, a batch at a time."""
    by_url = {link.url: link for link in due}
    results: queue.Queue[LinkResult | None] = queue.Queue()
    halt = stop or threading.Event()

    def check_all() -> None:
        try:
            check_links((_target(link) for link in due), prober, results.put, stop=halt)
        finally:
            results.put(None)

    checker = threading.Thread(target=check_all, name="link-checks", daemon=True)
    checker.start()
    try:
        _write_as_they_come(store, settings, results, by_url, report, progress)
    except BaseException:
        halt.set()
        raise
    finally:
        checker.join()
        report.stopped = halt.is_set() and report.checked < report.due


def _write_as_they_come(
    store: Store,
    settings: Settings,
    results: queue.Queue[LinkResult | None],
    by_url: dict[str, DueLink],
    report: LinkCheckReport,
    progress: Progress | None,
) -> None:
    batch: list[CheckWrite] = []
    flushed = time.monotonic()
    finished = False
    while not finished:
        with suppress(queue.Empty):
            result = results.get(timeout=FLUSH_SECONDS)
            if result is None:
                finished = True
            else:
                batch.append(_record(result, by_url[result.url], report))
        if batch and (
            finished or len(batch) >= settings.link_check_batch or time.monotonic() - flushed >= FLUSH_SECONDS
        ):
            save_checks(store, batch, keep=settings.link_check_history)
            report.checked += len(batch)
            beat_run(store, report.run_id, report.counts(), datetime.now(UTC))
            batch, flushed = [], time.monotonic()
            if progress is not None:
                progress(report.checked, report.due)


class LinkCheckTask:
    """The worker's ``link checks`` task (``catalog_api/worker.py``): at each of its passes, start a
    link-check pass in the background when one is due, so harvests never wait for links. The cadence
    (``NUTMEG_LINK_CHECK_SCHEDULE``) and the one-pass-at-a-time claim are the link checker's own."""

    def __init__(self) -> None:
        self._links: BackgroundLinkChecks | None = None

    def __call__(self, worker: Worker) -> str | None:
        if self._links is None:
            self._links = BackgroundLinkChecks(worker.services.store, worker.services.settings)
        return "a pass started in the background" if self._links.tick(worker.now()) else None

    def wait(self) -> str | None:
        """Wait for the pass under way (``worker --once``); what it did, if it ran."""
        if self._links is None:
            return None
        self._links.wait()
        report = self._links.last
        return None if report is None else f"checked {report.checked:,} link(s) due a check"


def _rescore(store: Store, broken_changed: list[str], synced: tuple[str, ...]) -> int:
    """A broken link costs a dataset quality points (``mappings/quality.py``, computed at index time): the
    records whose links became broken or stopped being, and the records just (re)read whose links are
    broken (a harvest indexed them without knowing), wait for the index again. Returns how many."""
    ids = set(records_using(store, broken_changed))
    ids.update(r for r, counts in record_link_states(store, synced).items() if counts.get("broken"))
    reindex_records(store, sorted(ids))
    return len(ids)


def _target(link: DueLink) -> LinkTarget:
    previous = _STATES.get(link.status, "unchecked")
    return LinkTarget(
        url=link.url,
        validators=Validators(link.etag, link.last_modified),
        allow_private=link.allow_private,
        previous=previous,
        previous_http_status=link.http_status,
        previous_final_url=link.final_url,
    )


def _record(result: LinkResult, link: DueLink, report: LinkCheckReport) -> CheckWrite:
    report.states[result.status] += 1
    if result.status != link.status:
        report.changed += 1
        report.changed_urls.append(link.url)
        if "broken" in (result.status, link.status):
            report.broken_changed.append(link.url)
    return CheckWrite(
        target_id=link.id,
        checked_at=result.checked_at,
        status=result.status,
        http_status=result.http_status,
        method=result.method,
        final_url=result.final_url,
        redirects=[{"status": h.status, "url": h.url} for h in result.redirects],
        not_modified=result.not_modified,
        message=result.message,
        elapsed_ms=round(result.elapsed * 1000),
        etag=result.validators.etag,
        last_modified=result.validators.last_modified,
    )
