"""``/dataset/{slug-id}``: a dataset's page, and its JSON and RDF forms by extension or Accept."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from catalog_api.attention import core_public, usage_public
from catalog_api.collections import collections_of
from catalog_api.deps import AcceptHeader, ServicesDep
from catalog_api.errors import ApiError
from catalog_api.judging import record_judgement
from catalog_api.linkcheck.views import link_flags, statuses_of
from catalog_api.negotiation import choose, split_extension
from catalog_api.openapi import RDF_MEDIA, errors, media
from catalog_api.representations import alternates, dataset_url, json_response, rdf_response
from catalog_api.templating import templates
from catalog_api.usage import count_use
from catalog_api.web.dataset_view import (
    area_search,
    bbox_words,
    distributions,
    extent_map,
    other_forms,
    with_link_flags,
)
from catalog_api.web.preview_view import first_shown, previews_by_position
from catalog_api.web.provenance import provenance
from index.duplicates import dataset_of, merged_row
from index.ids import id_from_slug, slug_path
from index.linkchecks import link_states_of
from index.previews import record_previews
from mappings.model import Dataset
from mappings.schemaorg import schema_org_dataset

router = APIRouter(tags=["pages"])


@router.get(
    "/dataset/{segment}",
    summary="A dataset's page (HTML, JSON or DCAT RDF)",
    response_model=None,
    response_class=Response,
    responses={
        **media("text/html", "application/json", *RDF_MEDIA, description="the page, or the form asked for"),
        301: {"description": "the title changed (a new slug), or the record was merged into another source's"},
        **errors(404, 406, 410),
    },
)
def dataset_page(
    segment: str,
    request: Request,
    services: ServicesDep,
    accept: AcceptHeader = None,
) -> Response:
    stem, extension = split_extension(segment)
    record_id = id_from_slug(stem)
    if record_id is None:
        raise ApiError(404, "not_found", f"no dataset at /dataset/{segment}; dataset URLs end with their id")
    merged_into = dataset_of(services.store, record_id)
    if merged_into is not None:  # listed by several sources: one page, the winning record's
        moved = slug_path(services.store.get_record(merged_into).title, merged_into)
        return RedirectResponse(f"/dataset/{moved}{'.' + extension if extension else ''}", status_code=301)
    record = merged_row(services.store, services.store.get_record(record_id))
    if record.withdrawn:
        raise ApiError(410, "gone", f"dataset {record_id} was withdrawn by its source")
    settings = services.settings
    fmt = extension or choose(accept)
    if fmt is None:
        raise ApiError(
            406,
            "not_acceptable",
            "available as text/html, application/json, text/turtle, "
            "application/ld+json, application/rdf+xml and application/n-triples",
        )
    if fmt != "html":
        count_use(request, record.id, "api")  # the dataset's JSON and RDF forms are read by programs
        return json_response(record) if fmt == "json" else rdf_response(settings, record, fmt)
    canonical = slug_path(record.title, record.id)
    if stem != canonical:
        return RedirectResponse(f"/dataset/{canonical}", status_code=301)
    count_use(request, record.id, "view")
    dataset = Dataset.model_validate(record.dataset)
    page_url = dataset_url(settings, record)
    freshness, quality = record_judgement(record, services.clock(), link_states_of(services.store, [record.dataset]))
    context: dict[str, object] = {
        "freshness": freshness,
        "quality": quality,
        "dataset": dataset,
        "record": record,
        "canonical": page_url,
        "alternates": alternates(settings, record),
        "jsonld": _script_json(schema_org_dataset(dataset, url=page_url)),
        "catalog_title": settings.catalog_title,
        "distributions": with_link_flags(
            distributions(dataset), link_flags(dataset, statuses_of(services.store, dataset))
        ),
        "forms": other_forms(settings, record),
        "bbox": bbox_words(dataset),
        "extent_map": extent_map(dataset),
        "area_search": area_search(dataset),
        "source_title": services.store.get_source(record.source).title,
        "provenance": provenance(services, record),
        "usage": usage_public(services, record.id),
        "core": core_public(services, record.id),
        "in_collections": [(c.slug, c.title) for c in collections_of(services, record.id)],
    }
    context["previews"] = views = previews_by_position(record_previews(services.store, record.id))
    context["first_preview"] = first_shown(views)  # opened; the others stay folded
    return templates(request).TemplateResponse(request, "dataset.html", context, headers={"Vary": "Accept"})


def _script_json(value: object) -> str:
    """JSON safe inside ``<script>``: no ``<``, ``>`` or ``&`` that the HTML parser could act on."""
    text = orjson.dumps(value).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
