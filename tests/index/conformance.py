"""The conformance suite every search backend passes (see ``index/search/base.py`` for the semantics).

A backend's test module subclasses :class:`BackendConformance` and provides a ``backend`` fixture that
returns an empty backend; every expectation here is computed independently from the corpus, so two
backends that pass return the same ids for the same filters and the same facet counts.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import pytest

from index.ids import slug_path
from index.search.base import (
    DATE_FIELDS,
    FACETS,
    AllOf,
    AnyOf,
    Box,
    Clause,
    Match,
    Not,
    OrderBy,
    Period,
    Range,
    SearchBackend,
    SearchDoc,
    SearchQuery,
    SearchResult,
    Words,
    intersects,
    overlaps,
)

PUBLISHERS = ["Department of Health", "Department of Transportation", "City of Springfield", "Port Authority"]
KEYWORDS = ["crime", "budget", "transit", "water quality", "schools", "covid-19", "parks", "housing"]
THEMES = ["Health", "Transportation", "Finance", "Environment"]
FORMATS = ["CSV", "JSON", "XLSX", "PDF", "GeoJSON"]
LICENSES = ["CC0-1.0", "CC-BY-4.0", "ODbL-1.0"]
SOURCES = ["state", "springfield", "port"]
BASE = datetime(2020, 1, 1, tzinfo=UTC)


def corpus(size: int = 240, seed: int = 7) -> list[SearchDoc]:
    """Deterministic documents with every facet populated unevenly, some undated, some shared titles."""
    rng = random.Random(seed)
    docs = []
    for i in range(size):
        keywords = tuple(sorted(rng.sample(KEYWORDS, rng.randint(1, 3))))
        title = f"{keywords[0].title()} report {i % 37}" if i % 11 else "Annual Summary"
        if i % 7 == 3:  # the same keywords spelled otherwise: facets group them, filters match them
            keywords = tuple(k.upper() if i % 2 else k.title() for k in keywords)
        if i % 23 == 1:
            title = f"  {title}"  # leading spaces do not sort first
        docs.append(
            SearchDoc(
                id=f"doc{i:04d}",
                title=title,
                description=f"Records about {' and '.join(keywords)} collected by the agency. Item {i}.",
                keywords=keywords,
                themes=tuple(sorted(rng.sample(THEMES, rng.randint(0, 2)))),
                publisher=rng.choice(PUBLISHERS) if i % 13 else None,
                formats=tuple(sorted(rng.sample(FORMATS, rng.randint(0, 3)))),
                license=rng.choice(LICENSES) if i % 5 else None,
                access_level="public" if i % 9 else "restricted public",
                source=SOURCES[i % 3],
                modified=None if i % 17 == 0 else BASE + timedelta(days=(i * 37) % 1500, hours=i % 24),
                created=None if i % 19 == 0 else BASE + timedelta(days=i % 50),
                changed=None if i % 19 == 0 else BASE + timedelta(days=i % 50 + (i * 13) % 90, minutes=i),
                content_hash=f"h{i}",
                summary={"id": f"doc{i:04d}", "title": title},
                bbox=_box(rng, i),
                temporal=_period(rng, i),
            )
        )
    return docs


def _box(rng: random.Random, i: int) -> Box | None:
    """No box for every fourth document; a few cross the antimeridian, a few are points."""
    if i % 4 == 0:
        return None
    if i % 29 == 3:
        return (rng.uniform(150, 179), rng.uniform(-60, 0), rng.uniform(-179, -150), rng.uniform(1, 60))
    west, south = rng.uniform(-179, 170), rng.uniform(-85, 75)
    if i % 31 == 5:
        return (round(west, 2), round(south, 2), round(west, 2), round(south, 2))
    return (west, south, min(180.0, west + rng.uniform(0.1, 40)), min(90.0, south + rng.uniform(0.1, 30)))


def _period(rng: random.Random, i: int) -> Period | None:
    """No coverage for every sixth document; some open at the start or at the end."""
    if i % 6 == 0:
        return None
    start = datetime(rng.randint(1990, 2024), rng.randint(1, 12), 1, tzinfo=UTC)
    end = start + timedelta(days=rng.randint(0, 3000))
    if i % 19 == 2:
        return (None, end)
    if i % 13 == 4:
        return (start, None)
    return (start, end)


def expected_ids(docs: Iterable[SearchDoc], predicate: Callable[[SearchDoc], bool]) -> set[str]:
    return {d.id for d in docs if predicate(d)}


def expected_facets(docs: Iterable[SearchDoc], limit: int = 20) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    chosen = list(docs)
    for name in FACETS:
        counts = Counter(v for d in chosen for v in d.facet_values(name))
        if name == "keyword":  # spellings differing in case: one bucket, in the most used spelling
            counts = _merged_spellings(counts)
        out[name] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return out


def _merged_spellings(counts: Counter[str]) -> Counter[str]:
    groups: dict[str, list[tuple[str, int]]] = {}
    for value, count in counts.items():
        groups.setdefault(value.casefold(), []).append((value, count))
    return Counter(
        {min(group, key=lambda vc: (-vc[1], vc[0]))[0]: sum(c for _, c in group) for group in groups.values()}
    )


def kw(doc: SearchDoc) -> set[str]:
    """A document's keywords as filters and words see them (case-insensitively)."""
    return {k.casefold() for k in doc.keywords}


