"""Repairs and omissions that keep one bad optional value from keeping a dataset out of data.json.

Each result is judged by data.gov's own DCAT-US 1.1 dataset schema, read here from ``tests/data`` with
plain ``jsonschema`` (2020-12, its format checker), independently of ``mappings.validation``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from mappings.datajson import CatalogDefaults
from mappings.datajson_export import DESCRIPTION_MAX, Adjustment, RecordContext, make_exportable, shortened
from mappings.validation import Profile
from tests.conftest import DATA

DATAGOV = Draft202012Validator(
    json.loads((DATA / "schema/datagov-harvester/dcatus1.1/non-federal_dataset.json").read_text()),
    format_checker=FormatChecker(),
)


def is_valid(record: dict[str, Any], profile: Profile) -> bool:
    assert profile is Profile.NON_FEDERAL
    return DATAGOV.is_valid(record)


BASE: dict[str, Any] = {
    "@type": "dcat:Dataset",
    "title": "Parcels",
    "description": "City parcels.",
    "identifier": "parcels",
    "keyword": ["parcels"],
    "modified": "2024-05-01",
    "accessLevel": "public",
    "publisher": {"@type": "org:Organization", "name": "City"},
    "contactPoint": {"@type": "vcard:Contact", "fn": "GIS team", "hasEmail": "mailto:gis@city.gov"},
}
NO_DEFAULTS = CatalogDefaults()


def test_a_valid_record_is_untouched() -> None:
    result = make_exportable(BASE, NO_DEFAULTS, Profile.NON_FEDERAL)
    assert (result.record, result.adjustments, result.problems) == (BASE, [], [])


def test_repairs_where_the_intent_is_clear() -> None:
    record = {
        **BASE,
        "accessLevel": "Public",
        "accrualPeriodicity": "Weekly",
        "temporal": "2019-2021",
        "distribution": [{"downloadURL": "https://city.gov/p.pdf", "mediaType": "application/PDF; charset=binary"}],
    }
    result = make_exportable(record, NO_DEFAULTS, Profile.NON_FEDERAL)
    assert result.problems == []
    normalized = result.record
    assert normalized is not None
    assert normalized["accessLevel"] == "public"
    assert normalized["accrualPeriodicity"] == "R/P1W"
    assert is_valid(normalized, Profile.NON_FEDERAL)
    assert normalized["distribution"][0]["mediaType"] == "application/pdf"
    assert record["accrualPeriodicity"] == "Weekly"  # the input is not changed


def test_invalid_optional_values_are_dropped_and_counted() -> None:
    record = {
        **BASE,
        "references": ["see the agency site"],
        "distribution": [
            {"downloadURL": "https://city.gov/ok.csv", "mediaType": "text/csv"},
            {"accessURL": "not a url at all"},
        ],
    }
    result = make_exportable(record, NO_DEFAULTS, Profile.NON_FEDERAL)
    assert result.problems == []
    assert result.record is not None
    assert "references" not in result.record
    assert {a.field for a in result.adjustments if a.action == "dropped"} >= {"references"}


def test_a_missing_description_keeps_the_record_out_even_with_defaults() -> None:
    """A title is not a description: no default fits, so the record is left out and listed."""
    record = {k: v for k, v in BASE.items() if k != "description"}
    defaults = CatalogDefaults("State", "Data team", "data@state.gov", "public")
    result = make_exportable(record, defaults, Profile.NON_FEDERAL)
    assert result.record is None
    assert [p.path for p in result.problems] == ["description"]


def test_defaults_fill_required_gaps() -> None:
    record = {k: v for k, v in BASE.items() if k not in ("publisher", "contactPoint", "accessLevel")}
    defaults = CatalogDefaults("State", "Data team", "data@state.gov", "public")
    result = make_exportable(record, defaults, Profile.NON_FEDERAL)
    assert result.problems == []
    assert {a.field for a in result.adjustments if a.action == "filled"} == {
        "publisher",
        "contactPoint.fn",
        "contactPoint.hasEmail",
        "accessLevel",
    }


def test_the_catalog_contact_email_fills_a_contact_without_one() -> None:
    record = {**BASE, "contactPoint": {"@type": "vcard:Contact", "fn": "GIS team"}}
    result = make_exportable(record, CatalogDefaults(contact_email="data@state.gov"), Profile.NON_FEDERAL)
    assert result.record is not None
    assert is_valid(result.record, Profile.NON_FEDERAL)
    assert result.record["contactPoint"] == {
        "@type": "vcard:Contact",
        "fn": "GIS team",
        "hasEmail": "mailto:data@state.gov",
    }
    assert Adjustment("filled", "contactPoint.hasEmail", "catalog default") in result.adjustments


@pytest.mark.parametrize(
    ("distribution", "media", "source"),
    [
        (
            {"downloadURL": "https://city.gov/parcels.zip", "format": "Zipped Shapefile"},
            "application/zip",
            "URL extension",
        ),
        ({"downloadURL": "https://city.gov/export?id=1", "format": "CSV"}, "text/csv", "format"),
        (
            {"downloadURL": "https://city.gov/p.json", "mediaType": "application/unknown stuff"},
            "application/json",
            "URL extension",
        ),
    ],
)
def test_a_download_takes_its_media_type_from_format_or_extension(
    distribution: dict[str, str], media: str, source: str
) -> None:
    result = make_exportable({**BASE, "distribution": [distribution]}, NO_DEFAULTS, Profile.NON_FEDERAL)
    assert result.record is not None
    assert is_valid(result.record, Profile.NON_FEDERAL)
    assert result.record["distribution"][0]["mediaType"] == media
    assert Adjustment("filled", "distribution.mediaType", source) in result.adjustments


def test_a_download_with_no_known_type_becomes_an_access_url() -> None:
    record = {**BASE, "distribution": [{"downloadURL": "https://city.gov/get?id=1"}]}
    result = make_exportable(record, NO_DEFAULTS, Profile.NON_FEDERAL)
    assert result.record is not None
    assert result.record["distribution"] == [{"accessURL": "https://city.gov/get?id=1"}]


def test_a_description_over_the_cap_is_cut_at_a_sentence_with_a_link_to_the_page() -> None:
    sentence = "Parcels of the city with owners and values. "
    record = {**BASE, "description": sentence * 400}  # 17,600 characters
    page = "https://catalog.state.gov/dataset/parcels-abc"
    result = make_exportable(record, NO_DEFAULTS, Profile.NON_FEDERAL, RecordContext(page_url=page))
    assert result.record is not None
    assert is_valid(result.record, Profile.NON_FEDERAL)
    text = result.record["description"]
    assert len(text) <= DESCRIPTION_MAX
    assert text.endswith(page + ")")
    assert text.split(" … ")[0].endswith("owners and values.")  # a whole sentence, not a cut word
    assert [a.action for a in result.adjustments] == ["shortened"]
    assert len(record["description"]) == 17_600  # the input is not changed


def test_shortening_a_single_huge_sentence_cuts_at_a_word() -> None:
    text = shortened("word " * 5000, "https://x.gov/d")
    assert len(text) <= DESCRIPTION_MAX
    assert text.startswith("word word")
    assert " wor …" not in text


@pytest.mark.parametrize(
    ("extra", "expected", "source"),
    [
        ({"issued": "2019-03-04"}, "2019-03-04", "issued"),
        ({}, "2026-11-02", "harvest: last change seen"),
    ],
)
def test_a_missing_modified_takes_the_best_date_the_record_has(
    extra: dict[str, str], expected: str, source: str
) -> None:
    record = {**{k: v for k, v in BASE.items() if k != "modified"}, **extra}
    context = RecordContext(last_changed=datetime(2026, 11, 2, 14, 0, tzinfo=UTC))
    result = make_exportable(record, NO_DEFAULTS, Profile.NON_FEDERAL, context)
    assert result.record is not None
    assert is_valid(result.record, Profile.NON_FEDERAL)
    assert result.record["modified"] == expected
    assert Adjustment("filled", "modified", source) in result.adjustments


def test_without_any_date_a_missing_modified_keeps_the_record_out() -> None:
    record = {k: v for k, v in BASE.items() if k != "modified"}
    result = make_exportable(record, NO_DEFAULTS, Profile.NON_FEDERAL)
    assert result.record is None
    assert [p.path for p in result.problems] == ["modified"]


@pytest.mark.parametrize(
    ("extra", "expected", "source"),
    [
        ({"theme": ["Transportation", "Safety", "Transportation"]}, ["Transportation", "Safety"], "theme"),
        ({}, ["City"], "publisher"),
    ],
)
def test_a_missing_keyword_comes_from_themes_or_the_publisher(
    extra: dict[str, Any], expected: list[str], source: str
) -> None:
    record = {**{k: v for k, v in BASE.items() if k != "keyword"}, **extra}
    result = make_exportable(record, NO_DEFAULTS, Profile.NON_FEDERAL)
    assert result.record is not None
    assert is_valid(result.record, Profile.NON_FEDERAL)
    assert result.record["keyword"] == expected
    assert Adjustment("filled", "keyword", source) in result.adjustments
