"""The runner's side of unchanged bodies (issue 16): a full fetch whose body is byte-for-byte the body of
the source's last complete harvest ends as ``unchanged``, like a 304, without a record being read.

* Before a job: :func:`body_check` gives the harvester the key its body digests start from (every
  setting besides the body that shapes the records: a change to any of them makes the next body be read)
  and the baseline's digest, which is then taken off the source, so a job that dies half-way through
  never leaves a baseline its writes no longer match.
* A job whose harvester says ``run.same_body`` ends with :func:`carried_over`: the baseline job's counts
  (every record it kept counted unchanged), its stats under this job's, and its per-record errors copied
  to this job, so pages, the API and the CLI show what a normal unchanged run would.
* After a job: :func:`keep_baseline` puts the baseline back after a 304 or an unchanged body, and makes a
  new one only from a job that succeeded with a complete, non-incremental listing read from one body,
  with nothing held back (not shrunk, not capped, every record searchable).

Only what could change the records without changing the body needs to be in the key: record overrides
are laid over records as they are written, so they do not; and a record withdrawn by hand since the
baseline job (the live count differs) makes the next body be read, as a normal run would bring it back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from harvesters.base import MAPPING_VERSION, HarvestRun, SourceConfig, canonical_json
from harvesters.bodydigest import BodyCheck
from index.baselines import Baseline, baseline, carry_errors, clear_baseline, save_baseline
from index.store import JobOutcome, SourceRow, Store

# Bump when a change to the harvest (not the body) must make every source's next full fetch be read.
BODY_RULES = "nutmeg-unchanged-body-1"


def body_key(source: SourceRow, config: SourceConfig, settings_part: Mapping[str, Any]) -> bytes:
    """The digest key: everything besides the body that shapes the records of ``source``."""
    credentials = orjson.dumps(source.credentials, option=orjson.OPT_SORT_KEYS) if source.credentials else b""
    shape = {
        "rules": BODY_RULES,
        "mapping": MAPPING_VERSION.decode(),
        "kind": config.kind,
        "url": config.url,
        "options": dict(config.options),
        "federal": config.federal,
        "caps": [config.caps.max_field_bytes, config.caps.max_spatial_bytes],
        "credentials": hashlib.blake2b(credentials, digest_size=16).hexdigest(),
        "settings": dict(settings_part),
    }
    return hashlib.blake2b(canonical_json(shape), digest_size=32).digest()


def body_check(store: Store, source: SourceRow, key: bytes) -> tuple[BodyCheck, Baseline | None]:
    """What the harvester compares its body with, and the baseline taken off the source until the job
    ends (None when there is none, or records were withdrawn by hand since)."""
    found = baseline(store, source.id)
    if found is not None:
        clear_baseline(store, source.id)
        if store.live_count(source.id) != found.live:
            found = None
    return BodyCheck(key, found.digest if found is not None else None), found


def carried_over(store: Store, found: Baseline, job_id: int, run: HarvestRun) -> JobOutcome:
    """The outcome of a job whose body is the baseline's: the baseline job's, with its errors copied."""
    was = store.get_job(found.job_id)
    carry_errors(store, found.job_id, job_id)
    stats = {**was.stats, **run.stats, "same_body_as_job": found.job_id}
    if run.notes:
        stats["notes"] = list(run.notes)
    return JobOutcome(
        status="unchanged",
        message=f"the source sent the same body as job {found.job_id}; nothing was read again",
        listed=was.listed,
        unchanged=was.new + was.updated + was.unchanged,
        failed=was.failed,
        skipped=was.skipped,
        stats=stats,
    )


def keep_baseline(
    store: Store, source: SourceRow, job_id: int, outcome: JobOutcome, run: HarvestRun, found: Baseline | None
) -> None:
    """After a job ended with ``outcome``: the source's baseline from now on (see the module's doc)."""
    if outcome.status == "unchanged":
        if found is not None and (run.not_modified or run.same_body):
            save_baseline(store, source.id, found)
        return
    complete = run.complete and not run.incremental and not run.not_modified
    if outcome.status != "succeeded" or not complete or run.body_digest is None or "not_indexed" in outcome.stats:
        return
    save_baseline(store, source.id, Baseline(job_id, run.body_digest, store.live_count(source.id)))
