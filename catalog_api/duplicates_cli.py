"""``nutmeg duplicates``: see and undo the merging of one dataset listed by several sources.

Imports only click at the top (the CLI stays fast); each command imports what it needs when it runs.
"""

from __future__ import annotations

import click


@click.group()
def duplicates() -> None:
    """Datasets listed by several sources, shown once (see docs/duplicates.md)."""


@duplicates.command("split")
@click.argument("dataset")
@click.option("--source", required=True, help="the source whose record is not the same dataset")
@click.option("--identifier", required=True, help="that record's identifier in its source (as provenance lists it)")
def duplicates_split(dataset: str, source: str, identifier: str) -> None:
    """Take the record SOURCE lists as IDENTIFIER out of merged DATASET, for good (re-harvests keep it out)."""
    from catalog_api.cli import CliError, out, services
    from catalog_api.merging import require_member, split_record
    from index.governance import OPERATOR
    from index.ids import id_from_slug
    from index.store import NotFound

    with services() as built:
        try:
            merged = require_member(built, id_from_slug(dataset) or dataset)
            result = split_record(built, merged, source, identifier, OPERATOR)
        except NotFound as exc:
            raise CliError(
                str(exc), f"`curl {built.settings.base_url}/api/v1/datasets/{dataset}` lists its sources"
            ) from exc
    out.print(f"split {source}'s record {result.record_id} out of {result.dataset_id} ({len(result.remaining)} left)")


@duplicates.command("match")
def duplicates_match() -> None:
    """Match every live record against the other sources (after upgrading a store, or changing the
    NUTMEG_DUPLICATE_* settings); harvests match the records they write by themselves."""
    from rich.progress import Progress

    from catalog_api.cli import console, out, services
    from catalog_api.merging import match_all

    with services() as built:
        total = built.store.live_count()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("matching", total=total)
            count = match_all(built, lambda n: progress.update(task, completed=n))
    out.print(f"matched {count:,} records")
