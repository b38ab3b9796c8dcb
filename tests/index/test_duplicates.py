"""The pieces of duplicate matching: normalization, blocking keys, title similarity, precedence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from index.duplicates import (
    Policy,
    PrecedenceRule,
    _Candidate,
    identifier_key,
    keys_of,
    merge,
    normalize_text,
    normalize_url,
    own_host,
    rank,
    similar_titles,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://data.cdc.gov/d/msjj-a7q2", "http://www.data.cdc.gov/d/msjj-a7q2/"),
        ("https://x.gov/rows.csv?b=2&a=1", "https://X.gov/rows.csv?a=1&b=2#top"),
        ("https://x.gov:443/a", "https://x.gov/a"),
    ],
)
def test_urls_that_name_one_resource_normalize_alike(a: str, b: str) -> None:
    assert normalize_url(a) == normalize_url(b) is not None


@pytest.mark.parametrize(
    "value", ["https://data.cdc.gov/", "https://data.cdc.gov", "ftp://x.gov/a", "mailto:a@b", "", None, 3]
)
def test_home_pages_and_non_web_values_are_no_url_keys(value: object) -> None:
    assert normalize_url(value) is None


def test_short_or_numeric_identifiers_do_not_match_across_catalogs() -> None:
    assert identifier_key("1") is None
    assert identifier_key("20190001") is None
    assert identifier_key("doi-123456789") == "doi-123456789"
    assert identifier_key(" HTTPS://data.cdc.gov/api/views/x6ag-8y7r ") == "data.cdc.gov/api/views/x6ag-8y7r"


def test_titles_normalize_past_case_accents_and_punctuation() -> None:
    assert normalize_text("Café  Inspections — 2019!") == "cafe inspections 2019"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("restaurant inspections", "restaurant inspection", True),
        (
            "nndss table ii invasive pneumococcal to legionellosis",
            "nndss table ii invasive pneumococal to legionellosis",
            True,
        ),
        ("crime stats 2012", "crime stats 2013", False),  # a different year is a different dataset
        ("school locations", "park locations", False),
    ],
)
def test_near_identical_titles(a: str, b: str, same: bool) -> None:
    assert similar_titles(a, b, 95.0) is same


def test_keys_block_titles_by_publisher_and_first_or_last_words() -> None:
    keys = keys_of(
        {
            "identifier": "https://data.cdc.gov/api/views/x6ag-8y7r",
            "title": "Global Tobacco Surveillance System (GTSS)",
            "publisher": {"name": "Centers for Disease Control"},
            "landingPage": "http://www.cdc.gov/STATESystem",
            "distribution": [{"downloadURL": "https://data.cdc.gov/api/views/x6ag-8y7r/rows.csv?accessType=DOWNLOAD"}],
        }
    )
    assert set(keys) == {
        "i:data.cdc.gov/api/views/x6ag-8y7r",
        "u:cdc.gov/STATESystem",
        "u:data.cdc.gov/api/views/x6ag-8y7r/rows.csv?accessType=DOWNLOAD",
        "t:centers for disease control|global tobacco surveillance",
        "t:centers for disease control|surveillance system gtss",
    }
    assert (
        keys["t:centers for disease control|global tobacco surveillance"] == "global tobacco surveillance system gtss"
    )


def _candidate(
    id_: str, source: str, url: str, *, aggregator: bool = False, age: int = 0, **fields: object
) -> _Candidate:
    dataset = {"identifier": "https://data.cdc.gov/d/abcd-1234", "title": f"title from {source}", **fields}
    return _Candidate(id_, source, url, aggregator, dataset, T0 - timedelta(days=age), own_host(url, dataset))


def test_the_publishers_own_host_wins_over_an_earlier_federation() -> None:
    own = _candidate("a", "cdc", "https://data.cdc.gov/data.json")
    federation = _candidate("b", "healthdata", "https://healthdata.gov/data.json", age=30)
    assert rank([federation, own], Policy())[0] is own


def test_an_aggregator_loses_even_on_the_datasets_host() -> None:
    mirror = _candidate("a", "mirror", "https://data.cdc.gov/mirror.json", aggregator=True)
    other = _candidate("b", "state", "https://data.state.gov/data.json", age=-1)
    assert rank([mirror, other], Policy())[0] is other


def test_without_other_evidence_the_first_seen_wins() -> None:
    first = _candidate("a", "one", "https://one.gov/data.json", age=2)
    later = _candidate("b", "two", "https://two.gov/data.json", age=1)
    assert rank([later, first], Policy())[0] is first


def test_pair_rules_decide_the_winner_and_single_fields() -> None:
    own = _candidate("a", "cdc", "https://data.cdc.gov/data.json", description="short", keyword=[])
    federation = _candidate("b", "healthdata", "https://healthdata.gov/", description="long", keyword=["covid"])
    fields_only = Policy(rules=(PrecedenceRule("healthdata", "cdc", ("description",)),))
    winner, merged, supplied = merge([own, federation], fields_only)
    assert winner is own
    assert merged["title"] == "title from cdc"
    assert merged["description"] == "long"
    assert supplied == {"description": "b", "keyword": "b"}
    everything = Policy(rules=(PrecedenceRule("healthdata", "cdc"),))
    winner, merged, _ = merge([own, federation], everything)
    assert winner is federation
    assert merged["title"] == "title from healthdata"


def test_a_shared_url_links_only_titles_that_could_name_one_dataset() -> None:
    from index.duplicates import related_titles

    assert related_titles("100 validated species of plants", "100 validated species of plants 2017")
    assert related_titles("restaurant inspections", "food service establishment restaurant inspections")
    assert not related_titles("road incidents", "flu cases")
