"""The ``nutmeg`` command line. It builds the same app (and services) as the server.

Every failure ends with what to do next; ``--help`` on every command says what it does.

Start-up time matters here (``benchmarks/cli.py`` measures it): the module imports only click and the
standard library at the top. A command imports what it uses inside its body — the web app, the harvest
runner, rdflib and the search backends only for the commands that need them; ``source list`` and
``source add`` open just the store.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from catalog_api.runtime import lower_priority
from catalog_api.schedule import ScheduleError, normalize
from harvesters.registry import UnknownHarvester, known_kinds, require_kind

if TYPE_CHECKING:
    from catalog_api.harvesting import HarvestReport
    from catalog_api.services import Services
    from catalog_api.settings import Settings
    from index.rows import SourceReads, SourceRow
    from index.store import Store


console = Console(stderr=True)
log = logging.getLogger("nutmeg.cli")
out = Console()


class CliError(click.ClickException):
    """An error with a next step, printed without a traceback."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message + (f"\n  next: {hint}" if hint else ""))


def load_settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    from catalog_api.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"NUTMEG_{'_'.join(map(str, e['loc'])).upper()}={e.get('input')!r}: {e['msg']}" for e in exc.errors()
        )
        raise CliError(f"bad configuration: {problems}", "fix the environment variable (see README)") from exc


@contextmanager
def services(settings: Settings | None = None) -> Iterator[Services]:
    """The services of the app the server would build, closed afterwards."""
    from catalog_api.app import create_app

    app = create_app(settings or load_settings())
    built: Services = app.state.services
    try:
        yield built
    finally:
        built.close()


@contextmanager
def opened_store(settings: Settings | None = None) -> Iterator[Store]:
    """Just the store (migrated), for the commands that need nothing else: no app, index or harvester."""
    from index.store import Store

    store = Store((settings or load_settings()).database_url)
    try:
        store.migrate()
        yield store
    finally:
        store.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nutmeg-catalog", prog_name="nutmeg")
def main() -> None:
    """Nutmeg: a federated open-data catalog. Configure with NUTMEG_* environment variables."""


# -- sources ---------------------------------------------------------------------------------------


@main.group()
def source() -> None:
    """Register, list and remove the sources Nutmeg harvests."""


