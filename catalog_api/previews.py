"""Data previews: fetch each previewable distribution's file once, profile it with frictionless, keep the
profile and the first rows in the store (``index/previews.py``).

:func:`run_previews` is the one entry point: ``nutmeg check previews`` calls it, and the worker calls it
after each harvest. A file is fetched again only when its URL changed or the server says it changed
(ETag / Last-Modified, conditional GET); an unchanged body (same SHA-256) is not profiled again. Every
failure — the server down, a web page served as CSV, a broken workbook, a file past the caps — is stored
as that distribution's preview status with the reason; a failed re-check keeps the last good preview.

The downloads go through the harvesters' HTTP client with its SSRF guard; loopback and private addresses
are refused unless ``NUTMEG_PREVIEW_ALLOW_PRIVATE`` is set (a preview makes a file's rows public, so the
harvest's own allowance does not extend to it). Files are fetched by a few threads; the store is written
by the calling thread only.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from catalog_api.settings import Settings
from catalog_api.web.dataset_view import safe_url
from harvesters.datafiles import (
    KIND_BY_EXTENSION,
    DataFile,
    NotPreviewable,
    PreviewClient,
    declared_kind,
    fetch_data_file,
    sniff,
)
from harvesters.errors import FetchError
from harvesters.http import HttpPolicy, Validators
from harvesters.profiling import Limits, Profile, UnreadableFile, profile_file
from index.previews import PreviewRow, PreviewState, mark_checked, preview_states, remove_previews, save_preview
from index.store import RecordRow, Store
from mappings.model import Dataset

if TYPE_CHECKING:
    from catalog_api.harvesting import HarvestReport
    from catalog_api.services import Services

log = logging.getLogger("nutmeg.previews")
Clock = Callable[[], datetime]
Progress = Callable[[int, int], None]  # (done, total)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Target:
    """One distribution to preview: the record, its position in the distribution list, URL and kind."""

    record_id: str
    position: int
    url: str
    kind: str


@dataclass
class PreviewReport:
    """What a run did, by distribution."""

    total: int = 0
    fetched: int = 0  # downloaded and profiled
    unchanged: int = 0  # 304, or the same bytes as last time
    failed: int = 0  # could not be fetched or read (the reason is stored)
    removed: int = 0  # previews of distributions that are gone or no longer data files


def previewable(dataset: Dataset) -> list[tuple[int, str, str]]:
    """(position, URL, declared kind) of the dataset's distributions a preview can read: a downloadURL
    whose media type, format or extension says CSV, TSV, XLSX, JSON or GeoJSON (an accessURL only when
    its own extension says so: it is usually a page about the data)."""
    found: list[tuple[int, str, str]] = []
    for position, dist in enumerate(dataset.distribution):
        download, access = safe_url(dist.download_url), safe_url(dist.access_url)
        kind = declared_kind(dist.media_type, dist.format, download) if download else None
        url = download
        if kind is None and access and _extension_kind(access):
            url, kind = access, _extension_kind(access)
        if url and kind and url.lower().startswith(("http://", "https://")):
            found.append((position, url, kind))
    return found


def _extension_kind(url: str) -> str | None:
    kind = declared_kind(None, None, url)
    return kind if kind in KIND_BY_EXTENSION.values() else None


def run_previews(
    store: Store,
    settings: Settings,
    *,
    source: str | None = None,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> PreviewReport:
    """Preview every previewable distribution of the live records (of one source, if named)."""
    source_id = store.get_source(source).id if source else None
    report = PreviewReport()
    targets, existing = _collect(store, source_id, report)
    report.total = len(targets)
    if progress:
        progress(0, report.total)
    with PreviewClient(_policy(settings)) as client, ThreadPoolExecutor(settings.preview_workers) as pool:
        jobs = pool.map(lambda t: _preview(client, settings, t, existing.get((t.record_id, t.position))), targets)
        for done, (target, outcome) in enumerate(zip(targets, jobs, strict=True), start=1):
            _apply(store, target, outcome, report, clock())
            if progress:
                progress(done, report.total)
    return report


def previews_after_harvest(services: Services, report: HarvestReport) -> None:
    """The worker's after-harvest step (``catalog_api.worker.after_harvest_hooks``): preview the harvested
    source's files; after a failed harvest nothing is fetched."""
    if not report.ok:
        return
    done = run_previews(services.store, services.settings, source=report.source)
    log.info(
        "previews of %s: %d file(s), fetched %d, unchanged %d, failed %d",
        report.source,
        done.total,
        done.fetched,
        done.unchanged,
        done.failed,
    )


def _policy(settings: Settings) -> HttpPolicy:
    base = settings.http_policy()
    return replace(
        base,
        allow_private=settings.preview_allow_private,
        max_seconds=settings.preview_max_seconds,
        max_requests=sys.maxsize,
        max_bytes=max(base.max_bytes, settings.preview_max_bytes + (1 << 16)),
    )


def _collect(
    store: Store, source_id: int | None, report: PreviewReport
) -> tuple[list[Target], dict[tuple[str, int], PreviewState]]:
    """The distributions to preview, and the states of the previews stored for them; previews of
    distributions that are gone are removed on the way."""
    targets: list[Target] = []
    existing: dict[tuple[str, int], PreviewState] = {}
    batch: list[RecordRow] = []
    for record in store.iter_records(live=True, source_id=source_id):
        batch.append(record)
        if len(batch) == 500:
            _collect_batch(store, batch, targets, existing, report)
            batch = []
    _collect_batch(store, batch, targets, existing, report)
    return targets, existing


