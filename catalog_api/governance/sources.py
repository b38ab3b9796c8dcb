"""Sources managed by their agencies: register (checked first), change without losing records,
remove, and harvest in the background. The CLI, the API and the web forms all call these."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from catalog_api.governance.sourcecheck import SourceCheckError, check_kind, check_name, check_url, probe
from catalog_api.schedule import ScheduleError, normalize
from index.governance import OPERATOR, Actor, audit, field_diff, update_source
from index.schedules import replan
from index.store import Conflict, NewSource, SourceRow, Store

if TYPE_CHECKING:  # the CLI's `source add` imports this module: keep the app and the HTTP stack out of it
    from catalog_api.services import Services
    from catalog_api.settings import Settings

log = logging.getLogger("nutmeg.sources")

EDITABLE = ("url", "title", "description", "publisher", "schedule", "options")


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A source as an agency registers it: where, what kind, and the descriptive metadata a feed needs."""

    name: str
    url: str
    kind: str = "datajson"
    title: str | None = None
    description: str | None = None
    publisher: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    schedule: str | None = None
    organization_id: int | None = None
    allow_private: bool = False
    federal: bool = False
    credentials: Mapping[str, Any] | None = field(default=None, repr=False)  # never printed


def spec_of(new: NewSource) -> SourceSpec:
    return SourceSpec(
        name=new.name,
        url=new.url,
        kind=new.kind,
        title=new.title,
        description=new.description,
        publisher=new.publisher,
        options=new.options,
        schedule=new.schedule,
        organization_id=new.organization_id,
        allow_private=new.allow_private,
        federal=new.federal,
        credentials=new.credentials,
    )


def _describe(row: SourceRow) -> dict[str, Any]:
    return {k: getattr(row, k) for k in ("url", "kind", "title", "description", "publisher", "schedule", "options")}


def check_spec(settings: Settings, spec: SourceSpec, *, probe_url: bool, option_hint: str = "--kind") -> None:
    """Everything :func:`register` checks before saving (raises :class:`SourceCheckError`)."""
    check_name(spec.name)
    check_kind(spec.kind)
    check_url(spec.url)
    stored_schedule(spec.schedule, spec.name)
    headers = _probe_headers(spec.credentials)
    if probe_url and headers is not None:
        from harvesters.http import HttpClient

        with HttpClient(settings.http_policy(allow_private=spec.allow_private)) as http:
            http.authorize(spec.url, headers)
            probe(http, spec.url, spec.kind, option_hint=option_hint)


def stored_schedule(text: str | None, name: str) -> str | None:
    """The schedule to store for what was entered (None: only when asked); raises
    :class:`SourceCheckError` on the ``schedule`` field."""
    try:
        return normalize(text, name)
    except ScheduleError as exc:
        raise SourceCheckError("schedule", str(exc)) from exc


def _probe_headers(credentials: Mapping[str, Any] | None) -> dict[str, str] | None:
    """The source's credentials for the probe; None when they read a variable not set here (then there
    is no probe: nothing is ever sent to a source without its credentials)."""
    from harvesters.credentials import CredentialError, SourceCredentials

    try:
        return SourceCredentials.from_json(credentials).resolve()
    except CredentialError:
        return None


def register(
    store: Store,
    settings: Settings,
    spec: SourceSpec,
    actor: Actor = OPERATOR,
    *,
    check: bool = True,
    option_hint: str = "--kind",
) -> SourceRow:
    """Check (see :func:`check_spec`) and save a new source; ``option_hint`` is how the caller names the
    kind in a suggestion (``--kind`` at the shell, ``kind`` in the API)."""
    check_spec(settings, spec, probe_url=check, option_hint=option_hint)
    entered = spec.schedule if spec.schedule is not None else settings.schedule_default
    new = NewSource(
        name=spec.name,
        kind=spec.kind,
        url=spec.url,
        title=spec.title,
        description=spec.description,
        publisher=spec.publisher,
        options=dict(spec.options),
        federal=spec.federal,
        allow_private=spec.allow_private,
        schedule=stored_schedule(entered, spec.name),
        organization_id=spec.organization_id,
        credentials=dict(spec.credentials) if spec.credentials else None,
    )
    now = datetime.now(UTC)
    row = store.add_source(new, now)
    audit(store, actor, "source.add", row.name, field_diff(None, _describe(row)), now, None, row.organization_id)
    return row


