"""The life of a harvest job beyond one run: who runs it, whether it is still alive, cancelling it.

A running job records its *owner* (this node and process id) and a *heartbeat* that a thread of the
running process updates every ``NUTMEG_JOB_HEARTBEAT_SECONDS`` (and every batch the job writes). A job
marked running is taken as abandoned when its process is gone — on the same node that is checked directly;
elsewhere, when its heartbeat is older than ``NUTMEG_JOB_STALE_SECONDS``. The next harvest or worker start
ends such jobs as failed (:func:`reap`), so a killed harvest never keeps its source locked; ``nutmeg
doctor`` lists them (:func:`stuck_jobs`) and ``nutmeg job cancel`` ends one by hand (:func:`cancel`).

Whenever a job ends — finished, failed, reaped or cancelled — :func:`plan_next` counts its source's
failures in a row and plans its next run from its schedule (backing off while it keeps failing).

A running job whose row is no longer ``running`` (cancelled, or ended by another process) learns it at its
next heartbeat and stops at its next record without withdrawing anything.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from catalog_api.schedule import ScheduleError, backed_off, next_run, parse
from index.schedules import record_run, source_by_id
from index.store import JobRow, NotFound, SourceRow, Store, StoreError

if TYPE_CHECKING:
    from index.search.base import SearchBackend

log = logging.getLogger("nutmeg.harvest")

CANCELLED = "cancelled"
ABANDONED = "abandoned: the process running it stopped ({reason}); nothing was withdrawn"


class JobCancelled(Exception):
    """The job's row says it no longer runs: stop, withdraw nothing."""


@cache
def this_node() -> str:
    """This host, and its process-id namespace (containers on one host do not share process ids)."""
    try:
        namespace = f"/pidns:{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        namespace = ""
    return socket.gethostname() + namespace


def owner() -> str:
    """Who runs a job started now: ``<node>/pid:<pid>``."""
    return f"{this_node()}/pid:{os.getpid()}"


def _owner_pid(job_owner: str | None) -> int | None:
    """The process id of a job's owner when it runs on this node (None elsewhere or unknown)."""
    if not job_owner:
        return None
    node, sep, pid = job_owner.rpartition("/pid:")
    if not sep or node != this_node() or not pid.isdigit():
        return None
    return int(pid)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def why_abandoned(job: JobRow, now: datetime, stale: timedelta) -> str | None:
    """Why a job marked running has no live process behind it, or None if it may be alive."""
    pid = _owner_pid(job.owner)
    if pid is not None and not process_alive(pid):
        return f"process {pid} is gone"
    last = job.heartbeat_at or job.started_at
    if now - last > stale:
        return f"no sign of life since {last:%Y-%m-%d %H:%M:%S} UTC"
    return None


@dataclass(frozen=True, slots=True)
class StuckJob:
    job: JobRow
    source: str
    reason: str


def stuck_jobs(store: Store, now: datetime, stale: timedelta) -> list[StuckJob]:
    """Jobs marked running whose process is gone (nothing is changed)."""
    found = []
    for job, source in store.running_jobs():
        reason = why_abandoned(job, now, stale)
        if reason is not None:
            found.append(StuckJob(job, source, reason))
    return found


BACKOFF_CAP = timedelta(hours=168)  # NUTMEG_SCHEDULE_BACKOFF_MAX_HOURS's default


def reap(store: Store, now: datetime, stale: timedelta, backoff_cap: timedelta = BACKOFF_CAP) -> list[StuckJob]:
    """End every abandoned job as failed so its source can run again (a failure like any other, for its
    backoff); returns them."""
    ended = []
    for stuck in stuck_jobs(store, now, stale):
        if store.end_running_job(stuck.job.id, "failed", ABANDONED.format(reason=stuck.reason), now):
            log.warning("job %s of %s abandoned (%s); marked failed", stuck.job.id, stuck.source, stuck.reason)
            ended.append(stuck)
            _plan_by_name(store, stuck.source, stuck.job.started_at, "failed", now, backoff_cap)
    return ended


