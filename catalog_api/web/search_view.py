"""The search page's state (words, filters, sort, page) read from the URL, and what the page shows.

Every control on the page is a link or a GET form built from :class:`SearchState`, so the page works
without JavaScript, every view has a shareable URL, and the back button does what people expect.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import pairwise
from typing import Any, cast
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from catalog_api.errors import ApiError
from catalog_api.judging import hit_freshness
from catalog_api.search import SearchOutcome, SearchParams, parse_bbox_param
from catalog_api.web.judged_view import FRESHNESS_WORDS
from catalog_api.web.links import dataset_path, organization_path
from catalog_api.web.maps import MapView, box_map, box_words
from catalog_api.web.text import summary
from index.search.base import DERIVED_FACETS, FACETS, FRESHNESS_STATES, SORTS, Box, FacetCount, Sort
from mappings.coverage import period
from mappings.licenses import license_name

PER_PAGE = 20
FACETS_SHOWN = 8
FACETS_EXPANDED = 50
MAX_QUERY = 500
MAX_VALUES = 10
PAGE_WINDOW = 2
SEARCH_MAP_SPAN = 60.0  # degrees of longitude the search page's map shows at least around a chosen area

# facet → (heading, the word for one value), in the order the page lists them
FACET_LABELS: dict[str, tuple[str, str]] = {
    "publisher": ("Publisher", "publishers"),
    "theme": ("Topic", "topics"),
    "format": ("Format", "formats"),
    "keyword": ("Tag", "tags"),
    "license": ("License", "licenses"),
    "accessLevel": ("Access", "access levels"),
    "source": ("Source", "sources"),
    "collection": ("Collection", "collections"),  # not the index's: catalog_api/collections.py
    "freshness": ("Freshness", "freshness states"),
}
SORT_LABELS: dict[str, str] = {
    "relevance": "Best match",
    "modified": "Last modified",
    "title": "Title A–Z",
    "quality": "Quality score",
    "popular": "Most used",
}
assert set(FACET_LABELS) == {*FACETS, *DERIVED_FACETS, "collection"}, "every facet of the index has a label"
assert set(SORT_LABELS) == set(SORTS), "every sort of the index has a label"


@dataclass(frozen=True, slots=True)
class SearchState:
    """What the person asked for, as read from (and written back to) the query string."""

    q: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: Sort | None = None
    page: int = 1
    expand: str | None = None
    bbox: str = ""  # as typed: west,south,east,north or a place name
    temporal_from: str = ""  # as typed: a year, a month or a day
    temporal_to: str = ""
    quality_min: int | None = None
    core: bool = False  # core datasets only

    @classmethod
    def from_query(cls, query: QueryParams, max_pages: int) -> SearchState:
        q = " ".join(query.get("q", "").split())
        if len(q) > MAX_QUERY:
            raise ApiError(400, "bad_parameter", f"the search words are longer than {MAX_QUERY} characters")
        filters = {name: _values(query, name) for name in FACET_LABELS}
        wrong = [v for v in filters["freshness"] if v not in FRESHNESS_STATES]
        if wrong:
            raise ApiError(
                400, "bad_parameter", f"freshness must be one of {', '.join(FRESHNESS_STATES)} (got {wrong[0]!r})"
            )
        quality_min = _quality_min(query.get("quality_min"))
        sort = query.get("sort") or None
        if sort is not None and sort not in SORTS:
            raise ApiError(400, "bad_parameter", f"sort must be one of {', '.join(SORTS)} (got {sort!r})")
        page = _page(query.get("page"), max_pages)
        expand = query.get("expand") if query.get("expand") in FACET_LABELS else None
        where = " ".join(query.get("bbox", "").split())[:200]
        when = {name: " ".join(query.get(name, "").split())[:40] for name in ("temporal_from", "temporal_to")}
        narrowed = {k: v for k, v in filters.items() if v}
        core = _core(query.get("core"))
        state = cls(
            q, narrowed, cast(Sort | None, sort), page, expand, where, **when, quality_min=quality_min, core=core
        )
        state.where_when()  # a bad box or date is a 400 now, not when the search runs
        return state

    def where_when(self) -> tuple[Box | None, datetime | None, datetime | None]:
        """The area and the coverage period asked for, parsed (400 when they cannot be)."""
        box = parse_bbox_param(self.bbox or None)
        start = _day(self.temporal_from, "temporal_from", last=False)
        end = _day(self.temporal_to, "temporal_to", last=True)
        return box, start, end

    @property
    def effective_sort(self) -> Sort:
        if self.sort == "relevance" and not self.q:
            return "modified"
        return self.sort or ("relevance" if self.q else "modified")

    def params(self, *, per_page: int = PER_PAGE) -> SearchParams:
        limit = FACETS_EXPANDED if self.expand else FACETS_SHOWN + 1
        box, start, end = self.where_when()
        return SearchParams(
            q=self.q or None,
            filters={k: v for k, v in self.filters.items() if k not in DERIVED_FACETS},
            freshness=self.filters.get("freshness", ()),
            quality_min=self.quality_min,
            bbox=box,
            temporal_from=start,
            temporal_to=end,
            sort=self.effective_sort,
            page=self.page,
            per_page=per_page,
            facet_limit=limit,
            core=True if self.core else None,
        )

    def pairs(self) -> list[tuple[str, str]]:
        """The query string's (name, value) pairs, in a stable order, defaults left out."""
        out: list[tuple[str, str]] = [("q", self.q)] if self.q else []
        for name in FACET_LABELS:
            out += [(name, value) for value in self.filters.get(name, ())]
        out += [(name, getattr(self, name)) for name in WHERE_WHEN if getattr(self, name)]
        if self.quality_min is not None:
            out.append(("quality_min", str(self.quality_min)))
        out += [("core", "true")] if self.core else []
        if self.sort and self.sort != ("relevance" if self.q else "modified"):
            out.append(("sort", self.sort))
        if self.page > 1:
            out.append(("page", str(self.page)))
        if self.expand:
            out.append(("expand", self.expand))
        return out

    def carried(self, *leave_out: str) -> list[tuple[str, str]]:
        """The pairs a form on the page carries as hidden fields (all but its own, the page and expand)."""
        return [(k, v) for k, v in self.pairs() if k not in leave_out and k not in ("page", "expand")]

    @property
    def narrowed(self) -> bool:
        """Any filter, area or period applied (words aside)."""
        return bool(
            self.filters
            or self.bbox
            or self.temporal_from
            or self.temporal_to
            or self.quality_min is not None
            or self.core
        )

    def url(self) -> str:
        pairs = self.pairs()
        return "/?" + urlencode(pairs) if pairs else "/"

    def changed(self, **changes: Any) -> SearchState:
        """A new state; any change but the page goes back to page 1."""
        if "page" not in changes:
            changes["page"] = 1
        return replace(self, **changes)

    def toggled(self, facet: str, value: str) -> SearchState:
        current = self.filters.get(facet, ())
        values = tuple(v for v in current if v != value) if value in current else (*current, value)
        filters = {**self.filters, facet: values}
        return self.changed(filters={k: v for k, v in filters.items() if v})


