"""A dataset's usage figures and core status as the API and the pages show them."""

from __future__ import annotations

from datetime import UTC, datetime

from catalog_api.schemas import CorePublic, OrganizationRef, UsageFigures, UsagePublic
from catalog_api.services import Services
from index.core import CoreRow, core_of
from index.usage import usage_of


def usage_public(services: Services, dataset_id: str) -> UsagePublic:
    found = usage_of(services.store, dataset_id, datetime.now(UTC).date())
    return UsagePublic(
        views=UsageFigures(last_30_days=found.views.last_30_days, all_time=found.views.all_time),
        api=UsageFigures(last_30_days=found.api.last_30_days, all_time=found.api.all_time),
        downloads=UsageFigures(last_30_days=found.downloads.last_30_days, all_time=found.downloads.all_time),
    )


def core_public(services: Services, dataset_id: str) -> CorePublic | None:
    found = core_of(services.store, dataset_id)
    return None if found is None else core_row_public(services, found)


def core_row_public(services: Services, row: CoreRow) -> CorePublic:
    base = services.settings.base_url
    return CorePublic(
        note=row.note,
        marked_by=row.marked_by,
        marked_at=row.marked_at,
        used_by=[
            OrganizationRef(slug=u.slug, title=u.title, url=f"{base}/api/v1/organizations/{u.slug}")
            for u in row.used_by
        ],
    )