def settle_engine(store: Store, index: SearchBackend, now: datetime, stale: timedelta) -> bool:
    """Put back the search-engine settings a killed job left changed (the relaxed refresh interval), when
    no job is alive anywhere (a live one may have relaxed them on purpose); True when it did. An in-memory
    store belongs to this process alone: nothing to put back, and its one connection is not shared."""
    if store.in_memory:
        return False
    if any(why_abandoned(job, now, stale) is None for job, _ in store.running_jobs()):
        return False
    return index.settle()


def cancel(store: Store, job_id: int, now: datetime, backoff_cap: timedelta = BACKOFF_CAP) -> JobRow:
    """Mark a running job cancelled (its source can run again at once; if its process is alive it stops
    at its next record). Raises ``NotFound``, or ``StoreError`` if the job is not running."""
    job = store.get_job(job_id)
    if not store.end_running_job(job_id, CANCELLED, "cancelled by an operator; nothing was withdrawn", now):
        raise StoreError(f"job {job_id} is not running (it {job.status})")
    source = source_by_id(store, job.source_id)
    if source is not None:
        plan_next(store, source, job.started_at, CANCELLED, now, backoff_cap)
    return store.get_job(job_id)


def _plan_by_name(store: Store, name: str, started: datetime, status: str, now: datetime, cap: timedelta) -> None:
    with suppress(NotFound):  # removed meanwhile
        plan_next(store, store.get_source(name), started, status, now, cap)


def failures_after(previous: int, status: str) -> int:
    """Failed runs in a row once a job ended with ``status`` (held back or cancelled: no change)."""
    if status == "failed":
        return previous + 1
    if status in ("succeeded", "unchanged"):
        return 0
    return previous


def plan_next(
    store: Store, source: SourceRow, started: datetime, status: str, now: datetime, cap: timedelta
) -> datetime | None:
    """After a job of ``source`` that started at ``started`` ended with ``status``: store its failures in
    a row and its next run (None: on demand, or its schedule has no run left), and free the worker's
    lease; returns the next run."""
    failures = failures_after(source.consecutive_failures, status)
    planned: datetime | None = None
    if source.schedule:
        try:
            schedule = parse(source.schedule, source.name)
        except ScheduleError:
            log.warning("source %s has an unreadable schedule %r; not planned", source.name, source.schedule)
        else:
            normal = next_run(schedule, started, now)
            planned = backed_off(schedule, normal, failures, cap) if normal is not None else None
    record_run(store, source.id, planned, failures)
    return planned


class Heartbeat:
    """Keeps a running job's heartbeat fresh from a background thread and notices cancellation."""

    def __init__(self, store: Store, job_id: int, interval: float, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._job_id = job_id
        self._interval = interval
        self._clock = clock
        self._stop = threading.Event()
        self.cancelled = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        """Beat now (the job calls it at every batch); raises :class:`JobCancelled` once the job's row
        says it no longer runs."""
        if not self.cancelled.is_set():
            self._beat_quietly()
        self.check()

    def check(self) -> None:
        if self.cancelled.is_set():
            raise JobCancelled(f"job {self._job_id} no longer runs")

    def _beat_quietly(self) -> None:
        try:
            alive = self._store.beat(self._job_id, self._clock())
        except Exception:  # a busy or unreachable store: the next beat tries again
            log.warning("could not record the heartbeat of job %s", self._job_id, exc_info=True)
            return
        if not alive:
            self.cancelled.set()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._beat_quietly()

    @contextmanager
    def running(self) -> Iterator[Heartbeat]:
        # an in-memory store is one connection shared by all threads, and no other process can see it
        if not self._store.in_memory:
            self._thread = threading.Thread(target=self._run, name=f"heartbeat-{self._job_id}", daemon=True)
            self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            if self._thread is not None:
                self._thread.join()
