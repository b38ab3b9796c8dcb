"""Duplicates across sources: the same dataset harvested from two catalogs becomes one merged dataset.

Every source's record stays in the store as harvested; this module keeps a grouping beside them.

- **Blocking keys** (``duplicate_keys``) are computed for each record when it is written: ``i:`` its
  normalized identifier, ``u:`` its normalized landing page and distribution URLs, ``t:`` its publisher
  with the first or last three words of its normalized title. Matching looks up only the keys of the
  records a harvest batch wrote (one indexed ``IN`` query), never compares the catalog with itself.
- **Links**: two records of *different* sources are the same dataset when they share an identifier, or
  a URL that no other record of either source has (a portal's home page is not a dataset), or — same
  publisher — near-identical normalized titles (rapidfuzz ``ratio`` at least ``title_similarity``) with
  the same numbers in them ("Crime 2012" is not "Crime 2013"). Links are applied strongest first and
  never put two records of one source in one dataset. A pair an admin split never links again.
- **Groups** (``duplicate_members``): the linked records form one merged dataset whose id is its
  winning record's id. The winner is chosen by :class:`Policy`: a per-pair rule when one names both
  sources, else a non-aggregator source over an aggregator (a source registered with
  ``--option aggregator=true``), else the source on the dataset's own host (its identifier's or landing
  page's host is the source URL's host: the publisher's own catalog), else the source that saw it first.
  Each field comes from the best member that has a value for it; a pair rule may name fields.
- Records withdrawn or deleted leave their group; a group left with one record dissolves, and that
  record is published on its own again.

The search index holds one document per merged dataset (the winner's id, merged fields); the others
(the *hidden* records) are kept out of every published output. :data:`HIDDEN` selects them in SQL.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson
from rapidfuzz import fuzz
from sqlalchemy import Connection, and_, case, delete, func, insert, select

from index.documents import doc_from_row
from index.linkchecks import link_states_of
from index.search.base import SearchDoc
from index.store import ExportRow, NotFound, RecordRow, Store
from index.tables import duplicate_keys, duplicate_members, duplicate_splits, records, sources
from mappings.datajson import dataset_to_datajson
from mappings.model import Dataset

KEY_MAX = 255
BLOCK_WORDS = 3  # a title is compared with titles sharing its first or its last three words
URL_TITLE_FLOOR = 60.0  # rapidfuzz token_set_ratio two titles sharing a URL must reach
STRENGTH = {"i": 0, "u": 1, "t": 2}
REASONS = {"i": "identifier", "u": "url", "t": "title"}
_IN_BATCH = 500
_WORD = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"\d+")
EMPTY: tuple[Any, ...] = (None, "", [], {})
Keys = dict[str, str | None]  # blocking key -> the normalized title (for t: keys)

HIDDEN = select(duplicate_members.c.record_id).where(duplicate_members.c.record_id != duplicate_members.c.dataset_id)
"""Ids of records merged into another record's dataset: never published on their own."""


@dataclass(frozen=True, slots=True)
class PrecedenceRule:
    """Between the records of ``winner`` and ``loser``, ``winner``'s wins (only ``fields`` if given)."""

    winner: str
    loser: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    title_similarity: float = 95.0
    rules: tuple[PrecedenceRule, ...] = ()


@dataclass(frozen=True, slots=True)
class Written:
    """A record a harvest (or a publisher) just wrote, as matching needs it."""

    id: str
    source_id: int
    dataset: Mapping[str, Any]
    keys: Keys | None = None  # ``keys_of(dataset)`` when already computed (by a harvest's mapping workers)


@dataclass(frozen=True, slots=True)
class Regrouped:
    """What the search index must do after matching: rebuild the documents of ``refresh`` from the store
    (winners of changed groups, records back on their own) and drop ``hidden`` (merged away)."""

    refresh: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()
    grouped: frozenset[str] = frozenset()  # every record now in a group (the batch's own docs are stale)


# -- normalization and keys ------------------------------------------------------------------------


def normalize_text(value: object) -> str:
    """Lower-case ASCII words: accents, punctuation and spacing do not make two titles differ."""
    if not isinstance(value, str):
        return ""
    if value.isascii():  # NFKD and dropping non-ASCII leave an ASCII text as it is
        text = value.lower()
    else:
        text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(_WORD.findall(text))


