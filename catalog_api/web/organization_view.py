"""What an organization's page shows: its datasets, topics and formats, how fresh its data is, and how
the harvests of the sources that bring its datasets in are going."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from catalog_api.linkcheck.views import LinkSummary, link_summary
from catalog_api.reports import average_quality, freshness_by
from catalog_api.search import SearchParams, run_search
from catalog_api.services import Services
from catalog_api.web.charts import Series, StackedRow, stacked_row
from catalog_api.web.freshness import SERIES as FRESHNESS_SERIES
from catalog_api.web.freshness import freshness
from catalog_api.web.health import SourceHealth, source_health
from catalog_api.web.judged_view import STATE_SERIES
from catalog_api.web.links import dataset_path, organization_slug
from catalog_api.web.organizations import Publisher
from catalog_api.web.search_view import ResultView, result_view
from index.core import ReliedOn, list_core, relied_on_by
from index.governance import OrganizationRow, get_organization, organization_by_id
from index.search.base import FRESHNESS_STATES, FacetCount
from index.store import NotFound

RECENT = 10
FACETS = ("theme", "format", "keyword", "source")


@dataclass(frozen=True, slots=True)
class OrganizationPage:
    publisher: Publisher
    parent: str | None
    others: list[Publisher]  # other publishers with the same slug
    recent: list[ResultView]
    facets: dict[str, list[FacetCount]]
    freshness_series: tuple[Series, ...]
    freshness: StackedRow | None
    sources: list[SourceHealth]
    description: str | None = None
    parent_href: str | None = None  # the registered parent organization's page
    core_published: list[CoreListed] = field(default_factory=list)  # its core datasets, each with its users
    core_relied_on: list[ReliedOn] = field(default_factory=list)  # core datasets it relies on (registered only)
    links: LinkSummary | None = None  # a registered organization's links, as the link checker found them
    # -- freshness against accrualPeriodicity and quality (issue 13)
    states: StackedRow | None = None
    average_quality: float | None = None
    source_quality: dict[str, str] = field(default_factory=dict)  # source name → its average here
    report_href: str | None = None


def organization_page(
    services: Services, publisher: Publisher, others: list[Publisher], now: datetime
) -> OrganizationPage:
    filters = {"publisher": (publisher.name,)}
    params = SearchParams(filters=filters, sort="modified", per_page=RECENT, facets=FACETS, facet_limit=10)
    result = run_search(services, params).result
    table = freshness(services.index, now, filters)
    fresh = table.get(publisher.name)
    registered = get_organization(services.store, publisher.registered) if publisher.registered else None
    parent = organization_by_id(services.store, registered.parent_id) if registered and registered.parent_id else None
    return OrganizationPage(
        publisher=publisher,
        parent=parent.title if parent else (_parent(services, result.hits[0].id) if result.hits else None),
        parent_href=f"/organization/{parent.slug}" if parent else None,
        description=registered.description if registered else None,
        others=others,
        recent=[result_view(hit.summary, now) for hit in result.hits],
        facets=result.facets,
        freshness_series=FRESHNESS_SERIES,
        freshness=stacked_row(publisher.name, None, fresh.counts, FRESHNESS_SERIES) if fresh else None,
        sources=_sources(services, publisher, [f.value for f in result.facets.get("source", [])], registered, now),
        core_published=core_published(services, publisher.name),
        core_relied_on=relied_on_by(services.store, registered.id) if registered else [],
        links=link_summary(services.store, organization_id=registered.id) if registered else None,
        **_judged(services, publisher.name, now),
        report_href=f"/organization/{registered.slug}/report" if registered else None,
    )


def _judged(services: Services, name: str, now: datetime) -> dict[str, Any]:
    """The publisher's datasets by freshness state, its average quality and each source's average."""
    filters = {"publisher": (name,)}
    counts = freshness_by(services, "publisher", now, filters).get(name)
    mean = average_quality(services, "publisher", filters).get(name)
    by_source = average_quality(services, "source", filters)
    return {
        "states": stacked_row(name, None, [counts[s] for s in FRESHNESS_STATES], STATE_SERIES) if counts else None,
        "average_quality": mean.mean if mean else None,
        "source_quality": {k: f"{a.mean:.0f}" for k, a in by_source.items()},
    }


@dataclass(frozen=True, slots=True)
class CoreListed:
    id: str
    title: str
    href: str
    users: int


def core_published(services: Services, publisher: str, limit: int = 100) -> list[CoreListed]:
    """The publisher's core datasets, most relied on first, each with how many organizations rely on it."""
    params = SearchParams(filters={"publisher": (publisher,)}, core=True, sort="title", per_page=limit, facets=())
    hits = run_search(services, params).result.hits
    users = {row.dataset_id: len(row.used_by) for row in list_core(services.store)}
    listed = [
        CoreListed(
            h.id,
            str(h.summary.get("title", h.id)),
            dataset_path(str(h.summary.get("title", "")), h.id),
            users.get(h.id, 0),
        )
        for h in hits
    ]
    return sorted(listed, key=lambda c: (-c.users, c.title.casefold()))


def _parent(services: Services, record_id: str) -> str | None:
    """The organization the publisher is part of (``subOrganizationOf``), as its newest dataset says."""
    try:
        record = services.store.get_record(record_id)
    except NotFound:
        return None
    publisher: dict[str, Any] = record.dataset.get("publisher") or {}
    parent = publisher.get("subOrganizationOf") or {}
    name = parent.get("name") if isinstance(parent, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def _sources(
    services: Services, publisher: Publisher, names: list[str], registered: OrganizationRow | None, now: datetime
) -> list[SourceHealth]:
    """Sources that brought in the publisher's datasets, and sources registered for it (even empty ones)."""
    owner = registered.id if registered else None
    chosen = [
        s
        for s in services.store.list_sources()
        if s.kind != "api"
        and (
            s.name in names
            or (owner is not None and s.organization_id == owner)
            or (s.publisher and organization_slug(s.publisher) == publisher.slug)
        )
    ]
    return [source_health(services.store, s, now, problems=True) for s in chosen]
