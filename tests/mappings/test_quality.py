"""The quality score's reasons, dimension by dimension, on real records from tests/data (GSA's datagov-harvester
examples and ckanext-datajson's samples), and the link checker's statuses as an optional input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mappings.datajson import dataset_to_datajson
from mappings.model import Dataset
from mappings.quality import DIMENSIONS, TOTAL, assess, rating, summary
from mappings.validation import Profile, datagov_checker
from tests.conftest import DATA
from tests.mappings.test_roundtrip import mapped


def _records(name: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads((DATA / "datajson" / name).read_text("utf-8"))["dataset"]
    return records


def _dataset(name: str, title: str) -> Dataset:
    return mapped(next(r for r in _records(name) if r.get("title") == title))


def _lost(dataset: Dataset, profile: Profile = Profile.FEDERAL, **links: str) -> dict[str, dict[str, str]]:
    """dimension → indicator → message of what cost points."""
    problems = datagov_checker(profile).validate(dataset_to_datajson(dataset))
    out: dict[str, dict[str, str]] = {}
    for reason in assess(dataset, problems, links or None).reasons:
        out.setdefault(reason.dimension, {})[reason.indicator] = reason.message
    return out


def test_mqa_points() -> None:
    """The dimensions carry MQA's points (405 in all; its DCAT-AP compliance indicator is validity here)."""
    assert TOTAL == 405
    assert DIMENSIONS["findability"] == 100
    assert DIMENSIONS["accessibility"] == 100
    assert DIMENSIONS["interoperability"] + DIMENSIONS["validity"] == 110
    assert DIMENSIONS["reusability"] == 75
    assert DIMENSIONS["contextuality"] == 20


def test_commitment_of_traders_dimension_by_dimension() -> None:
    """GSA's federal example: keywords and a place but no theme or period; an access URL without format,
    media type or download; a contact and publisher but no licence; valid against data.gov's schema."""
    dataset = _dataset("gsa-harvester-dcatus.json", "Commitment of Traders")
    lost = _lost(dataset)
    assert set(lost["findability"]) == {"theme", "temporal"}
    assert set(lost["accessibility"]) == {"download_url", "download_url_status"}
    assert set(lost["interoperability"]) == {"format", "media_type", "media_type_vocabulary", "machine_readable"}
    assert set(lost["reusability"]) == {"license", "license_vocabulary"}
    assert set(lost["contextuality"]) == {"rights", "issued"}
    assert "validity" not in lost
    assessment = assess(dataset, [])
    assert assessment.points == {
        "findability": 50,
        "accessibility": 50,
        "interoperability": 20,
        "reusability": 45,
        "contextuality": 10,
        "validity": 30,
    }
    assert assessment.score == round(100 * 205 / 405) == 51


def test_schema_errors_cost_validity() -> None:
    """ckanext-datajson's New York sample lacks bureauCode and programCode, which data.gov's federal schema
    requires (and its non-federal one does not)."""
    dataset = _dataset(
        "ckanext-datajson-ny.data.json", "State of New York Mortgage Agency (SONYMA) Loans Purchased: Beginning 2004"
    )
    federal = _lost(dataset, Profile.FEDERAL)
    assert "bureauCode" in federal["validity"]["datagov_schema"]
    assert "programCode" in federal["validity"]["datagov_schema"]
    assert "validity" not in _lost(dataset, Profile.NON_FEDERAL)
    assert "accessibility" not in federal  # downloadable, and no link known broken


def test_a_broken_link_costs_accessibility_and_unchecked_costs_nothing() -> None:
    dataset = _dataset(
        "ckanext-datajson-ny.data.json", "State of New York Mortgage Agency (SONYMA) Loans Purchased: Beginning 2004"
    )
    urls = [d.download_url for d in dataset.distribution if d.download_url]
    assert urls
    unchecked = assess(dataset, [], {u: "unchecked" for u in urls})
    redirected = assess(dataset, [], {u: "redirected" for u in urls})
    broken = assess(dataset, [], {urls[0]: "broken"})
    assert unchecked.score == redirected.score == assess(dataset, []).score
    assert broken.points["accessibility"] == 20  # only "has a download URL" is left
    assert {r.indicator for r in broken.reasons if r.dimension == "accessibility"} == {
        "access_url",
        "download_url_status",
    }
    assert "1 broken download link of" in next(
        r.message for r in broken.reasons if r.indicator == "download_url_status"
    )


def test_veterans_map_reasons() -> None:
    """GSA's record with several violations: an access URL that is no URL, an HTML page only."""
    dataset = mapped(_records("gsa-harvester-dcatus_multiple_invalid.json")[0])
    lost = _lost(dataset)
    assert "machine_readable" in lost["interoperability"]
    assert "non_proprietary" not in lost["interoperability"]  # HTML is an open format
    assert set(lost["findability"]) == {"temporal"}
    assert "datagov_schema" in lost["validity"]


def test_a_complete_record_scores_100() -> None:
    dataset = Dataset.model_validate(
        {
            "identifier": "x",
            "title": "Complete",
            "description": "All there",
            "keyword": ["roads"],
            "theme": ["Transportation"],
            "spatial": "Massachusetts",
            "temporal": "2020-01-01/2020-12-31",
            "modified": "2020-12-31",
            "issued": "2020-01-01",
            "publisher": {"name": "MassDOT"},
            "contactPoint": {"fn": "Open Data", "hasEmail": "mailto:data@example.gov"},
            "accessLevel": "public",
            "license": "https://creativecommons.org/publicdomain/zero/1.0/",
            "rights": "none",
            "describedBy": "https://example.gov/dictionary",
            "distribution": [
                {"downloadURL": "https://example.gov/a.csv", "mediaType": "text/csv", "format": "CSV"},
            ],
        }
    )
    assessment = assess(dataset, [])
    assert assessment.reasons == ()
    assert assessment.score == 100
    assert rating(assessment.score) == "excellent"
    assert "every check passed" in summary(assessment.as_json())


@pytest.mark.parametrize(
    ("score", "word"), [(100, "excellent"), (87, "excellent"), (60, "good"), (30, "sufficient"), (10, "poor")]
)
def test_ratings(score: int, word: str) -> None:
    assert rating(score) == word


def test_summary_names_the_biggest_losses() -> None:
    dataset = _dataset("gsa-harvester-dcatus.json", "Commitment of Traders")
    text = summary(assess(dataset, []).as_json())
    assert text.startswith("Metadata quality 51/100 (sufficient).")
    assert "no theme (category)" in text
