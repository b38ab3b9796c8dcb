"""``POST /api/v1/datasets/{id}/split``: an admin takes a record that is not the same dataset out of a
dataset merged from several sources (see ``docs/duplicates.md``); the split outlives re-harvests."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from catalog_api.deps import ServicesDep, api_url
from catalog_api.governance.auth import WriterDep
from catalog_api.merging import require_member, split_record
from catalog_api.routes.publishing import WRITE_RESPONSES
from catalog_api.schemas import Public
from index.ids import id_from_slug

router = APIRouter(prefix="/api/v1", tags=["publishing"])


class SplitRequest(Public):
    """The record to take out, named as the dataset's ``provenance`` lists it."""

    source: str = Field(min_length=1, max_length=100)
    original_identifier: str = Field(min_length=1, max_length=2000)


class SplitPublic(Public):
    dataset: str = Field(description="the merged dataset's API URL (it has a new id if its winner was split off)")
    split: str = Field(description="the API URL of the record taken out, now a dataset of its own")
    remaining: int = Field(description="how many sources still list the merged dataset")


@router.post(
    "/datasets/{dataset_id}/split",
    response_model=SplitPublic,
    summary="Split a record out of a merged dataset",
    responses={404: {"description": "no such merged dataset, or the record is not part of it"}, **WRITE_RESPONSES},
)
def split_dataset(dataset_id: str, body: SplitRequest, services: ServicesDep, principal: WriterDep) -> SplitPublic:
    merged = require_member(services, id_from_slug(dataset_id) or dataset_id)
    owner = services.store.get_record(merged).organization_id
    principal.require("admin", owner, "split a dataset merged from several sources")
    result = split_record(services, merged, body.source, body.original_identifier, principal.actor)
    settings = services.settings
    return SplitPublic(
        dataset=api_url(settings, result.dataset_id),
        split=api_url(settings, result.record_id),
        remaining=len(result.remaining),
    )
