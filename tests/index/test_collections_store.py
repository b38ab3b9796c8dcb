"""Collections in the store, on SQLite and on a real PostgreSQL server: definitions, owners, picks by
hand, the stamp cached answers key on, and the membership clause."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from index.collections import (
    KnownCollections,
    NewCollection,
    Rule,
    add_collection,
    get_collection,
    list_collections,
    membership,
    pick,
    remove_collection,
    stamp,
    update_collection,
)
from index.governance import NewOrganization, add_organization
from index.search.base import TEXT_FIELDS, AllOf, AnyOf, Match, Not, Words
from index.store import Conflict, NotFound, Store

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path}/store.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    opened = Store(url)
    opened.migrate()
    yield opened
    opened.close()


def test_a_collection_lives_and_dies(store: Store) -> None:
    health = add_organization(store, NewOrganization("health", "Health"), T0)
    dot = add_organization(store, NewOrganization("dot", "Transportation"), T0)
    rule = Rule("hospital beds", {"keyword": ("health", " "), "theme": ()})
    added = add_collection(store, NewCollection("hhs", "  HHS ", "d", rule, owners=(health.id, dot.id)), T0)
    assert (added.title, added.owners, added.owner_ids) == ("HHS", ("dot", "health"), (dot.id, health.id))
    assert added.rule == Rule("hospital beds", {"keyword": ("health",)})  # blanks dropped
    with pytest.raises(Conflict):
        add_collection(store, NewCollection("hhs", "Again"), T0)
    with pytest.raises(ValueError, match="not a slug"):
        add_collection(store, NewCollection("Not A Slug", "X"), T0)
    with pytest.raises(ValueError, match="colour"):
        add_collection(store, NewCollection("x", "X", rule=Rule(filters={"colour": ("red",)})), T0)
    before = stamp(store)
    picked = pick(store, "hhs", ["r1", "r2", "r1"], True, T0 + timedelta(seconds=1))
    picked = pick(store, "hhs", ["r3"], False, T0 + timedelta(seconds=2))
    assert (picked.included, picked.excluded) == (("r1", "r2"), ("r3",))
    assert stamp(store) != before
    picked = pick(store, "hhs", ["r2"], None, T0 + timedelta(seconds=3))
    assert picked.included == ("r1",)
    changed = update_collection(store, "hhs", T0 + timedelta(seconds=4), owners=[health.id], featured=True)
    assert (changed.owners, changed.featured) == (("health",), True)
    assert [c.slug for c in list_collections(store, featured=True)] == ["hhs"]
    assert membership(changed) == AllOf(
        (
            AnyOf(
                (
                    AllOf((Words(TEXT_FIELDS, "hospital beds"), Match("keyword", "health"))),
                    Match("id", "r1"),
                )
            ),
            Not(AnyOf((Match("id", "r3"),))),
        )
    )
    count = stamp(store)[0]
    remove_collection(store, "hhs")
    assert stamp(store)[0] == count - 1
    with pytest.raises(NotFound):
        get_collection(store, "hhs")


def test_without_a_rule_only_picks_are_members(store: Store) -> None:
    added = add_collection(store, NewCollection("picked", "Picked"), T0)
    assert membership(added) == AnyOf((AnyOf(()),))


def test_searches_see_a_change_from_another_process_within_the_ttl(store: Store) -> None:
    now = [100.0]
    known = KnownCollections(store, ttl=1.0, clock=lambda: now[0])
    assert known.rows() == []
    add_collection(store, NewCollection("hhs", "HHS"), T0)  # as the CLI would, behind this process's back
    now[0] += 0.9
    assert known.rows() == []  # read less than a TTL ago
    now[0] += 0.2
    assert [c.slug for c in known.rows()] == ["hhs"]
    first = known.version()
    update_collection(store, "hhs", T0 + timedelta(seconds=1), title="Health")
    known.forget()  # a write through this process
    assert known.rows()[0].title == "Health"
    assert known.version() != first
