"""How link states are shown: each distribution's ``link_status`` in the API, the flags on a dataset's
page, and the counts and lists on source and organization pages (read from ``index.linkchecks``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from catalog_api.schemas import DatasetDetail, DistributionPublic, LinkStatusPublic
from index.linkchecks import STATES, BrokenLink, LinkStatus, broken_links, link_counts, link_statuses
from index.store import Store
from mappings.model import Dataset, Distribution

# worst first: a distribution shows the worst state among its links
SEVERITY = {"broken": 0, "redirected": 1, "unchecked": 2, "ok": 3}
FLAGGED = ("broken", "redirected")
LISTED = 50  # links listed on a source or organization page


def distribution_urls(dist: Distribution) -> list[str]:
    return [u.strip() for u in (dist.download_url, dist.access_url) if u and u.strip()]


def statuses_of(store: Store, dataset: Dataset) -> dict[str, LinkStatus]:
    return link_statuses(store, [u for d in dataset.distribution for u in distribution_urls(d)])


def worst(dist: Distribution, statuses: Mapping[str, LinkStatus]) -> LinkStatus | None:
    """The distribution's link in the worst state (None when it has no link)."""
    found = [statuses.get(u, LinkStatus(u)) for u in distribution_urls(dist)]
    return min(found, key=lambda s: SEVERITY.get(s.status, 2)) if found else None


def with_link_statuses(store: Store, dataset: Dataset) -> DatasetDetail:
    """``dataset`` with each distribution's ``link_status``."""
    statuses = statuses_of(store, dataset)
    shown = [_distribution(d, worst(d, statuses)) for d in dataset.distribution]
    values: dict[str, Any] = {name: getattr(dataset, name) for name in Dataset.model_fields if name != "distribution"}
    return DatasetDetail(**values, distribution=shown)


def _distribution(dist: Distribution, status: LinkStatus | None) -> DistributionPublic:
    public = LinkStatusPublic(status="unchecked")
    if status is not None:
        public = LinkStatusPublic(
            status=status.status if status.status in STATES else "unchecked",
            checked_at=status.checked_at,
            http_status=status.http_status,
            url=status.url,
            final_url=status.final_url if status.status == "redirected" else None,
        )
    values = {name: getattr(dist, name) for name in Distribution.model_fields}
    return DistributionPublic(**values, link_status=public)


@dataclass(frozen=True, slots=True)
class LinkFlag:
    """A distribution link the link checker found broken or moved (``catalog_api/linkcheck``)."""

    field: str  # downloadURL or accessURL
    status: str  # broken or redirected
    http_status: int | None
    checked_at: datetime | None
    final_url: str | None  # where a moved link leads (safe to link to), if anywhere
    message: str | None

    @property
    def words(self) -> str:
        what = "The download link" if self.field == "downloadURL" else "The link"
        if self.status == "redirected":
            return f"{what} has moved" + (" (HTTP " + str(self.http_status) + ")" if self.http_status else "")
        answer = f"HTTP {self.http_status}" if self.http_status else (self.message or "no answer")
        return f"{what} did not work when last checked ({answer})"


def link_flags(dataset: Dataset, statuses: Mapping[str, LinkStatus]) -> dict[int, list[LinkFlag]]:
    """Each distribution's links found broken or moved, by the distribution's position (from 0)."""
    out: dict[int, list[LinkFlag]] = {}
    for position, dist in enumerate(dataset.distribution):
        for name, url in (("downloadURL", dist.download_url), ("accessURL", dist.access_url)):
            found = statuses.get(url.strip()) if url else None
            if found is not None and found.status in FLAGGED:
                out.setdefault(position, []).append(_flag(name, found))
    return out


def _flag(name: str, status: LinkStatus) -> LinkFlag:
    moved_to = status.final_url if status.status == "redirected" else None
    return LinkFlag(name, status.status, status.http_status, status.checked_at, moved_to, status.message)


@dataclass(frozen=True, slots=True)
class LinkSummary:
    """A source's or organization's links: counts per state and the flagged ones (the first ``LISTED``)."""

    counts: dict[str, int]
    flagged: list[BrokenLink]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def checked(self) -> int:
        return self.total - self.counts.get("unchecked", 0)


def link_summary(store: Store, *, source_id: int | None = None, organization_id: int | None = None) -> LinkSummary:
    counts = link_counts(store, source_id=source_id, organization_id=organization_id)
    flagged: Sequence[BrokenLink] = ()
    if counts.get("broken") or counts.get("redirected"):
        flagged = broken_links(
            store, source_id=source_id, organization_id=organization_id, states=FLAGGED, limit=LISTED
        )
    return LinkSummary(counts, sorted(flagged, key=lambda b: SEVERITY.get(b.status, 2)))