@source.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--kind", default="datajson", show_default=True, help=f"harvester kind ({', '.join(known_kinds())})")
@click.option("--title", help="a human title for the source (required by --kind feed)")
@click.option("--description", help="what the source publishes")
@click.option("--publisher", help="publisher for records that name none (and for feeds)")
@click.option("--keyword", "keywords", multiple=True, help="a keyword (repeatable; feeds)")
@click.option("--license", "license_", help="licence URL or name (feeds)")
@click.option("--frequency", help="ISO 8601 repeat, e.g. R/PT5M (feeds)")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE", help="a kind-specific option (repeatable)")
@click.option(
    "--schedule",
    help="when `nutmeg worker` harvests it: cron in UTC ('30 2 * * *') or ISO 8601 ('PT6H', "
    "'R/2026-01-01T02:00:00Z/P1D'); 'off': only when asked  [default: nightly, NUTMEG_SCHEDULE_DEFAULT]",
)
@click.option("--federal", is_flag=True, help="validate records against the federal DCAT-US schema")
@click.option("--allow-private", is_flag=True, help="allow this source to resolve to private/loopback addresses")
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="NAME=VALUE",
    help="a credential header sent only to the source's host, e.g. X-App-Token=env:SOCRATA_TOKEN (repeatable)",
)
@click.option("--auth", metavar="USER:PASSWORD", help="HTTP basic auth for the source's host (or env:VARIABLE)")
@click.option("--org", "organization", help="the organization that owns the source (its slug)")
@click.option("--no-check", is_flag=True, help="save without probing the URL (name and URL are still checked)")
def source_add(name: str, url: str, kind: str, **fields: Any) -> None:
    """Register source NAME (a slug) at URL; the URL is fetched first to check it answers and looks like
    KIND. Credentials go in --header/--auth (a value env:VAR is read from the environment at each
    harvest), never in the URL: they are sent to the source's host only and never shown."""
    from harvesters.credentials import HOW_TO_GIVE, SourceCredentials, credentials_in_url

    try:
        require_kind(kind)
    except UnknownHarvester as exc:
        raise CliError(str(exc), "pick one of the known kinds with --kind") from exc
    secret = credentials_in_url(url)
    if secret is not None:
        raise CliError(f"the URL carries {secret}; nothing was added", HOW_TO_GIVE)
    try:
        credentials = SourceCredentials.parse(list(fields["headers"]), fields["auth"])
    except ValueError as exc:
        raise CliError(str(exc), HOW_TO_GIVE) from exc
    if fields["schedule"]:
        try:
            normalize(fields["schedule"], name)
        except ScheduleError as exc:
            raise CliError(str(exc), "e.g. --schedule '30 2 * * *', --schedule PT6H, or --schedule off") from exc
    from catalog_api.governance.sourcecheck import SourceCheckError
    from catalog_api.governance.sources import register, spec_of
    from index.governance import get_organization
    from index.store import Conflict, NewSource, NotFound

    new = NewSource(
        name=name,
        kind=kind,
        url=url,
        title=fields["title"],
        description=fields["description"],
        publisher=fields["publisher"],
        options=_options(fields),
        federal=fields["federal"],
        allow_private=fields["allow_private"],
        schedule=fields["schedule"],
        credentials=credentials.to_json() if credentials else None,
    )
    settings = load_settings()
    with opened_store(settings) as store:
        try:
            org_id = get_organization(store, fields["organization"]).id if fields["organization"] else None
            row = register(store, settings, spec_of(replace(new, organization_id=org_id)), check=not fields["no_check"])
        except SourceCheckError as exc:
            raise CliError(exc.message, "fix it, or pass --no-check to save it unchecked") from exc
        except NotFound as exc:
            raise CliError(str(exc), "see `nutmeg org list`") from exc
        except Conflict as exc:
            raise CliError(str(exc), f"choose another name, or `nutmeg source remove {name}` first") from exc
    out.print(f"added source [bold]{name}[/] ({kind}) → {url}; harvest it with `nutmeg harvest {name}`")
    when = f"schedule [bold]{row.schedule}[/] (UTC), run by `nutmeg worker`" if row.schedule else "no schedule"
    out.print(f"  {when}; change it with `nutmeg source update {name} --schedule ...`", highlight=False)
    for variable in credentials.env_names():
        if variable not in os.environ:
            console.print(f"  note: {variable} is not set here; set it where `nutmeg worker`/`harvest` runs")


