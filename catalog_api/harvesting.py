"""The harvest job runner: source → harvester → RDF → mapping → model → store → index.

One run of one source is one job. The runner classifies every harvested record as new, updated or
unchanged (by content hash, so unchanged records are neither rewritten nor reindexed), stores and indexes
changes in batches, and at the end withdraws the records a complete listing no longer has — unless the
fetch failed, was cut short, or the catalog shrank by more than the allowed share, in which case nothing
is withdrawn and the job says why. The search index follows the store: if the engine is down, records
stay marked for indexing and are indexed by the next run or ``nutmeg reindex``.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from catalog_api.baselines import body_check, body_key, carried_over, keep_baseline
from catalog_api.jobs import Heartbeat, JobCancelled, StuckJob, owner, plan_next, reap, settle_engine
from catalog_api.preparing import (
    Failed,
    Outcome,
    PrepareContext,
    Prepared,
    Preparer,
    default_workers,
    with_overrides,
)
from catalog_api.settings import Settings
from harvesters.base import (
    HarvestedRecord,
    HarvestRun,
    HarvestState,
    SkippedRecord,
    SourceConfig,
)
from harvesters.credentials import SourceCredentials, redact_url
from harvesters.errors import LimitError, SourceError
from harvesters.fieldcaps import FieldCaps
from harvesters.http import HttpClient, Validators
from harvesters.registry import get_harvester
from index.annotations import annotated
from index.baselines import Baseline
from index.duplicates import Regrouped, Written, regroup, search_docs, unpublished
from index.governance import organization_by_id, overridden_records, publisher_map
from index.ids import record_id
from index.quality import history, keep_today
from index.search.base import BackendUnavailable, SearchBackend, SearchDoc
from index.store import ErrorRow, JobOutcome, NotFound, RecordState, SourceRow, Store

log = logging.getLogger("nutmeg.harvest")

Progress = Callable[[int], None]
INTERRUPTED = "interrupted before it finished; nothing was withdrawn"
HttpFactory = Callable[[bool], HttpClient]


def utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run a harvest with the cyclic garbage collector mostly out of the way.

    A harvest allocates millions of short-lived objects (RDF terms, dicts) that reference counting
    frees; with the default thresholds the collector rescans the long-lived ones (the source's record
    states) over and over, which cost a third of the run in measurements. Objects alive at the start
    are frozen and collections happen 100x less often; both are restored afterwards.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(70_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@dataclass(frozen=True, slots=True, kw_only=True)
class HarvestReport(JobOutcome):
    """What one job did (its stored outcome), for the CLI, the API and the logs."""

    source: str
    job_id: int
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("succeeded", "unchanged")


@dataclass
class _Tally:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    unreadable: int = 0
    not_indexed: int = 0
    seen: set[str] = field(default_factory=set)
    errors: list[ErrorRow] = field(default_factory=list)


class HarvestRunner:
    """Runs harvest jobs against one store and one search backend."""

    def __init__(
        self,
        store: Store,
        index: SearchBackend,
        settings: Settings,
        http_factory: HttpFactory,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.index = index
        self.settings = settings
        self._http_factory = http_factory
        self._clock = clock

    def harvest(
        self,
        name: str,
        *,
        full: bool = False,
        accept_shrink: bool = False,
        progress: Progress | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> HarvestReport:
        """Harvest one source; never raises for a bad source (the report says what went wrong).
        ``on_start`` is told the job's id as soon as the job exists (for callers that run it in the
        background and answer with its URL)."""
        source = self.store.get_source(name)
        harvester_class = get_harvester(source.kind)
        started = time.monotonic()
        self.reap()
        job_started = self._clock()
        job_id = self.store.start_job(source.id, job_started, owner())
        if on_start is not None:
            on_start(job_id)
        heartbeat = Heartbeat(self.store, job_id, self.settings.job_heartbeat_seconds, self._clock)
        job = _Job(self, source, job_id, HarvestRun(), _Tally(), progress, harvester_class.parallel_safe, heartbeat)
        check, job.baseline = body_check(self.store, source, self._body_key(source))
        try:
            with heartbeat.running(), self._http_factory(source.allow_private) as http, fewer_collections():
                with self.index.bulk_load():
                    http.authorize(source.url, SourceCredentials.from_json(source.credentials).resolve())
                    harvester = harvester_class(_config(source, self.settings), http)
                    full_every = timedelta(days=self.settings.harvest_full_every_days)
                    state = replace(_state(source, full, full_every, self._clock()), body=check)
                    job.consume(harvester.records(state, job.run))
                outcome = job.conclude(accept_shrink)
        except JobCancelled:
            outcome = job.stopped()
        except SourceError as exc:
            outcome = job.failed(str(exc))
        except Exception:
            # a bug or a parser tripped by hostile input: the detail goes to the server log only (exception
            # text can echo paths or secrets); the job fails in our words and the next source runs
            log.exception("harvest job %s of source %s crashed", job_id, name)
            outcome = job.failed(f"internal error while harvesting (job {job_id}; the server log has the detail)")
        except BaseException:
            log.warning("harvest job %s of source %s interrupted", job_id, name)
            self.store.finish_job(job_id, job.outcome("failed", INTERRUPTED), self._clock())
            self._plan(source, job_started, "failed")
            raise
        self.store.finish_job(job_id, outcome, self._clock())
        self._plan(source, job_started, outcome.status)  # at once: a worker stopped now leaves it planned
        keep_baseline(self.store, source, job_id, outcome, job.run, job.baseline)
        self._keep_history(outcome.status)
        return _report(source.name, job_id, outcome, time.monotonic() - started)

    def _keep_history(self, status: str) -> None:
        """The daily quality history (issue 13), after every job that may have changed the index: a job
        that ended unchanged (a 304, the same body) changed nothing in it, so today's history, once kept,
        stands (recomputing it loads every document's columns: ~6 s at 100k)."""
        now = self._clock()
        if status == "unchanged" and history(self.store, "catalog", since=now.date()):
            return
        keep_today(self.store, self.index, now)

    def _body_key(self, source: SourceRow) -> bytes:
        """What a body's digest starts from (catalog_api/baselines.py): the source as harvested, and the
        settings that shape its records."""
        limits = {"profile": str(self.settings.profile), "max_records": self.settings.harvest_max_records}
        return body_key(source, _config(source, self.settings), limits)

    @property
    def clock(self) -> Callable[[], datetime]:
        return self._clock

    def settle(self) -> bool:
        """Put back engine settings a killed job left changed, if no job is alive (see ``jobs.settle_engine``)."""
        stale = timedelta(seconds=self.settings.job_stale_seconds)
        return settle_engine(self.store, self.index, self._clock(), stale)

    @property
    def backoff_cap(self) -> timedelta:
        return timedelta(hours=self.settings.schedule_backoff_max_hours)

    def _plan(self, source: SourceRow, job_started: datetime, status: str) -> None:
        """The source's next run (and its failures in a row), whoever ran this job."""
        plan_next(self.store, source, job_started, status, self._clock(), self.backoff_cap)

    def reap(self) -> list[StuckJob]:
        """End the jobs whose process is gone (a killed harvest), so their sources can run again."""
        stale = timedelta(seconds=self.settings.job_stale_seconds)
        return reap(self.store, self._clock(), stale, self.backoff_cap)

    def index_pending(self) -> int:
        """Bring the search index up to the store after an engine outage: index the live records it lacks
        (or holds an older version of) and remove the withdrawn ones it still has; returns how many.

        Raises ``BackendUnavailable`` if the engine is still down (what was done so far stays done)."""
        batch = self.settings.harvest_batch
        removals = self.store.pending_removal_ids()
        for start in range(0, len(removals), batch):
            chunk = removals[start : start + batch]
            self.index.remove(chunk)
            self.store.mark_indexed([(i, None) for i in chunk])
        ids = self.store.pending_index_ids()
        ids = sorted(set(ids) - unpublished(self.store, ids))  # merged into another source's dataset
        for start in range(0, len(ids), batch):
            docs = annotated(self.store, search_docs(self.store, ids[start : start + batch]))  # keep core, popularity
            self.index.index(docs)
            self.store.mark_indexed([(d.id, d.content_hash) for d in docs])
        return len(ids) + len(removals)


class _Job:
    """The state of one running job (kept out of the runner so the runner stays reusable)."""

    def __init__(
        self,
        runner: HarvestRunner,
        source: SourceRow,
        job_id: int,
        run: HarvestRun,
        tally: _Tally,
        progress: Progress | None,
        parallel: bool,
        heartbeat: Heartbeat,
    ) -> None:
        self.runner = runner
        self.heartbeat = heartbeat
        self.source = source
        self.job_id = job_id
        self.run = run
        self.tally = tally
        self.progress = progress
        self._known: dict[str, RecordState] | None = None
        self._by_locator: dict[str, RecordState] | None = None
        self.pending: list[tuple[HarvestedRecord, RecordState | None]] = []
        self.engine_down = False  # after one failure, the rest of the job leaves indexing to the catch-up
        self.baseline: Baseline | None = None  # the source's last complete harvest's body (baselines.py)
        self.caught_up = 0
        settings = runner.settings
        context = PrepareContext(
            source.name,
            source.id,
            source.publisher,
            settings.profile,
            organizations=publisher_map(runner.store),
            source_organization=_organization_of(runner.store, source),
        )
        self.preparer = Preparer(context, workers=default_workers(settings.harvest_workers), parallel=parallel)

    @property
    def known(self) -> dict[str, RecordState]:
        """The source's stored records by original identifier, loaded on first use (a 304 never needs
        them)."""
        if self._known is None:
            self._known = self.runner.store.record_states(self.source.id)
        return self._known

    @property
    def by_locator(self) -> dict[str, RecordState]:
        if self._by_locator is None:
            self._by_locator = {s.locator: s for s in self.known.values() if s.locator}
        return self._by_locator

    @property
    def previous_live(self) -> int:
        return sum(1 for state in self.known.values() if not state.withdrawn)

    # -- reading the harvester ---------------------------------------------------------------------

    def consume(self, items: Iterable[HarvestedRecord | SkippedRecord]) -> None:
        batch = self.runner.settings.harvest_batch
        try:
            for count, item in enumerate(items, 1):
                self.heartbeat.check()
                if count > self.runner.settings.harvest_max_records:
                    raise LimitError(_too_many_records(self.runner.settings.harvest_max_records))
                if isinstance(item, SkippedRecord):
                    self._skip(item)
                else:
                    self._classify(item)
                if len(self.pending) >= batch:
                    self.flush()
                if self.progress is not None and count % 100 == 0:
                    self.progress(count)
            self.flush()
            self.finish_batches()
        finally:
            self.preparer.close()
            self._save_errors()

    def _skip(self, item: SkippedRecord) -> None:
        """Report a record the harvester could not use; if an earlier version is stored, it stays."""
        self.tally.skipped += 1
        known = self.known.get(item.identifier) if item.identifier else None
        if known is None and item.locator:  # a WAF file that could not be read: its earlier record stays
            known = self.by_locator.get(item.locator)
        if item.code == "unreadable":
            self.tally.unreadable += 1
        if known is not None:
            self.tally.seen.add(known.id)
        severity = "warning" if item.code in ("duplicate", "not-a-dataset") else "error"
        self._error(None, item.identifier, item.path, item.message, severity, item.code)

    def _classify(self, item: HarvestedRecord) -> None:
        state = self.known.get(item.identifier)
        self.tally.seen.add(state.id if state is not None else record_id(self.source.name, item.identifier))
        if state is not None and state.content_hash == item.content_hash and not state.withdrawn:
            self.tally.unchanged += 1
            return
        self.pending.append((item, state))

    # -- writing batches ---------------------------------------------------------------------------

    def flush(self) -> None:
        self.heartbeat.beat()
        if not self.pending:
            return
        items = [(item, state is not None) for item, state in self.pending]
        self.pending = []
        for outcomes in self.preparer.submit(items):
            self._commit(outcomes)

    def finish_batches(self) -> None:
        for outcomes in self.preparer.drain():
            self._commit(outcomes)

    def _commit(self, outcomes: list[Outcome]) -> None:
        now = self.runner._clock()
        prepared = self._with_overrides([o for o in outcomes if isinstance(o, Prepared)])
        for failure in (o for o in outcomes if isinstance(o, Failed)):
            self.tally.failed += 1
            self._error(failure.record_id, failure.identifier, failure.path, failure.message, "error", "mapping")
        new = [p.write for p in prepared if not p.existed]
        changed = [p.write for p in prepared if p.existed]
        self.runner.store.write_records(new, changed, now)
        self.tally.new += len(new)
        self.tally.updated += len(changed)
        for one in prepared:
            self._report_issues(one)
        written = [Written(p.write.id, p.write.source_id, p.write.dataset, p.keys) for p in prepared]
        regrouped = regroup(self.runner.store, written, [], self.runner.settings.duplicate_policy(), now)
        self._index(self._merged([self._dated(p, now) for p in prepared], regrouped))

    def _merged(self, docs: list[SearchDoc], regrouped: Regrouped) -> list[SearchDoc]:
        """The batch's documents as the catalog publishes them: records merged into another source's
        dataset leave the index, merged datasets (and records back on their own) are rebuilt from the store."""
        if not regrouped.refresh and not regrouped.hidden:
            return docs
        self._unindex(sorted(regrouped.hidden))
        redo = regrouped.refresh | regrouped.hidden
        return [d for d in docs if d.id not in redo] + search_docs(self.runner.store, sorted(regrouped.refresh))

    def _dated(self, prepared: Prepared, now: datetime) -> SearchDoc:
        """The search document with the times the store just wrote (first seen, last changed)."""
        known = self.known.get(prepared.write.original_identifier) if prepared.existed else None
        first_seen = known.first_seen if known is not None and known.first_seen is not None else now
        return replace(prepared.doc, created=first_seen, changed=now)

    def _with_overrides(self, prepared: list[Prepared]) -> list[Prepared]:
        """Publishers' local edits of harvested records are laid over each new harvested version."""
        overrides = overridden_records(self.runner.store, [p.write.id for p in prepared if p.existed])
        if not overrides:
            return prepared
        ctx = self.preparer.ctx
        return [with_overrides(p, overrides[p.write.id], ctx) if p.write.id in overrides else p for p in prepared]

    def _report_issues(self, prepared: Prepared) -> None:
        for issue in prepared.issues:
            if issue.severity != "info":
                self._error(
                    prepared.write.id,
                    prepared.write.original_identifier,
                    issue.path,
                    issue.message,
                    issue.severity,
                    issue.code,
                )

    def _index(self, docs: Sequence[SearchDoc]) -> None:
        if not docs:
            return
        if not self.engine_down:
            try:
                self.runner.index.index(annotated(self.runner.store, docs))  # keep core flags and popularity
            except BackendUnavailable as exc:
                self.engine_down = True
                log.warning("search engine unavailable; records are stored and left for indexing later: %s", exc)
            else:
                self.runner.store.mark_indexed([(d.id, d.content_hash) for d in docs])
                return
        self.tally.not_indexed += len(docs)

    def catch_up(self) -> None:
        """Index whatever an earlier outage (or this job's) left out, if the engine answers now."""
        try:
            self.caught_up = self.runner.index_pending()
        except BackendUnavailable as exc:
            log.warning("search engine still unavailable; indexing stays pending: %s", exc)
            return
        self.tally.not_indexed = 0

    def _error(
        self, rid: str | None, identifier: str | None, path: str, message: str, severity: str, code: str
    ) -> None:
        self.tally.errors.append(ErrorRow(self.job_id, self.source.id, rid, identifier, path, message, severity, code))
        if len(self.tally.errors) >= 1000:
            self._save_errors()

    def _save_errors(self) -> None:
        self.runner.store.add_errors(self.tally.errors)
        self.tally.errors = []

    # -- ending the job ----------------------------------------------------------------------------

    def conclude(self, accept_shrink: bool) -> JobOutcome:
        self.heartbeat.beat()  # a job cancelled meanwhile withdraws nothing
        self.catch_up()
        store, now = self.runner.store, self.runner._clock()
        if self.run.not_modified:
            store.save_harvest_state(self.source.id, last_success_at=now, last_full_harvest_at=now, last_job_at=now)
            return self.outcome("unchanged", "not modified since the last harvest (HTTP 304)")
        if self.run.same_body and self.baseline is not None:  # the same bytes as the last complete harvest
            self._save_state(now, full=True)
            return carried_over(store, self.baseline, self.job_id, self.run)
        if not self.run.complete:
            return self.failed("the harvest ended before the source's listing was complete")
        if self.run.incremental:
            store.touch_seen(self.tally.seen, now)
            self._save_state(now, full=False)
            return self.outcome("succeeded", self._summary("incremental run; nothing withdrawn"))
        shrink = self._shrink_message()
        if shrink and not accept_shrink:
            store.touch_seen(self.tally.seen, now)
            store.save_harvest_state(self.source.id, last_job_at=now)
            return self.outcome("suspicious", shrink)
        withdrawn = store.withdraw_missing(self.source.id, self.tally.seen, now)
        self._unindex(withdrawn)
        regrouped = regroup(store, [], withdrawn, self.runner.settings.duplicate_policy(), now)
        self._index(self._merged([], regrouped))
        self._save_state(now, full=True)
        return self.outcome("succeeded", self._summary(None), withdrawn=len(withdrawn))

    def _shrink_message(self) -> str | None:
        limit = float(self.source.options.get("max_shrink", self.runner.settings.harvest_max_shrink))
        kept = len(self.tally.seen)
        previous = self.previous_live
        if previous == 0 or kept >= previous * (1 - limit):
            return None
        return (
            f"the catalog shrank from {previous} to {kept} datasets (more than {limit:.0%}); "
            f"nothing was withdrawn. If the source really dropped them, run "
            f"`nutmeg harvest {self.source.name} --accept-shrink`"
        )

    def _unindex(self, ids: list[str]) -> None:
        if not ids:
            return
        try:
            self.runner.index.remove(ids)
        except BackendUnavailable as exc:
            log.warning("search engine unavailable; withdrawn records leave it on the next run: %s", exc)
            return
        self.runner.store.mark_indexed([(i, None) for i in ids])

    def _save_state(self, now: datetime, *, full: bool) -> None:
        validators = self.run.validators or Validators()
        extra = {"last_full_harvest_at": now} if full else {}
        self.runner.store.save_harvest_state(
            self.source.id,
            etag=validators.etag,
            last_modified=validators.last_modified,
            bookmark=self.run.bookmark,
            last_success_at=now,
            last_job_at=now,
            **extra,
        )

    def _summary(self, extra: str | None) -> str | None:
        parts = [extra] if extra else []
        if self.tally.unreadable:
            parts.append(
                f"{self.tally.unreadable} of {self.run.listed} files could not be read; "
                "their earlier records are kept (see the job's errors)"
            )
        if self.tally.not_indexed:
            parts.append(
                f"search engine unavailable: {self.tally.not_indexed} records stored but not yet searchable "
                "(indexed on the next run or `nutmeg reindex`)"
            )
        return "; ".join(parts) or None

    def stopped(self) -> JobOutcome:
        """The job was cancelled (or ended by another process) while it ran: keep what its row says now,
        with what was done so far; nothing is withdrawn."""
        now = self.runner._clock()
        self.runner.store.touch_seen(self.tally.seen, now)
        self.runner.store.save_harvest_state(self.source.id, last_job_at=now)
        row = self.runner.store.get_job(self.job_id)
        log.warning("job %s of source %s stopped: it was %s meanwhile", self.job_id, self.source.name, row.status)
        return self.outcome(row.status, row.message)

    def failed(self, message: str) -> JobOutcome:
        now = self.runner._clock()
        self.runner.store.touch_seen(self.tally.seen, now)
        self.runner.store.save_harvest_state(self.source.id, last_job_at=now)
        shown = message.replace(self.source.url, redact_url(self.source.url))  # a URL registered with a secret
        return self.outcome("failed", f"{shown}; nothing was withdrawn")

    def outcome(self, status: str, message: str | None, *, withdrawn: int = 0) -> JobOutcome:
        t = self.tally
        stats = dict(self.run.stats)
        if self.run.notes:
            stats["notes"] = list(self.run.notes)
        if t.not_indexed:
            stats["not_indexed"] = t.not_indexed
        if self.caught_up:
            stats["indexed_after_outage"] = self.caught_up
        return JobOutcome(
            status=status,
            message=message,
            listed=self.run.listed,
            new=t.new,
            updated=t.updated,
            unchanged=t.unchanged,
            withdrawn=withdrawn,
            failed=t.failed,
            skipped=t.skipped,
            stats=stats,
        )


def _too_many_records(cap: int) -> str:
    return f"the source lists more than {cap:,} records, the most one job reads (NUTMEG_HARVEST_MAX_RECORDS); stopped"


def _config(source: SourceRow, settings: Settings) -> SourceConfig:
    options = dict(source.options)
    for key in ("title", "description", "publisher"):
        value = getattr(source, key)
        if value and key not in options:
            options[key] = value
    caps = FieldCaps(settings.harvest_max_field_bytes, settings.harvest_max_spatial_bytes)
    return SourceConfig(source.name, source.kind, source.url, options, source.federal, caps)


def _organization_of(store: Store, source: SourceRow) -> tuple[int, str] | None:
    if source.organization_id is None:
        return None
    try:
        org = organization_by_id(store, source.organization_id)
    except NotFound:
        return None
    return org.id, org.title


def _state(source: SourceRow, full: bool, full_every: timedelta, now: datetime) -> HarvestState:
    """What to send the harvester: validators and bookmark, unless this run must be complete.

    Incremental sources (CKAN's metadata_modified bookmark) only learn of deletions on a full run, so a
    full run happens at least every ``full_every`` (NUTMEG_HARVEST_FULL_EVERY_DAYS).
    """
    stale = source.last_full_harvest_at is None or now - source.last_full_harvest_at >= full_every
    if full or (source.bookmark is not None and stale):
        return HarvestState(validators=None, bookmark=None, full=True)
    validators = Validators(source.etag, source.last_modified) if (source.etag or source.last_modified) else None
    return HarvestState(validators=validators, bookmark=source.bookmark, full=source.bookmark is None)


def _report(source: str, job_id: int, outcome: JobOutcome, seconds: float) -> HarvestReport:
    fields = {name: getattr(outcome, name) for name in JobOutcome.__dataclass_fields__}
    return HarvestReport(**fields, source=source, job_id=job_id, seconds=seconds)
