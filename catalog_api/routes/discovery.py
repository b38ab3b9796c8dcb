"""Being found: the OpenSearch description, search results as Atom and RSS, type-ahead suggestions, the
sitemaps and robots.txt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from catalog_api.conditional import head_response, not_modified, validators_for
from catalog_api.deps import ServicesDep, api_url, html_url
from catalog_api.errors import ApiError
from catalog_api.feeds import FeedItem, FeedPage, atom, rss
from catalog_api.openapi import NOT_MODIFIED, errors, media
from catalog_api.opensearch import DESCRIPTION_MEDIA, SUGGESTIONS_MEDIA, description_document
from catalog_api.search import SearchOutcome, SearchParams, clamped, run_search
from catalog_api.search_params import SearchParamsDep
from catalog_api.services import Services
from catalog_api.sitemaps import dataset_file, index_document, pages_document, robots_txt
from index.publishing import Moments, catalog_version, chunks, moments
from mappings.derive import parse_modified
from mappings.richtext import plain_text, title_text

router = APIRouter(tags=["discovery"])

FEEDS = {"atom": ("application/atom+xml", atom), "rss": ("application/rss+xml", rss)}
XML = "application/xml"
SUGGESTIONS = {"type": "array", "minItems": 2, "maxItems": 2}  # [the query, [completions]]


@router.get(
    "/opensearch.xml",
    summary="OpenSearch 1.1 description (HTML, Atom, RSS, JSON, suggestions)",
    response_class=Response,
    responses={**media(DESCRIPTION_MEDIA, description="the OpenSearch description document"), **errors(503)},
)
def opensearch(services: ServicesDep) -> Response:
    top = run_search(services, SearchParams(per_page=1, facets=("keyword",), facet_limit=1)).result.facets
    example = top["keyword"][0].value if top.get("keyword") else None
    return Response(description_document(services.settings, example), media_type=DESCRIPTION_MEDIA)


@router.get(
    "/search.atom",
    summary="Search results as an Atom feed (same parameters as /api/v1/datasets)",
    response_class=Response,
    responses={**media(FEEDS["atom"][0], description="an Atom 1.0 feed with OpenSearch elements"), **errors(503)},
)
def search_atom(request: Request, services: ServicesDep, params: SearchParamsDep) -> Response:
    return _feed(request, services, params, "atom")


@router.get(
    "/search.rss",
    summary="Search results as an RSS 2.0 feed (same parameters as /api/v1/datasets)",
    response_class=Response,
    responses={**media(FEEDS["rss"][0], description="an RSS 2.0 feed with OpenSearch elements"), **errors(503)},
)
def search_rss(request: Request, services: ServicesDep, params: SearchParamsDep) -> Response:
    return _feed(request, services, params, "rss")


@router.get(
    "/api/v1/suggest",
    summary="Type-ahead suggestions (OpenSearch suggestions JSON)",
    tags=["api"],
    response_class=Response,
    responses={**media(SUGGESTIONS_MEDIA, description="[query, [titles]]", schema=SUGGESTIONS), **errors(503)},
)
def suggest(
    services: ServicesDep,
    q: Annotated[str, Query(max_length=200, description="what the user has typed so far")] = "",
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
) -> Response:
    completions = [title_text(t) for t in services.index.suggest(q, limit)] if q.strip() else []
    return Response(orjson.dumps([q, completions]), media_type=SUGGESTIONS_MEDIA)


# -- feeds -----------------------------------------------------------------------------------------


def _feed(request: Request, services: Services, params: SearchParams, kind: str) -> Response:
    settings = services.settings
    params = replace(clamped(params, settings.max_per_page, settings.max_result_window), facets=())  # none shown
    outcome = run_search(services, params)
    hits = outcome.result.hits
    known = moments(services.store, [h.id for h in hits])
    items = tuple(_item(services, h.summary, known.get(h.id)) for h in hits)
    media, writer = FEEDS[kind]
    base = settings.base_url
    query = request.url.query
    terms = (params.q or "").strip() or None
    page = FeedPage(
        title=f"{settings.catalog_title}: datasets matching “{terms}”"
        if terms
        else f"{settings.catalog_title}: datasets",
        subtitle=settings.catalog_description,
        author=settings.catalog_title,
        home_url=f"{base}/",
        self_url=f"{base}{request.url.path}" + (f"?{query}" if query else ""),
        html_url=f"{base}/" + (f"?{query}" if query else ""),
        json_url=f"{base}/api/v1/datasets" + (f"?{query}" if query else ""),
        description_url=f"{base}/opensearch.xml",
        total=outcome.result.total,
        start_index=(outcome.page - 1) * params.per_page + 1,
        per_page=params.per_page,
        page=outcome.page,
        updated=max((i.updated for i in items), default=datetime.now(UTC)),
        search_terms=terms,
        links=_paging(request, services, params, outcome, base),
        items=items,
    )
    return Response(writer(page), media_type=media)


def _item(services: Services, summary: Mapping[str, Any], known: Moments | None) -> FeedItem:
    settings = services.settings
    page = html_url(settings, summary["id"], summary["title"])
    updated = parse_modified(summary.get("modified")) or (known.last_changed if known else datetime.now(UTC))
    base = settings.base_url
    categories = tuple((k, f"{base}/?keyword=") for k in summary.get("keyword") or ()) + tuple(
        (t, f"{base}/?theme=") for t in summary.get("theme") or ()
    )
    return FeedItem(
        title=title_text(summary["title"]),
        description=plain_text(summary.get("description")),  # feed readers show it as text
        html_url=page,
        api_url=api_url(settings, summary["id"]),
        rdf_url=f"{page}.ttl",
        updated=updated,
        published=known.first_seen if known else None,
        publisher=summary.get("publisher"),
        categories=categories,
        formats=tuple(summary.get("format") or ()),
    )


def _paging(
    request: Request, services: Services, params: SearchParams, outcome: SearchOutcome, base: str
) -> dict[str, str]:
    """first / previous / next / last, by page number inside the result window, by cursor past it."""
    given = [(k, v) for k, v in request.query_params.multi_items() if v.strip()]
    kept = [(k, v) for k, v in given if k not in ("page", "cursor", "per_page")]
    if any(k == "per_page" for k, _ in given):
        kept.append(("per_page", str(params.per_page)))  # as clamped

    def url(**extra: Any) -> str:
        return f"{base}{request.url.path}?{urlencode([*kept, *extra.items()])}"

    window = services.settings.max_result_window // params.per_page
    pages = max(1, -(-outcome.result.total // params.per_page))
    links = {"first": url(page=1), "last": url(page=min(pages, max(window, 1)))}
    if outcome.page > 1 and outcome.page - 1 <= window:
        links["previous"] = url(page=outcome.page - 1)
    if outcome.page < pages:
        links["next"] = url(page=outcome.page + 1) if outcome.page + 1 <= window else url(cursor=outcome.next_cursor)
    return links


# -- sitemaps and robots.txt -----------------------------------------------------------------------


@router.head("/sitemap.xml", include_in_schema=False)
@router.get(
    "/sitemap.xml",
    summary="Sitemap index: the home page and every dataset page, with lastmod",
    response_class=Response,
    responses={**media(XML, description="a sitemap index"), **NOT_MODIFIED},
)
def sitemap_index(request: Request, services: ServicesDep) -> Response:
    version = catalog_version(services.store)
    current = validators_for(version, services.settings, "sitemap.xml")
    unchanged = not_modified(request, current)
    if unchanged is not None:
        return unchanged
    found = chunks(services.store, services.settings.sitemap_size)
    body = index_document(services.settings, found, version.last_modified)
    return Response(body, media_type=XML, headers=current.headers())  # HEAD: the server sends no body, only its length


@router.get(
    "/sitemaps/pages.xml",
    summary="Sitemap of the catalog's own pages",
    response_class=Response,
    responses=media(XML, description="a sitemap"),
)
def sitemap_pages(services: ServicesDep) -> Response:
    newest = catalog_version(services.store).last_modified
    return Response(pages_document(services.settings, newest), media_type=XML)


@router.head("/sitemaps/datasets-{number}.xml", include_in_schema=False)
@router.get(
    "/sitemaps/datasets-{number}.xml",
    summary="One sitemap file of dataset pages",
    response_class=Response,
    responses={**media(XML, description="a sitemap"), **NOT_MODIFIED},
)
def sitemap_datasets(number: int, request: Request, services: ServicesDep) -> Response:
    settings = services.settings
    version = catalog_version(services.store)
    files = -(-version.live // settings.sitemap_size)
    if not 1 <= number <= files:
        raise ApiError(404, "not_found", f"there are {files} dataset sitemap file(s); see /sitemap.xml")
    current = validators_for(version, settings, f"sitemaps/datasets-{number}.xml")
    unchanged = not_modified(request, current)
    if unchanged is not None:
        return unchanged
    if request.method == "HEAD":
        return head_response(XML, current.headers())
    return StreamingResponse(dataset_file(settings, services.store, number), media_type=XML, headers=current.headers())


@router.get("/robots.txt", summary="robots.txt pointing crawlers at the sitemap", response_class=PlainTextResponse)
def robots(services: ServicesDep) -> PlainTextResponse:
    return PlainTextResponse(robots_txt(services.settings))