def change(
    store: Store,
    settings: Settings,
    name: str,
    values: Mapping[str, Any],
    actor: Actor = OPERATOR,
    *,
    check: bool = True,
) -> SourceRow:
    """Change a source in place: its records, jobs and history stay (a new URL is probed first)."""
    current = store.get_source(name)
    if current.kind == "api":
        raise Conflict(f"{name!r} holds datasets published through the API; it has no URL to change")
    wanted = {k: v for k, v in values.items() if k in EDITABLE}
    if "url" in wanted or "schedule" in wanted:
        spec = SourceSpec(
            name=current.name,
            url=wanted.get("url") or current.url,
            kind=current.kind,
            schedule=wanted.get("schedule"),
            allow_private=current.allow_private,
            credentials=current.credentials,
        )
        check_spec(settings, spec, probe_url=check and "url" in wanted)
    if not wanted:
        return current
    if "schedule" in wanted:
        wanted["schedule"] = stored_schedule(wanted["schedule"], name)
    update_source(store, name, **wanted)
    if "schedule" in wanted:
        replan(store, name)  # the next run follows the new schedule
    row = store.get_source(name)
    changes = field_diff(_describe(current), _describe(row))
    audit(store, actor, "source.update", name, changes, datetime.now(UTC), None, row.organization_id)
    return row


def remove(services: Services, name: str, actor: Actor = OPERATOR) -> int:
    """Remove a source and its records (they leave the index first); returns how many records."""
    from catalog_api.merging import forget  # the app's own modules: not for `nutmeg source add`

    row = services.store.get_source(name)
    ids = [r.id for r in services.store.iter_records(live=None, source_id=row.id)]
    services.index.remove(ids)  # BackendUnavailable: nothing removed, the caller says so
    forget(services, ids)  # datasets merged with other sources' records go on with theirs
    services.store.remove_source(name)
    changes = field_diff(_describe(row), None)
    audit(services.store, actor, "source.remove", name, changes, datetime.now(UTC), None, row.organization_id)
    return len(ids)


def harvest_in_background(
    services: Services, name: str, actor: Actor = OPERATOR, *, full: bool = False, wait: float = 10.0
) -> int:
    """Start a harvest job on a thread and return its id once the job exists (raises ``Conflict`` when
    the source is being harvested already)."""
    source = services.store.get_source(name)
    if source.kind == "api":
        raise Conflict(f"{name!r} holds datasets published through the API; there is nothing to harvest")
    from index.search.base import BackendUnavailable

    started = threading.Event()
    found: dict[str, Any] = {}

    def announce(job_id: int) -> None:
        found["job"] = job_id
        started.set()

    def run() -> None:
        try:
            services.runner.harvest(name, full=full, on_start=announce)
        except Conflict as exc:
            found["error"] = exc
        except BackendUnavailable as exc:  # the records are stored; indexing catches up later
            log.warning("harvest of %s: search engine unavailable: %s", name, exc)
        except Exception:
            log.exception("background harvest of %s crashed", name)
        finally:
            started.set()

    threading.Thread(target=run, name=f"harvest-{name}", daemon=True).start()
    started.wait(wait)
    if "error" in found:
        raise found["error"]
    if "job" not in found:
        raise RuntimeError(f"the harvest of {name!r} did not start")
    job_id: int = found["job"]
    changes = [{"field": "job", "before": None, "after": job_id}]
    audit(services.store, actor, "source.harvest", name, changes, datetime.now(UTC), None, source.organization_id)
    return job_id
