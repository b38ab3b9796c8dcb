"""Collections in the store: curated subject collections (Health and Human Services, Emergency
Management…) with owner organizations, a rule and datasets picked by hand.

A collection's members are never stored as a list. They are a ``where`` clause over the search index
(:func:`membership`): the rule (a saved search: words and facet filters, as ``/api/v1/datasets`` takes
them) OR-ed with the datasets included by hand, minus those excluded by hand. Every search, facet count,
page and export evaluates it against the index as it is now, so after any harvest, publication or
reindex the membership is the catalog's, with nothing to refresh and nothing to go stale.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from index.governance import is_slug
from index.search.base import FACETS, TEXT_FIELDS, AllOf, AnyOf, Clause, Match, Not, Words
from index.store import Conflict, NotFound, Store
from index.tables import collection_owners, collection_picks, collections, organizations

MAX_RULE_WORDS = 500  # the search API's own limit on q


@dataclass(frozen=True, slots=True)
class Rule:
    """A saved search: words (the search syntax of ``q``) and facet filters (every value must match)."""

    q: str | None = None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.q and self.q.strip()) and not any(self.filters.values())

    def as_json(self) -> dict[str, Any]:
        return {"q": self.q, "filters": {k: list(v) for k, v in self.filters.items() if v}}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Rule:
        filters = value.get("filters") or {}
        return cls(value.get("q"), {k: tuple(v) for k, v in filters.items()})


def check_rule(rule: Rule) -> Rule:
    """The rule with blank values dropped; ValueError naming what is wrong."""
    unknown = sorted(set(rule.filters) - set(FACETS))
    if unknown:
        raise ValueError(f"a rule cannot filter on {unknown[0]!r}; known: {', '.join(FACETS)}")
    q = rule.q.strip() if rule.q else None
    if q and len(q) > MAX_RULE_WORDS:
        raise ValueError(f"a rule's words are at most {MAX_RULE_WORDS} characters")
    filters = {k: tuple(v.strip() for v in vs if v.strip()) for k, vs in rule.filters.items()}
    return Rule(q or None, {k: v for k, v in filters.items() if v})


@dataclass(frozen=True, slots=True)
class CollectionRow:
    id: int
    slug: str
    title: str
    description: str | None
    rule: Rule
    featured: bool
    owners: tuple[str, ...]  # organization slugs
    owner_ids: tuple[int, ...]
    included: tuple[str, ...]  # record ids picked by hand
    excluded: tuple[str, ...]  # record ids left out even when the rule matches
    created_at: datetime
    updated_at: datetime


def membership(collection: CollectionRow) -> Clause:
    """The ``where`` clause of the collection's members (see the module docstring)."""
    parts: list[Clause] = []
    if collection.rule.q:
        parts.append(Words(TEXT_FIELDS, collection.rule.q))
    parts.extend(Match(name, value) for name, values in collection.rule.filters.items() for value in values)
    by_rule: Clause = AllOf(tuple(parts)) if parts else AnyOf(())  # no rule: only what is picked by hand
    members: Clause = AnyOf((by_rule, *(Match("id", i) for i in collection.included)))
    if collection.excluded:
        members = AllOf((members, Not(AnyOf(tuple(Match("id", i) for i in collection.excluded)))))
    return members


# -- reading ---------------------------------------------------------------------------------------


def list_collections(store: Store, *, featured: bool | None = None) -> list[CollectionRow]:
    query = select(collections).order_by(collections.c.title, collections.c.slug)
    if featured is not None:
        query = query.where(collections.c.featured.is_(featured))
    with store.engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
        owners = connection.execute(
            select(collection_owners.c.collection_id, organizations.c.id, organizations.c.slug)
            .join(organizations, organizations.c.id == collection_owners.c.organization_id)
            .order_by(organizations.c.slug)
        ).all()
        picks = connection.execute(select(collection_picks).order_by(collection_picks.c.record_id)).all()
    return [_collection(r, owners, picks) for r in rows]


def get_collection(store: Store, slug: str) -> CollectionRow:
    found = next((c for c in list_collections(store) if c.slug == slug), None)
    if found is None:
        raise NotFound(f"no collection {slug!r}")
    return found


def stamp(store: Store) -> tuple[int, datetime | None]:
    """Changes whenever any collection is added, changed or removed (cached answers depend on it)."""
    with store.engine.connect() as connection:
        count, newest = connection.execute(select(func.count(), func.max(collections.c.updated_at))).one()
    return int(count), newest


