"""``/collections`` and ``/collections/{slug}``: curated subject collections as pages, and each collection
as its own ``dcat:Catalog`` (``/collections/{slug}/catalog.ttl`` …) and ``data.json``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from catalog_api.collections import COLLECTION, collection_catalog, collection_datajson, count_members
from catalog_api.deps import ServicesDep
from catalog_api.errors import ApiError
from catalog_api.openapi import media
from catalog_api.search import SearchParams, run_search
from catalog_api.services import Services
from catalog_api.templating import templates
from catalog_api.web.search_view import FACET_LABELS, ResultView, facet_value_label, result_view
from index.collections import CollectionRow, get_collection, list_collections
from index.governance import list_organizations
from mappings.rdf_out import FORMATS
from mappings.rdfwriters import write

router = APIRouter(tags=["federation"])
pages = APIRouter(tags=["pages"], include_in_schema=False)
RECENT = 10


@dataclass(frozen=True, slots=True)
class CollectionView:
    slug: str
    title: str
    description: str | None
    datasets: int
    href: str
    search_href: str
    owners: list[tuple[str, str]]  # (title, href)
    rule: list[tuple[str, str]]  # (label, value) of the saved search
    by_hand: tuple[int, int]  # included, excluded
    recent: list[ResultView]


def collection_view(services: Services, row: CollectionRow, *, recent: bool = False) -> CollectionView:
    titles = {o.slug: o.title for o in list_organizations(services.store)}
    rule = [("Words", f"“{row.rule.q}”")] if row.rule.q else []
    rule += [(FACET_LABELS[k][0], facet_value_label(k, v)) for k, vs in row.rule.filters.items() for v in vs]
    hits = []
    if recent:
        params = SearchParams(filters={COLLECTION: (row.slug,)}, sort="modified", per_page=RECENT, facets=())
        hits = [result_view(h.summary) for h in run_search(services, params).result.hits]
    return CollectionView(
        slug=row.slug,
        title=row.title,
        description=row.description,
        datasets=count_members(services.index, row),
        href=f"/collections/{row.slug}",
        search_href=f"/?{COLLECTION}={row.slug}",
        owners=[(titles.get(o, o), f"/organization/{o}") for o in row.owners],
        rule=rule,
        by_hand=(len(row.included), len(row.excluded)),
        recent=hits,
    )


@pages.get("/collections", response_class=HTMLResponse)
def collections_page(request: Request, services: ServicesDep) -> HTMLResponse:
    views = [collection_view(services, r) for r in list_collections(services.store)]
    return templates(request).TemplateResponse(request, "collections.html", {"collections": views})


@pages.get("/collections/{slug}", response_class=HTMLResponse)
def collection_page(slug: str, request: Request, services: ServicesDep) -> HTMLResponse:
    view = collection_view(services, get_collection(services.store, slug), recent=True)
    formats = [(fmt, f"/collections/{slug}/catalog.{fmt}") for fmt in FORMATS]
    context = {"c": view, "formats": formats}
    return templates(request).TemplateResponse(request, "collection.html", context)


Slug = Annotated[str, Path(max_length=100, description="the collection's slug")]
Format = Annotated[str, Path(json_schema_extra={"enum": list(FORMATS)}, description="ttl, rdf, jsonld or nt")]


@router.get(
    "/collections/{slug}/catalog.{fmt}",
    summary="A collection as its own dcat:Catalog (DCAT-AP 3 RDF: ttl, rdf, jsonld or nt)",
    response_class=Response,
    responses=media(*(m for _, m in FORMATS.values()), description="the collection as a DCAT catalog"),
)
def collection_rdf(slug: Slug, fmt: Format, services: ServicesDep) -> Response:
    if fmt not in FORMATS:
        raise ApiError(404, "not_found", f"no catalog format {fmt!r}; use one of {', '.join(FORMATS)}")
    graph = collection_catalog(services, get_collection(services.store, slug))
    return Response(write(graph, fmt), media_type=FORMATS[fmt][1])


@router.get(
    "/collections/{slug}/data.json",
    summary="A collection as a data.json of its own (DCAT-US 1.1 or 3.0)",
    response_class=StreamingResponse,
    responses=media("application/json", description="a DCAT-US catalog (data.json)", schema={"type": "object"}),
)
def collection_data_json(
    slug: Slug,
    services: ServicesDep,
    version: Annotated[
        Literal["1.1", "3.0"] | None, Query(description="DCAT-US version (default: what /data.json serves)")
    ] = None,
) -> StreamingResponse:
    row = get_collection(services.store, slug)
    chunks = collection_datajson(services, row, version or services.settings.datajson_version)
    return StreamingResponse(chunks, media_type="application/json")