def _options(fields: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if fields["keywords"]:
        options["keywords"] = list(fields["keywords"])
    if fields["license_"]:
        options["license"] = fields["license_"]
    if fields["frequency"]:
        options["frequency"] = fields["frequency"]
    for item in fields["options"]:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--option {item!r} is not KEY=VALUE", "write it as --option key=value")
        options[key.strip()] = value
    return options


@source.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON (every field, for scripts) instead of a table")
def source_list(as_json: bool) -> None:
    """List registered sources: datasets, last harvest, last success and failure, schedule."""
    settings = load_settings()
    summaries = _read_lightly(settings)
    if summaries is None:
        with opened_store(settings) as store:
            summaries = _source_summaries(store, settings.schedule_flag_after)
    if as_json:
        out.print_json(json.dumps(summaries), indent=2)
        return
    if not summaries:
        out.print("no sources yet; add one with `nutmeg source add NAME URL`")
        return
    out.print(_sources_table(summaries))


def _read_lightly(settings: Settings) -> list[dict[str, Any]] | None:
    """The summaries read through the standard library's sqlite3 (no SQLAlchemy: start-up time), or None
    when the store must be opened the usual way (not SQLite, missing, needs migrating, read failed)."""
    from index.sqlite_reader import ReadError, open_reader

    reader = open_reader(settings.database_url)
    if reader is None:
        return None
    try:
        return _source_summaries(reader, settings.schedule_flag_after)
    except ReadError:
        return None
    finally:
        reader.close()


def _source_summaries(store: SourceReads, flag_after: int) -> list[dict[str, Any]]:
    return [_source_summary(store, row, flag_after) for row in store.list_sources()]


def _source_summary(store: SourceReads, row: SourceRow, flag_after: int) -> dict[str, Any]:
    """Everything the CLI knows of a source, as JSON-ready values (``--json`` prints exactly this)."""
    from catalog_api.web.health import source_health

    now = datetime.now(UTC)
    health = source_health(store, row, now, flag_after)
    failure = store.last_job_with_status(row.id, "failed")
    last = health.last_job
    planned = health.next_run
    return {
        "name": row.name,
        "kind": row.kind,
        "url": row.url,
        "title": row.title,
        "publisher": row.publisher,
        "enabled": row.enabled,
        "federal": row.federal,
        "allow_private": row.allow_private,
        "datasets": health.datasets,
        "status": last.status if last else None,
        "last_job": _job_json(last, health.last_job_errors) if last else None,
        "last_success_at": _iso(row.last_success_at),
        "last_failure": _job_json(failure) if failure else None,
        "last_failure_at": _iso(failure.started_at) if failure else None,
        "last_full_harvest_at": _iso(row.last_full_harvest_at),
        "schedule": row.schedule,
        "next_run_at": _iso(planned.at),
        "next_run": planned.words or None,
        "consecutive_failures": row.consecutive_failures,
        "failing": health.failing,
        "created_at": _iso(row.created_at),
    }


def _job_json(job: Any, errors: int | None = None) -> dict[str, Any]:
    fields = ("listed", "new", "updated", "unchanged", "withdrawn", "failed", "skipped")
    summary: dict[str, Any] = {"id": job.id, "status": job.status, "started_at": _iso(job.started_at)}
    summary.update({"finished_at": _iso(job.finished_at), "message": job.message})
    summary.update({name: getattr(job, name) for name in fields})
    if errors is not None:
        summary["record_errors"] = errors
    return summary


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _when(moment: str | None) -> str:
    return moment[:16].replace("T", " ") if moment else "never"


def _sources_table(summaries: list[dict[str, Any]]) -> Any:
    """Four columns that fit 80 characters; the URL and the last failure go on lines of their own."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    table.add_column("source", overflow="fold")  # a long URL folds onto more lines, never cut
    table.add_column("datasets", justify="right")
    table.add_column("last harvest")
    table.add_column("schedule")
    for item in summaries:
        status = item["status"] or "never harvested"
        colour = {"succeeded": "green", "unchanged": "green", "suspicious": "yellow", "failed": "red"}.get(status, "")
        first = f"[bold]{item['name']}[/] ({item['kind']})\n[dim]{item['url']}[/]"
        harvest = f"[{colour}]{status}[/]" if colour else status
        harvest += f"\nlast success: {_when(item['last_success_at'])}"
        if item["last_failure_at"]:
            harvest += f"\nlast failure: {_when(item['last_failure_at'])}"
        if item["failing"]:
            harvest += f"\n[red bold]FAILING[/]: {item['consecutive_failures']} runs in a row; backing off"
        schedule = item["schedule"] or "on demand"
        if item["schedule"] and (item["next_run_at"] or item["next_run"]):
            schedule += f"\nnext: {_when(item['next_run_at']) if item['next_run_at'] else item['next_run']}"
        table.add_row(first, f"{item['datasets']:,}", harvest, schedule)
        table.add_row()
    return table


@source.command("remove")
@click.argument("name")
@click.confirmation_option(prompt="Remove the source and every record harvested from it?")
def source_remove(name: str) -> None:
    """Remove source NAME and its records (they leave search and data.json)."""
    from catalog_api.merging import forget
    from index.search.base import BackendUnavailable
    from index.store import NotFound

    with services() as built:
        try:
            source_row = built.store.get_source(name)
        except NotFound as exc:
            raise CliError(str(exc), "see `nutmeg source list`") from exc
        ids = [r.id for r in built.store.iter_records(live=None, source_id=source_row.id)]
        try:
            built.index.remove(ids)
            forget(built, ids)  # datasets merged with other sources' records go on with theirs
        except BackendUnavailable as exc:
            raise CliError(f"nothing removed: the search engine is unavailable ({exc})", _ENGINE_DOWN_HINT) from exc
        built.store.remove_source(name)
    out.print(f"removed {name} and {len(ids)} records")


# -- harvesting ------------------------------------------------------------------------------------


@main.command()
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="harvest every enabled source")
@click.option("--full", is_flag=True, help="ignore ETag/Last-Modified and incremental bookmarks")
@click.option("--accept-shrink", is_flag=True, help="withdraw records even if the catalog shrank a lot")
def harvest(names: tuple[str, ...], all_: bool, full: bool, accept_shrink: bool) -> None:
    """Harvest the named sources (or --all). Exits non-zero if any source fails."""
    if not names and not all_:
        raise CliError("name the sources to harvest, or pass --all", "nutmeg harvest NAME, or nutmeg harvest --all")
    settings = load_settings()
    lower_priority(settings.harvest_nice)
    with services(settings) as built:
        _report_reaped(built)
        if built.runner.settle():
            console.print("put back the search engine's refresh interval a killed harvest left relaxed")
        targets = [s.name for s in built.store.list_sources() if s.enabled] if all_ else list(names)
        failures = _harvest_each(built, targets, full=full, accept_shrink=accept_shrink)
    if failures:
        raise CliError(f"{failures} of {len(targets)} harvests did not succeed", "see the messages above")


def _harvest_each(built: Services, names: list[str], *, full: bool, accept_shrink: bool) -> int:
    """Harvest each source in turn; one that fails in any way is reported and the next one runs.
    Returns how many did not succeed."""
    failures = 0
    for name in names:
        try:
            report = _harvest_one(built, name, full=full, accept_shrink=accept_shrink)
        except CliError as exc:
            console.print(f"[bold]{name}[/]: [red]not harvested[/] — {exc.format_message()}")
            failures += 1
        except Exception:
            log.exception("harvesting source %s failed outside its job", name)
            console.print(f"[bold]{name}[/]: [red]not harvested[/] — internal error (the log above has the detail)")
            failures += 1
        else:
            failures += 0 if report.ok else 1
    return failures


def _harvest_one(built: Services, name: str, *, full: bool, accept_shrink: bool) -> HarvestReport:
    from index.store import Conflict, NotFound

    try:
        built.store.get_source(name)
    except NotFound as exc:
        raise CliError(str(exc), "see `nutmeg source list`, or add it with `nutmeg source add`") from exc
    started = time.monotonic()
    with _progress(name) as update:
        try:
            report = built.runner.harvest(name, full=full, accept_shrink=accept_shrink, progress=update)
        except Conflict as exc:
            raise CliError(str(exc), "wait for it to finish") from exc
    _print_report(report, time.monotonic() - started)
    return report


@contextmanager
def _progress(name: str) -> Iterator[Any]:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed:,} records"),
        TextColumn("{task.fields[rate]:,.0f} records/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"harvesting {name}", total=None, rate=0.0)
        started = time.monotonic()

        def update(count: int) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            progress.update(task, completed=count, rate=count / elapsed)

        yield update


def _print_report(report: HarvestReport, seconds: float) -> None:
    colour = {"succeeded": "green", "unchanged": "green", "suspicious": "yellow"}.get(report.status, "red")
    done = report.new + report.updated + report.unchanged
    rate = f", {done / seconds:,.0f} records/s" if seconds > 0 and done else ""
    out.print(
        f"[bold]{report.source}[/]: [{colour}]{report.status}[/] in {seconds:.1f} s{rate} — "
        f"listed {report.listed}, new {report.new}, updated {report.updated}, unchanged {report.unchanged}, "
        f"withdrawn {report.withdrawn}, failed {report.failed}, skipped {report.skipped}"
    )
    if report.message:
        out.print(f"  {report.message}")
    if report.failed or report.skipped:
        out.print(f"  per-record errors: /api/v1/jobs/{report.job_id}/errors")


@main.group()
def job() -> None:
    """Look after harvest jobs (their ids: `nutmeg source list --json`, or /api/v1/sources/NAME/jobs)."""


@job.command("cancel")
@click.argument("job_id", type=int)
def job_cancel(job_id: int) -> None:
    """Cancel running job JOB_ID: its source can be harvested again at once; a harvest still running it
    stops at its next record and withdraws nothing."""
    from catalog_api.jobs import cancel
    from index.store import NotFound, StoreError

    with opened_store() as store:
        try:
            cancel(store, job_id, datetime.now(UTC))
        except NotFound as exc:
            raise CliError(str(exc), "see the jobs at /api/v1/sources/NAME/jobs") from exc
        except StoreError as exc:
            raise CliError(str(exc), "nothing to cancel") from exc
    out.print(f"job {job_id} cancelled; nothing was withdrawn")


def _report_reaped(built: Services) -> None:
    for stuck in built.runner.reap():
        console.print(f"job {stuck.job.id} of {stuck.source} was left running ({stuck.reason}); marked failed")


@main.command()
@click.option("--once", is_flag=True, help="do what is due now, then exit (for cron)")
@click.option("--interval", type=float, help="seconds between passes  [default: NUTMEG_WORKER_POLL_SECONDS, 30]")
def worker(once: bool, interval: float | None) -> None:
    """Harvest each source when its schedule is due, and run the other periodic tasks, forever (the
    worker of a deployment; run several, on one PostgreSQL, to share the work)."""
    from catalog_api.worker import Worker, after_harvest_hooks, default_tasks

    settings = load_settings()
    lower_priority(settings.harvest_nice)
    _exit_cleanly_on_sigterm()  # a stopped worker's job ends as failed (interrupted), not left running

    def show(built: Services, report: HarvestReport) -> None:
        _print_report(report, report.seconds)

    with services(settings) as built:
        hooks = [show, *after_harvest_hooks(settings)]
        runner = Worker(built, default_tasks(settings), hooks)
        for line in runner.start():
            console.print(line)
        if once:
            results = runner.run_once()
            for result in results:
                _say_task(result)
            out.print(f"harvested {len(runner.harvested)} due source(s)")
            _wait_for_background(runner.tasks)
            return
        out.print("worker started: sources are harvested when their schedule is due (Ctrl-C stops)")
        runner.run_forever(interval or settings.worker_poll_seconds, say=_say_task)


def _wait_for_background(tasks: Any) -> None:
    """Before ``worker --once`` exits: wait for the work its tasks started in the background (link checks)."""
    for task in tasks:
        wait = getattr(task.run, "wait", None)
        said = wait() if wait is not None else None
        if said:
            out.print(f"{task.name}: {said}")


def _say_task(result: Any) -> None:
    """A worker task's line (each harvest printed its own report already)."""
    if result.message and result.task != "harvests":
        out.print(f"{result.task}: {result.message}")


def _docs_with_links(built: Services, rows: list[Any]) -> Iterator[Any]:
    """Search documents of ``rows``, scored with their links' states (one query for the lot)."""
    from index.documents import doc_from_row
    from index.linkchecks import link_states_of

    links = link_states_of(built.store, (r.dataset for r in rows))
    return (doc_from_row(r, links) for r in rows)


@job.command("errors")
@click.argument("job_id", type=int)
@click.option("--examples", default=5, show_default=True, help="problems shown for each kind")
def job_errors(job_id: int, examples: int) -> None:
    """Print job JOB_ID's per-record problems grouped by kind, with a few examples of each."""
    from index.store import NotFound

    with opened_store() as store:
        try:
            found = store.get_job(job_id)
        except NotFound as exc:
            raise CliError(str(exc), "find job ids with `nutmeg source list --json` (last_job.id)") from exc
        names = {row.id: row.name for row in store.list_sources()}
        out.print(_job_line(found, names.get(found.source_id, "?")), soft_wrap=True)
        kinds = store.error_kinds(job_id)
        if not kinds:
            out.print("no record problems")
        for code, severity, count in kinds:
            _print_kind(store, job_id, code, severity, count, examples)


def _job_line(found: Any, source_name: str) -> str:
    counts = ", ".join(f"{n} {getattr(found, n)}" for n in ("listed", "new", "updated", "failed", "skipped"))
    started = _when(_iso(found.started_at))
    line = f"job {found.id} of [bold]{source_name}[/]: {found.status}, started {started} — {counts}"
    return line + (f"\n  {found.message}" if found.message else "")


def _print_kind(store: Store, job_id: int, code: str, severity: str, count: int, examples: int) -> None:
    plural = "problem" if count == 1 else "problems"
    out.print(f"\n[bold]{code}[/] ({severity}): {count:,} {plural}")
    _, rows = store.list_errors(job_id=job_id, code=code, limit=examples)
    for row in rows:
        where = row.original_identifier or row.record_id or "(the source)"
        out.print(f"  {where}  {row.path}: {_clip(row.message, 200)}", soft_wrap=True, markup=False, highlight=False)
    if count > len(rows):
        out.print(f"  …and {count - len(rows):,} more (all of them: /api/v1/jobs/{job_id}/errors)")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- index and export ------------------------------------------------------------------------------


@main.command()
def reindex() -> None:
    """Rebuild the search index from the store (searches keep working while it runs)."""
    from dataclasses import replace

    from rich.progress import Progress

    from index.annotations import annotated
    from index.duplicates import merged_away
    from index.quality import keep_today
    from index.search.base import BackendUnavailable

    with services() as built:
        total = built.store.live_count()
        hidden, merged = merged_away(built.store)
        sent: list[tuple[str, str | None]] = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("reindexing", total=total)

            def docs() -> Iterator[Any]:
                rows: list[Any] = []
                for n, row in enumerate(built.store.iter_records(live=True), 1):
                    if n % 500 == 0:
                        progress.update(task, completed=n)
                    if row.id in hidden:  # merged into another source's listing of the same dataset
                        continue
                    sent.append((row.id, row.content_hash))
                    rows.append(replace(row, dataset=merged[row.id]) if row.id in merged else row)
                    if len(rows) == 500:
                        yield from annotated(built.store, list(_docs_with_links(built, rows)))
                        rows = []
                yield from annotated(built.store, list(_docs_with_links(built, rows)))

            started = time.monotonic()
            try:
                count = built.index.rebuild(docs())
            except BackendUnavailable as exc:
                raise CliError(f"the search engine is unavailable: {exc}", _ENGINE_DOWN_HINT) from exc
        # the index now holds exactly what was sent; records changed while it ran are caught up after
        built.store.clear_indexed()
        built.store.mark_indexed(sent)
        caught_up = built.runner.index_pending()
        keep_today(built.store, built.index, datetime.now(UTC))  # the daily quality history (issue 13)
    extra = f", then {caught_up:,} changed meanwhile" if caught_up else ""
    out.print(f"reindexed {count:,} datasets in {time.monotonic() - started:.1f} s{extra} ({built.index.name} index)")


_ENGINE_DOWN_HINT = "start it (`nutmeg doctor` shows what is wrong), then run the command again"


@main.command()
def migrate() -> None:
    """Bring the store's schema to the newest version (deployments run it once before the API starts)."""
    from index.sqlite_reader import open_reader

    settings = load_settings()
    reader = open_reader(settings.database_url)  # an SQLite store already there: checked without SQLAlchemy
    if reader is not None:
        reader.close()
    else:
        with opened_store(settings):
            pass
    out.print("the store's schema is up to date")


@main.command()
def doctor() -> None:
    """Check the store and the search engine, and compare the index with the store (missing, extra, stale)."""
    from catalog_api.doctor import diagnose

    findings = diagnose(load_settings())
    for finding in findings:
        mark = "[green]  ok[/]" if finding.ok else "[red]FAIL[/]"
        out.print(f"{mark}  [bold]{finding.name}[/]: {finding.summary}", soft_wrap=True)
        for detail in finding.details:
            out.print(f"      {detail}", soft_wrap=True)
        if finding.next_step:
            out.print(f"      next: {finding.next_step}", soft_wrap=True)
    failed = [f.name for f in findings if not f.ok]
    if failed:
        raise CliError(f"{len(failed)} check(s) failed: {', '.join(failed)}", "follow the 'next:' lines above")
    out.print("everything is in order")


@main.group()
def export() -> None:
    """Write the catalog in a federation format."""


@export.command("datajson")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=False)
@click.option(
    "--version",
    "version",
    type=click.Choice(["1.1", "3.0"]),
    default=None,
    help="DCAT-US version  [default: NUTMEG_DATAJSON_VERSION, 1.1]",
)
def export_datajson(file: Path | None, version: str | None) -> None:
    """Write the catalog's data.json (DCAT-US 1.1 or 3.0) to FILE (or standard output)."""
    from catalog_api.exporting import ExportTally, datajson_chunks

    tally = ExportTally()
    settings = load_settings()
    chosen = version or settings.datajson_version
    with opened_store(settings) as store:
        if file is None:
            for chunk in datajson_chunks(store, settings, tally, chosen):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
        else:
            with file.open("wb") as handle:
                for chunk in datajson_chunks(store, settings, tally, chosen):
                    handle.write(chunk)
    console.print(f"exported {tally.exported:,} datasets" + (f" to {file}" if file else ""))
    for done, count in sorted(tally.adjusted.items(), key=lambda item: (item[0].action, item[0].field)):
        source = f" ({done.source})" if done.source else ""
        console.print(f"  {done.action} {done.field}{source}: {count:,} records")
    if tally.excluded:
        _print_excluded(tally.excluded, shown=20)