class KnownCollections:
    """The collections as searches need them on every request: read from the store at most once every
    ``ttl`` seconds (a change made through another process shows within that), and at once after
    :meth:`forget` (a change made through this one)."""

    def __init__(self, store: Store, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._read_at = -math.inf
        self._stamp: tuple[int, datetime | None] = (0, None)
        self._rows: list[CollectionRow] = []

    def rows(self) -> list[CollectionRow]:
        return self._current()[1]

    def version(self) -> tuple[int, datetime | None]:
        """Changes whenever the collections do (part of the search answer cache's version)."""
        return self._current()[0]

    def forget(self) -> None:
        with self._lock:
            self._read_at = -math.inf

    def _current(self) -> tuple[tuple[int, datetime | None], list[CollectionRow]]:
        with self._lock:
            now = self._clock()
            if now - self._read_at >= self._ttl:
                current = stamp(self._store)
                if current != self._stamp or self._read_at == -math.inf:
                    self._rows = list_collections(self._store) if current[0] else []
                    self._stamp = current
                self._read_at = now
            return self._stamp, self._rows


def _collection(row: RowMapping, owners: Iterable[Any], picks: Iterable[Any]) -> CollectionRow:
    own = [(org_id, slug) for cid, org_id, slug in owners if cid == row["id"]]
    mine = [(record_id, included) for cid, record_id, included in picks if cid == row["id"]]
    return CollectionRow(
        id=row["id"],
        slug=row["slug"],
        title=row["title"],
        description=row["description"],
        rule=Rule.from_json(row["rule"]),
        featured=bool(row["featured"]),
        owners=tuple(slug for _, slug in own),
        owner_ids=tuple(org_id for org_id, _ in own),
        included=tuple(r for r, inc in mine if inc),
        excluded=tuple(r for r, inc in mine if not inc),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


# -- writing ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewCollection:
    slug: str
    title: str
    description: str | None = None
    rule: Rule = field(default_factory=Rule)
    featured: bool = False
    owners: tuple[int, ...] = ()  # organization ids


def add_collection(store: Store, new: NewCollection, now: datetime) -> CollectionRow:
    if not is_slug(new.slug):
        raise ValueError(f"{new.slug!r} is not a slug: use lower-case letters, digits and hyphens (public-health)")
    if not new.title.strip():
        raise ValueError("a collection needs a title")
    values = {
        "slug": new.slug,
        "title": new.title.strip(),
        "description": new.description,
        "rule": check_rule(new.rule).as_json(),
        "featured": new.featured,
        "created_at": now,
        "updated_at": now,
    }
    try:
        with store.engine.begin() as connection:
            key = connection.execute(insert(collections).values(**values)).inserted_primary_key
            assert key is not None
            _set_owners(connection, key[0], new.owners)
    except IntegrityError as exc:
        raise Conflict(f"a collection with the slug {new.slug!r} already exists") from exc
    return get_collection(store, new.slug)


def update_collection(
    store: Store, slug: str, now: datetime, *, owners: Sequence[int] | None = None, **values: Any
) -> CollectionRow:
    """Change the fields given (title, description, rule, featured) and, when given, the owners."""
    unknown = set(values) - {"title", "description", "rule", "featured"}
    if unknown:
        raise ValueError(f"not collection fields: {sorted(unknown)}")
    if "rule" in values:
        values["rule"] = check_rule(values["rule"]).as_json()
    if "title" in values and not str(values["title"]).strip():
        raise ValueError("a collection needs a title")
    found = get_collection(store, slug)
    with store.engine.begin() as connection:
        connection.execute(update(collections).where(collections.c.id == found.id).values(**values, updated_at=now))
        if owners is not None:
            connection.execute(delete(collection_owners).where(collection_owners.c.collection_id == found.id))
            _set_owners(connection, found.id, owners)
    return get_collection(store, slug)


def pick(store: Store, slug: str, record_ids: Sequence[str], included: bool | None, now: datetime) -> CollectionRow:
    """Include (True) or exclude (False) datasets by hand, or forget the pick (None: the rule decides)."""
    found = get_collection(store, slug)
    with store.engine.begin() as connection:
        connection.execute(
            delete(collection_picks).where(
                collection_picks.c.collection_id == found.id, collection_picks.c.record_id.in_(list(record_ids))
            )
        )
        if included is not None and record_ids:
            rows = [
                {"collection_id": found.id, "record_id": r, "included": included} for r in dict.fromkeys(record_ids)
            ]
            connection.execute(insert(collection_picks), rows)
        connection.execute(update(collections).where(collections.c.id == found.id).values(updated_at=now))
    return get_collection(store, slug)


def remove_collection(store: Store, slug: str) -> None:
    found = get_collection(store, slug)
    with store.engine.begin() as connection:
        connection.execute(delete(collection_picks).where(collection_picks.c.collection_id == found.id))
        connection.execute(delete(collection_owners).where(collection_owners.c.collection_id == found.id))
        connection.execute(delete(collections).where(collections.c.id == found.id))


def _set_owners(connection: Any, collection_id: int, owners: Iterable[int]) -> None:
    rows = [{"collection_id": collection_id, "organization_id": o} for o in dict.fromkeys(owners)]
    if rows:
        connection.execute(insert(collection_owners), rows)
