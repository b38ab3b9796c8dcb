"""Turning a harvested record into what the store and the index keep — in this process or in workers.

``prepare`` is the CPU-heavy middle of a harvest (build the record's RDF graph, map it to the model,
check the data.json form against the schema, build the search document): about 0.4 ms a record. It is a
pure function of picklable inputs, so :class:`Preparer` can spread batches over worker processes when a
harvester declares its records picklable (``parallel_safe``) and the source is large, while the job
runner keeps reading, writing and indexing in the main process.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field

import orjson

from harvesters.base import HarvestedRecord
from harvesters.errors import RecordError
from index.documents import search_doc
from index.duplicates import Keys, keys_of
from index.governance import match_organization
from index.ids import record_id
from index.search.base import SearchDoc
from index.store import RecordWrite
from mappings.datajson import dataset_to_datajson
from mappings.derive import parse_modified
from mappings.errors import MappingError
from mappings.model import Dataset, Organization, RecordIssue
from mappings.rdf_model import dataset_from_graph
from mappings.validation import Profile, datagov_checker, problems_key

log = logging.getLogger("nutmeg.harvest")
_PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


@dataclass(frozen=True, slots=True)
class PrepareContext:
    """What preparing a record needs to know about its source and the catalog (picklable)."""

    source_name: str
    source_id: int
    source_publisher: str | None
    profile: Profile
    organizations: Mapping[str, tuple[int, str]] = field(default_factory=dict)  # publisher key → (id, title)
    source_organization: tuple[int, str] | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    write: RecordWrite
    doc: SearchDoc
    issues: list[RecordIssue]
    existed: bool
    keys: Keys | None = None  # the record's duplicate-matching keys, computed here (in the workers)


@dataclass(frozen=True, slots=True)
class Failed:
    record_id: str
    identifier: str
    path: str
    message: str


Outcome = Prepared | Failed


def prepare(item: HarvestedRecord, existed: bool, ctx: PrepareContext) -> Outcome:
    """Build, map and check one record; a record that cannot be mapped comes back as ``Failed``."""
    rid = record_id(ctx.source_name, item.identifier)
    try:
        materialized = item.build()
        dataset = dataset_from_graph(materialized.graph, materialized.subject)
    except (RecordError, MappingError) as exc:
        return Failed(rid, item.identifier, getattr(exc, "path", "$"), f"record not stored: {exc}")
    except Exception:  # a record that trips a parser (too deep, bad bytes) is that record's failure only
        log.exception("building record %r of source %s failed", item.identifier, ctx.source_name)
        return Failed(rid, item.identifier, "$", "record not stored: it could not be read (the log has the detail)")
    issues = list(materialized.issues)
    dataset = with_source_publisher(dataset, ctx.source_publisher, issues)
    return prepared_record(
        dataset,
        ctx,
        rid=rid,
        identifier=item.identifier,
        content_hash=item.content_hash,
        source_record=item.source_record,
        issues=issues,
        existed=existed,
        locator=item.locator,
    )


def prepared_record(
    dataset: Dataset,
    ctx: PrepareContext,
    *,
    rid: str,
    identifier: str,
    content_hash: str,
    source_record: bytes,
    issues: list[RecordIssue],
    existed: bool,
    locator: str | None = None,
) -> Prepared:
    """What the store and the index keep of one dataset (harvested, overridden or published by API)."""
    datajson = dataset_to_datajson(dataset)
    problems = {problems_key(ctx.profile): [i.model_dump() for i in datagov_checker(ctx.profile).validate(datajson)]}
    publisher = dataset.publisher.name if dataset.publisher else None
    organization = match_organization(publisher, ctx.organizations, ctx.source_organization)
    write = RecordWrite(
        id=rid,
        source_id=ctx.source_id,
        original_identifier=identifier,
        content_hash=content_hash,
        source_record=source_record,
        dataset=dataset.model_dump(mode="json", exclude_none=True),
        datajson=orjson.dumps(datajson),
        export_problems=problems,
        issues=[i.model_dump() for i in issues],
        title=dataset.title,
        modified_at=parse_modified(dataset.modified),
        locator=locator,
        organization_id=organization[0] if organization else None,
    )
    owner = organization[1] if organization else None
    doc = search_doc(rid, ctx.source_name, content_hash, dataset, owner, problems[problems_key(ctx.profile)])
    return Prepared(write, doc, issues, existed, keys_of(write.dataset))


def with_source_publisher(dataset: Dataset, publisher: str | None, issues: list[RecordIssue]) -> Dataset:
    """A record without a publisher takes the one its source was registered with (noted as info)."""
    if dataset.publisher is not None or not publisher:
        return dataset
    issues.append(
        RecordIssue(
            path="publisher",
            message=f"no publisher in the source; using the source's ({publisher})",
            severity="info",
            code="default",
        )
    )
    return dataset.model_copy(update={"publisher": Organization(name=publisher)})


def prepare_batch(items: Sequence[tuple[HarvestedRecord, bool]], ctx: PrepareContext) -> list[Outcome]:
    return [prepare(item, existed, ctx) for item, existed in items]


def _worker_init(parent: int) -> None:
    gc.set_threshold(70_000, 50, 100)
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """Make this worker process end when the harvest process that started it ends, even by SIGKILL:
    Linux's parent-death signal where there is one, and a thread watching the parent's pid everywhere."""
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


class Preparer:
    """Runs ``prepare_batch`` inline, or on a pool of worker processes started when a source turns
    out to be large; results come back in submission order."""

    def __init__(self, ctx: PrepareContext, *, workers: int, parallel: bool) -> None:
        self.ctx = ctx
        self._workers = workers
        self._parallel = parallel and workers > 0
        self._batches = 0
        self._pool: ProcessPoolExecutor | None = None
        self._inflight: deque[Future[list[Outcome]]] = deque()

    def submit(self, items: Sequence[tuple[HarvestedRecord, bool]]) -> list[list[Outcome]]:
        """Queue a batch; returns the batches that are done (oldest first)."""
        self._batches += 1
        if self._parallel and self._batches >= 2 and self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_worker_init,
                initargs=(os.getpid(),),
            )
        if self._pool is None:
            return [prepare_batch(items, self.ctx)]
        self._inflight.append(self._pool.submit(prepare_batch, list(items), self.ctx))
        done: list[list[Outcome]] = []
        while len(self._inflight) > self._workers:
            done.append(self._inflight.popleft().result())
        return done

    def drain(self) -> list[list[Outcome]]:
        done = [future.result() for future in self._inflight]
        self._inflight.clear()
        return done

    def close(self) -> None:
        for future in self._inflight:
            future.cancel()
        self._inflight.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def default_workers(configured: int) -> int:
    """Worker processes for preparing records: as configured, else one per core (at most 4)."""
    if configured > 0:
        return configured
    return min(4, os.cpu_count() or 1)


def apply_overrides(dataset: Mapping[str, object], overrides: Mapping[str, Mapping[str, object]]) -> Dataset:
    """A harvested dataset (its JSON) with a publisher's local overrides laid over it, field by field
    (``{"title": {"value": ..., "by": ..., "at": ...}}``; a ``None`` value removes the field)."""
    merged = dict(dataset)
    for name, override in overrides.items():
        value = override.get("value")
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return Dataset.model_validate(merged)


def with_overrides(prepared: Prepared, overrides: Mapping[str, Mapping[str, object]], ctx: PrepareContext) -> Prepared:
    """Re-apply a record's overrides to its newly harvested version (they survive every harvest)."""
    write = prepared.write
    dataset = apply_overrides(write.dataset, overrides)
    return prepared_record(
        dataset,
        ctx,
        rid=write.id,
        identifier=write.original_identifier,
        content_hash=write.content_hash,
        source_record=write.source_record,
        issues=prepared.issues,
        existed=prepared.existed,
        locator=write.locator,
    )
