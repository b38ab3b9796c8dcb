"""Link checks in the store: every distribution's downloadURL and accessURL, its latest state, the records
that use it, and a bounded history of its checks.

The checker (``catalog_api/linkcheck``) syncs the links of changed records (:func:`sync_links`), asks for
the links due (:func:`due_links`) and writes what it found in batches (:func:`save_checks`). Everything
else reads: :func:`link_statuses` for a set of URLs (the API, pages and the quality score),
:func:`broken_links` and :func:`link_counts` per organization or source (reports and pages).

A link is stored once however many records use it, keyed by the SHA-256 of its URL (URLs are too long
for a portable unique index); states are ``ok``, ``redirected``, ``broken`` and ``unchecked``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from index.store import Conflict, Store
from index.tables import link_check_runs, link_checks, link_records, link_targets, link_uses, records, sources

STATES = ("ok", "redirected", "broken", "unchecked")
FIELDS = ("downloadURL", "accessURL")
HISTORY = 20  # checks kept per link
_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """What is known of one link now."""

    url: str
    status: str = "unchecked"
    http_status: int | None = None
    checked_at: datetime | None = None
    final_url: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class DueLink:
    """A link to check, with what its last check left (validators, state)."""

    id: int
    url: str
    allow_private: bool
    status: str
    http_status: int | None
    final_url: str | None
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class CheckWrite:
    """One check's outcome, as the checker hands it to the store."""

    target_id: int
    checked_at: datetime
    status: str
    http_status: int | None
    method: str | None = None
    final_url: str | None = None
    redirects: list[dict[str, Any]] = field(default_factory=list)
    not_modified: bool = False
    message: str | None = None
    elapsed_ms: int | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class CheckRow:
    checked_at: datetime
    status: str
    http_status: int | None
    method: str | None
    final_url: str | None
    redirects: list[dict[str, Any]]
    not_modified: bool
    message: str | None


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """A dataset's link in a bad state: which dataset, which distribution and field, and what it answers."""

    record_id: str
    title: str
    source: str
    organization_id: int | None
    position: int  # the distribution's place in the dataset, from 0
    field: str  # downloadURL or accessURL
    url: str
    status: str
    http_status: int | None
    checked_at: datetime | None
    final_url: str | None
    message: str | None


