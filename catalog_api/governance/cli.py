"""``nutmeg org``, ``nutmeg key`` and ``nutmeg source update``: the CDO's commands to set up
organizations, their keys and their sources.

Like the rest of the CLI, this module imports only click at the top; each command imports the store and
what else it needs when it runs (see ``catalog_api/cli.py``, which registers these commands and which
they import only when they run, so neither module imports the other while loading).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from index.roles import MODES, ROLES

if TYPE_CHECKING:
    from catalog_api.services import Services


@click.group()
def org() -> None:
    """Organizations (agencies, cities, offices): add, list, map publisher names to them."""


@org.command("add")
@click.argument("slug")
@click.option("--title", required=True, help="the organization's name, e.g. 'Department of Transportation'")
@click.option("--description", help="what the organization is")
@click.option("--parent", help="slug of the organization this one is part of (subOrganizationOf)")
@click.option("--mode", type=click.Choice(MODES), default="direct", show_default=True, help="reviewed: drafts")
@click.option("--publisher-name", "names", multiple=True, help="a harvested publisher name it claims (repeatable)")
def org_add(
    slug: str, title: str, description: str | None, parent: str | None, mode: str, names: tuple[str, ...]
) -> None:
    """Add organization SLUG (lower-case letters, digits and hyphens)."""
    from catalog_api.cli import CliError, out, services
    from index.governance import OPERATOR, NewOrganization, add_organization, audit
    from index.store import Conflict, NotFound

    new = NewOrganization(slug, title, description, parent, mode, names)  # type: ignore[arg-type]
    with services() as built:
        try:
            row = add_organization(built.store, new, datetime.now(UTC))
        except ValueError as exc:
            raise CliError(str(exc), "e.g. `nutmeg org add dot --title 'Department of Transportation'`") from exc
        except NotFound as exc:
            raise CliError(str(exc), "add the parent first, or see `nutmeg org list`") from exc
        except Conflict as exc:
            raise CliError(str(exc), "see `nutmeg org list`") from exc
        changes = [{"field": "title", "before": None, "after": title}, {"field": "mode", "before": None, "after": mode}]
        audit(built.store, OPERATOR, "organization.add", slug, changes, datetime.now(UTC), None, row.id)
        moved = _rematch(built)
    extra = f"; {moved} datasets now belong to it" if moved else ""
    out.print(
        f"added organization [bold]{slug}[/] ({mode}){extra}; give it a key with `nutmeg key create --org {slug}`"
    )


@org.command("update")
@click.argument("slug")
@click.option("--title", help="a new name")
@click.option("--description", help="a new description")
@click.option("--mode", type=click.Choice(MODES), help="direct or reviewed")
@click.option(
    "--publisher-name", "names", multiple=True, help="a harvested publisher name it claims (adds to the list)"
)
def org_update(slug: str, title: str | None, description: str | None, mode: str | None, names: tuple[str, ...]) -> None:
    """Change organization SLUG, or map more harvested publisher names to it."""
    from catalog_api.cli import CliError, out, services
    from index.governance import OPERATOR, audit, get_organization, update_organization
    from index.store import NotFound

    with services() as built:
        try:
            current = get_organization(built.store, slug)
        except NotFound as exc:
            raise CliError(str(exc), "see `nutmeg org list`") from exc
        values: dict[str, object] = {
            k: v for k, v in (("title", title), ("description", description), ("mode", mode)) if v
        }
        if names:
            values["publisher_names"] = list(dict.fromkeys([*current.publisher_names, *names]))
        if not values:
            raise CliError("nothing to change", "pass --title, --description, --mode or --publisher-name")
        update_organization(built.store, slug, **values)
        changes = [{"field": k, "before": getattr(current, k), "after": v} for k, v in values.items()]
        audit(built.store, OPERATOR, "organization.update", slug, changes, datetime.now(UTC), None, current.id)
        moved = _rematch(built)
    out.print(f"updated {slug}" + (f"; {moved} datasets changed organization" if moved else ""))


def _rematch(built: Services) -> int:
    from catalog_api.cli import out
    from index.governance import rematch_records
    from index.search.base import BackendUnavailable

    moved = rematch_records(built.store)
    if moved:
        try:
            built.runner.index_pending()
        except BackendUnavailable:
            out.print("the search engine is unavailable; run `nutmeg reindex` when it is back")
    return moved


@org.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def org_list(as_json: bool) -> None:
    """List organizations, then the harvested publisher names no organization claims yet."""
    from rich.table import Table

    from catalog_api.cli import opened_store, out
    from index.governance import list_organizations, unmatched_publishers

    with opened_store() as store:
        rows = list_organizations(store)
        unmatched = unmatched_publishers(store)
    slugs = {r.id: r.slug for r in rows}
    if as_json:
        items = [
            {"slug": r.slug, "title": r.title, "parent": slugs.get(r.parent_id or 0), "mode": r.mode} for r in rows
        ]
        out.print_json(json.dumps({"organizations": items, "unmatched": [n for n, _ in unmatched]}))
        return
    table = Table("slug", "title", "parent", "mode", "publisher names")
    for r in rows:
        table.add_row(r.slug, r.title, slugs.get(r.parent_id or 0, ""), r.mode, ", ".join(r.publisher_names))
    out.print(table if rows else "no organizations yet; add one with `nutmeg org add SLUG --title T`")
    if unmatched:
        out.print(f"\n{len(unmatched)} harvested publisher names match no organization:")
        for name, count in unmatched[:50]:
            out.print(f"  {name} ({count} datasets)")
        out.print("map one with `nutmeg org update SLUG --publisher-name NAME`")


@click.group()
def key() -> None:
    """API keys: create (shown once), list, revoke."""


@key.command("create")
@click.option("--org", "organization", required=True, help="the organization's slug")
@click.option("--role", type=click.Choice(ROLES), required=True, help="publisher, reviewer or admin")
@click.option("--name", help="whose key it is, e.g. 'Jane Doe, DOT'")
def key_create(organization: str, role: str, name: str | None) -> None:
    """Create a key; it is printed once and only its hash is kept."""
    from catalog_api.cli import CliError, opened_store
    from index.governance import OPERATOR, audit, create_key
    from index.store import NotFound

    with opened_store() as store:
        try:
            row, secret = create_key(store, organization, role, name, datetime.now(UTC))
        except NotFound as exc:
            raise CliError(str(exc), f"add it first: `nutmeg org add {organization} --title ...`") from exc
        changes = [{"field": "role", "before": None, "after": role}, {"field": "name", "before": None, "after": name}]
        audit(store, OPERATOR, "key.create", f"key {row.id}", changes, datetime.now(UTC), None, row.organization_id)
    click.echo(secret)
    click.echo(f"key {row.id} ({role} of {organization}); store it now: it cannot be shown again", err=True)


@key.command("list")
@click.option("--org", "organization", help="only this organization's keys")
def key_list(organization: str | None) -> None:
    """List keys (never the keys themselves): id, organization, role, name, use and revocation."""
    from rich.table import Table

    from catalog_api.cli import opened_store, out
    from index.governance import get_organization, list_keys

    with opened_store() as store:
        org_id = get_organization(store, organization).id if organization else None
        rows = list_keys(store, org_id)
    table = Table("id", "organization", "role", "name", "created", "last used", "revoked")
    for r in rows:
        used = r.last_used_at.strftime("%Y-%m-%d %H:%M") if r.last_used_at else "never"
        revoked = r.revoked_at.strftime("%Y-%m-%d %H:%M") if r.revoked_at else ""
        table.add_row(str(r.id), r.organization, r.role, r.name or "", f"{r.created_at:%Y-%m-%d}", used, revoked)
    out.print(table if rows else "no keys yet; create one with `nutmeg key create --org SLUG --role publisher`")


@key.command("revoke")
@click.argument("key_id", type=int)
def key_revoke(key_id: int) -> None:
    """Revoke key KEY_ID at once (requests with it get 401)."""
    from catalog_api.cli import CliError, opened_store, out
    from index.governance import OPERATOR, audit, revoke_key
    from index.store import NotFound

    with opened_store() as store:
        try:
            row = revoke_key(store, key_id, datetime.now(UTC))
        except NotFound as exc:
            raise CliError(str(exc), "see `nutmeg key list`") from exc
        changes = [
            {"field": "revoked_at", "before": None, "after": row.revoked_at.isoformat() if row.revoked_at else None}
        ]
        audit(store, OPERATOR, "key.revoke", f"key {key_id}", changes, datetime.now(UTC), None, row.organization_id)
    out.print(f"revoked key {key_id} ({row.role} of {row.organization})")


@click.command("update")
@click.argument("name")
@click.option("--url", help="where the source is now")
@click.option("--title", help="a new title")
@click.option("--description", help="a new description")
@click.option("--publisher", help="publisher for records that name none (and for feeds)")
@click.option("--schedule", help="cron in UTC ('30 2 * * *') or ISO 8601 ('PT6H', 'R/P1D'); 'off': only when asked")
@click.option("--org", "organization", help="give the source (and its records) to this organization")
@click.option("--no-check", is_flag=True, help="save a new URL without probing it")
def source_update(name: str, organization: str | None, no_check: bool, **values: str | None) -> None:
    """Change source NAME in place: its records, jobs and history stay (a new URL is probed first)."""
    from catalog_api.cli import CliError, out, services
    from catalog_api.governance import sources
    from catalog_api.governance.sourcecheck import SourceCheckError
    from index.governance import get_organization, set_source_organization
    from index.store import Conflict, NotFound

    wanted = {k: v for k, v in values.items() if v is not None}
    if not wanted and not organization:
        raise CliError("nothing to change", "pass --url, --title, --description, --publisher, --schedule or --org")
    with services() as built:
        try:
            if wanted:
                sources.change(built.store, built.settings, name, wanted, check=not no_check)
            if organization:
                org_row = get_organization(built.store, organization)
                set_source_organization(built.store, name, org_row.id)
                _rematch(built)
        except SourceCheckError as exc:
            raise CliError(exc.message, "fix it, or pass --no-check to save it unchecked") from exc
        except NotFound as exc:
            raise CliError(str(exc), "see `nutmeg source list` and `nutmeg org list`") from exc
        except Conflict as exc:
            raise CliError(str(exc)) from exc
        records = built.store.live_count(built.store.get_source(name).id)
    out.print(f"updated source [bold]{name}[/]; its {records} datasets are kept")