WHERE_WHEN = ("bbox", "temporal_from", "temporal_to")
DATE_HELP = "use a year (2015), a month (2015-06) or a day (2015-06-30)"


def _day(text: str, name: str, *, last: bool) -> datetime | None:
    """A year, month or day typed in a form: its first moment (or its last, ending a period)."""
    if not text:
        return None
    covered = period(text) if re.fullmatch(r"\d{4}(-\d{1,2}(-\d{1,2})?)?", text) else None
    if covered is None or covered[0] is None or covered[1] is None or covered[0].year < 1:
        raise ApiError(400, "bad_parameter", f"parameter '{name}' is no date: {DATE_HELP}")
    return covered[1] if last else covered[0]


def _core(text: str | None) -> bool:
    """``core=true`` keeps core datasets only; ``false`` or nothing, every dataset."""
    if text is None or text.strip().lower() in ("", "false"):
        return False
    if text.strip().lower() == "true":
        return True
    raise ApiError(400, "bad_parameter", f"core must be true or false (got {text!r})")


def _values(query: QueryParams, name: str) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(" ".join(v.split()) for v in query.getlist(name) if v.strip()))
    if len(values) > MAX_VALUES:
        raise ApiError(400, "bad_parameter", f"at most {MAX_VALUES} values of '{name}' at once")
    return values


