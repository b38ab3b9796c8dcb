"""The open-data census: where the state stands on a checklist of critical datasets.

The checklist (``catalog_api/census.toml``, or the operator's file in ``NUTMEG_CENSUS_CHECKLIST``) names
items — budget, spending, crime… — each matched by rule to the catalog: any of its saved searches (``q``,
the search API's words) AND its facet filters, evaluated against the live index like a collection's rule.
Each matched dataset is judged on four criteria (``mappings.openness``): machine-readable, open licence,
bulk download, up to date (modified within the item's ``max_age_days``).

Scores: an item earns 1 point for being available (any dataset matches) and 1 for each criterion its best
dataset passes (the one passing most; ties: the most recently modified), so 0–5 points, shown as 0–100.
The overall score is the mean of the items' scores. At most :data:`MAX_JUDGED` matches of an item, the
most recently modified, are judged.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from catalog_api.services import Services
from index.search.base import FACETS, TEXT_FIELDS, AllOf, AnyOf, Clause, Match, SearchQuery, Words
from mappings.model import Dataset
from mappings.openness import CRITERIA, Openness, openness

MAX_JUDGED = 200
POINTS = 1 + len(CRITERIA)


class CensusItem(BaseModel):
    """One critical dataset of the checklist."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100)
    title: str = Field(min_length=1)
    description: str = ""
    q: tuple[str, ...] = Field(min_length=1, description="saved searches; a dataset matching any of them matches")
    filters: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    max_age_days: int = Field(365, ge=1)

    def clause(self) -> Clause:
        """The item's rule as a ``where`` clause over the index."""
        words = AnyOf(tuple(Words(TEXT_FIELDS, q) for q in self.q if q.strip()))
        matches = tuple(Match(k, v) for k, values in self.filters.items() for v in values)
        return AllOf((words, *matches))


class Checklist(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: list[CensusItem] = Field(min_length=1)


class ChecklistError(ValueError):
    """The checklist file cannot be read or is not a checklist (the message names the file and the field)."""


def load_checklist(path: str | None) -> list[CensusItem]:
    """The operator's checklist file, or the bundled one."""
    where = path or "catalog_api/census.toml (bundled)"
    try:
        text = Path(path).read_text("utf-8") if path else (resources.files("catalog_api") / "census.toml").read_text()
        items = Checklist.model_validate(tomllib.loads(text)).item
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ChecklistError(f"census checklist {where}: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"])
        raise ChecklistError(f"census checklist {where}: {place}: {first['msg']}") from exc
    for item in items:
        unknown = sorted(set(item.filters) - set(FACETS))
        if unknown:
            raise ChecklistError(
                f"census checklist {where}: item {item.key!r} filters on {unknown[0]!r}; known: {', '.join(FACETS)}"
            )
    keys = [i.key for i in items]
    if len(set(keys)) != len(keys):
        raise ChecklistError(f"census checklist {where}: item keys must be unique")
    return items


@dataclass(frozen=True, slots=True)
class Judged:
    """One matched dataset and how open it is."""

    id: str
    title: str
    modified: datetime | None
    openness: Openness


@dataclass(frozen=True, slots=True)
class ItemStanding:
    item: CensusItem
    matches: int  # how many datasets match the rule
    judged: list[Judged]  # best first
    points: int

    @property
    def best(self) -> Judged | None:
        return self.judged[0] if self.judged else None

    @property
    def score(self) -> int:
        return round(100 * self.points / POINTS)


@dataclass(frozen=True, slots=True)
class Standing:
    items: list[ItemStanding]
    checked_at: datetime

    @property
    def score(self) -> int:
        return round(sum(100 * i.points / POINTS for i in self.items) / len(self.items)) if self.items else 0

    @property
    def available(self) -> int:
        return sum(1 for i in self.items if i.matches)


def take_census(services: Services, now: datetime) -> Standing:
    items = load_checklist(services.settings.census_checklist)
    return Standing([stand(services, item, now) for item in items], now)


def stand(services: Services, item: CensusItem, now: datetime) -> ItemStanding:
    query = SearchQuery(where=item.clause(), sort="modified", limit=MAX_JUDGED, facets=())
    result = services.index.search(query)
    rows = {r.id: r for r in services.store.get_records([h.id for h in result.hits])}
    max_age = timedelta(days=item.max_age_days)
    judged = []
    for hit in result.hits:
        row = rows.get(hit.id)
        if row is not None and not row.withdrawn:
            dataset = Dataset.model_validate(row.dataset)
            judged.append(Judged(row.id, row.title, row.modified_at, openness(dataset, now, max_age)))
    judged.sort(key=lambda j: (-j.openness.passed, -(j.modified.timestamp() if j.modified else 0.0), j.id))
    points = (1 + judged[0].openness.passed) if judged else 0
    return ItemStanding(item, result.total, judged, points)
