"""Duplicates across sources, as the API, the CLI and the publishing paths use them: bring the search
index in line with a regrouping, split a merged dataset, forget a removed source's records, and match a
whole store (after an upgrade) — thin functions over ``index.duplicates`` that a test can call directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from catalog_api.services import Services
from index.duplicates import Policy, Regrouped, Written, dataset_of, group_members, regroup, search_docs, split
from index.governance import Actor, audit
from index.ids import record_id
from index.search.base import BackendUnavailable
from index.store import NotFound, RecordWrite

log = logging.getLogger("nutmeg.duplicates")


def apply(services: Services, regrouped: Regrouped) -> None:
    """Index the merged datasets (and records back on their own) and drop the records merged away; if the
    engine is down they stay pending (``nutmeg reindex`` or the next harvest catches up)."""
    if not regrouped.refresh and not regrouped.hidden:
        return
    docs = search_docs(services.store, sorted(regrouped.refresh))
    hidden = sorted(regrouped.hidden)
    services.store.mark_indexed([(d.id, None) for d in docs])  # pending until the engine has them
    try:
        if hidden:
            services.index.remove(hidden)
        services.index.index(docs)
    except BackendUnavailable as exc:
        log.warning("search engine unavailable; merged datasets wait for indexing: %s", exc)
        return
    services.store.mark_indexed([(i, None) for i in hidden] + [(d.id, d.content_hash) for d in docs])


@dataclass(frozen=True, slots=True)
class SplitResult:
    dataset_id: str  # the merged dataset's id (it may change when its winner was split off)
    record_id: str  # the record taken out, now a dataset of its own
    remaining: list[str]  # the records still merged with each other


def split_record(services: Services, dataset: str, source: str, original_identifier: str, actor: Actor) -> SplitResult:
    """Take the record ``source`` lists as ``original_identifier`` out of merged dataset ``dataset``;
    it stays out across re-harvests. Raises ``NotFound`` when it is no member of that dataset."""
    dataset = dataset_of(services.store, dataset) or dataset
    member = record_id(source, original_identifier)
    now = datetime.now(UTC)
    regrouped = split(services.store, dataset, member, actor.label, services.settings.duplicate_policy(), now)
    apply(services, regrouped)
    winner = services.store.get_record(dataset)
    change = {"field": "provenance", "before": f"{source}: {original_identifier}", "after": None}
    audit(services.store, actor, "dataset.split", dataset, [change], now, dataset, winner.organization_id)
    still = group_members(services.store, dataset_of(services.store, dataset) or dataset)
    return SplitResult(dataset_of(services.store, dataset) or dataset, member, still)


def rematch(services: Services, written: list[RecordWrite], gone: list[str]) -> None:
    """After a publisher's write through the API: match what was written, drop what was withdrawn."""
    batch = [Written(w.id, w.source_id, w.dataset) for w in written]
    apply(services, regroup(services.store, batch, gone, services.settings.duplicate_policy(), datetime.now(UTC)))


def forget(services: Services, ids: list[str]) -> None:
    """Before records are deleted (their source removed): the datasets they were merged into go on with
    the other sources' records, or become single records again."""
    regrouped = regroup(services.store, [], ids, services.settings.duplicate_policy(), datetime.now(UTC))
    apply(services, regrouped)


def match_all(services: Services, progress: Callable[[int], None] | None = None, batch: int = 1000) -> int:
    """Match every live record (a store from before duplicates were recognized, or new settings);
    returns how many records were read. Unchanged keys cost one read; groups are rebuilt where they touch."""
    policy, count = services.settings.duplicate_policy(), 0
    pending: list[Written] = []
    for row in services.store.iter_records(live=True, batch=batch):
        pending.append(Written(row.id, row.source_id, row.dataset))
        if len(pending) >= batch:
            count += _match(services, pending, policy)
            pending = []
            if progress is not None:
                progress(count)
    return count + _match(services, pending, policy)


def _match(services: Services, pending: list[Written], policy: Policy) -> int:
    apply(services, regroup(services.store, pending, [], policy, datetime.now(UTC)))
    return len(pending)


def require_member(services: Services, dataset: str) -> str:
    """The merged dataset's id for ``dataset`` (a member's id is followed to it); NotFound if none."""
    found = dataset_of(services.store, dataset) or dataset
    if len(group_members(services.store, found)) < 2:
        raise NotFound(f"dataset {dataset} is not merged from several sources; there is nothing to split")
    return found
