"""``nutmeg check links``: check every distribution's downloadURL and accessURL now.

Like the rest of the CLI, this module imports only click at the top; the command imports the store and the
checker when it runs (``catalog_api/cli.py`` registers it under ``nutmeg check``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from catalog_api.linkcheck.runner import LinkCheckReport
    from catalog_api.settings import Settings
    from index.store import Store

SHOWN = 20  # broken links listed after a run


@click.command("links")
@click.option("--source", "source_name", metavar="NAME", help="only the links of this source's datasets")
@click.option(
    "--due", is_flag=True, help="only links not checked within NUTMEG_LINK_CHECK_INTERVAL (what the worker does)"
)
def links(source_name: str | None, due: bool) -> None:
    """Check the downloadURL and accessURL of every live dataset now (or of one source's): HEAD, or a
    ranged GET where HEAD is refused, politely (robots.txt, per-host limits and delay), and keep each
    link's state (ok, redirected, broken, unchecked) and history."""
    from catalog_api.cli import CliError, load_settings, opened_store
    from catalog_api.linkcheck.runner import run_link_checks
    from catalog_api.runtime import lower_priority
    from index.store import Conflict, NotFound

    settings = load_settings()
    lower_priority(settings.harvest_nice)
    with opened_store(settings) as store:
        started = time.monotonic()
        with _progress() as update:
            try:
                report = run_link_checks(store, settings, source=source_name, due_only=due, progress=update)
            except NotFound as exc:
                raise CliError(str(exc), "see `nutmeg source list`") from exc
            except Conflict as exc:
                raise CliError(str(exc), "wait for it to finish (the worker's passes run every few hours)") from exc
        _print_report(report, time.monotonic() - started)
        _print_broken(store, source_name)
    if report.rescored:
        _rescore(settings, report.rescored)


def _rescore(settings: Settings, count: int) -> None:
    """Index the datasets whose quality score a broken link changed (the pass left them waiting)."""
    from catalog_api.cli import CliError, out, services
    from index.search.base import BackendUnavailable

    with services(settings) as built:
        try:
            built.runner.index_pending()
        except BackendUnavailable as exc:
            raise CliError(
                f"the search engine is unavailable: {exc}", "the worker indexes them when it is back"
            ) from exc
    out.print(f"  re-scored {count:,} dataset(s) whose links became broken or were fixed")


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from catalog_api.cli import console

    columns = (
        TextColumn("[bold]checking links"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:,.1f} links/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("links", total=None, rate=0.0)
        started = time.monotonic()

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, rate=done / max(time.monotonic() - started, 1e-6))

        yield update


def _print_report(report: LinkCheckReport, seconds: float) -> None:
    from catalog_api.cli import out

    states = ", ".join(f"{name} {report.states.get(name, 0):,}" for name in ("ok", "redirected", "broken", "unchecked"))
    ending = " (stopped before the end)" if report.stopped else ""
    out.print(f"checked {report.checked:,} of {report.due:,} links in {seconds:.1f} s{ending}: {states}")
    if report.changed:
        out.print(f"  {report.changed:,} changed state since their last check")


def _print_broken(store: Store, source_name: str | None) -> None:
    from catalog_api.cli import out
    from index.linkchecks import broken_links

    source_id = store.get_source(source_name).id if source_name else None
    broken = broken_links(store, source_id=source_id, limit=SHOWN + 1)
    if not broken:
        return
    out.print("broken links:" if len(broken) <= SHOWN else f"broken links (the first {SHOWN}):")
    for link in broken[:SHOWN]:
        answer = f"HTTP {link.http_status}" if link.http_status else (link.message or "no answer")
        out.print(f"  {link.url}  {answer}  ({link.title}, {link.source})", markup=False, highlight=False)
