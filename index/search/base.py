"""The search backend interface every index implements, and the types it speaks.

Semantics shared by all backends (the conformance suite in ``tests/index/conformance.py`` checks them):

* ``text``: words are AND-ed; ``"a phrase"``, a trailing ``*`` for a prefix and ``-word`` to exclude
  are understood; title and keywords weigh more than the description.
* ``filters``: facet name → values; every value must match (AND, also within one facet, as CKAN's
  ``fq``), compared case-insensitively.
* facets: buckets of the exact (whitespace-collapsed) value, ordered by count then value; keywords are
  lower-cased when documents are built, so they group case-insensitively.
* sorts: ``relevance`` (score, then id), ``modified`` (newest first, undated last, then id), ``title``
  (A→Z case-insensitively, then id). ``after`` continues strictly after a hit's ``sort_key``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

FACETS: tuple[str, ...] = ("publisher", "keyword", "theme", "format", "license", "accessLevel", "source")
SORTS: tuple[str, ...] = ("relevance", "modified", "title")
Sort = Literal["relevance", "modified", "title"]
SortKey = tuple[Any, ...]


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
    bbox: tuple[float, float, float, float] | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)

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
class SearchQuery:
    text: str | None = None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    modified_since: datetime | None = None
    modified_before: datetime | None = None
    sort: Sort = "relevance"
    offset: int = 0
    limit: int = 20
    after: SortKey | None = None
    facets: tuple[str, ...] = FACETS
    facet_limit: int = 20


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


@dataclass(frozen=True, slots=True)
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetCount]]


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

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Around a harvest job: a backend may trade how soon other processes see writes for indexing
        speed while the job writes, and must make every write visible when the block ends."""
        yield
