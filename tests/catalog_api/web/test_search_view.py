"""The search page's state lives in its URL: read, rewritten by each control, and turned into links."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from starlette.datastructures import QueryParams

from catalog_api.errors import ApiError
from catalog_api.search import SearchOutcome
from catalog_api.web.search_view import (
    FACETS_SHOWN,
    PER_PAGE,
    SearchState,
    chips,
    pagination,
    search_page,
)
from index.search.base import FACETS, FacetCount, Hit, SearchResult


def state(query: str, max_pages: int = 500) -> SearchState:
    return SearchState.from_query(QueryParams(query), max_pages)


def pairs(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def test_reads_words_filters_sort_and_page() -> None:
    s = state("q=+crime++stats+&publisher=City+of+X&theme=Safety&theme=Safety&format=CSV&sort=title&page=3&x=1")
    assert s.q == "crime stats"
    assert dict(s.filters) == {"publisher": ("City of X",), "theme": ("Safety",), "format": ("CSV",)}
    assert (s.sort, s.page, s.effective_sort) == ("title", 3, "title")
    assert pairs(s.url()) == [
        ("q", "crime stats"),
        ("publisher", "City of X"),
        ("theme", "Safety"),
        ("format", "CSV"),
        ("sort", "title"),
        ("page", "3"),
    ]


def test_defaults_stay_out_of_the_url() -> None:
    assert state("").url() == "/"
    assert state("sort=modified").url() == "/"
    assert state("q=water&sort=relevance&page=1").url() == "/?q=water"
    assert state("q=water").effective_sort == "relevance"
    assert state("").effective_sort == "modified"
    assert state("sort=relevance").effective_sort == "modified"  # nothing to rank without words


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=0", "page must be a whole number"),
        ("page=abc", "page must be a whole number"),
        ("page=501", "past the last page"),
        ("sort=random", "sort must be one of"),
        ("q=" + "a" * 501, "longer than 500"),
        ("&".join(f"keyword=k{i}" for i in range(11)), "at most 10 values"),
    ],
)
def test_bad_parameters_are_refused_with_a_reason(query: str, message: str) -> None:
    with pytest.raises(ApiError) as caught:
        state(query)
    assert caught.value.status == 400
    assert message in caught.value.message


def test_toggling_a_facet_adds_or_removes_it_and_goes_back_to_page_one() -> None:
    s = state("q=water&publisher=A&page=4")
    added = s.toggled("format", "CSV")
    assert dict(added.filters) == {"publisher": ("A",), "format": ("CSV",)}
    assert added.page == 1
    removed = added.toggled("publisher", "A")
    assert dict(removed.filters) == {"format": ("CSV",)}
    assert removed.q == "water"


def test_every_filter_has_a_chip_that_removes_only_it() -> None:
    s = state("q=water&publisher=A&keyword=k1&keyword=k2")
    found = {(c.label, c.value): pairs(c.remove_href) for c in chips(s)}
    assert found == {
        ("Search", "“water”"): [("publisher", "A"), ("keyword", "k1"), ("keyword", "k2")],
        ("Publisher", "A"): [("q", "water"), ("keyword", "k1"), ("keyword", "k2")],
        ("Tag", "k1"): [("q", "water"), ("publisher", "A"), ("keyword", "k2")],
        ("Tag", "k2"): [("q", "water"), ("publisher", "A"), ("keyword", "k1")],
    }


@pytest.mark.parametrize(
    ("page", "total", "shown"),
    [
        (1, 15, None),  # one page: no pager
        (1, 95, [1, 2, 3, 4, 5]),
        (1, 1000, [1, 2, 3, None, 50]),
        (10, 1000, [1, None, 8, 9, 10, 11, 12, None, 50]),
        (50, 1000, [1, None, 48, 49, 50]),
    ],
)
def test_pagination_shows_the_ends_and_a_window(page: int, total: int, shown: list[int | None] | None) -> None:
    pager = pagination(state(f"q=x&page={page}"), total, max_pages=500)
    if shown is None:
        assert pager is None
        return
    assert pager is not None
    assert [link.number for link in pager.links] == shown
    assert [link.number for link in pager.links if link.current] == [page]
    assert (pager.prev_href is None) == (page == 1)
    assert (pager.next_href is None) == (page * PER_PAGE >= total)
    assert pager.first == (page - 1) * PER_PAGE + 1
    for link in pager.links:
        if link.number:
            assert ("page", str(link.number)) in pairs(link.href) or link.number == 1


def test_pagination_stops_at_the_result_window() -> None:
    pager = pagination(state("q=x"), total=100_000, max_pages=500)
    assert pager is not None
    assert pager.links[-1].number == 500


def _outcome(total: int, facets: dict[str, list[FacetCount]]) -> SearchOutcome:
    hit = Hit("abcdefghijklmnop", 1.0, (1.0,), {"id": "abcdefghijklmnop", "title": "Crime <2020>", "source": "s"})
    return SearchOutcome(SearchResult(total, [hit], {name: facets.get(name, []) for name in FACETS}), 1, None)


def test_facets_show_a_few_values_and_link_to_more() -> None:
    values = [FacetCount(f"K{i}", 100 - i) for i in range(FACETS_SHOWN + 1)]
    page = search_page(state("q=x"), _outcome(100, {"keyword": values}), 500)
    keyword = next(f for f in page.facets if f.name == "keyword")
    assert [link.value for link in keyword.links] == [f"K{i}" for i in range(FACETS_SHOWN)]
    assert keyword.more_href is not None
    assert ("expand", "keyword") in pairs(keyword.more_href)
    expanded = search_page(state("q=x&expand=keyword"), _outcome(100, {"keyword": values}), 500)
    keyword = next(f for f in expanded.facets if f.name == "keyword")
    assert len(keyword.links) == FACETS_SHOWN + 1
    assert keyword.more_href is None
    assert keyword.less_href == "/?q=x"


def test_a_selected_value_is_always_shown_and_marked() -> None:
    page = search_page(state("keyword=rare"), _outcome(3, {"keyword": [FacetCount("common", 3)]}), 500)
    keyword = next(f for f in page.facets if f.name == "keyword")
    assert [(link.value, link.count, link.selected) for link in keyword.links] == [
        ("rare", 3, True),
        ("common", 3, False),
    ]
    assert keyword.links[0].href == "/"  # clicking a selected value removes it


def test_results_link_to_their_pages() -> None:
    page = search_page(state(""), _outcome(1, {}), 500)
    [result] = page.results
    assert result.href == "/dataset/crime-2020-abcdefghijklmnop"
    assert result.publisher_href is None
