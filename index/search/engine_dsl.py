"""The index mapping, the documents and the queries Nutmeg sends to Elasticsearch and OpenSearch alike.

Pure functions from :mod:`index.search.base` types to request bodies and back; the products differ only in
transport (:mod:`index.search.engine_clients`), never here. The field layout:

==================  =========================================================================================
field               what it is for
==================  =========================================================================================
``title``           english-analysed text (stemmed, weight 10) + ``.plain`` (unstemmed, for prefixes)
                    + ``.sort`` (lower-cased keyword: A→Z sorting, type-ahead)
``description``     english-analysed text (weight 1); analysed once only, it is most of the text
facet fields        raw ``keyword`` (facet buckets are the exact value) + ``.folded`` (lowercase normalizer:
                    filters match case-insensitively); ``keyword`` and ``publisher`` also ``.text``
                    (english, weights 5 and 2) and ``.plain``
``modified``        epoch milliseconds (date); undated documents sort last; ``created`` and ``changed`` too
``name``            the dataset's page slug (``slug-id``, keyword): CKAN's ``name`` order
``spatial``         geo_shape envelope from ``SearchDoc.bbox`` (malformed boxes are ignored, not fatal)
``temporal``        date_range (epoch milliseconds) of the coverage period; open ends left open
``identifiers``     standard-analysed text of the identifier and landing page (weight 3)
``hash``            the store's content hash (compared by ``nutmeg doctor``)
``core``            boolean annotation (``core=true``), ``popularity`` long annotation (``sort=popular``):
                    changed in place by partial updates (:func:`annotate_actions`)
``summary``         stored, not indexed: what a hit shows
==================  =========================================================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from index.ids import slug_path
from index.search import judged
from index.search.base import (
    FACETS,
    GROUPED_FACETS,
    Annotation,
    AnyOf,
    Box,
    Clause,
    FacetCount,
    Hit,
    Match,
    Not,
    OrderBy,
    Range,
    SearchDoc,
    SearchError,
    SearchQuery,
    SortKey,
    Words,
    check_order,
    check_where,
    merge_spellings,
)
from index.search.text import Term, parse

# Field weights, the same as the embedded index's: title and keywords over description.
TEXT_FIELDS: tuple[tuple[str, float], ...] = (
    ("title", 10.0),
    ("keyword.text", 5.0),
    ("publisher.text", 2.0),
    ("description", 1.0),
    ("identifiers", 3.0),
)
EXACT_FIELD = "title.plain"  # a word or phrase found here unstemmed adds EXACT_BONUS to the score
EXACT_BONUS = 10.0
PLAIN_FIELDS: tuple[tuple[str, float], ...] = (
    ("title.plain", 10.0),
    ("keyword.plain", 5.0),
    ("publisher.plain", 2.0),
    ("description", 1.0),  # stemmed: a prefix longer than a description word's stem can miss it
)
TEXT_FACETS = ("keyword", "publisher")
MAX_KEYWORD_CHARS = 8191  # 4 bytes a char stays under Lucene's 32766-byte term limit
# Sort value Elasticsearch/OpenSearch report for a document without ``modified`` sorted last in a
# descending sort; the cursor maps it to ``None`` and back.
MISSING_DESC = -(2**63)
MISSING_INT_DESC = -(2**31)  # the same for an integer field (quality)
HASH_PAGE = 5000
MAX_BUCKETS = 65_536  # the engine's search.max_buckets default
RESULT_WINDOW = 10_000


# Fields added to the mapping since the first release: put on an older index when Nutmeg meets it (adding
# fields to a mapping is allowed; its documents lack them until ``nutmeg reindex``).
ADDED_PROPERTIES: dict[str, Any] = {
    "created": {"type": "date", "format": "epoch_millis"},
    "changed": {"type": "date", "format": "epoch_millis"},
    "name": {"type": "keyword"},
    "spatial": {"type": "geo_shape", "ignore_malformed": True},
    "temporal": {"type": "date_range", "format": "epoch_millis"},
    "identifiers": {"type": "text", "analyzer": "standard"},
    # annotations (index/annotations.py), changed in place by partial updates
    "core": {"type": "boolean"},
    "popularity": {"type": "long"},
    **judged.PROPERTIES,  # due_at, stale_at, quality (issue 13)
}


def index_body(*, shards: int = 1, replicas: int = 0, refresh_interval: str = "1s") -> dict[str, Any]:
    """Settings and mappings of one versioned index."""
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "refresh_interval": refresh_interval,
                "max_result_window": RESULT_WINDOW,
            },
            "analysis": {"normalizer": {"folded": {"type": "custom", "filter": ["lowercase", "trim"]}}},
        },
        "mappings": {"dynamic": "strict", "properties": _properties()},
    }


def _properties() -> dict[str, Any]:
    plain = {"type": "text", "analyzer": "standard"}
    properties: dict[str, Any] = {
        "id": {"type": "keyword"},
        "hash": {"type": "keyword", "index": False},
        "title": {
            "type": "text",
            "analyzer": "english",
            "fields": {"plain": plain, "sort": _folded_keyword()},
        },
        "description": {"type": "text", "analyzer": "english"},
        "modified": {"type": "date", "format": "epoch_millis"},
        "summary": {"type": "object", "enabled": False},
        **ADDED_PROPERTIES,
    }
    for name in FACETS:
        fields: dict[str, Any] = {"folded": _folded_keyword()}
        if name in TEXT_FACETS:
            fields |= {"text": {"type": "text", "analyzer": "english"}, "plain": plain}
        # facet buckets come from global ordinals: build them at refresh, not on the first search after it
        properties[name] = {
            "type": "keyword",
            "ignore_above": MAX_KEYWORD_CHARS,
            "eager_global_ordinals": True,
            "fields": fields,
        }
    return properties


def _folded_keyword() -> dict[str, Any]:
    return {"type": "keyword", "normalizer": "folded", "ignore_above": MAX_KEYWORD_CHARS}


# -- documents --------------------------------------------------------------------------------------


def document(doc: SearchDoc) -> dict[str, Any]:
    """The ``_source`` of one search document."""
    body: dict[str, Any] = {
        "id": doc.id,
        "hash": doc.content_hash,
        "title": doc.title,
        "description": doc.description,
        "modified": millis(doc.modified) if doc.modified is not None else None,
        "created": millis(doc.created) if doc.created is not None else None,
        "changed": millis(doc.changed) if doc.changed is not None else None,
        "name": slug_path(doc.title, doc.id),
        "summary": dict(doc.summary),
        **annotation_fields(Annotation(doc.core, doc.popularity)),
    }
    for name in FACETS:
        body[name] = list(doc.facet_values(name))
    if doc.bbox is not None:
        body["spatial"] = envelope(doc.bbox)
    if doc.temporal is not None:
        start, end = doc.temporal
        body["temporal"] = {
            **({"gte": millis(start)} if start is not None else {}),
            **({"lte": millis(end)} if end is not None else {}),
        }
    if doc.identifiers:
        body["identifiers"] = " ".join(doc.identifiers)
    body |= judged.engine_fields(doc)
    return body


def annotation_fields(annotation: Annotation) -> dict[str, Any]:
    return {"core": annotation.core, "popularity": annotation.popularity}


def annotate_actions(index: str, values: Mapping[str, Annotation]) -> list[dict[str, Any]]:
    """Partial updates of the annotation fields only (a missing document answers 404, which is ignored)."""
    lines: list[dict[str, Any]] = []
    for id_, annotation in values.items():
        lines.append({"update": {"_index": index, "_id": id_}})
        lines.append({"doc": annotation_fields(annotation)})
    return lines


def _core(wanted: bool) -> dict[str, Any]:
    """Core documents (``wanted``) or the others (documents indexed before the field existed included)."""
    is_core = {"term": {"core": True}}
    return is_core if wanted else {"bool": {"must_not": [is_core]}}


def envelope(bbox: Box) -> dict[str, Any]:
    """A geo_shape envelope (upper-left, lower-right) from west, south, east, north; west > east crosses
    the antimeridian, as the engines read an envelope."""
    west, south, east, north = bbox
    if west == east or south == north:  # an envelope without area is malformed to the engines
        if west == east and south == north:
            return {"type": "point", "coordinates": [west, south]}
        return {"type": "linestring", "coordinates": [[west, south], [east, north]]}
    return {"type": "envelope", "coordinates": [[west, max(south, north)], [east, min(south, north)]]}


def millis(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


# -- queries ----------------------------------------------------------------------------------------


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The request body of one search: query, sort, paging, facets."""
    body: dict[str, Any] = {
        "query": _query(query),
        "sort": order_sort(query.order) if query.order else _sort(query.sort),
        "size": query.limit,
        "track_total_hits": True,
        "_source": ["summary"],
    }
    if query.after is not None:
        body["search_after"] = search_after(query.sort, query.after)
    elif query.offset:
        body["from"] = query.offset
    stored = judged.stored_facets(query.facets)
    if stored:
        body["aggs"] = {name: _facet_agg(name, query.facet_limit) for name in _known(stored)}
    extra = judged.engine_aggs(query)
    if extra:
        body["aggs"] = body.get("aggs", {}) | extra
    return body