def _collect_batch(
    store: Store,
    records: list[RecordRow],
    targets: list[Target],
    existing: dict[tuple[str, int], PreviewState],
    report: PreviewReport,
) -> None:
    states = preview_states(store, [r.id for r in records]) if records else {}
    stored: dict[str, set[int]] = {}
    for record_id, position in states:
        stored.setdefault(record_id, set()).add(position)
    for record in records:
        found = _targets(record)
        positions = {t.position for t in found}
        if stored.get(record.id, set()) - positions:
            report.removed += remove_previews(store, record.id, keep=positions)
        targets.extend(found)
    existing.update(states)


def _targets(record: RecordRow) -> list[Target]:
    dataset = Dataset.model_validate(record.dataset)
    return [Target(record.id, position, url, kind) for position, url, kind in previewable(dataset)]


# -- one distribution (in a worker thread: no store access) -------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one file: a new preview to save, or a note on the one kept."""

    preview: PreviewRow | None = None  # save this
    kept_note: str | None = None  # keep the stored preview; record this check (None: it is up to date)
    unchanged: bool = False


def _preview(client: PreviewClient, settings: Settings, target: Target, stored: PreviewState | None) -> Outcome:
    same = stored is not None and stored.ok and stored.url == target.url
    validators = Validators(stored.etag, stored.last_modified) if same and stored else None
    try:
        file = fetch_data_file(
            client, target.url, validators=validators, max_bytes=settings.preview_max_bytes, kind=target.kind
        )
    except FetchError as exc:
        if same and stored:
            when = stored.fetched_at.date().isoformat() if stored.fetched_at else "an earlier check"
            return Outcome(kept_note=f"the last check failed ({exc}); this preview is from {when}")
        return Outcome(preview=_failed(target, "fetch", str(exc)))
    if file.not_modified:
        return Outcome(unchanged=True)
    digest = hashlib.sha256(file.body).hexdigest()
    if same and stored and stored.sha256 == digest:
        return Outcome(unchanged=True)
    return Outcome(preview=_profiled(settings, target, file, digest))


def _profiled(settings: Settings, target: Target, file: DataFile, digest: str) -> PreviewRow:
    fetched = replace(
        _base(target),
        etag=file.validators.etag,
        last_modified=file.validators.last_modified,
        sha256=digest,
        bytes=len(file.body),
        truncated=file.truncated,
        fetched_at=utc_now(),
    )
    deadline = time.monotonic() + settings.preview_max_seconds
    limits = Limits(settings.preview_rows, settings.preview_max_unpacked_bytes, deadline)
    try:
        kind = _real_kind(file, target.kind)
        profile = profile_file(file.body, kind, charset=file.charset, truncated=file.truncated, limits=limits)
    except (NotPreviewable, UnreadableFile) as exc:
        return _with_problem(fetched, exc.code, exc.message)
    except Exception:  # a parser's own bug on a hostile file must not stop the run
        log.exception("profiling %s failed", target.url)
        return _with_problem(fetched, "internal", "the file could not be read (an internal error, logged)")
    return _with_profile(fetched, profile)


def _real_kind(file: DataFile, declared: str) -> str:
    if file.truncated and file.body.startswith(b"PK\x03\x04"):
        raise UnreadableFile(
            "too-large", "the workbook is larger than the preview limit (NUTMEG_PREVIEW_MAX_BYTES); not previewed"
        )
    return sniff(file.body, file.content_type, declared)


def _base(target: Target) -> PreviewRow:
    return PreviewRow(target.record_id, target.position, target.url, target.kind, "failed", utc_now())


def _failed(target: Target, code: str, message: str) -> PreviewRow:
    return _with_problem(_base(target), code, message)


def _with_problem(row: PreviewRow, code: str, message: str) -> PreviewRow:
    problem = {"type": code, "message": message, "row": None, "field": None}
    return replace(row, status="failed", message=message, errors=[problem], error_count=1)


def _with_profile(row: PreviewRow, profile: Profile) -> PreviewRow:
    return replace(
        row,
        kind=profile.kind,
        status="ok",
        message=None,
        encoding=profile.encoding,
        row_count=profile.row_count,
        columns=profile.columns,
        rows=profile.rows,
        errors=profile.errors,
        error_count=profile.error_count,
        truncated=row.truncated or profile.truncated,
    )


# -- writing (the calling thread) ---------------------------------------------------------------------


def _apply(store: Store, target: Target, outcome: Outcome, report: PreviewReport, now: datetime) -> None:
    if outcome.preview is not None:
        fetched_at = now if outcome.preview.fetched_at is not None else None
        save_preview(store, replace(outcome.preview, checked_at=now, fetched_at=fetched_at))
        if outcome.preview.ok:
            report.fetched += 1
        else:
            report.failed += 1
        return
    mark_checked(store, target.record_id, target.position, now, outcome.kept_note)
    if outcome.unchanged:
        report.unchanged += 1
    else:
        report.failed += 1
