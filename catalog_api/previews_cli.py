"""``nutmeg check previews``: fetch and profile the data files behind distributions now.

Like the rest of the CLI, this module imports only click at the top; the command imports the store,
frictionless and the HTTP client when it runs (``catalog_api/cli.py`` registers it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click


@click.command("previews")
@click.option("--source", "source_name", metavar="NAME", help="only the datasets of this source")
def previews(source_name: str | None) -> None:
    """Preview the CSV, TSV, XLSX, JSON and GeoJSON files of the live datasets: fetch each once (again
    only when it changed), profile its columns, types, rows and errors, keep the first rows."""
    from catalog_api.cli import CliError, load_settings, opened_store, out
    from catalog_api.previews import run_previews
    from catalog_api.runtime import lower_priority
    from index.store import NotFound

    settings = load_settings()
    lower_priority(settings.harvest_nice)
    started = time.monotonic()
    with opened_store(settings) as store, _progress() as update:
        try:
            report = run_previews(store, settings, source=source_name, progress=update)
        except NotFound as exc:
            raise CliError(str(exc), "see `nutmeg source list`") from exc
    seconds = time.monotonic() - started
    out.print(
        f"previews: {report.total} data file(s) in {seconds:.1f} s — fetched {report.fetched}, "
        f"unchanged {report.unchanged}, failed {report.failed}, removed {report.removed}"
    )
    if report.failed:
        out.print(
            "  each failure's reason is on its dataset's page and at /api/v1/datasets/{id}/distributions/{n}/preview"
        )


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from catalog_api.cli import console

    columns = (TextColumn("[bold]previews"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("previews", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update