def _query(query: SearchQuery) -> dict[str, Any]:
    must: list[dict[str, Any]] = []
    must_not: list[dict[str, Any]] = []
    terms = parse(query.text)
    for term in terms:
        (must_not if term.negated else must).append(text_clause(term))
    filters = [_filter(name, value) for name, values in query.filters.items() for value in values]
    date_range = _date_range(query)
    if date_range:
        filters.append({"range": {"modified": date_range}})
    if query.where is not None:
        check_where(query.where)
        filters.append(where_clause(query.where))
    filters += _where_and_when(query)
    if query.core is not None:
        filters.append(_core(query.core))
    filters += judged.engine_filters(query)
    if not (must or must_not or filters):
        return {"match_all": {}}
    body: dict[str, Any] = {"must": must, "must_not": must_not, "filter": filters}
    if must:
        wanted = [t for t in terms if not t.negated and not t.prefix]
        body["should"] = [_exact_bonus(t.text) for t in wanted]
    return {"bool": body}


def _exact_bonus(text: str) -> dict[str, Any]:
    """A fixed bonus when the word or phrase is in the title unstemmed (as the embedded index adds)."""
    return {"constant_score": {"filter": {"match_phrase": {EXACT_FIELD: text}}, "boost": EXACT_BONUS}}