def _print_excluded(excluded: list[Any], *, shown: int) -> None:
    from catalog_api.settings import Settings

    console.print(f"left out {len(excluded):,} records that would make data.json invalid:")
    for item in excluded[:shown]:
        reasons = "; ".join(f"{p.path}: {p.message}" for p in item.problems[:3])
        console.print(f"  {item.source}/{item.id} {item.title[:60]!r}: {reasons}", markup=False, highlight=False)
    if len(excluded) > shown:
        console.print(f"  …and {len(excluded) - shown:,} more (all of them: /api/v1/export/datajson/report)")
    defaults = [f"NUTMEG_{name.upper()}" for name in Settings.model_fields if name.startswith("default_")]
    console.print(f"  next: set what the records lack ({', '.join(defaults)}), or fix them at the source")


# -- serving ---------------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="uvicorn worker processes")
@click.option("--demo", is_flag=True, help="harvest the bundled demo catalogs into a fresh database and serve them")
def serve(host: str, port: int, workers: int, demo: bool) -> None:
    """Serve the catalog: search API, dataset pages, data.json.

    Links use NUTMEG_BASE_URL, or else the address each request was sent to (so --port 9000 publishes
    port-9000 links); behind a proxy, list it in NUTMEG_TRUSTED_PROXIES.
    """
    ensure_port_free(host, port)
    if demo:
        _exit_cleanly_on_sigterm()
        import tempfile  # here: start-up time of the light commands

        with tempfile.TemporaryDirectory(prefix="nutmeg-demo-") as folder:  # removed on every exit
            _serve_demo(host, port, Path(folder))
        return
    settings = load_settings()  # fails here, with the variable named, before uvicorn starts
    if workers > 1:
        _run_server("catalog_api.app:create_app", host, port, workers)
        return
    from catalog_api.app import create_app

    _run_server(create_app(settings), host, port, 1)


