"""``nutmeg core`` and ``nutmeg usage``: mark core datasets and the organizations relying on them; export
usage per dataset and day as CSV, and send every recently used dataset's popularity to the search index.

Like the rest of the CLI, this module imports only click at the top; each command imports what it needs
when it runs (``catalog_api/cli.py`` registers these commands lazily, at its bottom).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click


@click.group()
def core() -> None:
    """Core datasets: the ones many agencies rely on (school locations, parcels, the budget)."""


@core.command("mark")
@click.argument("dataset_id")
@click.option("--used-by", "used_by", multiple=True, help="slug of an organization relying on it (repeatable)")
@click.option("--note", help="why it is core, for readers")
def core_mark(dataset_id: str, used_by: tuple[str, ...], note: str | None) -> None:
    """Mark DATASET_ID (an id or a page slug) as core; --used-by replaces the list of organizations."""
    from catalog_api.cli import CliError, out, services
    from index.annotations import refresh
    from index.core import mark_core
    from index.governance import OPERATOR, audit, get_organization
    from index.ids import id_from_slug
    from index.search.base import BackendUnavailable
    from index.store import NotFound

    with services() as built:
        try:
            record = built.store.get_record(id_from_slug(dataset_id) or dataset_id)
            for slug in used_by:
                get_organization(built.store, slug)
        except NotFound as exc:
            raise CliError(str(exc), "see `nutmeg org list`, or the dataset's id on its page") from exc
        now = datetime.now(UTC)
        row = mark_core(built.store, record.id, used_by, note, OPERATOR.label, now)
        changes: list[dict[str, object]] = [
            {"field": "core", "before": None, "after": True},
            {"field": "used_by", "before": None, "after": list(used_by)},
        ]
        audit(built.store, OPERATOR, "dataset.core", record.id, changes, now, record.id)
        try:
            refresh(built.store, built.index, [record.id])
        except BackendUnavailable:
            out.print("the search engine is unavailable; run `nutmeg usage refresh` when it is back")
    users = ", ".join(u.slug for u in row.used_by) or "no organization named yet"
    out.print(f"{record.title} ({record.id}) is a core dataset, used by {users}")


@core.command("unmark")
@click.argument("dataset_id")
def core_unmark(dataset_id: str) -> None:
    """DATASET_ID is no longer a core dataset."""
    from catalog_api.cli import CliError, out, services
    from index.annotations import refresh
    from index.core import unmark_core
    from index.governance import OPERATOR, audit
    from index.ids import id_from_slug

    record_id = id_from_slug(dataset_id) or dataset_id
    with services() as built:
        if not unmark_core(built.store, record_id):
            raise CliError(f"dataset {record_id} is not a core dataset", "see `nutmeg core list`")
        now = datetime.now(UTC)
        audit(
            built.store,
            OPERATOR,
            "dataset.uncore",
            record_id,
            [{"field": "core", "before": True, "after": False}],
            now,
            record_id,
        )
        refresh(built.store, built.index, [record_id])
    out.print(f"{record_id} is no longer a core dataset")


@core.command("list")
def core_list() -> None:
    """Every core dataset with the organizations relying on it, most relied on first."""
    from rich.table import Table

    from catalog_api.cli import opened_store, out
    from index.core import list_core

    with opened_store() as store:
        rows = list_core(store)
        titles = {r.id: r.title for r in store.get_records([row.dataset_id for row in rows])}
    if not rows:
        out.print("no core datasets yet; mark one with `nutmeg core mark ID --used-by ORG`")
        return
    table = Table("id", "title", "used by")
    for row in rows:
        table.add_row(row.dataset_id, titles.get(row.dataset_id, "(gone)"), ", ".join(u.slug for u in row.used_by))
    out.print(table)


@click.group()
def usage() -> None:
    """Usage counted per dataset and day: export it, refresh the popularity the index sorts by."""


@usage.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="first day (UTC), inclusive")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="last day (UTC), inclusive")
def usage_export(file: Path | None, since: datetime | None, until: datetime | None) -> None:
    """Write usage per dataset per day as CSV to FILE (default: standard output)."""
    from catalog_api.cli import opened_store
    from catalog_api.routes.usage import csv_lines
    from index.usage import daily_rows

    first: date | None = since.date() if since else None
    last: date | None = until.date() if until else None
    with opened_store() as store:
        lines = csv_lines(daily_rows(store, first, last))
        if file is None:
            for chunk in lines:
                sys.stdout.write(chunk)
            return
        with file.open("w", encoding="utf-8", newline="") as handle:
            for chunk in lines:
                handle.write(chunk)


@usage.command("refresh")
def usage_refresh() -> None:
    """Send the popularity and core flag of every dataset used in the last 31 days or marked core to the
    search index (servers do it after each flush and once a day; run it after an engine outage)."""
    from catalog_api.cli import CliError, out, services
    from index.annotations import refresh
    from index.core import core_ids
    from index.search.base import BackendUnavailable
    from index.usage import recently_used

    today = datetime.now(UTC).date()
    with services() as built:
        ids = sorted(set(recently_used(built.store, today)) | core_ids(built.store))
        try:
            sent = refresh(built.store, built.index, ids, today)
        except BackendUnavailable as exc:
            raise CliError(f"the search engine is unavailable: {exc}", "start it, then run this again") from exc
    out.print(f"sent the popularity and core flag of {sent:,} datasets to the {built.index.name} index")
