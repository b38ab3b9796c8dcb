"""``nutmeg doctor``: is the configured store reachable and migrated, is the search engine up, and does the
index hold exactly the store's live records in their current version?

Each check gives a :class:`Finding` (ok or not, what was seen, and the next step when something is wrong);
the CLI prints them and exits non-zero if any failed. Nothing here writes to the store or the index, but
for one repair: a search-engine setting a killed harvest left changed (the relaxed refresh interval) is put
back when no job is alive, and said so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from catalog_api.jobs import settle_engine, stuck_jobs
from catalog_api.settings import Settings
from index.duplicates import merged_away
from index.search.base import BackendUnavailable, SearchBackend
from index.search.factory import open_backend
from index.store import Store

EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class Finding:
    name: str
    ok: bool
    summary: str
    details: tuple[str, ...] = ()
    next_step: str | None = None


@dataclass(frozen=True, slots=True)
class IndexDiff:
    """How the search index differs from the store's live records."""

    live: int
    indexed: int
    missing: list[str] = field(default_factory=list)  # live in the store, absent from the index
    extra: list[str] = field(default_factory=list)  # in the index, not live in the store
    stale: list[str] = field(default_factory=list)  # in both, but the index holds another version

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.stale)


def compare(states: Iterable[tuple[str, str, str | None, bool]], indexed: Mapping[str, str]) -> IndexDiff:
    """Compare ``Store.index_states()`` with ``SearchBackend.hashes()``."""
    live: dict[str, str] = {id_: hash_ for id_, hash_, _, withdrawn in states if not withdrawn}
    missing = sorted(i for i in live if i not in indexed)
    extra = sorted(i for i in indexed if i not in live)
    stale = sorted(i for i, h in live.items() if i in indexed and indexed[i] != h)
    return IndexDiff(len(live), len(indexed), missing, extra, stale)


def check_database(store: Store) -> Finding:
    try:
        version = store.server_version()
        current, head = _revisions(store)
        live = store.live_count() if current == head else 0
    except SQLAlchemyError as exc:
        return Finding(
            "database",
            False,
            f"cannot reach the store: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
            next_step="check NUTMEG_DATABASE_URL and that the database server is running",
        )
    if current != head:
        return Finding(
            "database",
            False,
            f"{version}; schema at revision {current or 'none'}, the code expects {head}",
            next_step="run `nutmeg migrate`",
        )
    return Finding("database", True, f"{version}; schema at revision {current} (newest); {live:,} live datasets")


def _revisions(store: Store) -> tuple[str | None, str | None]:
    config = Config()
    config.set_main_option("script_location", str(resources.files("index") / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    with store.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


def check_jobs(store: Store, settings: Settings) -> Finding:
    """Jobs marked running whose process is gone (a killed harvest): they lock their source."""
    now = datetime.now(UTC)
    stuck = stuck_jobs(store, now, timedelta(seconds=settings.job_stale_seconds))
    running = len(store.running_jobs())
    if not stuck:
        return Finding("harvest jobs", True, f"{running} running, none stuck")
    details = tuple(
        f"job {s.job.id} of {s.source}, started {s.job.started_at:%Y-%m-%d %H:%M} UTC: {s.reason}" for s in stuck
    )
    return Finding(
        "harvest jobs",
        False,
        f"{len(stuck)} job(s) marked running whose process is gone (their sources are locked)",
        details,
        f"`nutmeg job cancel {stuck[0].job.id}`, or run `nutmeg harvest`/`nutmeg worker`, which fail them first",
    )


def check_schedules(store: Store, settings: Settings, now: datetime) -> Finding:
    """Sources that failed NUTMEG_SCHEDULE_FLAG_AFTER times in a row (the worker backs off from them)."""
    every = store.list_sources()
    failing = [s for s in every if s.consecutive_failures >= settings.schedule_flag_after]
    scheduled = sum(1 for s in every if s.schedule and s.enabled)
    summary = f"{scheduled} of {len(every)} sources scheduled, {len(failing)} failing"
    if not failing:
        return Finding("schedules", True, summary)
    details = tuple(
        f"{s.name}: {s.consecutive_failures} failed runs in a row; next try "
        + (f"{s.next_run_at:%Y-%m-%d %H:%M} UTC" if s.next_run_at else "not planned")
        for s in failing
    )
    return Finding(
        "schedules",
        False,
        summary,
        details,
        f"see why with `nutmeg source list` and `nutmeg job errors`; fix the source, or "
        f"`nutmeg source update {failing[0].name} --schedule off` to stop trying",
    )


def check_engine_settings(store: Store, index: SearchBackend, settings: Settings, now: datetime) -> Finding | None:
    """Puts back the refresh interval a killed harvest left relaxed (None when there was nothing to do)."""
    if not settle_engine(store, index, now, timedelta(seconds=settings.job_stale_seconds)):
        return None
    return Finding("search settings", True, "put back the refresh interval a killed harvest left relaxed")


def check_search(index: SearchBackend) -> Finding:
    health = index.health()
    label = health.version or health.backend
    if not health.ok:
        return Finding(
            "search",
            False,
            f"{label}: {health.detail or 'not healthy'}",
            next_step="start the search engine (or check NUTMEG_SEARCH_URL); harvests keep storing meanwhile",
        )
    documents = f"{health.documents:,} documents" if health.documents is not None else "documents unknown"
    detail = f"; {health.detail}" if health.detail else ""
    return Finding("search", True, f"{label}: {documents}{detail}")


def check_consistency(store: Store, index: SearchBackend) -> Finding:
    try:
        hidden, _ = merged_away(store)  # merged into another source's dataset: rightly not in the index
        states = ((i, h, x, w or i in hidden) for i, h, x, w in store.index_states())
        diff = compare(states, index.hashes())
    except BackendUnavailable as exc:
        return Finding("index vs store", False, f"cannot compare: {exc}", next_step="start the search engine first")
    summary = (
        f"{diff.live:,} live datasets in the store, {diff.indexed:,} in the index: "
        f"{len(diff.missing):,} missing, {len(diff.extra):,} extra, {len(diff.stale):,} stale"
    )
    if diff.ok:
        return Finding("index vs store", True, summary)
    details = tuple(
        f"{label}: {', '.join(ids[:EXAMPLES])}{' …' if len(ids) > EXAMPLES else ''}"
        for label, ids in (
            ("missing from the index", diff.missing),
            ("in the index but withdrawn or gone from the store", diff.extra),
            ("stale in the index (an older version)", diff.stale),
        )
        if ids
    )
    return Finding(
        "index vs store",
        False,
        summary,
        details,
        "run `nutmeg reindex` (rebuilds the index from the store; searches keep working meanwhile)",
    )


def diagnose(settings: Settings) -> list[Finding]:
    """Every check, against the configured store and search backend (nothing is migrated)."""
    store = Store(settings.database_url)
    try:
        findings = [check_database(store)]
        if findings[0].ok:
            jobs = check_jobs(store, settings)
        index = open_backend(
            search_url=settings.search_url,
            index_path=settings.resolved_index_path,
            index_name=settings.search_index,
        )
        try:
            findings.append(check_search(index))
            if findings[0].ok and findings[1].ok:
                findings.append(check_consistency(store, index))
                settled = check_engine_settings(store, index, settings, datetime.now(UTC))
                findings.extend([settled] if settled else [])
            if findings[0].ok:
                findings.append(jobs)
                findings.append(check_schedules(store, settings, datetime.now(UTC)))
        finally:
            index.close()
    finally:
        store.close()
    return findings
