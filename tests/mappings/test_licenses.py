"""Licences by name: every licence string in the fixture files is recognized (or is knowingly not a
licence we can name), each spelling of one licence gets one id, name and link, and the License facet
groups by licence."""

from __future__ import annotations

import pytest

from index.documents import search_doc
from mappings.licenses import LICENSES, license_id, license_link, license_name, recognize
from mappings.model import Dataset
from tests.conftest import DATA, SHARED_FIXTURES
from tests.support.licenses import licence_strings

# what the fixtures hold that names no licence: a publisher's own terms (a page, or its text pasted as HTML),
# INSPIRE's access-restriction codes, a placeholder, and Socrata metadata labels
NOT_A_KNOWN_LICENCE = {
    "https://metadata.phila.gov/#help/help-faqs/what-are-the-terms-of-use/",
    "https://opendataphilly.org/licenses/other",
    "https://data.some.org/link/to/license",
    "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations",
    "no limitations to public access",
    "license",
    "copyright",
}
TERMS_AS_HTML = "<p align='center'"

EXPECTED = {
    "https://creativecommons.org/publicdomain/zero/1.0/": "CC0-1.0",
    "http://creativecommons.org/publicdomain/zero/1.0/legalcode": "CC0-1.0",
    "CC0_10": "CC0-1.0",
    "http://dcat-ap.de/def/licenses/cc-zero": "CC0-1.0",
    "Creative Commons 1.0 Universal\ncity of seattle\nhttp://creativecommons.org/publicdomain/zero/1.0/": "CC0-1.0",
    "Creative Commons 1.0 Universal\nCity of Seattle Department of Information Technology": "CC0-1.0",
    "https://creativecommons.org/licenses/by/4.0/": "CC-BY-4.0",
    "http://creativecommons.org/licenses/by/4.0/legalcode": "CC-BY-4.0",
    "https://creativecommons.org/licenses/by/4.0/deed.fr": "CC-BY-4.0",
    "Creative Commons Attribution 3.0 Unported": "CC-BY-3.0",
    "http://creativecommons.org/licenses/by-nc/2.0/": "CC-BY-NC-2.0",
    "http://publications.europa.eu/resource/authority/licence/CC_BYNCND_3_0": "CC-BY-NC-ND-3.0",
    "https://resources.data.gov/vocab/license/TODO/CC_BYNC_4_0": "CC-BY-NC-4.0",
    "cc-by": "CC-BY",
    "http://www.opendefinition.org/licenses/cc-by": "CC-BY",
    "https://opendatacommons.org/licenses/odbl/1.0/": "ODbL-1.0",
    "Open Database License": "ODbL-1.0",
    "http://opendatacommons.org/licenses/by/1.0/": "ODC-By-1.0",
    "https://www.usa.gov/government-works": "US Government Work",
    "http://www.usa.gov/publicdomain/label/1.0/": "US Government Work",
    "us-pd": "US Government Work",
    "Public Domain": "Public Domain",
    "Public Domain\nStreet and Traffic Division": "Public Domain",
    "Public Domain\nSeattle Public Utilities(http://www.seattle.gov)": "Public Domain",
    "Public Domain (http://www.sfgov.org)": "Public Domain",
    "Public Domain(http://maps.raleighnc.gov/arcgis/rest/services/Services/OpenData/MapServer/0)": "Public Domain",
    "other-pd": "Public Domain",
    "http://creativecommons.org/publicdomain/mark/1.0/": "Public Domain Mark",
    "odc-pddl": "PDDL-1.0",
    "https://project-open-data.cio.gov/unknown-license": "Unknown",
    "notspecified": "Unknown",
    "other-open": "other-open",
    "Licence Ouverte Version 2.0": "etalab-2.0",
    "Licence Ouverte Version 1.0": "Licence-Ouverte-1.0",
    "http://publications.europa.eu/resource/authority/licence/COM_REUSE": "EU-COM-REUSE",
    "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/": "OGL-UK-3.0",
    "uk-ogl": "OGL-UK",
}


def fixture_licences() -> set[str]:
    roots = [DATA] + ([SHARED_FIXTURES] if SHARED_FIXTURES.is_dir() else [])
    return licence_strings(*roots)


def test_every_licence_string_in_the_fixtures_is_recognized() -> None:
    values = fixture_licences()
    assert len(values) >= 100  # data.json, CKAN, Socrata, DCAT RDF and ISO fixtures all contribute
    unknown = {v for v in values if recognize(v) is None}
    assert {v for v in unknown if not v.startswith(TERMS_AS_HTML)} <= NOT_A_KNOWN_LICENCE
    for value in values - unknown:
        found = recognize(value)
        assert found is not None
        assert license_id(value) == found.id
        assert license_name(value) == found.name


@pytest.mark.parametrize(("value", "expected"), EXPECTED.items())
def test_spellings_of_one_licence_get_one_id(value: str, expected: str) -> None:
    found = recognize(value)
    assert found is not None, value
    assert found.id == expected


def test_names_and_links() -> None:
    assert license_name("CC0_10") == "Creative Commons Zero 1.0 Universal (CC0)"
    assert license_link("CC0_10") == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert license_link("https://creativecommons.org/licenses/by/4.0/legalcode") == (
        "https://creativecommons.org/licenses/by/4.0/legalcode"  # the source's own URL is kept for the link
    )
    assert license_name("Public Domain\nSeattle GIS Program") == "Public Domain"
    assert license_link("Public Domain\nSeattle GIS Program") is None  # no page names "Public Domain" itself
    assert license_name("Terms of the City of Somewhere") == "Terms of the City of Somewhere"
    html = "<p style='x'>OPEN DATA <span>TERMS OF USE</span></p>" + "<p>more</p>" * 100
    assert license_id(html).startswith("OPEN DATA TERMS OF USE more")
    assert len(license_id(html) or "") <= 200
    assert license_id("   ") is None
    assert license_id(None) is None


def test_the_table_has_no_clashes() -> None:
    ids = [lic.id for lic in LICENSES]
    assert len(ids) == len(set(ids))
    for lic in LICENSES:
        assert recognize(lic.id) == lic or lic.id in {"Unknown"}, lic.id
        assert recognize(lic.name) == lic, lic.name
        for url in lic.urls:
            assert recognize(f"https://{url}/") == lic, url


def test_the_facet_groups_by_licence_not_by_spelling() -> None:
    spellings = [
        "https://creativecommons.org/publicdomain/zero/1.0/",
        "http://creativecommons.org/publicdomain/zero/1.0/legalcode",
        "CC0_10",
        "Creative Commons 1.0 Universal\nDepartment of Human Services(http://www.seattle.gov/humanservices/)",
    ]
    docs = [
        search_doc(f"id{n}", "src", "hash", Dataset.model_validate({"identifier": f"d{n}", "title": "t", "license": s}))
        for n, s in enumerate(spellings)
    ]
    assert {d.license for d in docs} == {"CC0-1.0"}  # what both search backends index and facet on
    assert {d.summary["license"] for d in docs} == {"CC0-1.0"}