def _where_and_when(query: SearchQuery) -> list[dict[str, Any]]:
    """The ``bbox`` filter (intersecting boxes) and the coverage filter (overlapping periods)."""
    filters: list[dict[str, Any]] = []
    if query.bbox is not None:
        shape = envelope(query.bbox)
        filters.append({"geo_shape": {"spatial": {"shape": shape, "relation": "intersects"}}})
    if query.temporal_from is not None or query.temporal_to is not None:
        bounds: dict[str, Any] = {"relation": "intersects"}
        if query.temporal_from is not None:
            bounds["gte"] = millis(query.temporal_from)
        if query.temporal_to is not None:
            bounds["lte"] = millis(query.temporal_to)
        filters.append({"range": {"temporal": bounds}})
    return filters


def where_clause(clause: Clause) -> dict[str, Any]:
    """A ``where`` tree as a query in filter context (no scoring)."""
    if isinstance(clause, Match):
        if clause.field == "id":
            return {"term": {"id": clause.value}}
        if clause.field == "core":
            return _core(clause.value.lower() == "true")
        if clause.exact:
            return {"term": {clause.field: " ".join(clause.value.split())}}
        return _filter(clause.field, clause.value)
    if isinstance(clause, Range):
        bounds: dict[str, int] = {}
        if clause.low is not None:
            bounds["gte" if clause.low_inclusive else "gt"] = millis(clause.low)
        if clause.high is not None:
            bounds["lte" if clause.high_inclusive else "lt"] = millis(clause.high)
        return {"range": {clause.field: bounds}} if bounds else {"exists": {"field": clause.field}}
    if isinstance(clause, Words):
        return _words(clause)
    if isinstance(clause, Not):
        return {"bool": {"must_not": [where_clause(clause.clause)]}}
    inner = [where_clause(c) for c in clause.clauses]
    if isinstance(clause, AnyOf):
        return {"bool": {"should": inner, "minimum_should_match": 1}} if inner else {"match_none": {}}
    return {"bool": {"filter": inner}}


# Each text field of a ``Words`` clause: (analysed field, unstemmed field for prefixes).
WORD_FIELDS: dict[str, tuple[str, str]] = {
    "title": ("title", "title.plain"),
    "description": ("description", "description"),
    "keyword": ("keyword.text", "keyword.plain"),
    "publisher": ("publisher.text", "publisher.plain"),
}