def _exit_cleanly_on_sigterm() -> None:
    """SIGTERM (which uvicorn re-raises after its graceful shutdown) unwinds like Ctrl-C, so ``finally``
    blocks and context managers run instead of the process dying where it stands."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def ensure_port_free(host: str, port: int) -> None:
    """Fail before any work when HOST:PORT cannot be listened on (in use, or not this machine's address)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no obstacle
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CliError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                f"stop what is using port {port}, or pick another with --port (e.g. --port {port + 1})",
            ) from exc


def _serve_demo(host: str, port: int, folder: Path) -> None:
    from catalog_api.app import create_app

    app = create_app(demo_settings(folder))
    harvest_demo(app.state.services)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    out.print(f"demo catalog ready: open http://{shown}:{port}/ (API docs at /docs, data.json at /data.json)")
    _run_server(app, host, port, 1)


def _run_server(app: Any, host: str, port: int, workers: int) -> None:
    """uvicorn, with its own proxy-header handling off: the app believes only NUTMEG_TRUSTED_PROXIES."""
    import uvicorn

    factory = isinstance(app, str)  # an import string: each worker process builds its own app
    uvicorn.run(app, host=host, port=port, workers=workers, factory=factory, log_level="info", proxy_headers=False)


def demo_root() -> Path:
    from importlib import resources  # here: start-up time of the light commands

    return Path(str(resources.files("catalog_api") / "demo"))


