"""What an organization's admin view shows: its sources with their harvest health, drafts waiting for
review, its keys (to admins), its newest datasets (to edit) and its recent changes; and the review
queue with each draft's changes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from catalog_api.governance.auth import Principal
from catalog_api.reports import problem_tally
from catalog_api.search import SearchParams, run_search
from catalog_api.services import Services
from catalog_api.web.health import SourceHealth, source_health
from catalog_api.web.search_view import ResultView, result_view
from index.governance import (
    AuditRow,
    DraftRow,
    KeyRow,
    OrganizationRow,
    audit_entries,
    field_diff,
    list_drafts,
    list_keys,
    list_organizations,
)
from index.search.base import OrderBy, SearchQuery
from index.store import NotFound
from mappings.problems import Tally

RECENT = 20


@dataclass(frozen=True, slots=True)
class AdminView:
    organization: OrganizationRow
    sources: list[SourceHealth]
    drafts: list[DraftRow]
    keys: list[KeyRow] | None  # None: not an admin
    datasets: list[ResultView]
    changes: list[AuditRow]
    can_review: bool
    organizations: list[OrganizationRow]  # the CDO switches between them
    problems: Tally | None = None  # the organization's problems by kind (issue 13)
    lowest: list[ResultView] = field(default_factory=list)  # its lowest quality scores


def admin_view(services: Services, principal: Principal, org: OrganizationRow) -> AdminView:
    store = services.store
    now = datetime.now(UTC)
    owned = [s for s in store.list_sources() if s.organization_id == org.id and s.kind != "api"]
    is_admin = principal.cdo or (principal.organization.id == org.id and principal.can("admin"))
    params = SearchParams(filters={"publisher": (org.title,)}, sort="modified", per_page=RECENT, facets=())
    hits = run_search(services, params).result.hits
    return AdminView(
        organization=org,
        sources=[source_health(store, s, now) for s in owned],
        drafts=list_drafts(store, organization_id=org.id),
        keys=list_keys(store, org.id) if is_admin else None,
        datasets=[result_view(h.summary, now) for h in hits],
        changes=audit_entries(store, organization_id=org.id, limit=RECENT)[1],
        can_review=principal.cdo or principal.can("reviewer"),
        organizations=list_organizations(store) if principal.cdo else [],
        problems=problem_tally(services, organization_id=org.id),
        lowest=_lowest(services, org, now),
    )


def _lowest(services: Services, org: OrganizationRow, now: datetime) -> list[ResultView]:
    """The organization's datasets with the lowest quality scores (what to improve first)."""
    query = SearchQuery(filters={"publisher": (org.title,)}, order=(OrderBy("quality"),), quality_min=0, limit=RECENT)
    return [result_view(h.summary, now) for h in services.index.search(replace(query, facets=())).hits]


@dataclass(frozen=True, slots=True)
class ReviewItem:
    draft: DraftRow
    title: str
    changes: list[dict[str, Any]]


def review_items(services: Services, principal: Principal, org: OrganizationRow | None) -> list[ReviewItem]:
    """Pending drafts (of ``org``, or every organization's for the CDO), each with what it changes."""
    if org is not None:
        principal.require("reviewer", org.id, "review drafts")
    drafts = list_drafts(services.store, organization_id=org.id if org else None)
    return [_item(services, d) for d in drafts]


def _item(services: Services, draft: DraftRow) -> ReviewItem:
    before: dict[str, Any] | None = None
    if draft.record_id:
        try:
            before = services.store.get_record(draft.record_id).dataset
        except NotFound:
            before = None
    title = str((draft.dataset or before or {}).get("title") or draft.record_id or "")
    return ReviewItem(draft, title, field_diff(before, draft.dataset))