def _words(clause: Words) -> dict[str, Any]:
    fields = [(WORD_FIELDS[f][0], 1.0) for f in clause.fields]
    plain = [(WORD_FIELDS[f][1], 1.0) for f in clause.fields]
    must: list[dict[str, Any]] = []
    must_not: list[dict[str, Any]] = []
    for term in parse(clause.text):
        (must_not if term.negated else must).append(text_clause(term, fields, plain))
    return {"bool": {"must": must, "must_not": must_not}}


def text_clause(
    term: Term,
    fields: Sequence[tuple[str, float]] = TEXT_FIELDS,
    plain: Sequence[tuple[str, float]] = PLAIN_FIELDS,
) -> dict[str, Any]:
    """One parsed term: every word must appear in some field, weighted by field."""
    if term.prefix:
        return {
            "bool": {
                "should": [{"prefix": {f: {"value": term.text.lower(), "boost": w}}} for f, w in plain],
                "minimum_should_match": 1,
            }
        }
    kind = "phrase" if term.phrase else "best_fields"
    clause: dict[str, Any] = {"query": term.text, "type": kind, "fields": [f"{f}^{w:g}" for f, w in fields]}
    if not term.phrase:
        clause |= {"operator": "and", "zero_terms_query": "all"}
    return {"multi_match": clause}


def _filter(name: str, value: str) -> dict[str, Any]:
    if name not in FACETS:
        raise SearchError(f"unknown facet {name!r}; known: {', '.join(FACETS)}")
    return {"term": {f"{name}.folded": " ".join(value.split()).lower()}}


def _date_range(query: SearchQuery) -> dict[str, int]:
    bounds: dict[str, int] = {}
    if query.modified_since is not None:
        bounds["gte"] = millis(query.modified_since)
    if query.modified_before is not None:
        bounds["lt"] = millis(query.modified_before)
    return bounds