def demo_settings(folder: Path) -> Settings:
    """The demo's settings: a store in ``folder``; links follow the address it is served at."""
    return load_settings(
        database_url=f"sqlite:///{folder}/demo.db",
        demo_root=str(demo_root()),
        catalog_title="Nutmeg demo catalog",
        default_publisher="State of Example Open Data Program",
        default_contact_name="Open Data Program",
        default_contact_email="opendata@example.gov",
        default_access_level="public",
    )


def harvest_demo(built: Services) -> None:
    """Register and harvest the bundled demo sources (files on disk, no network)."""
    from index.store import Conflict, NewSource

    root = demo_root()
    for spec in json.loads((root / "sources.json").read_text("utf-8")):
        new = NewSource(
            name=spec["name"],
            kind=spec["kind"],
            url=(root / spec["file"]).as_uri() if "file" in spec else spec["url"],
            title=spec.get("title"),
            description=spec.get("description"),
            publisher=spec.get("publisher"),
            options=spec.get("options", {}),
            federal=spec.get("federal", False),
        )
        with suppress(Conflict):
            built.store.add_source(new, datetime.now(UTC))
        _harvest_one(built, new.name, full=False, accept_shrink=False)


def _governance_commands() -> None:
    from catalog_api.governance.cli import key, org, source_update  # imports this module: registered after it

    main.add_command(org)
    main.add_command(key)
    source.add_command(source_update)


