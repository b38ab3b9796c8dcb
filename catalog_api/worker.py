"""``nutmeg worker``: a small loop of periodic tasks, each on its own schedule.

Each pass of the loop runs every task whose time has come:

* ``harvests`` (every pass): harvest the sources whose schedule is due. Each due source is *claimed* in
  the store first (``index/schedules.py``), so several workers — processes, or machines on one PostgreSQL —
  share the sources and never harvest one twice, nor while ``nutmeg harvest`` runs it;
* ``index catch-up`` (every pass): index what the store has and the search index lacks after an outage;
* any other :class:`PeriodicTask` with a ``schedule`` (cron or ISO 8601, as a source's): claimed in the
  ``worker_tasks`` table, so one worker at a time runs it, once per scheduled time.

Adding a task is one entry in :func:`default_tasks`; work that follows each harvest (the report of the
job in hand) is one entry in :func:`after_harvest_hooks`.

At its start a worker ends the jobs a killed process left marked running (failed, so their sources run
again clean) and puts back the search-engine settings such a job left changed. Every decision takes its
time from the injected ``clock``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from catalog_api.jobs import owner
from catalog_api.schedule import ScheduleError, due_sources, next_run, parse
from index.schedules import claim_source, claim_task, finish_task, release_source
from index.search.base import BackendUnavailable
from index.store import Conflict, NotFound

if TYPE_CHECKING:
    from catalog_api.harvesting import HarvestReport
    from catalog_api.services import Services
    from catalog_api.settings import Settings

log = logging.getLogger("nutmeg.worker")

Clock = Callable[[], datetime]
AfterHarvest = Callable[["Services", "HarvestReport"], None]


@dataclass(frozen=True, slots=True)
class PeriodicTask:
    """One kind of work the worker does: ``run`` does it and returns a line for the log (or None)."""

    name: str
    run: Callable[[Worker], str | None]
    schedule: str | None = None  # cron or ISO 8601 (catalog_api/schedule.py); None: every pass
    lease: timedelta = timedelta(hours=1)  # longest one run may take before another worker may take it over


@dataclass(frozen=True, slots=True)
class TaskResult:
    task: str
    message: str | None
    failed: bool = False


def default_tasks(settings: Settings) -> list[PeriodicTask]:
    """The worker's tasks. A task of another module is one more line here, e.g.
    ``PeriodicTask("link checks", lambda w: run_link_checks(w.services), settings.link_check_schedule)``."""
    from catalog_api.linkcheck.runner import LinkCheckTask

    tasks = [
        PeriodicTask("harvests", run_due_harvests),
        PeriodicTask("index catch-up", catch_up_index),
    ]
    if settings.link_checks:  # every pass: it keeps its own schedule and runs in a thread of its own
        tasks.append(PeriodicTask("link checks", LinkCheckTask()))
    return tasks


def after_harvest_hooks(settings: Settings) -> list[AfterHarvest]:
    """What runs after each harvest the worker does (each gets the services and the job's report)."""
    from catalog_api.previews import previews_after_harvest

    return [previews_after_harvest]


@dataclass
class Worker:
    services: Services
    tasks: Sequence[PeriodicTask]
    after_harvest: Sequence[AfterHarvest] = ()
    clock: Clock | None = None  # default: the harvest runner's
    name: str = field(default_factory=owner)
    harvested: list[HarvestReport] = field(default_factory=list)  # this pass's reports

    def now(self) -> datetime:
        return (self.clock or self.services.runner.clock)()

    def start(self) -> list[str]:
        """End jobs a killed process left running and put back engine settings it left changed."""
        lines = [
            f"job {s.job.id} of {s.source} was left running ({s.reason}); marked failed"
            for s in self.services.runner.reap()
        ]
        if self.services.runner.settle():
            lines.append("put back the search engine's refresh interval a killed harvest left relaxed")
        return lines

    def run_once(self) -> list[TaskResult]:
        """One pass: every task whose time has come."""
        results = []
        for task in self.tasks:
            if task.schedule is None or self._claim(task):
                results.append(self._run(task))
        return results

    def run_forever(self, poll: float, say: Callable[[TaskResult], None]) -> None:
        while True:
            for result in self.run_once():
                say(result)
            time.sleep(poll)

    def _claim(self, task: PeriodicTask) -> bool:
        return claim_task(self.services.store, task.name, self.name, self.now(), task.lease)

    def _run(self, task: PeriodicTask) -> TaskResult:
        started = self.now()
        try:
            message, failed = task.run(self), False
        except Exception:  # one task's bug never stops the others, nor the next pass
            log.exception("worker task %r failed", task.name)
            message, failed = "failed (the log has the detail)", True
        if task.schedule is not None:
            planned = _next_task_run(task, started, self.now())
            finish_task(self.services.store, task.name, planned, message, self.now())
        return TaskResult(task.name, message, failed)


def _next_task_run(task: PeriodicTask, started: datetime, now: datetime) -> datetime | None:
    assert task.schedule is not None
    try:
        return next_run(parse(task.schedule, task.name), started, now)
    except ScheduleError:
        log.error("worker task %r has an unreadable schedule %r; it runs every pass", task.name, task.schedule)
        return None


# -- the tasks -------------------------------------------------------------------------------------


def run_due_harvests(worker: Worker) -> str | None:
    """Harvest every due source this worker can claim; returns what happened, or None when nothing was due."""
    worker.harvested = []
    services = worker.services
    for source in due_sources(services.store.list_sources(), worker.now()):
        lease = timedelta(seconds=services.settings.job_stale_seconds)
        if not claim_source(services.store, source, worker.name, worker.now(), lease):
            continue  # another worker took it, or it ran since we looked
        report = _harvest(worker, source.name, source.id)
        if report is not None:
            worker.harvested.append(report)
            for hook in worker.after_harvest:
                _after(hook, services, report)
    if not worker.harvested:
        return None
    return "; ".join(f"{r.source}: {r.status}" for r in worker.harvested)


def _harvest(worker: Worker, name: str, source_id: int) -> HarvestReport | None:
    services = worker.services
    try:
        return services.runner.harvest(name)
    except Conflict as exc:  # `nutmeg harvest` (or the API) runs it right now
        release_source(services.store, source_id, worker.name)
        log.info("%s not harvested by the worker: %s", name, exc)
    except NotFound:  # removed meanwhile
        pass
    except BackendUnavailable as exc:  # the records are stored; the catch-up task indexes them later
        log.warning("harvest of %s: search engine unavailable: %s", name, exc)
    except Exception:  # outside its job (the job itself never raises for a bad source): the next one runs
        release_source(services.store, source_id, worker.name)
        log.exception("harvesting source %s failed outside its job", name)
    return None


def _after(hook: AfterHarvest, services: Services, report: HarvestReport) -> None:
    try:
        hook(services, report)
    except Exception:
        log.exception("after-harvest hook %r failed for %s", getattr(hook, "__name__", hook), report.source)


def catch_up_index(worker: Worker) -> str | None:
    """After a search-engine outage, index what the store has and the index lacks (retried every pass)."""
    try:
        caught_up = worker.services.runner.index_pending()
    except BackendUnavailable as exc:
        return f"search engine still unavailable ({exc}); will retry"
    return f"search index caught up with {caught_up} record(s)" if caught_up else None
