"""The search backend interface every index implements, and the types it speaks.

Semantics shared by all backends (the conformance suite in ``tests/index/conformance.py`` checks them):

* ``text``: words are AND-ed; ``"a phrase"``, a trailing ``*`` for a prefix and ``-word`` to exclude
  are understood; title and keywords weigh more than the description.
* ``filters``: facet name → values; every value must match (AND, also within one facet, as CKAN's
  ``fq``), compared case-insensitively.
* facets: buckets of the exact (whitespace-collapsed) value, ordered by count then value. Keywords keep
  their published case: a keyword bucket groups the spellings that differ only in case (a document lists
  a keyword once, whatever its case) and shows the spelling most documents use (ties: the first in
  code-point order) — :func:`merge_spellings`.
* ``where``: a tree of clauses (:data:`Clause`) for what flat filters cannot say — CKAN's ``fq``: any-of,
  negation, date ranges on ``modified``/``created``/``changed`` (bounds optional, each inclusive or not;
  undated documents never match a range), words in chosen text fields, exact (case-sensitive) facet values
  and ids. It is AND-ed with ``text`` and ``filters``.
* ``bbox`` (west, south, east, north; ``west > east`` crosses the antimeridian): documents whose box
  intersects it (edges touching count); documents without a box never match.
* ``temporal_from``/``temporal_to``: documents whose coverage (start, end; either may be open) overlaps
  the closed interval; documents without coverage never match.
* ranking: a word found unstemmed in the title adds to the score (``parking`` ranks "Parking Meters"
  above "Parks"); identifiers and landing pages are searched too (weight 3).
* sorts: ``relevance`` (score, then id), ``modified`` (newest first, undated last, then id), ``title``
  (A→Z case-insensitively, then id), ``popular`` (``popularity`` highest first, then id). ``after``
  continues strictly after a hit's ``sort_key``.
* ``core``: ``True`` keeps only core datasets, ``False`` only the others, ``None`` both; a ``where``
  clause ``Match("core", "true")`` says the same. ``core`` and ``popularity`` are annotations the catalog
  keeps beside the record (``index/annotations.py``): :meth:`SearchBackend.annotate` changes them in
  batches without rewriting the documents' text.
* ``order``: any sequence of :data:`ORDER_FIELDS` ascending or descending (missing values last in either
  direction, ties by id ascending); it replaces ``sort`` and pages by ``offset`` only. ``name`` is a
  dataset page's slug (``slugify(title)-id``), ``created``/``changed`` when the catalog first saw the
  dataset and last saw it change.
* ``offset`` may be any number, past any engine's result window; past the end the page is empty.
* freshness and quality (:mod:`mappings.freshness`, :mod:`mappings.quality`): each document carries the
  instants it becomes due and stale (computed at index time) and its quality score. ``freshness``
  keeps documents in any of the given states at ``now`` (the query's clock, the current time when None):
  ``fresh`` before ``due_at``, ``due`` before ``stale_at``, ``stale`` after, ``unknown`` without them; the
  ``freshness`` facet counts the four states (empty ones left out) at ``now``. ``quality_min`` keeps scores at
  least that high (unscored documents never match); sort ``quality`` is highest first, unscored last, then
  id. ``averages`` asks for the mean quality per value of the named single-valued facets (``publisher``,
  ``source``) over the matching documents.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

FACETS: tuple[str, ...] = ("publisher", "keyword", "theme", "format", "license", "accessLevel", "source")
# facets computed at query time from index-time values (not stored as values)
DERIVED_FACETS: tuple[str, ...] = ("freshness",)
FRESHNESS_STATES: tuple[str, ...] = ("fresh", "due", "stale", "unknown")
GROUPED_FACETS: tuple[str, ...] = ("keyword",)  # buckets group spellings that differ only in case
SORTS: tuple[str, ...] = ("relevance", "modified", "title", "quality", "popular")
Sort = Literal["relevance", "modified", "title", "quality", "popular"]
SortKey = tuple[Any, ...]
ORDER_FIELDS: tuple[str, ...] = (
    "score",
    "id",
    "name",
    "title",
    "modified",
    "created",
    "changed",
    "quality",
    "popularity",
)
DATE_FIELDS: tuple[str, ...] = ("modified", "created", "changed")
TEXT_FIELDS: tuple[str, ...] = ("title", "description", "keyword", "publisher")
Box = tuple[float, float, float, float]  # west, south, east, north (degrees; west > east wraps)
Period = tuple[datetime | None, datetime | None]  # start, end (None: open)


class SearchError(Exception):
    """The query cannot be run as given (bad syntax, bad cursor)."""


class BackendUnavailable(Exception):
    """The search engine cannot be reached; the API answers 503."""


@dataclass(frozen=True, slots=True)
class SearchDoc:
    """One dataset as the search index holds it."""

    id: str
    title: str
    description: str
    keywords: tuple[str, ...]
    themes: tuple[str, ...]
    publisher: str | None
    formats: tuple[str, ...]
    license: str | None
    access_level: str | None
    source: str
    modified: datetime | None
    content_hash: str
    bbox: Box | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)
    temporal: Period | None = None
    identifiers: tuple[str, ...] = ()  # identifier, landing page: searchable words
    created: datetime | None = None  # when the catalog first saw the dataset
    changed: datetime | None = None  # when the catalog last saw it change
    # -- freshness and quality (issue 13): computed at index time, compared with "now" at query time
    due_at: datetime | None = None  # when an expected update is late (None: freshness unknown)
    stale_at: datetime | None = None  # when a second one is
    quality: int | None = None  # metadata quality score, 0-100
    # -- annotations (index/annotations.py): kept beside the record, changed by SearchBackend.annotate --
    core: bool = False  # an admin marked it as a core dataset
    popularity: int = 0  # page views and downloads in the last 30 days

    def date(self, name: str) -> datetime | None:
        """One of :data:`DATE_FIELDS`."""
        return {"modified": self.modified, "created": self.created, "changed": self.changed}[name]

    def facet_values(self, name: str) -> tuple[str, ...]:
        single = {
            "publisher": self.publisher,
            "license": self.license,
            "accessLevel": self.access_level,
            "source": self.source,
        }
        if name in single:
            value = single[name]
            return (value,) if value else ()
        return {"keyword": self.keywords, "theme": self.themes, "format": self.formats}[name]


@dataclass(frozen=True, slots=True)
class Match:
    """Documents with ``value`` in a facet (case-insensitively, or exactly with ``exact``), or with that ``id``."""

    field: str
    value: str
    exact: bool = False


@dataclass(frozen=True, slots=True)
class Range:
    """Documents whose date ``field`` (one of :data:`DATE_FIELDS`) lies between the bounds (``None``: open)."""

    field: str
    low: datetime | None = None
    high: datetime | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True


@dataclass(frozen=True, slots=True)
class Words:
    """Documents with every word of ``text`` (the search syntax of ``SearchQuery.text``) in ``fields``."""

    fields: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Not:
    clause: Clause


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Documents matching at least one clause (none: nothing)."""

    clauses: tuple[Clause, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    """Documents matching every clause (none: everything)."""

    clauses: tuple[Clause, ...]


Clause = Match | Range | Words | Not | AnyOf | AllOf


@dataclass(frozen=True, slots=True)
class OrderBy:
    field: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str | None = None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    modified_since: datetime | None = None
    modified_before: datetime | None = None
    bbox: Box | None = None
    temporal_from: datetime | None = None
    temporal_to: datetime | None = None
    sort: Sort = "relevance"
    offset: int = 0
    limit: int = 20
    after: SortKey | None = None
    facets: tuple[str, ...] = FACETS
    facet_limit: int = 20
    where: Clause | None = None
    order: tuple[OrderBy, ...] = ()
    core: bool | None = None  # True: core datasets only; False: the others only
    # -- freshness and quality (issue 13)
    freshness: tuple[str, ...] = ()  # any of these states at ``now``
    quality_min: int | None = None
    now: datetime | None = None  # the clock freshness is judged by (None: the current time)
    averages: tuple[str, ...] = ()  # mean quality per value of these single-valued facets

    def clock(self) -> datetime:
        return self.now if self.now is not None else datetime.now(UTC)

    @property
    def judged(self) -> bool:
        """Whether the query narrows by freshness or quality."""
        return bool(self.freshness) or self.quality_min is not None


MATCH_FIELDS: tuple[str, ...] = (*FACETS, "id", "core")  # ``core`` matches "true" or "false"


def check_where(clause: Clause | None) -> None:
    """Raise :class:`SearchError` for a clause naming a field no backend has."""
    if isinstance(clause, Match) and clause.field not in MATCH_FIELDS:
        raise SearchError(f"cannot match on {clause.field!r}; known: {', '.join(MATCH_FIELDS)}")
    if isinstance(clause, Match) and clause.field == "core" and clause.value.lower() not in ("true", "false"):
        raise SearchError(f"core is true or false, not {clause.value!r}")
    if isinstance(clause, Range) and clause.field not in DATE_FIELDS:
        raise SearchError(f"cannot range over {clause.field!r}; known: {', '.join(DATE_FIELDS)}")
    if isinstance(clause, Words) and not set(clause.fields) <= set(TEXT_FIELDS):
        raise SearchError(f"cannot search words in {clause.fields!r}; known: {', '.join(TEXT_FIELDS)}")
    if isinstance(clause, Not):
        check_where(clause.clause)
    if isinstance(clause, AnyOf | AllOf):
        for inner in clause.clauses:
            check_where(inner)


def check_order(order: Sequence[OrderBy]) -> None:
    unknown = [o.field for o in order if o.field not in ORDER_FIELDS]
    if unknown:
        raise SearchError(f"cannot order by {unknown[0]!r}; known: {', '.join(ORDER_FIELDS)}")


@dataclass(frozen=True, slots=True)
class Annotation:
    """What the catalog knows of a dataset beside its record, as the index holds it."""

    core: bool = False
    popularity: int = 0


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    score: float
    sort_key: SortKey
    summary: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FacetCount:
    value: str
    count: int


def merge_spellings(buckets: Iterable[FacetCount], limit: int) -> list[FacetCount]:
    """Buckets of exact values → buckets of values equal but for case, each shown in its most used spelling
    (ties: the first in code-point order), ordered by count then that spelling; the ``limit`` first."""
    groups: dict[str, list[FacetCount]] = {}
    for bucket in buckets:
        groups.setdefault(bucket.value.casefold(), []).append(bucket)
    merged = [
        FacetCount(min(group, key=lambda b: (-b.count, b.value)).value, sum(b.count for b in group))
        for group in groups.values()
    ]
    merged.sort(key=lambda b: (-b.count, b.value))
    return merged[:limit]


@dataclass(frozen=True, slots=True)
class Average:
    """The mean quality score of the documents with one facet value (``count`` of them scored)."""

    value: str
    count: int
    mean: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetCount]]
    averages: dict[str, list[Average]] = field(default_factory=dict)


