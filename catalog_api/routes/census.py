"""``/api/v1/census`` and ``/census``: where the state stands on its checklist of critical datasets."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import Field

from catalog_api.census import ChecklistError, ItemStanding, Judged, Standing, take_census
from catalog_api.deps import ServicesDep, api_url, html_url
from catalog_api.errors import ApiError
from catalog_api.schemas import Public
from catalog_api.services import Services
from catalog_api.settings import Settings
from catalog_api.templating import templates
from mappings.openness import CRITERIA

router = APIRouter(prefix="/api/v1", tags=["census"])
pages = APIRouter(tags=["pages"], include_in_schema=False)
LISTED = 10  # matched datasets listed per item (the best first)


class CensusDataset(Public):
    id: str
    title: str
    html_url: str
    api_url: str
    modified: datetime | None
    criteria: dict[str, bool] = Field(description="machine_readable, open_license, bulk_download, up_to_date")


class CensusItemPublic(Public):
    key: str
    title: str
    description: str
    q: list[str] = Field(description="the saved searches that match datasets to the item (any of them)")
    filters: dict[str, list[str]]
    max_age_days: int
    available: bool
    matches: int = Field(description="how many datasets match the item")
    criteria: dict[str, bool] = Field(description="each criterion, passed by the item's best dataset")
    score: int = Field(description="0–100: available plus each criterion of the best dataset, out of 5")
    datasets: list[CensusDataset] = Field(description=f"the best {LISTED} matches, best first")


class CensusPublic(Public):
    score: int = Field(description="0–100: the mean of the items' scores")
    available: int = Field(description="items with at least one matching dataset")
    items_total: int
    checked_at: datetime
    items: list[CensusItemPublic]


@router.get("/census", response_model=CensusPublic, summary="The open-data census: where the state stands")
def census(services: ServicesDep) -> CensusPublic:
    return census_public(services.settings, _standing(services))


@pages.get("/census", response_class=HTMLResponse)
def census_page(request: Request, services: ServicesDep) -> HTMLResponse:
    public = census_public(services.settings, _standing(services))
    return templates(request).TemplateResponse(request, "census.html", {"census": public, "criteria": CRITERIA})


def _standing(services: Services) -> Standing:
    try:
        return take_census(services, datetime.now(UTC))
    except ChecklistError as exc:
        raise ApiError(500, "bad_checklist", f"{exc}; fix the file NUTMEG_CENSUS_CHECKLIST names") from exc


def census_public(settings: Settings, standing: Standing) -> CensusPublic:
    return CensusPublic(
        score=standing.score,
        available=standing.available,
        items_total=len(standing.items),
        checked_at=standing.checked_at,
        items=[_item(settings, i) for i in standing.items],
    )


def _item(settings: Settings, standing: ItemStanding) -> CensusItemPublic:
    item, best = standing.item, standing.best
    return CensusItemPublic(
        key=item.key,
        title=item.title,
        description=item.description,
        q=list(item.q),
        filters={k: list(v) for k, v in item.filters.items()},
        max_age_days=item.max_age_days,
        available=standing.matches > 0,
        matches=standing.matches,
        criteria=_criteria(best),
        score=standing.score,
        datasets=[_dataset(settings, j) for j in standing.judged[:LISTED]],
    )


def _criteria(judged: Judged | None) -> dict[str, bool]:
    return {name: judged is not None and bool(getattr(judged.openness, name)) for name in CRITERIA}


def _dataset(settings: Settings, judged: Judged) -> CensusDataset:
    return CensusDataset(
        id=judged.id,
        title=judged.title,
        html_url=html_url(settings, judged.id, judged.title),
        api_url=api_url(settings, judged.id),
        modified=judged.modified,
        criteria=_criteria(judged),
    )
