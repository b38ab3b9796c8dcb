"""What the search index holds beside a record's own text: whether it is a core dataset and its popularity.

The store is the system of record for both (``index/core.py``, ``index/usage.py``). They reach the index
two ways:

* every document written to the index carries them (:func:`annotated`), so a harvest, a publish or a
  reindex never resets them;
* when they change without the record changing — an admin marks a dataset core, a batch of usage counts
  is flushed, a day passes and old views leave the 30-day window — :func:`refresh` sends just those
  documents' annotations to the index in one batch (:meth:`SearchBackend.annotate`), never a view at a
  time and never rewriting the documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from index.core import core_ids
from index.search.base import Annotation, SearchBackend, SearchDoc
from index.store import Store
from index.usage import popularity


def today() -> date:
    return datetime.now(UTC).date()


def annotations_for(store: Store, ids: Sequence[str], day: date | None = None) -> dict[str, Annotation]:
    """The annotations of each of ``ids`` (the default one for those without any)."""
    wanted = list(dict.fromkeys(ids))
    core = core_ids(store, wanted) if wanted else set()
    popular = popularity(store, wanted, day or today())
    return {i: Annotation(i in core, popular.get(i, 0)) for i in wanted}


def annotated(store: Store, docs: Sequence[SearchDoc]) -> list[SearchDoc]:
    """``docs`` with their current annotations (one query of each kind per batch)."""
    found = annotations_for(store, [d.id for d in docs])
    return [replace(d, core=found[d.id].core, popularity=found[d.id].popularity) for d in docs]


def refresh(store: Store, index: SearchBackend, ids: Sequence[str], day: date | None = None) -> int:
    """Send the current annotations of ``ids`` to the index, in batches; returns how many were sent."""
    wanted = list(dict.fromkeys(ids))
    for start in range(0, len(wanted), 1000):
        index.annotate(annotations_for(store, wanted[start : start + 1000], day))
    return len(wanted)
