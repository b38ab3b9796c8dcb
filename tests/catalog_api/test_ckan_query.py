"""CKAN's Solr query syntax as ckanext-harvest, ckanapi users and CKAN's own front end write it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalog_api.ckan_query import (
    Both,
    Either,
    Everything,
    Negated,
    QuerySyntaxError,
    SortKey,
    Span,
    Term,
    parse,
    parse_sort,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("", Everything()),
        ("*:*", Everything()),
        ("organization:a", Term("organization", "a")),
        ("organization:a OR organization:b", Either((Term("organization", "a"), Term("organization", "b")))),
        ("-organization:a", Negated(Term("organization", "a"))),
        (
            "-organization:a -organization:b",
            Both((Negated(Term("organization", "a")), Negated(Term("organization", "b")))),
        ),
        (
            # ckanext-harvest's incremental run limited to two organizations: OR binds its neighbours
            "organization:a OR organization:b metadata_modified:[2026-11-28T05:00:00.123456Z TO *]",
            Both(
                (
                    Either((Term("organization", "a"), Term("organization", "b"))),
                    Span("metadata_modified", datetime(2026, 11, 28, 5, 0, 0, 123456, tzinfo=UTC), None),
                )
            ),
        ),
        ("metadata_modified:[* TO 2024-01-01]", Span("metadata_modified", None, datetime(2024, 1, 1, tzinfo=UTC))),
        (
            "metadata_created:{NOW-2DAYS TO NOW}",
            Span("metadata_created", NOW - timedelta(days=2), NOW, low_inclusive=False, high_inclusive=False),
        ),
        ('title:"air quality" water', Both((Term("title", "air quality", phrase=True), Term(None, "water")))),
        ("+tags:arm AND tags:climate", Both((Term("tags", "arm"), Term("tags", "climate")))),
        ("NOT tags:x", Negated(Term("tags", "x"))),
        ("tags:(a OR b)", Either((Term("tags", "a"), Term("tags", "b")))),
        (
            "(tags:a OR tags:b) -groups:c",
            Both((Either((Term("tags", "a"), Term("tags", "b"))), Negated(Term("groups", "c")))),
        ),
        ("covid-19 tags:covid\\-19", Both((Term(None, "covid-19"), Term("tags", "covid-19")))),
        ("capacity:public dataset_type:dataset", Both((Term("capacity", "public"), Term("dataset_type", "dataset")))),
    ],
)
def test_trees(text: str, tree: object) -> None:
    assert parse(text, now=NOW) == tree


@pytest.mark.parametrize(
    "text",
    ["(tags:a", "tags:a)", "tags:", "[a TO b]", "metadata_modified:[yesterday TO *]", "metadata_modified:[a b]", ":"],
)
def test_syntax_errors_say_where(text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse(text, now=NOW)


def test_sorts() -> None:
    assert parse_sort("id asc") == [SortKey("id", False)]
    assert parse_sort("score desc, metadata_modified desc") == [
        SortKey("score", True),
        SortKey("metadata_modified", True),
    ]
    assert parse_sort("name") == [SortKey("name", False)]
    with pytest.raises(QuerySyntaxError):
        parse_sort("name sideways")