_PLAIN_URL = re.compile(r"(?i)https?://(?:www\.)?([a-z0-9.-]+?)(?::(?:80|443))?(/[^?#]*)?(?:\?([^#]*))?(?:#.*)?")


def normalize_url(value: object) -> str | None:
    """``host/path?query`` of an http(s) URL (scheme, ``www.``, default port, trailing slash and fragment
    ignored; query parameters sorted); None for anything else or a bare home page."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    plain = _PLAIN_URL.fullmatch(text)  # most URLs: no user, no other port; urlsplit for the rest
    if plain is not None:
        host, path, query = plain.group(1).lower(), (plain.group(2) or "").rstrip("/"), plain.group(3) or ""
    else:
        try:
            parts = urlsplit(text)
            host = (parts.hostname or "").lower().removeprefix("www.")
        except ValueError:
            return None
        if parts.scheme.lower() not in ("http", "https") or not host:
            return None
        path, query = parts.path.rstrip("/"), parts.query
    if not path and not query:
        return None
    if "&" in query or "%" in query or "+" in query:
        query = urlencode(sorted(parse_qsl(query, keep_blank_values=True)))
    return f"{host}{path}" + (f"?{query}" if query else "")


def identifier_key(value: object) -> str | None:
    """An identifier good enough to match across catalogs: a URL, or at least 8 characters that are not
    all digits (``"1"`` or ``"2019"`` names a different dataset in every small catalog)."""
    if not isinstance(value, str):
        return None
    url = normalize_url(value)
    if url is not None:
        return url
    text = value.strip().casefold()
    return text if len(text) >= 8 and not text.isdigit() else None


def _publisher(dataset: Mapping[str, Any]) -> str:
    publisher = dataset.get("publisher")
    return normalize_text(publisher.get("name")) if isinstance(publisher, Mapping) else ""


def dataset_urls(dataset: Mapping[str, Any]) -> set[str]:
    found = {normalize_url(dataset.get("landingPage"))}
    for dist in dataset.get("distribution") or ():
        if isinstance(dist, Mapping):
            found.update(normalize_url(dist.get(k)) for k in ("downloadURL", "accessURL"))
    return {u for u in found if u}


def keys_of(dataset: Mapping[str, Any]) -> Keys:
    """A record's blocking keys (key → the normalized title, for ``t:`` keys)."""
    keys: Keys = {}
    ident = identifier_key(dataset.get("identifier"))
    if ident:
        keys[f"i:{ident}"[:KEY_MAX]] = None
    title, publisher = normalize_text(dataset.get("title")), _publisher(dataset)
    for url in dataset_urls(dataset):
        keys[f"u:{url}"[:KEY_MAX]] = title  # a shared URL links only loosely similar titles
    if title and publisher:
        words = title.split()
        for block in (" ".join(words[:BLOCK_WORDS]), " ".join(words[-BLOCK_WORDS:])):
            keys[f"t:{publisher}|{block}"[:KEY_MAX]] = title
    return keys


def related_titles(a: str | None, b: str | None) -> bool:
    """Titles that could name one dataset (a shared URL is not enough when they are about different
    things: two catalogs' "Road incidents" and "Flu cases" pointing at one placeholder file)."""
    return not a or not b or fuzz.token_set_ratio(a, b, score_cutoff=URL_TITLE_FLOOR) > 0


def similar_titles(a: str, b: str, threshold: float) -> bool:
    """Near-identical normalized titles with the same numbers."""
    if _NUMBER.findall(a) != _NUMBER.findall(b):
        return False
    return a == b or fuzz.ratio(a, b, score_cutoff=threshold) > 0


# -- matching --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Key:
    record_id: str
    source_id: int
    key: str
    detail: str | None