def _sort(sort: str) -> list[Any]:
    if sort == "title":
        return [{"title.sort": {"order": "asc", "missing": "_last"}}, {"id": "asc"}]
    if sort == "modified":
        return [{"modified": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
    if sort == "popular":  # a document indexed before popularity existed counts as 0, as on the embedded index
        return [{"popularity": {"order": "desc", "missing": 0, "unmapped_type": "long"}}, {"id": "asc"}]
    if sort == "quality":
        return [{"quality": {"order": "desc", "missing": "_last", "unmapped_type": "integer"}}, {"id": "asc"}]
    return [{"_score": "desc"}, {"id": "asc"}]


# ``order`` fields → the engine's sort fields and the type an index made before they existed assumes.
ORDER_SORT_FIELDS: dict[str, tuple[str, str]] = {
    "id": ("id", "keyword"),
    "name": ("name", "keyword"),
    "title": ("title.sort", "keyword"),
    "modified": ("modified", "date"),
    "created": ("created", "date"),
    "changed": ("changed", "date"),
    "popularity": ("popularity", "long"),
    "quality": ("quality", "integer"),
}


def order_sort(order: Sequence[OrderBy]) -> list[Any]:
    """The engine's sort for an ``order``: missing values last either way, ties by id."""
    check_order(order)
    sort: list[Any] = []
    for item in order:
        direction = "desc" if item.descending else "asc"
        if item.field == "score":
            sort.append({"_score": direction})
            continue
        name, kind = ORDER_SORT_FIELDS[item.field]
        sort.append({name: {"order": direction, "missing": "_last", "unmapped_type": kind}})
    if not any(o.field == "id" for o in order):
        sort.append({"id": "asc"})
    return sort


def _known(facets: Sequence[str]) -> list[str]:
    unknown = [f for f in facets if f not in FACETS]
    if unknown:
        raise SearchError(f"unknown facet {unknown[0]!r}; known: {', '.join(FACETS)}")
    return list(facets)


def _facet_agg(name: str, limit: int) -> dict[str, Any]:
    order = [{"_count": "desc"}, {"_key": "asc"}]
    return {"terms": {"field": name, "size": facet_size(name, limit), "order": order}}


def facet_size(name: str, limit: int) -> int:
    """Buckets to ask for: a grouped facet (keywords) asks for more, to merge their case variants."""
    size = max(limit, 1)
    return min(size * 4 + 50, MAX_BUCKETS) if name in GROUPED_FACETS and size < MAX_BUCKETS else size


# -- cursors ----------------------------------------------------------------------------------------


def search_after(sort: str, key: SortKey) -> list[Any]:
    """The engine's ``search_after`` values for a hit's sort key (the inverse of :func:`sort_key`)."""
    try:
        first, id_ = key
        if sort == "modified":
            return [MISSING_DESC if first is None else round(float(first) * 1000), str(id_)]
        if sort == "quality":
            return [MISSING_INT_DESC if first is None else round(float(first)), str(id_)]
        if sort == "title":
            return [str(first), str(id_)]
        if sort == "popular":
            return [int(first), str(id_)]
        return [float(first), str(id_)]
    except (TypeError, ValueError) as exc:
        raise SearchError(f"cursor {key!r} does not fit sort {sort!r}") from exc


def sort_key(sort: str, values: Sequence[Any]) -> SortKey:
    """A hit's sort key in the shape every backend uses: (score | seconds | lower-cased title, id)."""
    first, id_ = values[0], str(values[1])
    if sort == "modified":
        return (None if first is None or int(first) == MISSING_DESC else int(first) / 1000, id_)
    if sort == "quality":
        return (None if first is None or int(first) == MISSING_INT_DESC else float(first), id_)
    if sort == "title":
        return ("" if first is None else str(first), id_)
    if sort == "popular":
        return (0 if first is None else int(first), id_)
    return (float(first), id_)


# -- responses --------------------------------------------------------------------------------------


def hits(sort: str, response: Mapping[str, Any], *, ordered: bool = False) -> list[Hit]:
    """The hits of a response; with ``ordered`` (an ``order`` query) the sort key is the engine's sort values."""
    out = []
    for hit in response["hits"]["hits"]:
        source = hit.get("_source") or {}
        score = float(hit["_score"]) if hit.get("_score") is not None else 0.0
        key = tuple(hit["sort"]) if ordered else sort_key(sort, hit["sort"])
        out.append(Hit(hit["_id"], score, key, source.get("summary") or {}))
    return out


def facets(response: Mapping[str, Any], limit: int) -> dict[str, list[FacetCount]]:
    aggregations = response.get("aggregations") or {}
    found = {
        name: [FacetCount(str(b["key"]), int(b["doc_count"])) for b in agg["buckets"]]
        for name, agg in aggregations.items()
        if name in FACETS  # the derived ones (freshness, averages) are read by index.search.judged
    }
    return {name: merge_spellings(b, limit) if name in GROUPED_FACETS else b for name, b in found.items()}


def total(response: Mapping[str, Any]) -> int:
    value = response["hits"]["total"]
    return int(value["value"] if isinstance(value, Mapping) else value)


# -- the rest of the interface ----------------------------------------------------------------------


def hashes_body(after: str | None) -> dict[str, Any]:
    """One page of (id, hash) pairs in id order."""
    body: dict[str, Any] = {
        "query": {"match_all": {}},
        "sort": [{"id": "asc"}],
        "size": HASH_PAGE,
        "_source": ["hash"],
        "track_total_hits": False,
    }
    if after is not None:
        body["search_after"] = [after]
    return body


def suggest_body(prefix: str, limit: int) -> dict[str, Any]:
    """Titles beginning with ``prefix`` first, then titles with a word run beginning with it."""
    folded = " ".join(prefix.split()).lower()
    return {
        "query": {
            "bool": {
                "should": [
                    {"prefix": {"title.sort": {"value": folded, "boost": 3.0}}},
                    {"match_phrase_prefix": {"title.plain": {"query": folded, "max_expansions": 50}}},
                ],
                "minimum_should_match": 1,
            }
        },
        "size": limit * 3,
        "_source": ["title"],
        "sort": [{"_score": "desc"}, {"title.sort": "asc"}, {"id": "asc"}],
    }


def bulk_actions(index: str, docs: Sequence[SearchDoc]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for doc in docs:
        lines.append({"index": {"_index": index, "_id": doc.id}})
        lines.append(document(doc))
    return lines


def delete_actions(index: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    return [{"delete": {"_index": index, "_id": i}} for i in ids]
