"""Repairs and omissions that keep one bad optional value from keeping a dataset out of data.json."""

from __future__ import annotations

from typing import Any

from mappings.datajson import CatalogDefaults, apply_defaults
from mappings.datajson_export import publishable
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


def test_a_valid_record_is_untouched() -> None:
    out, notes, problems = publishable(BASE, Profile.NON_FEDERAL)
    assert (out, notes, problems) == (BASE, [], [])


def test_repairs_where_the_intent_is_clear() -> None:
    record = {
        **BASE,
        "accrualPeriodicity": "Weekly",
        "temporal": "2019-2021",
        "contactPoint": {"fn": "GIS team", "hasEmail": "mailto: gis@city.gov, other@city.gov"},
        "distribution": [{"downloadURL": "https://city.gov/p.pdf", "mediaType": "application/PDF; charset=binary"}],
    }
    out, notes, problems = publishable(record, Profile.NON_FEDERAL)
    assert problems == []
    assert out["accrualPeriodicity"] == "R/P1W"
    assert out["temporal"] == "2019-01-01/2021-12-31"
    assert out["contactPoint"]["hasEmail"] == "mailto:gis@city.gov"
    assert out["distribution"][0]["mediaType"] == "application/pdf"
    assert {n.code for n in notes} == {"repaired"}
    assert is_valid(out, Profile.NON_FEDERAL)


def test_invalid_optional_values_are_left_out_and_noted() -> None:
    record = {
        **BASE,
        "license": "Public Domain\nStreet and Traffic Division",
        "references": ["see the agency site"],
        "distribution": [
            {"downloadURL": "https://city.gov/ok.csv", "mediaType": "text/csv"},
            {"downloadURL": "not a url at all", "mediaType": "text/csv"},
        ],
    }
    out, notes, problems = publishable(record, Profile.NON_FEDERAL)
    assert problems == []
    assert "license" not in out
    assert "references" not in out
    assert out["distribution"] == [{"downloadURL": "https://city.gov/ok.csv", "mediaType": "text/csv"}]
    assert {n.path for n in notes if n.code == "omitted"} == {"license", "references", "distribution[1]"}
    assert record["license"].startswith("Public Domain")  # the input is not changed


def test_required_values_are_not_dropped() -> None:
    record = {k: v for k, v in BASE.items() if k != "description"}
    _, _, problems = publishable(record, Profile.NON_FEDERAL)
    assert [p.path for p in problems] == ["description"]


def test_federal_contact_email_is_required() -> None:
    record = {
        **BASE,
        "bureauCode": ["015:11"],
        "programCode": ["015:001"],
        "keyword": ["x"],
        "modified": "2020-01-01",
        "contactPoint": {"fn": "GIS team", "hasEmail": "not-an-email"},
    }
    _, _, federal = publishable(record, Profile.FEDERAL)
    assert [p.path for p in federal] == ["contactPoint.hasEmail"]
    out, _notes, non_federal = publishable(record, Profile.NON_FEDERAL)
    assert non_federal == []
    assert "hasEmail" not in out["contactPoint"]


def test_defaults_fill_required_gaps() -> None:
    record = {k: v for k, v in BASE.items() if k not in ("publisher", "contactPoint", "accessLevel")}
    filled = apply_defaults(record, CatalogDefaults("State", "Data team", "data@state.gov", "public"), federal=False)
    assert filled == ["publisher", "contactPoint.fn", "contactPoint.hasEmail", "accessLevel"]
    assert publishable(record, Profile.NON_FEDERAL)[2] == []