@dataclass(frozen=True, slots=True)
class SyncCount:
    records: int  # records whose links were (re)read
    removed: int  # records no longer live whose links were dropped
    changed: tuple[str, ...] = ()  # the ids of the records whose links were (re)read


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def host_of(url: str) -> str:
    """The host part of ``url``, lower-cased, without credentials or port ('' when there is none)."""
    rest = url.strip().split("://", 1)
    if len(rest) != 2:
        return ""
    netloc = rest[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    host = netloc[1:].split("]", 1)[0] if netloc.startswith("[") else netloc.split(":", 1)[0]
    return host.lower()[:255]


def dataset_links(dataset: Mapping[str, Any]) -> list[tuple[int, str, str]]:
    """(position, field, url) of every downloadURL and accessURL of a dataset as stored."""
    out: list[tuple[int, str, str]] = []
    distributions = dataset.get("distribution") or []
    if not isinstance(distributions, list):
        return out
    for position, dist in enumerate(distributions):
        if not isinstance(dist, dict):
            continue
        for name in FIELDS:
            value = dist.get(name)
            if isinstance(value, str) and value.strip():
                out.append((position, name, value.strip()))
    return out


# -- keeping the links in step with the records -------------------------------------------------------


def sync_links(store: Store, *, batch: int = 1000) -> SyncCount:
    """Read the links of every live record that is new or changed since the last sync; drop the links of
    records gone or withdrawn, and links no record uses any more (with their history)."""
    changed = _changed_records(store)
    for chunk in _chunks(changed, batch):
        _sync_batch(store, chunk)
    return SyncCount(len(changed), _drop_gone(store), tuple(i for i, _ in changed))


def _changed_records(store: Store) -> list[tuple[str, str]]:
    query = (
        select(records.c.id, records.c.content_hash)
        .select_from(records.outerjoin(link_records, link_records.c.record_id == records.c.id))
        .where(
            records.c.withdrawn.is_(False),
            or_(link_records.c.record_id.is_(None), link_records.c.content_hash != records.c.content_hash),
        )
    )
    with store.engine.connect() as connection:
        return [(str(i), str(h)) for i, h in connection.execute(query)]


def _sync_batch(store: Store, batch: Sequence[tuple[str, str]]) -> None:
    ids = [i for i, _ in batch]
    query = select(records.c.id, records.c.dataset, records.c.source_id).where(records.c.id.in_(ids))
    with store.engine.begin() as connection:
        rows = connection.execute(query).all()
        private = _private_sources(connection)
        links = [(str(i), p, f, u, s in private) for i, d, s in rows for p, f, u in dataset_links(d or {})]
        targets = _ensure_targets(connection, {(u, a) for *_, u, a in links})
        connection.execute(delete(link_uses).where(link_uses.c.record_id.in_(ids)))
        connection.execute(delete(link_records).where(link_records.c.record_id.in_(ids)))
        uses = {(i, p, f): targets[u] for i, p, f, u, _ in links}
        if uses:
            values = [{"record_id": i, "position": p, "field": f, "target_id": t} for (i, p, f), t in uses.items()]
            connection.execute(insert(link_uses), values)
        connection.execute(insert(link_records), [{"record_id": i, "content_hash": h} for i, h in batch])


def _private_sources(connection: Connection) -> set[int]:
    return {int(i) for i in connection.execute(select(sources.c.id).where(sources.c.allow_private.is_(True))).scalars()}


def _ensure_targets(connection: Connection, wanted: set[tuple[str, bool]]) -> dict[str, int]:
    """The id of each URL's link row, adding the missing ones (a URL of an allow-private source may reach
    private addresses)."""
    by_hash: dict[str, tuple[str, bool]] = {}
    for url, allow in wanted:
        known = by_hash.get(url_hash(url))
        by_hash[url_hash(url)] = (url, allow or (known[1] if known else False))
    found: dict[str, tuple[int, bool]] = {}
    query = select(link_targets.c.url_hash, link_targets.c.id, link_targets.c.allow_private)
    for chunk in _chunks(list(by_hash)):
        found.update({h: (i, a) for h, i, a in connection.execute(query.where(link_targets.c.url_hash.in_(chunk)))})
    missing = [h for h in by_hash if h not in found]
    if missing:
        connection.execute(insert(link_targets), [_new_target(h, *by_hash[h]) for h in missing])
        for chunk in _chunks(missing):
            found.update({h: (i, a) for h, i, a in connection.execute(query.where(link_targets.c.url_hash.in_(chunk)))})
    opened = [found[h][0] for h, (_, allow) in by_hash.items() if allow and not found[h][1]]
    if opened:
        connection.execute(update(link_targets).where(link_targets.c.id.in_(opened)).values(allow_private=True))
    return {url: found[h][0] for h, (url, _) in by_hash.items()}


def _new_target(digest: str, url: str, allow_private: bool) -> dict[str, Any]:
    return {
        "url_hash": digest,
        "url": url,
        "host": host_of(url),
        "allow_private": allow_private,
        "status": "unchecked",
    }


def _drop_gone(store: Store) -> int:
    live = select(records.c.id).where(records.c.withdrawn.is_(False))
    used = select(link_uses.c.target_id)
    with store.engine.begin() as connection:
        stale = select(link_records.c.record_id).where(link_records.c.record_id.not_in(live))
        gone = [str(i) for i in connection.execute(stale).scalars()]
        for chunk in _chunks(gone):
            connection.execute(delete(link_uses).where(link_uses.c.record_id.in_(chunk)))
            connection.execute(delete(link_records).where(link_records.c.record_id.in_(chunk)))
        unused = select(link_targets.c.id).where(link_targets.c.id.not_in(used))
        orphans = [int(i) for i in connection.execute(unused).scalars()]
        for chunk in _chunks(orphans):
            connection.execute(delete(link_checks).where(link_checks.c.target_id.in_(chunk)))
            connection.execute(delete(link_targets).where(link_targets.c.id.in_(chunk)))
    return len(gone)


# -- what the checker reads and writes ----------------------------------------------------------------


def due_links(store: Store, *, source_id: int | None = None, checked_before: datetime | None = None) -> list[DueLink]:
    """Links used by live records (of ``source_id``, if given) never checked, or last checked before
    ``checked_before`` (every one when it is None), oldest check first."""
    query = select(
        link_targets.c.id,
        link_targets.c.url,
        link_targets.c.allow_private,
        link_targets.c.status,
        link_targets.c.http_status,
        link_targets.c.final_url,
        link_targets.c.etag,
        link_targets.c.last_modified,
    )
    if source_id is not None:
        of_source = (
            select(link_uses.c.target_id)
            .join(records, records.c.id == link_uses.c.record_id)
            .where(records.c.source_id == source_id)
        )
        query = query.where(link_targets.c.id.in_(of_source))
    if checked_before is not None:
        query = query.where(or_(link_targets.c.checked_at.is_(None), link_targets.c.checked_at < checked_before))
    query = query.order_by(link_targets.c.checked_at.is_not(None), link_targets.c.checked_at, link_targets.c.id)
    with store.engine.connect() as connection:
        return [DueLink(*row) for row in connection.execute(query)]


def save_checks(store: Store, checks: Sequence[CheckWrite], *, keep: int = HISTORY) -> None:
    """Write a batch of checks in one transaction: each link's new state, a history row each, and the
    history of those links cut to its newest ``keep`` rows."""
    if not checks:
        return
    state = (
        update(link_targets)
        .where(link_targets.c.id == bindparam("key"))
        .values(
            status=bindparam("status"),
            http_status=bindparam("http_status"),
            checked_at=bindparam("checked_at"),
            final_url=bindparam("final_url"),
            message=bindparam("message"),
            etag=bindparam("etag"),
            last_modified=bindparam("last_modified"),
        )
    )
    with store.engine.begin() as connection:
        connection.execute(state, [_state_values(c) for c in checks])
        connection.execute(insert(link_checks), [_history_values(c) for c in checks])
        _prune(connection, sorted({c.target_id for c in checks}), keep)


def _state_values(check: CheckWrite) -> dict[str, Any]:
    return {
        "key": check.target_id,
        "status": check.status,
        "http_status": check.http_status,
        "checked_at": check.checked_at,
        "final_url": check.final_url,
        "message": check.message,
        "etag": check.etag,
        "last_modified": check.last_modified,
    }


def _history_values(check: CheckWrite) -> dict[str, Any]:
    return {
        "target_id": check.target_id,
        "checked_at": check.checked_at,
        "status": check.status,
        "http_status": check.http_status,
        "method": check.method,
        "final_url": check.final_url,
        "redirects": check.redirects,
        "not_modified": check.not_modified,
        "message": check.message,
        "elapsed_ms": check.elapsed_ms,
    }


def _prune(connection: Connection, target_ids: Sequence[int], keep: int) -> None:
    for chunk in _chunks(target_ids):
        ranked = (
            select(
                link_checks.c.id,
                func.row_number()
                .over(partition_by=link_checks.c.target_id, order_by=link_checks.c.id.desc())
                .label("rank"),
            )
            .where(link_checks.c.target_id.in_(chunk))
            .subquery()
        )
        old = select(ranked.c.id).where(ranked.c.rank > keep)
        connection.execute(delete(link_checks).where(link_checks.c.id.in_(old)))


# -- what everyone else reads -------------------------------------------------------------------------


def link_statuses(store: Store, urls: Iterable[str]) -> dict[str, LinkStatus]:
    """The state of each URL (``unchecked`` for one the checker does not know yet)."""
    wanted = {u.strip() for u in urls if u and u.strip()}
    by_hash = {url_hash(u): u for u in wanted}
    out = {u: LinkStatus(u) for u in wanted}
    columns = (
        link_targets.c.url_hash,
        link_targets.c.status,
        link_targets.c.http_status,
        link_targets.c.checked_at,
        link_targets.c.final_url,
        link_targets.c.message,
    )
    with store.engine.connect() as connection:
        for chunk in _chunks(list(by_hash)):
            query = select(*columns).where(link_targets.c.url_hash.in_(chunk))
            for digest, *rest in connection.execute(query):
                url = by_hash[digest]
                out[url] = LinkStatus(url, *rest)
    return out


def link_states(store: Store, urls: Iterable[str]) -> dict[str, str]:
    """URL → its state (``ok``, ``redirected``, ``broken``, ``unchecked``): what a quality score reads."""
    return {url: found.status for url, found in link_statuses(store, urls).items()}


def link_states_of(store: Store, datasets: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """URL → state of every downloadURL and accessURL of ``datasets`` (stored dicts), in one query: what
    their quality scores read when they are indexed."""
    return link_states(store, [url for d in datasets for _, _, url in dataset_links(d)])


def reindex_records(store: Store, record_ids: Sequence[str]) -> None:
    """Let these records wait for the search index again (their links changed state, and with them what
    is computed at index time from links)."""
    with store.engine.begin() as connection:
        for chunk in _chunks(list(record_ids)):
            connection.execute(update(records).where(records.c.id.in_(chunk)).values(indexed_hash=None))


def link_history(store: Store, url: str, *, limit: int = HISTORY) -> list[CheckRow]:
    """A link's checks, newest first."""
    query = (
        select(
            link_checks.c.checked_at,
            link_checks.c.status,
            link_checks.c.http_status,
            link_checks.c.method,
            link_checks.c.final_url,
            link_checks.c.redirects,
            link_checks.c.not_modified,
            link_checks.c.message,
        )
        .join(link_targets, link_targets.c.id == link_checks.c.target_id)
        .where(link_targets.c.url_hash == url_hash(url.strip()))
        .order_by(link_checks.c.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as connection:
        return [CheckRow(*row) for row in connection.execute(query)]


def _scope(query: Any, organization_id: int | None, source_id: int | None) -> Any:
    query = query.where(records.c.withdrawn.is_(False))
    if organization_id is not None:
        query = query.where(records.c.organization_id == organization_id)
    if source_id is not None:
        query = query.where(records.c.source_id == source_id)
    return query


def broken_links(
    store: Store,
    *,
    organization_id: int | None = None,
    source_id: int | None = None,
    states: Sequence[str] = ("broken",),
    limit: int | None = None,
    offset: int = 0,
) -> list[BrokenLink]:
    """The links of live datasets (of an organization, a source, or all) in ``states``, by dataset title."""
    query = (
        select(
            records.c.id,
            records.c.title,
            sources.c.name,
            records.c.organization_id,
            link_uses.c.position,
            link_uses.c.field,
            link_targets.c.url,
            link_targets.c.status,
            link_targets.c.http_status,
            link_targets.c.checked_at,
            link_targets.c.final_url,
            link_targets.c.message,
        )
        .select_from(
            link_uses.join(records, records.c.id == link_uses.c.record_id)
            .join(sources, sources.c.id == records.c.source_id)
            .join(link_targets, link_targets.c.id == link_uses.c.target_id)
        )
        .where(link_targets.c.status.in_(list(states)))
        .order_by(records.c.title, records.c.id, link_uses.c.position, link_uses.c.field)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    with store.engine.connect() as connection:
        return [BrokenLink(*row) for row in connection.execute(_scope(query, organization_id, source_id))]


def link_counts(store: Store, *, organization_id: int | None = None, source_id: int | None = None) -> dict[str, int]:
    """How many dataset links (a link used by two datasets counts twice) are in each state."""
    query = (
        select(link_targets.c.status, func.count())
        .select_from(
            link_uses.join(records, records.c.id == link_uses.c.record_id).join(
                link_targets, link_targets.c.id == link_uses.c.target_id
            )
        )
        .group_by(link_targets.c.status)
    )
    counts = dict.fromkeys(STATES, 0)
    with store.engine.connect() as connection:
        for status, count in connection.execute(_scope(query, organization_id, source_id)):
            counts[str(status)] = int(count)
    return counts


def record_link_states(store: Store, record_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """For each record, how many of its links are in each state (records without links are left out): what
    a quality score computed at index time reads."""
    query = (
        select(link_uses.c.record_id, link_targets.c.status, func.count())
        .join(link_targets, link_targets.c.id == link_uses.c.target_id)
        .group_by(link_uses.c.record_id, link_targets.c.status)
    )
    out: dict[str, dict[str, int]] = {}
    with store.engine.connect() as connection:
        for chunk in _chunks(list(record_ids)):
            for record, status, count in connection.execute(query.where(link_uses.c.record_id.in_(chunk))):
                out.setdefault(str(record), dict.fromkeys(STATES, 0))[str(status)] = int(count)
    return out


def records_using(store: Store, urls: Iterable[str]) -> list[str]:
    """The records whose distributions use any of ``urls`` (to re-score them when a link changes state)."""
    hashes = [url_hash(u.strip()) for u in urls if u and u.strip()]
    query = (
        select(link_uses.c.record_id)
        .join(link_targets, link_targets.c.id == link_uses.c.target_id)
        .distinct()
        .order_by(link_uses.c.record_id)
    )
    found: set[str] = set()
    with store.engine.connect() as connection:
        for chunk in _chunks(hashes):
            found.update(str(r) for r in connection.execute(query.where(link_targets.c.url_hash.in_(chunk))).scalars())
    return sorted(found)


def link_counts_by_source(store: Store) -> dict[int, dict[str, int]]:
    """Each source's :func:`link_counts`, in one query (the sources page)."""
    query = (
        select(records.c.source_id, link_targets.c.status, func.count())
        .select_from(
            link_uses.join(records, records.c.id == link_uses.c.record_id).join(
                link_targets, link_targets.c.id == link_uses.c.target_id
            )
        )
        .where(records.c.withdrawn.is_(False))
        .group_by(records.c.source_id, link_targets.c.status)
    )
    out: dict[int, dict[str, int]] = {}
    with store.engine.connect() as connection:
        for source_id, status, count in connection.execute(query):
            out.setdefault(int(source_id), dict.fromkeys(STATES, 0))[str(status)] = int(count)
    return out


# -- the checker's runs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    started_at: datetime
    finished_at: datetime | None
    scope: str | None
    status: str
    counts: dict[str, int]
    heartbeat_at: datetime | None = None
    running: bool | None = None


def start_run(store: Store, now: datetime, scope: str | None, *, stale_before: datetime) -> int:
    """Open a pass; :class:`Conflict` while another is under way anywhere (a unique index allows one row
    marked running). A pass marked running whose last sign of life is before ``stale_before`` is ended
    first, as abandoned."""
    abandon = (
        update(link_check_runs)
        .where(link_check_runs.c.running.is_(True), link_check_runs.c.heartbeat_at < stale_before)
        .values(running=None, status="abandoned", finished_at=now)
    )
    row: dict[str, Any] = {"started_at": now, "scope": scope, "status": "running", "counts": {}}
    row.update(heartbeat_at=now, running=True)
    try:
        with store.engine.begin() as connection:
            connection.execute(abandon)
            result = connection.execute(insert(link_check_runs).values(**row))
            run_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
    except IntegrityError as exc:
        under_way = last_run(store, finished=False)
        since = f" (started {under_way.started_at:%Y-%m-%d %H:%M} UTC)" if under_way else ""
        raise Conflict(f"a link-check pass is under way{since}") from exc
    assert isinstance(run_id, int)
    return run_id


def beat_run(store: Store, run_id: int, counts: Mapping[str, int], now: datetime) -> None:
    """A running pass's sign of life, with its counts so far."""
    statement = (
        update(link_check_runs).where(link_check_runs.c.id == run_id).values(heartbeat_at=now, counts=dict(counts))
    )
    with store.engine.begin() as connection:
        connection.execute(statement)


def finish_run(store: Store, run_id: int, status: str, counts: Mapping[str, int], now: datetime) -> None:
    statement = (
        update(link_check_runs)
        .where(link_check_runs.c.id == run_id)
        .values(finished_at=now, heartbeat_at=now, status=status, counts=dict(counts), running=None)
    )
    with store.engine.begin() as connection:
        connection.execute(statement)


def last_run(store: Store, *, finished: bool = True) -> RunRow | None:
    """The newest run (that finished, unless ``finished`` is False)."""
    query = select(link_check_runs).order_by(link_check_runs.c.started_at.desc(), link_check_runs.c.id.desc())
    if finished:
        query = query.where(link_check_runs.c.finished_at.is_not(None))
    with store.engine.connect() as connection:
        row = connection.execute(query.limit(1)).mappings().first()
    return None if row is None else RunRow(**{k: row[k] for k in RunRow.__slots__})
