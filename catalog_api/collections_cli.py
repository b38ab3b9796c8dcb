"""``nutmeg collection`` and ``nutmeg census``: curated subject collections and the open-data census.

Imports only click at the top (the CLI stays fast); each command imports what it needs when it runs.
``catalog_api/cli.py`` registers these commands at its bottom.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from index.collections import CollectionRow, Rule

_RULE_HINT = (
    "e.g. `--filter keyword=health --filter theme=Health`; "
    "facets: publisher, keyword, theme, format, license, accessLevel, source"
)


@click.group()
def collection() -> None:
    """Curated subject collections: members by rule (a saved search, kept current) and by hand."""


@collection.command("add")
@click.argument("slug")
@click.option("--title", required=True, help="e.g. 'Health and Human Services'")
@click.option("--description", help="what the collection gathers, for whom")
@click.option("--q", "words", help="the rule's words, as the search API's q")
@click.option("--filter", "filters", multiple=True, metavar="FACET=VALUE", help="a rule filter (repeatable)")
@click.option("--owner", "owners", multiple=True, metavar="ORG", help="an owner organization's slug (repeatable)")
@click.option("--featured", is_flag=True, help="show it on the home page")
def collection_add(
    slug: str,
    title: str,
    description: str | None,
    words: str | None,
    filters: tuple[str, ...],
    owners: tuple[str, ...],
    featured: bool,
) -> None:
    """Add collection SLUG (lower-case letters, digits and hyphens)."""
    from catalog_api.cli import CliError, out, services
    from index.collections import NewCollection, add_collection
    from index.store import Conflict

    with services() as built, _known():
        new = NewCollection(slug, title, description, _rule(words, filters), featured, _owner_ids(built, owners))
        try:
            row = add_collection(built.store, new, datetime.now(UTC))
        except ValueError as exc:
            raise CliError(str(exc), _RULE_HINT) from exc
        except Conflict as exc:
            raise CliError(
                str(exc), "see `nutmeg collection list`, or change it with `nutmeg collection update`"
            ) from exc
        count = _count(built, row)
    out.print(f"added collection [bold]{slug}[/] with {count:,} datasets; see /collections/{slug}")


@collection.command("update")
@click.argument("slug")
@click.option("--title")
@click.option("--description")
@click.option("--q", "words", help="the rule's new words (with --filter: the whole rule is replaced)")
@click.option("--filter", "filters", multiple=True, metavar="FACET=VALUE", help="a rule filter (repeatable)")
@click.option("--no-rule", is_flag=True, help="members by hand only")
@click.option("--owner", "owners", multiple=True, metavar="ORG", help="replaces the owners (repeatable)")
@click.option("--featured/--not-featured", default=None, help="show it on the home page, or not")
def collection_update(
    slug: str,
    title: str | None,
    description: str | None,
    words: str | None,
    filters: tuple[str, ...],
    no_rule: bool,
    owners: tuple[str, ...],
    featured: bool | None,
) -> None:
    """Change collection SLUG: only what is given changes."""
    from catalog_api.cli import CliError, out, services
    from index.collections import Rule, update_collection

    values: dict[str, Any] = {k: v for k, v in {"title": title, "description": description}.items() if v is not None}
    if featured is not None:
        values["featured"] = featured
    if no_rule or words is not None or filters:
        values["rule"] = Rule() if no_rule else _rule(words, filters)
    with services() as built, _known():
        owner_ids = list(_owner_ids(built, owners)) if owners else None
        try:
            row = update_collection(built.store, slug, datetime.now(UTC), owners=owner_ids, **values)
        except ValueError as exc:
            raise CliError(str(exc), _RULE_HINT) from exc
        count = _count(built, row)
    out.print(f"updated collection [bold]{slug}[/]: {count:,} datasets")


@collection.command("list")
@click.option("--json", "as_json", is_flag=True, help="every field, as JSON")
def collection_list(as_json: bool) -> None:
    """List collections with how many datasets each holds now."""
    from catalog_api.cli import out, services
    from index.collections import list_collections

    with services() as built, _known():
        rows = [(r, _count(built, r)) for r in list_collections(built.store)]
    if as_json:
        click.echo(json.dumps([_as_json(r, n) for r, n in rows], indent=2))
        return
    if not rows:
        out.print("no collections yet; add one with `nutmeg collection add SLUG --title T --filter keyword=…`")
    for row, count in rows:
        star = " (featured)" if row.featured else ""
        out.print(f"[bold]{row.slug}[/]{star}  {row.title}  {count:,} datasets  owners: {', '.join(row.owners) or '–'}")


def _pick_command(name: str, included: bool | None, doc: str) -> None:
    @collection.command(name, help=doc)
    @click.argument("slug")
    @click.argument("dataset_ids", nargs=-1, required=True)
    def command(slug: str, dataset_ids: tuple[str, ...]) -> None:
        from catalog_api.cli import out, services
        from index.collections import pick
        from index.ids import id_from_slug

        with services() as built, _known():
            ids = [built.store.get_record(id_from_slug(d) or d).id for d in dataset_ids]  # unknown: an error
            row = pick(built.store, slug, ids, included, datetime.now(UTC))
            count = _count(built, row)
        out.print(f"{name}d {len(ids)} dataset(s) in [bold]{slug}[/]: {count:,} datasets")


_pick_command("include", True, "Include datasets by hand (ids or page slugs), whatever the rule says.")
_pick_command("exclude", False, "Leave datasets out by hand, even when the rule matches them.")
_pick_command("reset", None, "Forget picks by hand: the rule decides again for these datasets.")


@collection.command("remove")
@click.argument("slug")
def collection_remove(slug: str) -> None:
    """Remove collection SLUG (its datasets stay in the catalog)."""
    from catalog_api.cli import out, services
    from index.collections import remove_collection

    with services() as built, _known():
        remove_collection(built.store, slug)
    out.print(f"removed collection [bold]{slug}[/]")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="the same as GET /api/v1/census")
def census(as_json: bool) -> None:
    """Where the state stands on its checklist of critical datasets (NUTMEG_CENSUS_CHECKLIST)."""
    from catalog_api.census import ChecklistError, take_census
    from catalog_api.cli import CliError, out, services
    from catalog_api.routes.census import census_public

    with services() as built, _known():
        try:
            public = census_public(built.settings, take_census(built, datetime.now(UTC)))
        except ChecklistError as exc:
            raise CliError(str(exc), "fix the file, or unset NUTMEG_CENSUS_CHECKLIST for the bundled one") from exc
    if as_json:
        click.echo(public.model_dump_json(indent=2))
        return
    for item in public.items:
        passed = [k.replace("_", " ") for k, v in item.criteria.items() if v]
        found = (
            f"{item.matches:,} match(es); passes: {', '.join(passed) or 'nothing'}" if item.available else "not found"
        )
        out.print(f"{item.score:>3}  [bold]{item.title}[/]  {found}")
    out.print(f"score {public.score}/100; {public.available} of {public.items_total} critical datasets available")


def _rule(words: str | None, filters: tuple[str, ...]) -> Rule:
    from catalog_api.cli import CliError
    from index.collections import Rule

    pairs: dict[str, list[str]] = {}
    for text in filters:
        name, sep, value = text.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise CliError(f"--filter {text!r} is not FACET=VALUE", _RULE_HINT)
        pairs.setdefault(name.strip(), []).append(value.strip())
    return Rule(words, {k: tuple(v) for k, v in pairs.items()})


def _owner_ids(built: Any, owners: tuple[str, ...]) -> tuple[int, ...]:
    from index.governance import get_organization

    return tuple(get_organization(built.store, o).id for o in owners)


def _count(built: Any, row: CollectionRow) -> int:
    from catalog_api.collections import count_members

    return count_members(built.index, row)


def _as_json(row: CollectionRow, count: int) -> dict[str, Any]:
    return {
        "slug": row.slug,
        "title": row.title,
        "description": row.description,
        "rule": row.rule.as_json(),
        "featured": row.featured,
        "owners": list(row.owners),
        "included": list(row.included),
        "excluded": list(row.excluded),
        "datasets": count,
    }


@contextmanager
def _known() -> Iterator[None]:
    """A collection, organization or dataset that does not exist is an error with a next step."""
    from catalog_api.cli import CliError
    from index.store import NotFound

    try:
        yield
    except NotFound as exc:
        raise CliError(str(exc), "see `nutmeg collection list`, `nutmeg org list` or search the datasets") from exc