_governance_commands()


def _attention_commands() -> None:
    from catalog_api.attention_cli import core, usage  # imports only click at load time

    main.add_command(core)
    main.add_command(usage)


_attention_commands()


def _duplicates_commands() -> None:
    from catalog_api.duplicates_cli import duplicates  # imports this module: registered after it

    main.add_command(duplicates)


_duplicates_commands()


def _check_group() -> click.Group:
    """``nutmeg check``: the group the link-check (and data-preview) commands join; whichever registers
    first creates it."""
    found = main.commands.get("check")
    if isinstance(found, click.Group):
        return found
    group = click.Group("check", help="Check, now, what the catalog's datasets point at (links, data files).")
    main.add_command(group)
    return group


def _link_check_commands() -> None:
    from catalog_api.linkcheck.cli import links  # imports this module only when the command runs

    _check_group().add_command(links)


_link_check_commands()


def _preview_commands() -> None:
    from catalog_api.previews_cli import previews  # imports only click at its top: the CLI stays fast

    _check_group().add_command(previews)


_preview_commands()


def _collection_commands() -> None:
    from catalog_api.collections_cli import census, collection  # imports only click: the CLI stays fast

    main.add_command(collection)
    main.add_command(census)


_collection_commands()


if __name__ == "__main__":
    main()
