"""Repairs and omissions that keep one bad optional value from keeping a dataset out of data.json."""

from __future__ import annotations

from typing import Any

from mappings.datajson import CatalogDefaults
from mappings.datajson_export import make_exportable
from mappings.validation import Profile, is_valid

BASE: dict[str, Any] = {
    "@type": "dcat:Dataset",
    "title": "Parcels",
    "description": "City parcels.",
    "identifier": "parcels",
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
