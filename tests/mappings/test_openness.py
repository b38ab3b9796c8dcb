"""The census's criteria on licences and distributions as real catalogs write them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from mappings.licenses import is_open
from mappings.model import Dataset
from mappings.openness import bulk_download, machine_readable, open_license, up_to_date
from tests.conftest import DATA

MO = DATA / "datajson" / "socrata-v1.0-2013-data.mo.gov.json"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://creativecommons.org/publicdomain/zero/1.0/", True),
        ("http://opendefinition.org/licenses/cc-by/", True),
        ("https://creativecommons.org/licenses/by-sa/4.0/", True),
        ("https://creativecommons.org/licenses/by-nc/4.0/", False),
        ("https://creativecommons.org/licenses/by-nd/4.0/", False),
        ("Public Domain", True),
        ("Public Domain\nStreet and Traffic Division", True),  # data.mo.gov, 2013
        ("All rights reserved", False),
        ("", False),
        (None, False),
    ],
)
def test_open_licences(value: str | None, expected: bool) -> None:
    assert is_open(value) is expected


def test_every_licence_of_a_real_state_catalog_that_says_public_domain_is_open() -> None:
    records = json.loads(MO.read_text("utf-8"))
    licences = {r.get("license") for r in records if r.get("license")}
    assert licences  # 30 spellings of "Public Domain" plus an attribution
    assert all(is_open(v) for v in licences if v.startswith("Public Domain"))


def _dataset(**fields: object) -> Dataset:
    return Dataset.model_validate({"identifier": "x", "title": "X", **fields})


def test_formats_downloads_and_age() -> None:
    pdf = _dataset(distribution=[{"downloadURL": "https://x.gov/a.pdf"}])
    api = _dataset(distribution=[{"accessURL": "https://x.gov/api", "format": "API"}])
    csv = _dataset(distribution=[{"downloadURL": "https://x.gov/a.csv"}], modified="2026-11-01")
    assert (machine_readable(pdf), bulk_download(pdf)) == (False, False)
    assert (machine_readable(api), bulk_download(api)) == (True, False)
    assert (machine_readable(csv), bulk_download(csv)) == (True, True)
    now = datetime(2026, 11, 28, tzinfo=UTC)
    assert up_to_date(csv, now, timedelta(days=30))
    assert not up_to_date(csv, now, timedelta(days=20))
    assert not up_to_date(pdf, now, timedelta(days=10_000))  # no date: not up to date
    per_distribution = _dataset(distribution=[{"downloadURL": "https://x.gov/a.csv", "license": "CC0-1.0"}])
    assert open_license(per_distribution)  # DCAT-US 3.0: the licence on each distribution
