"""What every harvester is: a declarative class that turns a source into RDF graphs, one per record.

A harvester yields :class:`HarvestedRecord` items (or :class:`SkippedRecord` for records it cannot use)
and fills in a :class:`HarvestRun` (whether the listing was complete, the new conditional-GET validators,
the incremental bookmark). It never touches the store or the index: the job runner decides what is new,
changed, unchanged or withdrawn. A record's graph is built lazily, so unchanged records (same content
hash as last time) cost only a parse and a hash.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import orjson
from rdflib import Graph
from rdflib.term import Node

from harvesters.bodydigest import BodyCheck
from harvesters.fieldcaps import FieldCaps
from harvesters.http import HttpClient, Validators
from mappings.model import RecordIssue

# Bump when a harvester's RDF output changes, so stored records are re-mapped on the next run.
MAPPING_VERSION = b"nutmeg-mapping-1"


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One kind-specific source option (shown by ``nutmeg source add --help``)."""

    name: str
    help: str
    multiple: bool = False
    required: bool = False


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """A registered source as a harvester sees it."""

    name: str
    kind: str
    url: str
    options: Mapping[str, Any] = field(default_factory=dict)
    federal: bool = False
    caps: FieldCaps = field(default_factory=FieldCaps)


@dataclass(frozen=True, slots=True)
class HarvestState:
    """What the previous successful run left behind."""

    validators: Validators | None = None
    bookmark: str | None = None
    full: bool = True
    body: BodyCheck | None = None  # the last complete harvest's body digest (harvesters/bodydigest.py)


@dataclass
class HarvestRun:
    """Filled in by the harvester while it runs; read by the job runner afterwards."""

    complete: bool = False
    not_modified: bool = False
    incremental: bool = False
    validators: Validators | None = None
    bookmark: str | None = None
    listed: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    body_digest: str | None = None  # the digest of the one body the whole listing came from, if it did
    same_body: bool = False  # that body is byte-for-byte the last complete harvest's: nothing was read


@dataclass(frozen=True, slots=True)
class Materialized:
    """A record as RDF: its graph, the dcat:Dataset node, and what was noticed while building it."""

    graph: Graph
    subject: Node
    issues: list[RecordIssue]


@dataclass(frozen=True, slots=True)
class HarvestedRecord:
    """One record from the source; ``build`` makes its graph only when the runner needs it."""

    identifier: str
    content_hash: str
    source_record: bytes
    build: Callable[[], Materialized]
    locator: str | None = None  # where in the source it was read (a WAF's file URL), when one record per place


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """A record the harvester could not use (no identifier, no title, a duplicate...)."""

    identifier: str | None
    message: str
    path: str = "$"
    code: str = "skipped"
    locator: str | None = None  # the place that could not be read: its earlier record is kept


HarvestItem = HarvestedRecord | SkippedRecord


class Harvester(ABC):
    """Base class: subclasses set the class attributes and implement :meth:`records`."""

    kind: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str] = ""
    option_specs: ClassVar[tuple[OptionSpec, ...]] = ()
    # True when every HarvestedRecord.build is picklable (a module-level function and plain data), so the
    # runner may build and map records in worker processes.
    parallel_safe: ClassVar[bool] = False

    def __init__(self, source: SourceConfig, http: HttpClient) -> None:
        self.source = source
        self.http = http

    @abstractmethod
    def records(self, state: HarvestState, run: HarvestRun) -> Iterator[HarvestItem]:
        """Yield the source's records; set ``run.complete`` once the whole listing was read."""


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON bytes (sorted keys) for hashing and storage."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def content_hash(data: bytes) -> str:
    """A short, stable hash of a record's canonical bytes (and of the mapping version)."""
    return hashlib.blake2b(data + MAPPING_VERSION, digest_size=16).hexdigest()