def facets_of(result: SearchResult) -> dict[str, list[tuple[str, int]]]:
    return {name: [(f.value, f.count) for f in values] for name, values in result.facets.items()}


def all_ids(backend: SearchBackend, query: SearchQuery) -> list[str]:
    """Walk every result with the ``after`` cursor, a page of 7 at a time."""
    ids: list[str] = []
    after = None
    while True:
        page = backend.search(
            SearchQuery(
                text=query.text,
                filters=query.filters,
                modified_since=query.modified_since,
                modified_before=query.modified_before,
                bbox=query.bbox,
                temporal_from=query.temporal_from,
                temporal_to=query.temporal_to,
                sort=query.sort,
                limit=7,
                after=after,
                facets=(),
            )
        )
        ids.extend(h.id for h in page.hits)
        if len(page.hits) < 7:
            return ids
        after = page.hits[-1].sort_key


class BackendConformance:
    """Subclass and provide a ``backend`` fixture yielding an empty backend."""

    @pytest.fixture
    def docs(self) -> list[SearchDoc]:
        return corpus()

    @pytest.fixture
    def loaded(self, backend: SearchBackend, docs: list[SearchDoc]) -> SearchBackend:
        backend.index(docs)
        return backend

    def test_match_all_counts_and_facets(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        result = loaded.search(SearchQuery(limit=5))
        assert result.total == len(docs)
        assert facets_of(result) == expected_facets(docs)

    @pytest.mark.parametrize("facet", FACETS)
    def test_each_filter_matches_independent_count(
        self, loaded: SearchBackend, docs: list[SearchDoc], facet: str
    ) -> None:
        values = sorted({v for d in docs for v in d.facet_values(facet)})
        assert values, facet
        for value in values[:4]:
            query = SearchQuery(filters={facet: (value.upper(),)}, limit=500, sort="title")
            result = loaded.search(query)
            chosen = [d for d in docs if value.casefold() in {v.casefold() for v in d.facet_values(facet)}]
            assert {h.id for h in result.hits} == {d.id for d in chosen}
            assert result.total == len(chosen)
            assert facets_of(result) == expected_facets(chosen)

    def test_filters_are_anded(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        filters = {"keyword": ("crime", "budget"), "source": ("state",)}
        result = loaded.search(SearchQuery(filters=filters, limit=500))
        want = expected_ids(docs, lambda d: {"crime", "budget"} <= kw(d) and d.source == "state")
        assert {h.id for h in result.hits} == want
        assert result.total == len(want)

    def test_unknown_value_matches_nothing(self, loaded: SearchBackend) -> None:
        assert loaded.search(SearchQuery(filters={"publisher": ("Nobody at all",)})).total == 0

    def test_modified_range(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        since, before = BASE + timedelta(days=200), BASE + timedelta(days=900)
        result = loaded.search(SearchQuery(modified_since=since, modified_before=before, limit=500))
        want = expected_ids(docs, lambda d: d.modified is not None and since <= d.modified < before)
        assert {h.id for h in result.hits} == want

    @pytest.mark.parametrize(
        "box",
        [
            (-10.0, -10.0, 10.0, 10.0),
            (-180.0, -90.0, 180.0, 90.0),
            (160.0, -30.0, -160.0, 30.0),  # across the antimeridian
            (-75.2, 39.9, -75.1, 40.0),  # small
            (0.0, 0.0, 0.0, 0.0),  # a point
            (100.0, 60.0, 140.0, 89.0),
        ],
    )
    def test_bbox_intersects(self, loaded: SearchBackend, docs: list[SearchDoc], box: Box) -> None:
        result = loaded.search(SearchQuery(bbox=box, limit=500, sort="title"))
        chosen = [d for d in docs if d.bbox is not None and intersects(d.bbox, box)]
        assert {h.id for h in result.hits} == {d.id for d in chosen}
        assert result.total == len(chosen)
        assert facets_of(result) == expected_facets(chosen)

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (datetime(2010, 1, 1, tzinfo=UTC), datetime(2012, 12, 31, tzinfo=UTC)),
            (datetime(2020, 6, 1, tzinfo=UTC), None),
            (None, datetime(1995, 3, 1, tzinfo=UTC)),
            (datetime(2001, 5, 1, tzinfo=UTC), datetime(2001, 5, 1, tzinfo=UTC)),
        ],
    )
    def test_temporal_overlaps(
        self, loaded: SearchBackend, docs: list[SearchDoc], start: datetime | None, end: datetime | None
    ) -> None:
        result = loaded.search(SearchQuery(temporal_from=start, temporal_to=end, limit=500))
        want = expected_ids(docs, lambda d: overlaps(d.temporal, start, end))
        assert {h.id for h in result.hits} == want
        assert result.total == len(want)

    def test_where_when_words_and_filters_combine(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        box, start = (-120.0, -40.0, 60.0, 50.0), datetime(2005, 1, 1, tzinfo=UTC)
        query = SearchQuery(text="crime", filters={"source": ("state",)}, bbox=box, temporal_from=start, limit=500)
        chosen = [
            d
            for d in docs
            if "crime" in d.keywords
            and d.source == "state"
            and d.bbox is not None
            and intersects(d.bbox, box)
            and overlaps(d.temporal, start, None)
        ]
        result = loaded.search(query)
        assert 0 < len(chosen) < 40
        assert {h.id for h in result.hits} == {d.id for d in chosen}
        assert facets_of(result) == expected_facets(chosen)
        assert all_ids(loaded, query) == [h.id for h in result.hits]

    def test_exact_title_word_outranks_a_stemmed_one(self, backend: SearchBackend) -> None:
        base = corpus(5)
        parks = [
            _doc(base[i], id=f"p{i}", title=f"Parks and Recreation {name}", keywords=("parks",), description="Parks.")
            for i, name in enumerate(["Facilities", "Trails", "Park Benches", "Parks Programs"])
        ]
        parking = _doc(base[4], id="meters", title="2015 Parking Meter & Kiosk Inventory", keywords=("transport",))
        backend.index([*parks, parking])
        hits = backend.search(SearchQuery(text="parking")).hits
        assert {h.id for h in hits} == {"meters", "p0", "p1", "p2", "p3"}  # stemming still finds the parks
        assert hits[0].id == "meters"
        assert backend.suggest("parking") == ["2015 Parking Meter & Kiosk Inventory"]  # type-ahead is unstemmed

    def test_identifiers_and_landing_pages_are_searched(self, backend: SearchBackend) -> None:
        base = corpus(3)
        backend.index(
            [
                _doc(base[0], id="a", identifiers=("https://data.seattle.gov/api/views/e3zj-s4zh",)),
                _doc(base[1], id="b", identifiers=("b-2", "https://data.example.org/dataset/bridges")),
                _doc(base[2], id="c", identifiers=()),
            ]
        )
        assert [h.id for h in backend.search(SearchQuery(text="e3zj-s4zh")).hits] == ["a"]
        assert [h.id for h in backend.search(SearchQuery(text="bridges")).hits] == ["b"]

    def test_text_words_are_anded(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        result = loaded.search(SearchQuery(text="water quality schools", limit=500))
        want = expected_ids(docs, lambda d: {"water quality", "schools"} <= kw(d))
        assert {h.id for h in result.hits} == want

    def test_phrase_prefix_and_exclusion(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        phrase = loaded.search(SearchQuery(text='"water quality"', limit=500))
        assert {h.id for h in phrase.hits} == expected_ids(docs, lambda d: "water quality" in kw(d))
        prefix = loaded.search(SearchQuery(text="hous*", limit=500))
        assert {h.id for h in prefix.hits} == expected_ids(docs, lambda d: "housing" in kw(d))
        excluded = loaded.search(SearchQuery(text="crime -budget", limit=500))
        want = expected_ids(docs, lambda d: "crime" in kw(d) and "budget" not in kw(d))
        assert {h.id for h in excluded.hits} == want

    def test_text_and_filter_facets(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        result = loaded.search(SearchQuery(text="transit", filters={"theme": ("Health",)}, limit=500))
        chosen = [d for d in docs if "transit" in kw(d) and "Health" in d.themes]
        assert {h.id for h in result.hits} == {d.id for d in chosen}
        assert facets_of(result) == expected_facets(chosen)

    def test_narrow_result_facets(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        # a handful of hits among many documents: counted per document, not by a pass over every entry
        result = loaded.search(SearchQuery(text="crime", filters={"source": ("port",), "theme": ("Finance",)}))
        chosen = [d for d in docs if "crime" in kw(d) and d.source == "port" and "Finance" in d.themes]
        assert 0 < len(chosen) < 20
        assert {h.id for h in result.hits} == {d.id for d in chosen}
        assert facets_of(result) == expected_facets(chosen)

    def test_without_words_relevance_is_id_order(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        ids = [h.id for h in loaded.search(SearchQuery(filters={"source": ("state",)}, limit=500)).hits]
        assert ids == sorted(d.id for d in docs if d.source == "state")

    def test_relevance_pages_follow_the_full_order(self, loaded: SearchBackend) -> None:
        # many hits share a score: every page must cut the same (score, id) order the full list has
        full = [h.id for h in loaded.search(SearchQuery(text="crime", limit=500)).hits]
        assert len(full) > 40
        pages = [loaded.search(SearchQuery(text="crime", offset=o, limit=5)).hits for o in range(0, 40, 5)]
        assert [h.id for page in pages for h in page] == full[:40]

    def test_sort_by_modified(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        ids = [h.id for h in loaded.search(SearchQuery(sort="modified", limit=500)).hits]
        dated = sorted((d for d in docs if d.modified), key=lambda d: (-d.modified.timestamp(), d.id))  # type: ignore[union-attr]
        undated = sorted(d.id for d in docs if d.modified is None)
        assert ids == [d.id for d in dated] + undated

    def test_sort_by_title(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        ids = [h.id for h in loaded.search(SearchQuery(sort="title", limit=500)).hits]
        assert ids == [d.id for d in sorted(docs, key=lambda d: (d.title.strip().lower(), d.id))]

    def test_relevance_prefers_title_matches(self, backend: SearchBackend) -> None:
        base = corpus(3)
        in_title = _doc(base[0], id="t", title="Budget of the city", description="Figures.")
        in_text = _doc(base[1], id="d", title="City figures", description="The budget, line by line.")
        backend.index([in_text, in_title])
        hits = backend.search(SearchQuery(text="budget", sort="relevance")).hits
        assert [h.id for h in hits] == ["t", "d"]
        assert hits[0].score > hits[1].score

    @pytest.mark.parametrize("sort", ["relevance", "modified", "title"])
    def test_cursor_walks_every_result_once(self, loaded: SearchBackend, docs: list[SearchDoc], sort: str) -> None:
        query = SearchQuery(text="crime" if sort == "relevance" else None, sort=sort)  # type: ignore[arg-type]
        walked = all_ids(loaded, query)
        full = [h.id for h in loaded.search(SearchQuery(text=query.text, sort=query.sort, limit=500)).hits]
        assert walked == full
        assert len(set(walked)) == len(walked)

    def test_offset_paging(self, loaded: SearchBackend) -> None:
        full = [h.id for h in loaded.search(SearchQuery(sort="title", limit=100)).hits]
        pages = [loaded.search(SearchQuery(sort="title", offset=o, limit=25)).hits for o in range(0, 100, 25)]
        assert [h.id for page in pages for h in page] == full

    def test_replace_and_remove(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        changed = _doc(docs[0], title="Entirely different zebra title", content_hash="new")
        loaded.index([changed])
        assert loaded.search(SearchQuery()).total == len(docs)
        assert [h.id for h in loaded.search(SearchQuery(text="zebra")).hits] == [docs[0].id]
        assert loaded.hashes()[docs[0].id] == "new"
        loaded.remove([docs[0].id, docs[1].id, "never-indexed"])
        assert loaded.search(SearchQuery()).total == len(docs) - 2
        assert loaded.search(SearchQuery(text="zebra")).total == 0
        assert docs[1].id not in loaded.hashes()

    def test_rebuild_replaces_everything(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        count = loaded.rebuild(iter(docs[:50]))
        assert count == 50
        assert loaded.search(SearchQuery()).total == 50
        assert set(loaded.hashes()) == {d.id for d in docs[:50]}

    def test_summaries_come_back(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        hit = loaded.search(SearchQuery(filters={"source": ("port",)}, sort="title", limit=1)).hits[0]
        assert hit.summary["id"] == hit.id
        assert hit.summary["title"]

    def test_suggest(self, loaded: SearchBackend) -> None:
        suggestions = loaded.suggest("annual su")
        assert suggestions
        assert all(s.lower().startswith("annual su") for s in suggestions)
        assert loaded.suggest("x") == []

    def test_health(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        health = loaded.health()
        assert health.ok
        assert health.documents == len(docs)

    # -- where: CKAN's fq -----------------------------------------------------------------------

    def _where(self, backend: SearchBackend, clause: Clause, text: str | None = None) -> set[str]:
        result = backend.search(SearchQuery(text=text, where=clause, limit=500, facets=()))
        assert result.total == len(result.hits)
        return {h.id for h in result.hits}

    def test_where_any_of_and_not(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        either = AnyOf((Match("publisher", "port authority"), Match("publisher", "City of Springfield")))
        want = expected_ids(docs, lambda d: d.publisher in ("Port Authority", "City of Springfield"))
        assert self._where(loaded, either) == want
        neither = AllOf((Not(Match("publisher", "Port Authority")), Not(Match("publisher", "City of Springfield"))))
        assert self._where(loaded, neither) == {d.id for d in docs} - want
        assert self._where(loaded, AnyOf(())) == set()
        assert self._where(loaded, AllOf(())) == {d.id for d in docs}

    def test_where_exact_values_keep_case(self, backend: SearchBackend) -> None:
        base = corpus(2)
        backend.index([_doc(base[0], publisher="City of X"), _doc(base[1], publisher="city of x")])
        assert self._where(backend, Match("publisher", "City of X", exact=True)) == {base[0].id}
        assert self._where(backend, Match("publisher", "city of x", exact=True)) == {base[1].id}
        assert self._where(backend, Match("publisher", "CITY OF X")) == {base[0].id, base[1].id}

    @pytest.mark.parametrize("field", DATE_FIELDS)
    def test_where_ranges(self, loaded: SearchBackend, docs: list[SearchDoc], field: str) -> None:
        low, high = BASE + timedelta(days=20), BASE + timedelta(days=40)
        for clause, check in [
            (Range(field, low=low), lambda v: v >= low),
            (Range(field, high=high), lambda v: v <= high),
            (Range(field, low=low, high=high, low_inclusive=False, high_inclusive=False), lambda v: low < v < high),
            (Range(field), lambda v: True),
        ]:
            want = expected_ids(docs, lambda d, check=check: d.date(field) is not None and check(d.date(field)))
            assert self._where(loaded, clause) == want, clause
        exact = next(d.date(field) for d in docs if d.date(field) is not None)
        assert exact is not None
        assert self._where(loaded, Range(field, low=exact, high=exact)) == expected_ids(
            docs, lambda d: d.date(field) == exact
        )

    def test_where_words_in_fields_and_ids(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        in_title = self._where(loaded, Words(("title",), "budget"))
        assert in_title == expected_ids(docs, lambda d: "budget" in d.title.lower())
        in_description = self._where(loaded, Words(("description",), "budget -crime"))
        want = expected_ids(docs, lambda d: "budget" in d.description.lower() and "crime" not in d.description.lower())
        assert in_description == want
        assert self._where(loaded, Match("id", docs[5].id)) == {docs[5].id}
        assert self._where(loaded, Not(Match("id", docs[5].id))) == {d.id for d in docs} - {docs[5].id}
        both = self._where(loaded, Words(("title",), "annual"), text="budget")
        assert both == expected_ids(docs, lambda d: "annual" in d.title.lower() and "budget" in kw(d))

    @pytest.mark.parametrize("field", ["id", "name", "title", "modified", "created", "changed"])
    @pytest.mark.parametrize("descending", [False, True])
    def test_order_by_any_field(
        self, loaded: SearchBackend, docs: list[SearchDoc], field: str, descending: bool
    ) -> None:
        order = (OrderBy(field, descending),)
        ids = [h.id for h in loaded.search(SearchQuery(order=order, limit=500, facets=())).hits]
        assert ids == expected_order(docs, order)

    def test_order_by_several_fields(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        order = (OrderBy("title", True), OrderBy("changed"), OrderBy("id", True))
        ids = [h.id for h in loaded.search(SearchQuery(order=order, limit=500, facets=())).hits]
        assert ids == expected_order(docs, order)
        scored = loaded.search(SearchQuery(text="crime", order=(OrderBy("score", True),), limit=500, facets=()))
        assert [h.id for h in scored.hits] == [h.id for h in loaded.search(SearchQuery(text="crime", limit=500)).hits]

    def test_offsets_walk_everything_past_any_window(self, loaded: SearchBackend, docs: list[SearchDoc]) -> None:
        if hasattr(loaded, "result_window"):
            loaded.result_window = 50  # an engine's max_result_window, lowered: deep pages use search_after
        order = (OrderBy("id"),)
        where = Not(Match("source", "port"))
        pages = [
            loaded.search(SearchQuery(where=where, order=order, offset=o, limit=17, facets=("source",)))
            for o in range(0, 260, 17)
        ]
        walked = [h.id for page in pages for h in page.hits]
        assert walked == sorted(d.id for d in docs if d.source != "port")
        assert all(p.total == len(walked) for p in pages)
        assert pages[-1].hits == []
        assert facets_of(pages[-1])["source"] == facets_of(pages[0])["source"]
        relevance = [loaded.search(SearchQuery(text="crime", offset=o, limit=9)).hits for o in range(0, 200, 9)]
        full = [h.id for h in loaded.search(SearchQuery(text="crime", limit=500)).hits]
        assert [h.id for page in relevance for h in page] == full

    def test_hostile_text_never_breaks(self, loaded: SearchBackend) -> None:
        for text in ['"', "AND OR NOT", "a*b*", "(((", "title:x", "-", "*", "NEAR(a b)", "é", "💥", "'"]:
            loaded.search(SearchQuery(text=text))


def expected_order(docs: Iterable[SearchDoc], order: Iterable[OrderBy]) -> list[str]:
    """Ids in ``order`` computed in Python: stable sorts from the least significant field, ties by id,
    missing values last in either direction."""
    ranked = sorted(docs, key=lambda d: d.id)
    for item in reversed(list(order)):
        value = _order_value(item.field)
        present = [d for d in ranked if value(d) is not None]
        missing = [d for d in ranked if value(d) is None]
        ranked = sorted(present, key=value, reverse=item.descending) + missing  # type: ignore[arg-type, return-value]
    return [d.id for d in ranked]


def _order_value(name: str) -> Callable[[SearchDoc], object]:
    if name in DATE_FIELDS:
        return lambda d: d.date(name)
    if name == "name":
        return lambda d: slug_path(d.title, d.id)
    if name == "title":
        return lambda d: d.title.strip().lower()
    return lambda d: d.id


def _doc(base: SearchDoc, **changes: object) -> SearchDoc:
    values = {name: getattr(base, name) for name in SearchDoc.__slots__}  # type: ignore[attr-defined]
    values.update(changes)
    return SearchDoc(**values)  # type: ignore[arg-type]
