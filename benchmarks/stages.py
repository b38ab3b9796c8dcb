"""Where each harvested record's time goes: the harvest pipeline split into its stages, per record.

    python -m benchmarks.stages                 # 100,000 datasets
    python -m benchmarks.stages --count 10000   # quicker
    python -m benchmarks.stages --count 10000 --against-reference   # before/after #16, at the same load

Each stage runs over every record of the synthetic catalog (``benchmarks.synth``) in one process, one
stage at a time, with the same functions the harvest runs (so nothing here is a model of the pipeline):

* parse — the streamed ijson read of the data.json body (``JsonByteStream`` + ``ijson.items``);
* hash — field caps, canonical JSON bytes and the content hash (all an unchanged record costs);
* validate — the record against its source schema (Project Open Data 1.1, compiled once);
* RDF graph — the record's DCAT graph through the DCAT-US ↔ DCAT tables;
* mapping — graph → model (``dataset_from_graph``);
* outputs — model → stored JSON, data.json form, data.gov's schema check, search document;
* store write — ``Store.write_records`` in the runner's batches;
* matching — cross-source duplicate matching of each batch (``index.duplicates.regroup``: its keys
  written and looked up; one source here, so no duplicates: the cost every record pays);
* index write — ``EmbeddedIndex.index`` and ``Store.mark_indexed`` in the runner's batches.

The garbage collector is tuned as a harvest tunes it (``fewer_collections``). The floor is a bare
``orjson.loads`` of the same file. Stages are CPU time of one core; the harvest spreads validate →
outputs over worker processes, so its wall time per record is less than the sum.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ijson
import orjson

from benchmarks.run import OUT
from benchmarks.synth import write_catalog

BATCH = 500  # records a store/index transaction (NUTMEG_HARVEST_BATCH)
SLICE = 10_000  # records taken through the stages at a time


def timed(stages: dict[str, float], name: str, work: Callable[[], Any]) -> Any:
    started = time.process_time()
    result = work()
    stages[name] = stages.get(name, 0.0) + time.process_time() - started
    return result


def _parse(path: Path) -> Iterator[dict[str, Any]]:
    """The records the harvester keeps (a title, an identifier, its first use), streamed as it reads."""
    from harvesters.datajson import _identifier, _text
    from harvesters.jsonstream import JsonByteStream

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as body:
            while chunk := body.read(1 << 16):
                yield chunk

    seen: set[str] = set()
    for raw in ijson.items(JsonByteStream(chunks()), "dataset.item", use_float=True):
        identifier = _identifier(raw)
        if identifier is not None and identifier not in seen and _text(raw.get("title")):
            seen.add(identifier)
            yield raw


def measure(path: Path, work: Path) -> tuple[int, dict[str, float], float]:
    """Per-stage CPU seconds over every record of ``path`` (in slices of ``SLICE``, so memory stays
    flat), the record count, and the floor."""
    from index.search.embedded import EmbeddedIndex
    from index.store import NewSource, Store

    stages: dict[str, float] = {}
    started = time.process_time()
    orjson.loads(path.read_bytes())
    floor = time.process_time() - started
    store = Store(f"sqlite:///{work}/stages.db")
    store.migrate()
    source = store.add_source(NewSource("bench", "datajson", "http://127.0.0.1/data.json"), datetime.now(UTC))
    index = EmbeddedIndex(work / "stages.idx")
    records = _parse(path)
    count = 0
    while raws := timed(stages, "parse", lambda: list(itertools.islice(records, SLICE))):
        prepared = _prepare(stages, raws, count)
        _write(stages, prepared, store, index, source.id)
        count += len(raws)
    index.close()
    store.close()
    return count, stages, floor


def _prepare(stages: dict[str, float], raws: list[dict[str, Any]], first: int) -> list[Any]:
    from harvesters.base import content_hash
    from harvesters.datajson import capped_json, materialize
    from harvesters.datajson_forms import unmapped_fields
    from harvesters.fieldcaps import FieldCaps
    from mappings.rdf_model import dataset_from_graph
    from mappings.validation import Profile, validate

    caps = FieldCaps()
    encoded = timed(stages, "hash", lambda: [capped_json(r, caps) for r in raws])
    capped = [record for record, _, _ in encoded]
    hashed = timed(stages, "hash", lambda: [(d, content_hash(d)) for _, _, d in encoded])
    issues = timed(stages, "validate", lambda: [validate(r, Profile.NON_FEDERAL) for r in capped])
    built = timed(
        stages,
        "RDF graph",
        lambda: [materialize(r, [*i, *unmapped_fields(r)], None) for r, i in zip(capped, issues, strict=True)],
    )
    datasets = timed(stages, "mapping", lambda: [dataset_from_graph(m.graph, m.subject) for m in built])
    return timed(stages, "outputs", lambda: _outputs(datasets, hashed, first))  # type: ignore[no-any-return]


def _outputs(datasets: list[Any], hashed: list[tuple[bytes, str]], first: int) -> list[Any]:
    from catalog_api.preparing import PrepareContext, prepared_record
    from mappings.validation import Profile

    ctx = PrepareContext("bench", 1, "State of Example", Profile.NON_FEDERAL)
    return [
        prepared_record(
            dataset, ctx, rid=f"r{n}", identifier=f"r{n}", content_hash=h, source_record=d, issues=[], existed=False
        )
        for n, (dataset, (d, h)) in enumerate(zip(datasets, hashed, strict=True), first)
    ]


def _write(stages: dict[str, float], prepared: list[Any], store: Any, index: Any, source_id: int) -> None:
    from index.duplicates import Policy, Written, regroup

    now = datetime.now(UTC)
    writes = [p.write.__class__(**{**_fields(p.write), "source_id": source_id}) for p in prepared]
    for start in range(0, len(prepared), BATCH):
        chunk = writes[start : start + BATCH]
        timed(stages, "store write", lambda c=chunk: store.write_records(c, [], now))  # type: ignore[misc]
        keys = [getattr(p, "keys", None) for p in prepared[start : start + BATCH]]  # the reference has none
        written = [Written(w.id, w.source_id, w.dataset, k) for w, k in zip(chunk, keys, strict=True)]
        timed(stages, "matching", lambda w=written: regroup(store, w, [], Policy(), now))  # type: ignore[misc]
    with index.bulk_load():
        for start in range(0, len(prepared), BATCH):
            docs = [p.doc for p in prepared[start : start + BATCH]]
            timed(stages, "index write", lambda d=docs: index.index(d))  # type: ignore[misc]
            marks = [(d.id, d.content_hash) for d in docs]
            timed(stages, "index write", lambda m=marks: store.mark_indexed(m))  # type: ignore[misc]


def _fields(write: Any) -> dict[str, Any]:
    return {name: getattr(write, name) for name in write.__dataclass_fields__}


def table(count: int, stages: dict[str, float], floor: float) -> str:
    total = sum(stages.values())
    lines = [
        f"{'stage':<14}{'µs/record':>11}{'share':>8}",
        *(f"{name:<14}{seconds / count * 1e6:>11.1f}{seconds / total:>8.0%}" for name, seconds in stages.items()),
        f"{'total':<14}{total / count * 1e6:>11.1f}{1:>8.0%}   = {count / total:,.0f} records/s on one core",
        f"{'floor':<14}{floor / count * 1e6:>11.1f}{'':>8}   (orjson.loads of the whole file)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument(
        "--against-reference",
        action="store_true",
        help="also the pipeline before issue #16 (tests/support/reference.py), interleaved, best of 2 each",
    )
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    catalog = OUT / f"catalog-{args.count}.json"
    if not catalog.exists():
        write_catalog(catalog, args.count)
    if args.against_reference:
        return _against_reference(catalog)
    count, stages, floor = _run(catalog)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {count:,} records; CPU time per record")
    print(table(count, stages, floor))


def _run(catalog: Path) -> tuple[int, dict[str, float], float]:
    from catalog_api.harvesting import fewer_collections

    with tempfile.TemporaryDirectory(prefix="nutmeg-stages-") as folder, fewer_collections():
        return measure(catalog, Path(folder))


def _against_reference(catalog: Path) -> None:
    """The same table for the reference pipeline and today's, taken in turns at the same load."""
    import pytest

    from tests.support.reference import reference_pipeline

    runs: dict[str, list[tuple[int, dict[str, float], float]]] = {"reference (before #16)": [], "today": []}
    for _ in range(2):
        with pytest.MonkeyPatch.context() as patch, reference_pipeline(patch):
            runs["reference (before #16)"].append(_run(catalog))
        runs["today"].append(_run(catalog))
    for name, taken in runs.items():
        best = {stage: min(t[1][stage] for t in taken) for stage in taken[0][1]}
        print(f"-- {name}: best of 2 per stage; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(table(taken[0][0], best, min(t[2] for t in taken)))


if __name__ == "__main__":
    main()
