"""Collections as every search surface sees them: the ``collection`` filter and facet, and a collection's
members as a walk over the index.

The filter and the facet are computed from the index when asked (``index.collections.membership``): the
filter AND-s a collection's clause into the query's ``where``; the facet runs the query once more per
collection with that clause, no hits and no other facets (a count). So both backends answer them the same
way and a harvest that adds or changes a dataset changes what every collection holds at once. Cost: one
store read of the collections a search, and one count query per collection when the facet is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from rdflib import Graph, URIRef
from sqlalchemy import select

from catalog_api.exporting import ExportTally, datajson_chunks, part_header
from catalog_api.representations import entry
from catalog_api.services import Services
from catalog_api.settings import Settings
from index.collections import CollectionRow, membership
from index.search.base import AllOf, AnyOf, Clause, FacetCount, Match, OrderBy, SearchBackend, SearchQuery
from index.store import EXPORT_COLUMNS, ExportRow, Store
from index.tables import records, sources
from mappings.catalog_rdf import CatalogDescription, describe_catalog, publish_dataset
from mappings.graphs import record_graph
from mappings.rdf_out import bind_prefixes
from mappings.vocab import DCAT, DCTERMS

COLLECTION = "collection"  # the filter's and the facet's name on every search surface


def collection_where(known: Sequence[CollectionRow], slugs: Sequence[str]) -> Clause:
    """Documents in every collection named (an unknown slug matches nothing, as any unknown facet value)."""
    by_slug = {c.slug.casefold(): c for c in known}
    clauses: list[Clause] = []
    for slug in slugs:
        found = by_slug.get(slug.strip().casefold())
        clauses.append(membership(found) if found is not None else AnyOf(()))
    return AllOf(tuple(clauses))


def with_where(query: SearchQuery, clause: Clause) -> SearchQuery:
    """``query`` narrowed by ``clause`` as well as its own ``where``."""
    return replace(query, where=clause if query.where is None else AllOf((query.where, clause)))


def collection_counts(
    index: SearchBackend, query: SearchQuery, known: Sequence[CollectionRow], limit: int
) -> list[FacetCount]:
    """The ``collection`` facet of ``query``: how many of its results each collection holds (none: left out)."""
    counts = []
    for collection in known:
        counted = replace(with_where(query, membership(collection)), offset=0, limit=0, after=None, facets=())
        total = index.search(counted).total
        if total:
            counts.append(FacetCount(collection.slug, total))
    counts.sort(key=lambda c: (-c.count, c.value))
    return counts[:limit]


def member_ids(index: SearchBackend, collection: CollectionRow, batch: int = 1000) -> Iterator[str]:
    """Every dataset in the collection now, in id order."""
    offset = 0
    while True:
        query = SearchQuery(where=membership(collection), order=(OrderBy("id"),), offset=offset, limit=batch, facets=())
        hits = index.search(query).hits
        yield from (h.id for h in hits)
        if len(hits) < batch:
            return
        offset += batch


def collections_of(services: Services, record_id: str) -> list[CollectionRow]:
    """The collections a dataset is in now (one count query per collection)."""
    return [
        c
        for c in services.collections.rows()
        if services.index.search(
            SearchQuery(where=AllOf((Match("id", record_id), membership(c))), limit=0, facets=())
        ).total
    ]


def count_members(index: SearchBackend, collection: CollectionRow) -> int:
    return index.search(SearchQuery(where=membership(collection), limit=0, facets=())).total


# -- exports ---------------------------------------------------------------------------------------


def collection_iri(settings: Settings, collection: CollectionRow) -> str:
    return f"{settings.base_url}/collections/{collection.slug}/catalog"


def collection_catalog(services: Services, collection: CollectionRow) -> Graph:
    """The collection as its own ``dcat:Catalog`` (DCAT-AP 3, as ``/catalog`` publishes each dataset), a
    part of the whole catalog (``dcterms:isPartOf``; the whole lists it with ``dcat:catalog``)."""
    settings = services.settings
    description = CatalogDescription(
        iri=collection_iri(settings, collection),
        homepage=f"{settings.base_url}/collections/{collection.slug}",
        title=collection.title,
        description=collection.description or collection.title,
        publisher=settings.default_publisher or settings.catalog_title,
        base_url=settings.base_url,
    )
    graph = bind_prefixes(record_graph())
    node = describe_catalog(graph, description)
    whole = URIRef(f"{settings.base_url}/catalog")
    graph.add((node, DCTERMS.isPartOf, whole))
    graph.add((whole, DCAT.catalog, node))
    ids = list(member_ids(services.index, collection))
    for start in range(0, len(ids), 500):
        for row in sorted(services.store.get_records(ids[start : start + 500]), key=lambda r: r.id):
            if not row.withdrawn:
                dataset = publish_dataset(graph, entry(settings, row), description)
                graph.add((node, DCAT.dataset, dataset))
                graph.add((node, DCAT.record, URIRef(f"{dataset}#record")))
    return graph


def collection_datajson(
    services: Services, collection: CollectionRow, version: str, tally: ExportTally | None = None
) -> Iterator[bytes]:
    """The collection's datasets as a data.json of its own (each checked and repaired as ``/data.json``'s)."""
    settings = services.settings
    catalog_id = f"{settings.base_url}/collections/{collection.slug}/data.json"
    header = part_header(settings, version, catalog_id)
    if version == "3.0":
        header = {**header, "title": collection.title, "description": collection.description or collection.title}
    batches = _export_batches(services.store, list(member_ids(services.index, collection)))
    return datajson_chunks(services.store, settings, tally, version, batches=batches, header=header)


def _export_batches(store: Store, ids: Sequence[str], batch: int = 500) -> Iterator[list[ExportRow]]:
    """The live records among ``ids`` as ``Store.iter_export_rows`` gives them, in id order."""
    columns = EXPORT_COLUMNS
    for start in range(0, len(ids), batch):
        query = (
            select(*columns)
            .join(sources, sources.c.id == records.c.source_id)
            .where(records.c.withdrawn.is_(False), records.c.id.in_(list(ids[start : start + batch])))
            .order_by(records.c.id)
        )
        with store.engine.connect() as connection:
            rows = [ExportRow(*r) for r in connection.execute(query)]
        if rows:
            yield rows