def _quality_min(text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    if not text.strip().isdigit() or int(text) > 100:
        raise ApiError(400, "bad_parameter", f"quality_min must be a whole number from 0 to 100 (got {text!r})")
    return int(text)


def _page(text: str | None, max_pages: int) -> int:
    if text is None or text == "":
        return 1
    if not text.isdigit() or int(text) < 1:
        raise ApiError(400, "bad_parameter", f"page must be a whole number from 1 (got {text!r})")
    page = int(text)
    if page > max_pages:
        raise ApiError(
            400,
            "bad_parameter",
            f"page {page} is past the last page shown ({max_pages}); narrow the search with words or filters",
        )
    return page


# -- what the page shows -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FacetLink:
    value: str
    count: int
    href: str
    selected: bool
    shown: str  # what a person reads: the value, or a licence's name for its id


@dataclass(frozen=True, slots=True)
class FacetView:
    name: str
    label: str
    links: list[FacetLink]
    more_href: str | None
    more_label: str
    less_href: str | None


@dataclass(frozen=True, slots=True)
class Chip:
    label: str
    value: str
    remove_href: str


@dataclass(frozen=True, slots=True)
class PageLink:
    number: int | None  # None: a gap ("…")
    href: str
    current: bool = False


@dataclass(frozen=True, slots=True)
class Pagination:
    first: int
    last: int
    links: list[PageLink]
    prev_href: str | None
    next_href: str | None


@dataclass(frozen=True, slots=True)
class ResultView:
    id: str
    title: str
    href: str
    publisher: str | None
    publisher_href: str | None
    summary: str
    formats: list[str]
    modified: str | None
    source: str
    core: bool = False  # a core dataset: shown with its badge
    freshness: str = "unknown"
    quality: int | None = None

    @property
    def freshness_words(self) -> str:
        return FRESHNESS_WORDS[self.freshness]


@dataclass(frozen=True, slots=True)
class SearchPage:
    state: SearchState
    total: int
    results: list[ResultView]
    facets: list[FacetView]
    chips: list[Chip]
    pagination: Pagination | None
    sorts: list[tuple[str, str]]
    clear_href: str | None
    message: str | None = None
    area_map: MapView | None = None


def search_page(
    state: SearchState,
    outcome: SearchOutcome,
    max_pages: int,
    titles: Mapping[str, str] | None = None,
    core: Collection[str] = frozenset(),
) -> SearchPage:
    """The page; ``titles`` names the collections by their slugs; ``core``: which results are core datasets."""
    result = outcome.result
    titles = titles or {}
    return SearchPage(
        state=state,
        total=result.total,
        results=[result_view(hit.summary, outcome.now, core=hit.id in core) for hit in result.hits],
        facets=[_facet(state, name, result.facets.get(name, []), result.total, titles) for name in FACET_LABELS],
        chips=chips(state, titles),
        pagination=pagination(state, result.total, max_pages),
        sorts=[(k, v) for k, v in SORT_LABELS.items() if k != "relevance" or state.q],
        clear_href="/" if state.q or state.narrowed else None,
        area_map=area_map(state),
    )


def area_map(state: SearchState) -> MapView:
    """The world with the area searched in (the draw-a-box map; without JavaScript, the text box)."""
    box = state.where_when()[0]
    label = f"Area searched: {box_words(box)}" if box else "World map: no area chosen"
    return box_map(box, label, min_span=SEARCH_MAP_SPAN)  # room around the area to draw another


def failed_page(state: SearchState, message: str, titles: Mapping[str, str] | None = None) -> SearchPage:
    """The page for words the index cannot search for: the form, the chips, and what went wrong."""
    sorts = [(k, v) for k, v in SORT_LABELS.items() if k != "relevance" or state.q]
    return SearchPage(state, 0, [], [], chips(state, titles or {}), None, sorts, "/", message, area_map(state))


def result_view(data: Mapping[str, Any], now: datetime | None = None, *, core: bool = False) -> ResultView:
    publisher = data.get("publisher")
    quality = data.get("quality")
    return ResultView(
        id=data["id"],
        title=data["title"],
        href=dataset_path(data["title"], data["id"]),
        publisher=publisher,
        publisher_href=organization_path(publisher) if publisher else None,
        summary=summary(data.get("description")),
        formats=list(data.get("format") or []),
        modified=data.get("modified"),
        source=data["source"],
        core=core,
        freshness=hit_freshness(data, now) if now is not None else "unknown",
        quality=int(quality["score"]) if isinstance(quality, Mapping) and "score" in quality else None,
    )


def _facet(
    state: SearchState, name: str, counts: Sequence[FacetCount], total: int, titles: Mapping[str, str]
) -> FacetView:
    label, plural_word = FACET_LABELS[name]
    selected = state.filters.get(name, ())
    expanded = state.expand == name
    shown = list(counts) if expanded else list(counts[:FACETS_SHOWN])
    missing = [FacetCount(v, total) for v in selected if v.casefold() not in {c.value.casefold() for c in shown}]
    links = [
        FacetLink(
            c.value,
            c.count,
            state.toggled(name, c.value).url(),
            c.value.casefold() in _folded(selected),
            facet_value_label(name, c.value, titles),
        )
        for c in [*missing, *shown]
    ]
    more = None if expanded or len(counts) <= FACETS_SHOWN else replace(state, expand=name).url()
    less = replace(state, expand=None).url() if expanded else None
    return FacetView(name, label, links, more, f"More {plural_word}", less)


def _folded(values: Sequence[str]) -> set[str]:
    return {v.casefold() for v in values}


def facet_value_label(name: str, value: str, titles: Mapping[str, str] | None = None) -> str:
    """A facet value as a person reads it: a licence by its name (the facet holds its id), a collection by
    its title (from ``titles``, by slug), a freshness state in words, others as they are."""
    if name == "collection":
        return (titles or {}).get(value, value)
    if name == "freshness":
        return FRESHNESS_WORDS.get(value, value)
    return (license_name(value) or value) if name == "license" else value


def chips(state: SearchState, titles: Mapping[str, str] | None = None) -> list[Chip]:
    """One removable chip per applied filter (and one for the words)."""
    out = [Chip("Search", f"“{state.q}”", state.changed(q="").url())] if state.q else []
    for name, (label, _) in FACET_LABELS.items():
        out += [
            Chip(label, facet_value_label(name, value, titles), state.toggled(name, value).url())
            for value in state.filters.get(name, ())
        ]
    if state.quality_min is not None:
        out.append(Chip("Quality", f"at least {state.quality_min}", state.changed(quality_min=None).url()))
    if state.core:
        out.append(Chip("Core datasets", "only", state.changed(core=False).url()))
    if state.bbox:
        out.append(Chip("Area", state.bbox, state.changed(bbox="").url()))
    if state.temporal_from or state.temporal_to:
        span = f"{state.temporal_from or '…'} – {state.temporal_to or '…'}"
        out.append(Chip("Time covered", span, state.changed(temporal_from="", temporal_to="").url()))
    return out


def pagination(state: SearchState, total: int, max_pages: int) -> Pagination | None:
    pages = min(math.ceil(total / PER_PAGE), max_pages)
    if pages <= 1:
        return None
    current = min(state.page, pages)
    numbers = sorted({1, pages, *range(max(1, current - PAGE_WINDOW), min(pages, current + PAGE_WINDOW) + 1)})
    numbers = sorted({*numbers, *(a + 1 for a, b in pairwise(numbers) if b - a == 2)})  # no "…" for one page
    links: list[PageLink] = []
    for position, number in enumerate(numbers):
        if position and number - numbers[position - 1] > 1:
            links.append(PageLink(None, ""))
        links.append(PageLink(number, state.changed(page=number).url(), number == current))
    return Pagination(
        first=(current - 1) * PER_PAGE + 1,
        last=min(current * PER_PAGE, total),
        links=links,
        prev_href=state.changed(page=current - 1).url() if current > 1 else None,
        next_href=state.changed(page=current + 1).url() if current < pages else None,
    )