def check_judged(query: SearchQuery) -> None:
    """Raise :class:`SearchError` for an unknown freshness state or averages facet."""
    unknown = [s for s in query.freshness if s not in FRESHNESS_STATES]
    if unknown:
        raise SearchError(f"unknown freshness {unknown[0]!r}; known: {', '.join(FRESHNESS_STATES)}")
    wrong = [f for f in query.averages if f not in AVERAGED_FACETS]
    if wrong:
        raise SearchError(f"cannot average quality by {wrong[0]!r}; known: {', '.join(AVERAGED_FACETS)}")


AVERAGED_FACETS: tuple[str, ...] = ("publisher", "source")


def freshness_counts(counts: Mapping[str, int]) -> list[FacetCount]:
    """The freshness facet's buckets: non-empty states by count, then in :data:`FRESHNESS_STATES` order."""
    found = [FacetCount(s, int(counts.get(s, 0))) for s in FRESHNESS_STATES if counts.get(s, 0)]
    return sorted(found, key=lambda b: (-b.count, FRESHNESS_STATES.index(b.value)))


@dataclass(frozen=True, slots=True)
class BackendHealth:
    ok: bool
    backend: str
    version: str | None = None
    detail: str | None = None
    documents: int | None = None


class SearchBackend(ABC):
    """Index, remove, search with facets, rebuild."""

    name: str

    @abstractmethod
    def index(self, docs: Sequence[SearchDoc]) -> None:
        """Add or replace documents (by id)."""

    @abstractmethod
    def remove(self, ids: Sequence[str]) -> None:
        """Remove documents; unknown ids are ignored."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResult: ...

    @abstractmethod
    def rebuild(self, docs: Iterable[SearchDoc]) -> int:
        """Replace the whole index with ``docs`` (searches keep working meanwhile); returns the count."""

    @abstractmethod
    def hashes(self) -> dict[str, str]:
        """id → content hash of every indexed document (to compare the index with the store)."""

    @abstractmethod
    def health(self) -> BackendHealth: ...

    @abstractmethod
    def annotate(self, values: Mapping[str, Annotation]) -> None:
        """Set the annotations of indexed documents by id (unknown ids are ignored): one batch, without
        rewriting the documents; a document indexed later takes the annotation its ``SearchDoc`` carries."""

    @abstractmethod
    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Titles and keywords starting with ``prefix`` (type-ahead)."""

    def version(self) -> Hashable | None:
        """A token that changes whenever what searches return may have changed, read cheaply and without
        waiting; None when the backend cannot tell (then nothing may be cached on it)."""
        return None

    def warm(self) -> None:  # noqa: B027 - optional hook
        """Load whatever the first search would otherwise load (called in the background at start)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def settle(self) -> bool:
        """Put back any setting a bulk load changes for its duration, left behind by a job that was killed
        (call it only when no job is running anywhere); True when something was put back."""
        return False

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Around a harvest job: a backend may trade how soon other processes see writes for indexing
        speed while the job writes, and must make every write visible when the block ends."""
        yield


def lon_ranges(box: Box) -> list[tuple[float, float]]:
    """A box's longitudes as one or two plain ranges (two when it crosses the antimeridian)."""
    west, _, east, _ = box
    return [(west, east)] if west <= east else [(west, 180.0), (-180.0, east)]


def intersects(a: Box, b: Box) -> bool:
    """Whether two boxes share a point (the reference semantics of the ``bbox`` filter)."""
    if a[1] > b[3] or b[1] > a[3]:
        return False
    return any(w1 <= e2 and w2 <= e1 for w1, e1 in lon_ranges(a) for w2, e2 in lon_ranges(b))


def overlaps(period: Period | None, start: datetime | None, end: datetime | None) -> bool:
    """Whether a coverage period overlaps the closed interval [start, end] (reference semantics)."""
    if period is None:
        return False
    begins, ends = period
    return (start is None or ends is None or ends >= start) and (end is None or begins is None or begins <= end)
