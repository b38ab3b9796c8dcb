"""The whole catalog as DCAT RDF: ``/catalog.ttl``, ``.rdf``, ``.jsonld``, ``.nt`` (and ``/catalog`` by
Accept), in pages of ``NUTMEG_CATALOG_PAGE_SIZE`` datasets linked with Hydra, with ETags and 304s."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from catalog_api.conditional import head_response, not_modified, validators_for
from catalog_api.deps import MAX_PAGE, AcceptHeader, ServicesDep
from catalog_api.errors import ApiError
from catalog_api.negotiation import choose
from catalog_api.openapi import NOT_MODIFIED, errors, media
from catalog_api.representations import catalog_description, entry
from catalog_api.services import Services
from index.publishing import catalog_version, record_page
from mappings.catalog_rdf import PageLinks, catalog_page
from mappings.rdf_out import FORMATS
from mappings.rdfwriters import write

router = APIRouter(tags=["federation"])

Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page number (1 is the first); pages are linked with Hydra")]
FORMAT_MEDIA = tuple(media_type for _, media_type in FORMATS.values())
RDF_MEDIA = ", ".join(FORMAT_MEDIA)
# the extension, documented as the four formats; any other is answered 404 by the route (not a 400)
Format = Annotated[str, Path(json_schema_extra={"enum": list(FORMATS)}, description="ttl, rdf, jsonld or nt")]


@router.head("/catalog", include_in_schema=False)
@router.get(
    "/catalog",
    summary="The catalog as DCAT RDF, by Accept header",
    response_class=Response,
    responses={
        **media(*FORMAT_MEDIA, description="one page of the catalog as DCAT-AP RDF"),
        **NOT_MODIFIED,
        **errors(404, 406),
    },
)
def negotiated_catalog(
    request: Request, services: ServicesDep, page: Page = 1, accept: AcceptHeader = None
) -> Response:
    fmt = choose(accept, default="ttl")
    if fmt not in FORMATS:
        fmt = "ttl" if fmt is not None else None
    if fmt is None:
        raise ApiError(406, "not_acceptable", f"the catalog is available as {RDF_MEDIA}")
    response = _catalog(request, services, fmt, page)
    response.headers["Vary"] = "Accept"
    response.headers["Content-Location"] = f"/catalog.{fmt}?page={page}"
    return response


@router.head("/catalog.{fmt}", include_in_schema=False)
@router.get(
    "/catalog.{fmt}",
    summary="One page of the catalog as DCAT-AP RDF (ttl, rdf, jsonld or nt)",
    response_class=Response,
    responses={**media(*FORMAT_MEDIA, description="one page of the catalog as DCAT-AP RDF"), **NOT_MODIFIED},
)
def catalog_file(fmt: Format, request: Request, services: ServicesDep, page: Page = 1) -> Response:
    if fmt not in FORMATS:
        raise ApiError(404, "not_found", f"no catalog format {fmt!r}; use one of {', '.join(FORMATS)}")
    return _catalog(request, services, fmt, page)


def _catalog(request: Request, services: Services, fmt: str, page: int) -> Response:
    settings = services.settings
    version = catalog_version(services.store)
    current = validators_for(version, settings, f"catalog.{fmt}?page={page}")
    size = settings.catalog_page_size
    last = max(1, -(-version.live // size))
    if page > last:
        raise ApiError(404, "not_found", f"the catalog has {last} page(s) of {size} datasets; there is no page {page}")
    unchanged = not_modified(request, current)
    if unchanged is not None:
        return unchanged
    _, media = FORMATS[fmt]
    if request.method == "HEAD":
        return head_response(media, current.headers())
    rows = record_page(services.store, offset=(page - 1) * size, limit=size)
    graph = catalog_page(
        [entry(settings, r) for r in rows],
        catalog_description(settings),
        _links(settings.base_url, fmt, page, last, version.live, size),
    )
    return Response(write(graph, fmt), media_type=media, headers=current.headers())


def _links(base: str, fmt: str, page: int, last: int, total: int, size: int) -> PageLinks:
    def url(number: int) -> str:
        return f"{base}/catalog.{fmt}?page={number}"

    return PageLinks(
        url=url(page),
        first=url(1),
        last=url(last),
        previous=url(page - 1) if page > 1 else None,
        next=url(page + 1) if page < last else None,
        total=total,
        per_page=size,
    )