@dataclass(slots=True)
class _Graph:
    """Links among the records a batch touched, joined strongest first (union-find)."""

    sources: dict[str, int]
    parent: dict[str, str] = field(default_factory=dict)
    members: dict[str, set[int]] = field(default_factory=dict)
    reason: dict[str, str] = field(default_factory=dict)

    def root(self, node: str) -> str:
        while self.parent.get(node, node) != node:
            node = self.parent[node]
        return node

    def join(self, a: str, b: str, kind: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return
        sa = self.members.get(ra, {self.sources[a]})
        sb = self.members.get(rb, {self.sources[b]})
        if sa & sb:  # two records of one source are two datasets: this link is not taken
            return
        self.parent[rb] = ra
        self.members[ra] = sa | sb
        for node in (a, b):
            self.reason.setdefault(node, REASONS[kind])

    def groups(self, nodes: Iterable[str]) -> list[list[str]]:
        by_root: dict[str, list[str]] = defaultdict(list)
        for node in nodes:
            by_root[self.root(node)].append(node)
        return [sorted(g) for g in by_root.values() if len(g) > 1]


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


class _Matcher:
    """One matching pass over one connection (the store's transaction)."""

    def __init__(self, connection: Connection, policy: Policy) -> None:
        self.c = connection
        self.policy = policy

    def keys_for(self, column: Any, values: Sequence[str]) -> list[_Key]:
        out: list[_Key] = []
        for start in range(0, len(values), _IN_BATCH):
            query = select(duplicate_keys).where(column.in_(values[start : start + _IN_BATCH]))
            out.extend(_Key(r.record_id, r.source_id, r.key, r.detail) for r in self.c.execute(query))
        return out

    def write_keys(self, written: Sequence[Written], gone: Sequence[str]) -> list[tuple[Written, Keys]]:
        """Store the batch's keys; returns the records whose keys changed, with them (the others cannot
        link anew)."""
        ids = [w.id for w in written]
        old: dict[str, Keys] = defaultdict(dict)
        for k in self.keys_for(duplicate_keys.c.record_id, ids + list(gone)):
            old[k.record_id][k.key] = k.detail
        fresh = [(w, keys_of(w.dataset) if w.keys is None else w.keys) for w in written]
        changed = [(w, keys) for w, keys in fresh if keys != old.get(w.id, {})]
        stale = [w.id for w, _ in changed] + [g for g in gone if g in old]
        for start in range(0, len(stale), _IN_BATCH):
            chunk = stale[start : start + _IN_BATCH]
            self.c.execute(delete(duplicate_keys).where(duplicate_keys.c.record_id.in_(chunk)))
        rows = [(w.id, k, w.source_id, d) for w, keys in changed for k, d in keys.items()]
        if rows:  # plain driver executemany: a harvest writes several keys per record
            mark = "?" if self.c.dialect.paramstyle == "qmark" else "%s"
            columns = "record_id, key, source_id, detail"
            self.c.exec_driver_sql(f"INSERT INTO duplicate_keys ({columns}) VALUES ({', '.join([mark] * 4)})", rows)
        return changed

    def members_of_groups(self, ids: Sequence[str]) -> dict[str, str]:
        """record id → dataset id of every member of the groups any of ``ids`` belongs to."""
        datasets: set[str] = set()
        for start in range(0, len(ids), _IN_BATCH):
            chunk = ids[start : start + _IN_BATCH]
            query = select(duplicate_members.c.dataset_id).where(duplicate_members.c.record_id.in_(chunk))
            datasets.update(d for (d,) in self.c.execute(query))
        found: dict[str, str] = {}
        listed = sorted(datasets)
        for start in range(0, len(listed), _IN_BATCH):
            chunk = listed[start : start + _IN_BATCH]
            query = select(duplicate_members.c.record_id, duplicate_members.c.dataset_id).where(
                duplicate_members.c.dataset_id.in_(chunk)
            )
            found.update({r: d for r, d in self.c.execute(query)})
        return found

    def splits(self, ids: Sequence[str]) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        for start in range(0, len(ids), _IN_BATCH):
            chunk = ids[start : start + _IN_BATCH]
            query = select(duplicate_splits.c.record_a, duplicate_splits.c.record_b).where(
                duplicate_splits.c.record_a.in_(chunk) | duplicate_splits.c.record_b.in_(chunk)
            )
            out.update((a, b) for a, b in self.c.execute(query))
        return out

    def links(
        self, keys: Sequence[_Key], counts: Mapping[tuple[str, int], int], splits: set[tuple[str, str]]
    ) -> list[tuple[str, str, str]]:
        """(kind, a, b) for every pair of records of different sources sharing a key, strongest kind
        first; ``counts`` says how many records of each source have each URL (only a unique one links)."""
        by_key: dict[str, dict[int, list[_Key]]] = defaultdict(lambda: defaultdict(list))
        for k in keys:
            by_key[k.key][k.source_id].append(k)
        found: set[tuple[str, str, str]] = set()
        linked: set[tuple[str, str]] = set()  # pairs an identifier or URL already links
        for key, parts in sorted(by_key.items(), key=lambda item: STRENGTH[item[0][0]]):
            if len(parts) < 2:
                continue
            kind = key[0]
            ordered = sorted(parts)
            for n, left in enumerate(ordered):
                for right in ordered[n + 1 :]:
                    if kind == "u" and (counts.get((key, left), 1) > 1 or counts.get((key, right), 1) > 1):
                        continue
                    for a in parts[left]:
                        for b in parts[right]:
                            pair = _pair(a.record_id, b.record_id)
                            if pair in splits or (kind == "t" and pair in linked):
                                continue
                            if not self.compatible(kind, a.detail, b.detail):
                                continue
                            found.add((kind, *pair))
                            linked.add(pair)
        return sorted(found, key=lambda link: (STRENGTH[link[0]], link[1], link[2]))

    def compatible(self, kind: str, a: str | None, b: str | None) -> bool:
        """Whether two records sharing a key of ``kind`` are one dataset by their titles."""
        if kind == "t":
            return self.similar(a, b)
        return kind != "u" or related_titles(a, b)

    def similar(self, a: str | None, b: str | None) -> bool:
        return similar_titles(a or "", b or "", self.policy.title_similarity)

    def url_counts(self, keys: Iterable[str]) -> dict[tuple[str, int], int]:
        """How many records of each source have each of these URL keys (in the whole store)."""
        urls = sorted({k for k in keys if k.startswith("u:")})
        counts: dict[tuple[str, int], int] = {}
        column = duplicate_keys.c.key
        for start in range(0, len(urls), _IN_BATCH):
            query = (
                select(column, duplicate_keys.c.source_id, func.count())
                .where(column.in_(urls[start : start + _IN_BATCH]))
                .group_by(column, duplicate_keys.c.source_id)
            )
            counts.update({(k, s): int(n) for k, s, n in self.c.execute(query)})
        return counts

    def candidates(self, changed: Sequence[tuple[Written, Keys]]) -> set[str]:
        """The records of other sources that share a key with a changed record (for a title key: with
        a similar title) — and those changed records themselves."""
        by_source: dict[int, list[tuple[Written, Keys]]] = defaultdict(list)
        for w, keys in changed:
            by_source[w.source_id].append((w, keys))
        found: set[str] = set()
        for source_id, batch in by_source.items():
            titles: dict[str, list[tuple[str, str]]] = defaultdict(list)  # key -> (record id, title)
            for w, keys in batch:
                for key, detail in keys.items():
                    titles[key].append((w.id, detail or ""))
            listed = sorted(titles)
            for start in range(0, len(listed), _IN_BATCH):
                query = select(duplicate_keys).where(
                    duplicate_keys.c.key.in_(listed[start : start + _IN_BATCH]),
                    duplicate_keys.c.source_id != source_id,
                )
                rows = sorted(self.c.execute(query), key=lambda r: STRENGTH[r.key[0]])  # titles last
                for row in rows:
                    if row.key[0] == "t" and row.record_id in found and all(i in found for i, _ in titles[row.key]):
                        continue  # already linked by identifier or URL: no title to compare
                    mine = [i for i, t in titles[row.key] if self.compatible(row.key[0], t, row.detail)]
                    if mine:
                        found.add(row.record_id)
                        found.update(mine)
        return found


def regroup(store: Store, written: Sequence[Written], gone: Sequence[str], policy: Policy, now: datetime) -> Regrouped:
    """Match the records just written (and drop ``gone``: withdrawn or deleted) and bring the groups they
    touch up to date, in one transaction; says which search documents change.

    Only keys another source shares are looked at: a batch whose keys no other source has and whose
    records are in no group costs the key rows' write and three indexed queries."""
    if not written and not gone:
        return Regrouped()
    with store.engine.begin() as connection:
        matcher = _Matcher(connection, policy)
        changed = matcher.write_keys(written, gone)
        candidates = matcher.candidates(changed)
        old = matcher.members_of_groups([w.id for w in written] + list(gone) + sorted(candidates))
        if not candidates and not old:
            return Regrouped()
        nodes = _live(connection, sorted((candidates | set(old)) - set(gone)))
        return _rebuild(matcher, nodes, set(old), now)


def _rebuild(matcher: _Matcher, nodes: set[str], old: set[str], now: datetime) -> Regrouped:
    """Link ``nodes`` among themselves afresh and save the groups they form (``old``: who was grouped)."""
    keys = matcher.keys_for(duplicate_keys.c.record_id, sorted(nodes))
    graph = _Graph({k.record_id: k.source_id for k in keys})
    links = matcher.links(keys, matcher.url_counts(k.key for k in keys), matcher.splits(sorted(nodes)))
    for kind, a, b in links:
        graph.join(a, b, kind)
    return _save(matcher.c, graph.groups(nodes), graph, (old, nodes), matcher.policy, now)


def split(store: Store, dataset_id: str, record: str, by: str, policy: Policy, now: datetime) -> Regrouped:
    """Take ``record`` out of merged dataset ``dataset_id`` for good: it is linked to none of the other
    members again (re-harvests keep the split); the rest stay merged if they still link."""
    with store.engine.begin() as connection:
        matcher = _Matcher(connection, policy)
        members = matcher.members_of_groups([dataset_id])
        if members.get(dataset_id) != dataset_id or record not in members:
            raise NotFound(f"record {record} is not part of merged dataset {dataset_id}")
        pairs = {_pair(record, other) for other in members if other != record} - matcher.splits([record])
        rows = [{"record_a": a, "record_b": b, "by": by, "at": now} for a, b in sorted(pairs)]
        if rows:
            connection.execute(insert(duplicate_splits), rows)
        return _rebuild(matcher, _live(connection, sorted(members)), set(members), now)


def group_members(store: Store, dataset_id: str) -> list[str]:
    """The ids of the records merged into ``dataset_id`` (empty when it is no merged dataset)."""
    query = select(duplicate_members.c.record_id).where(duplicate_members.c.dataset_id == dataset_id)
    with store.engine.connect() as connection:
        return sorted(i for (i,) in connection.execute(query))


def _live(connection: Connection, ids: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for start in range(0, len(ids), _IN_BATCH):
        chunk = ids[start : start + _IN_BATCH]
        query = select(records.c.id).where(records.c.id.in_(chunk), records.c.withdrawn.is_(False))
        out.update(i for (i,) in connection.execute(query))
    return out


# -- winners and merged fields ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    id: str
    source: str
    source_url: str
    aggregator: bool
    dataset: Mapping[str, Any]
    first_seen: datetime

    own_host: bool = False  # the dataset's identifier or landing page is on the source's host


def own_host(source_url: str, dataset: Mapping[str, Any]) -> bool:
    """Whether the dataset's identifier or landing page is on the source's own host: the publisher's
    own catalog (data.cdc.gov's records on data.cdc.gov), not a federation of it."""
    home = (normalize_url(source_url.rstrip("/") + "/x") or "").split("/", 1)[0]
    for value in (dataset.get("identifier"), dataset.get("landingPage")):
        url = normalize_url(value)
        if url and url.split("/", 1)[0] == home:
            return True
    return False


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"))


def _default_rank(c: _Candidate) -> tuple[bool, bool, datetime, str, str]:
    return (c.aggregator, not c.own_host, c.first_seen, c.source, c.id)


def _rule(policy: Policy, a: str, b: str, field_name: str | None) -> int:
    """-1 if a rule makes ``a``'s source win over ``b``'s for ``field_name``, 1 if ``b``'s, 0 if none says.
    A rule naming the field beats a rule for every field."""
    verdict = 0
    for rule in policy.rules:
        if {rule.winner, rule.loser} != {a, b} or a == b:
            continue
        if rule.fields and field_name not in rule.fields:
            continue
        answer = -1 if rule.winner == a else 1
        if rule.fields:
            return answer
        verdict = answer
    return verdict


def rank(candidates: Sequence[_Candidate], policy: Policy, field_name: str | None = None) -> list[_Candidate]:
    """The members best first for ``field_name`` (None: for the dataset as a whole, which picks the winner)."""

    def compare(a: _Candidate, b: _Candidate) -> int:
        verdict = _rule(policy, a.source, b.source, field_name)
        if verdict == 0 and field_name is not None:
            verdict = _rule(policy, a.source, b.source, None)
        if verdict:
            return verdict
        ra, rb = _default_rank(a), _default_rank(b)
        return -1 if ra < rb else (1 if ra > rb else 0)

    return sorted(candidates, key=functools.cmp_to_key(compare))


def merge(candidates: Sequence[_Candidate], policy: Policy) -> tuple[_Candidate, dict[str, Any], dict[str, str]]:
    """The winner, the merged dataset (each field from the best member that has it; the identifier is
    the winner's) and which other record supplied which field."""
    overall = rank(candidates, policy)
    winner = overall[0]
    merged: dict[str, Any] = {}
    supplied: dict[str, str] = {}
    names = dict.fromkeys(k for c in candidates for k in c.dataset)
    ruled = {f for rule in policy.rules for f in rule.fields}  # fields some rule orders differently
    for name in names:
        if name == "identifier":
            merged[name] = winner.dataset.get(name)
            continue
        for c in rank(candidates, policy, name) if name in ruled else overall:
            if c.dataset.get(name) not in EMPTY:
                merged[name] = c.dataset[name]
                if c.id != winner.id:
                    supplied[name] = c.id
                break
    return winner, merged, supplied


def _candidates(connection: Connection, ids: Sequence[str]) -> dict[str, _Candidate]:
    columns = (records.c.id, sources.c.name, sources.c.url, sources.c.options, records.c.dataset, records.c.first_seen)
    out: dict[str, _Candidate] = {}
    for start in range(0, len(ids), _IN_BATCH):
        query = (
            select(*columns)
            .join(sources, sources.c.id == records.c.source_id)
            .where(records.c.id.in_(ids[start : start + _IN_BATCH]))
        )
        for id_, name, url, options, dataset, first in connection.execute(query):
            aggregator = _truthy((options or {}).get("aggregator"))
            out[id_] = _Candidate(id_, name, url, aggregator, dataset, first, own_host(url, dataset))
    return out


def _save(
    connection: Connection,
    groups: list[list[str]],
    graph: _Graph,
    before: tuple[set[str], set[str]],
    policy: Policy,
    now: datetime,
) -> Regrouped:
    """Replace the member rows of the groups that were and are; ``before`` is (the records that were in
    a group, the live records matched now)."""
    old, nodes = before
    grouped = {i for g in groups for i in g}
    found = _candidates(connection, sorted(grouped))
    rows: list[dict[str, Any]] = []
    winners: set[str] = set()
    for group in groups:
        winner, merged, supplied = merge([found[i] for i in group], policy)
        winners.add(winner.id)
        for member in group:
            mine = member == winner.id
            rows.append(
                {
                    "record_id": member,
                    "dataset_id": winner.id,
                    "source_id": graph.sources[member],
                    "reason": graph.reason.get(member, "identifier"),
                    "merged": merged if mine else None,
                    "winners": supplied if mine else None,
                    "updated_at": now,
                }
            )
    listed = sorted(old | grouped)
    for start in range(0, len(listed), _IN_BATCH):
        chunk = listed[start : start + _IN_BATCH]
        connection.execute(delete(duplicate_members).where(duplicate_members.c.record_id.in_(chunk)))
    if rows:
        connection.execute(insert(duplicate_members), rows)
    alone = frozenset((old & nodes) - grouped)  # back on their own: published again
    hidden = frozenset(grouped - winners)
    return Regrouped(refresh=frozenset(winners) | alone, hidden=hidden, grouped=frozenset(grouped))


# -- reading: what the outputs show ------------------------------------------------------------------


def dataset_of(store: Store, record_id: str) -> str | None:
    """The merged dataset a hidden record belongs to (its winner's id), None if it is published itself."""
    query = select(duplicate_members.c.dataset_id).where(duplicate_members.c.record_id == record_id)
    with store.engine.connect() as connection:
        found = connection.execute(query).scalar()
    return None if found is None or found == record_id else str(found)


def merged_datasets(store: Store, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The merged dataset of each of ``ids`` that is the winner of a group."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), _IN_BATCH):
        query = select(duplicate_members.c.record_id, duplicate_members.c.merged).where(
            duplicate_members.c.record_id.in_(ids[start : start + _IN_BATCH]),
            duplicate_members.c.merged.is_not(None),
        )
        with store.engine.connect() as connection:
            out.update({i: m for i, m in connection.execute(query) if m})
    return out


def merged_rows(store: Store, rows: Sequence[RecordRow]) -> list[RecordRow]:
    """``rows`` with each group winner's dataset replaced by the merged one (the others as they are)."""
    merged = merged_datasets(store, [r.id for r in rows])
    if not merged:
        return list(rows)
    # the title column stays the winner's own: it makes the dataset's URL slug, the same in every output
    return [replace(r, dataset=merged[r.id]) if r.id in merged else r for r in rows]


def merged_row(store: Store, row: RecordRow) -> RecordRow:
    return merged_rows(store, [row])[0]


def _last_seen() -> Any:
    """A live record's last sighting is at least its source's last complete harvest (as the store says)."""
    newer = and_(records.c.withdrawn.is_(False), sources.c.last_full_harvest_at > records.c.last_seen)
    return case((newer, sources.c.last_full_harvest_at), else_=records.c.last_seen)


def provenance(store: Store, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """For each published dataset id: every source that lists it — ``source``, ``original_identifier``,
    ``first_seen``, ``last_seen`` and ``winner`` (the record whose id and leading fields it shows)."""
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    dataset = duplicate_members.c.dataset_id
    columns = (
        records.c.id,
        func.coalesce(dataset, records.c.id).label("dataset"),
        sources.c.name,
        records.c.original_identifier,
        records.c.first_seen,
        _last_seen().label("last_seen"),
        records.c.withdrawn,
    )
    for start in range(0, len(ids), _IN_BATCH):
        chunk = ids[start : start + _IN_BATCH]
        in_group = select(duplicate_members.c.record_id).where(dataset.in_(chunk))
        query = (
            select(*columns)
            .join(sources, sources.c.id == records.c.source_id)
            .outerjoin(duplicate_members, duplicate_members.c.record_id == records.c.id)
            .where(records.c.id.in_(chunk) | records.c.id.in_(in_group))
            .order_by(records.c.first_seen, sources.c.name)
        )
        with store.engine.connect() as connection:
            for id_, ds, name, original, first, last, withdrawn in connection.execute(query):
                if ds in out and not (withdrawn and id_ != ds):
                    entry = {"source": name, "original_identifier": original, "first_seen": first, "last_seen": last}
                    out[ds].append(entry | {"winner": id_ == ds})
    return out


def search_docs(store: Store, ids: Sequence[str]) -> list[SearchDoc]:
    """The search documents of published records ``ids`` as stored, a group winner's with merged fields."""
    rows = [row for row in merged_rows(store, store.get_records(list(ids))) if not row.withdrawn]
    links = link_states_of(store, (row.dataset for row in rows))  # a broken link costs quality points
    return [doc_from_row(row, links) for row in rows]


def published_exports(store: Store, batch: Sequence[ExportRow]) -> list[ExportRow]:
    """A batch of data.json rows without the hidden records; a winner's row carries the merged dataset
    (converted here; with no precomputed problems, so the export checks and repairs it like any other)."""
    ids = [r.id for r in batch]
    hidden = unpublished(store, ids)
    merged = merged_datasets(store, [i for i in ids if i not in hidden])
    out: list[ExportRow] = []
    for row in batch:
        if row.id in hidden:
            continue
        if row.id in merged:
            body = orjson.dumps(dataset_to_datajson(Dataset.model_validate(merged[row.id])))
            row = replace(row, datajson=body, export_problems={})
        out.append(row)
    return out


def unpublished(store: Store, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` are merged into another record's dataset (hidden from every output)."""
    found: set[str] = set()
    with store.engine.connect() as connection:
        for start in range(0, len(ids), _IN_BATCH):
            query = HIDDEN.where(duplicate_members.c.record_id.in_(ids[start : start + _IN_BATCH]))
            found.update(i for (i,) in connection.execute(query))
    return found


def merged_away(store: Store) -> tuple[set[str], dict[str, dict[str, Any]]]:
    """Every hidden record's id, and every merged dataset by its winner's id (for a whole reindex)."""
    query = select(duplicate_members.c.record_id, duplicate_members.c.dataset_id, duplicate_members.c.merged)
    hidden: set[str] = set()
    merged: dict[str, dict[str, Any]] = {}
    with store.engine.connect() as connection:
        for record, dataset, value in connection.execute(query):
            if record != dataset:
                hidden.add(record)
            elif value:
                merged[record] = value
    return hidden, merged


def last_regrouped(store: Store) -> datetime | None:
    """When a merged dataset last changed (its members, winner or fields), for the outputs' ETags."""
    with store.engine.connect() as connection:
        found = connection.execute(select(func.max(duplicate_members.c.updated_at))).scalar()
    return found if isinstance(found, datetime) else None
