"""A dataset's distributions and links, from untrusted values."""

from __future__ import annotations

import pytest

from catalog_api.web.dataset_view import bbox_words, distribution_view, email_href, safe_url
from mappings.model import Dataset, Distribution


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://data.example.gov/x.csv", "https://data.example.gov/x.csv"),
        ("  http://example.org/a  ", "http://example.org/a"),
        ("ftp://ftp.example.org/pub/file.zip", "ftp://ftp.example.org/pub/file.zip"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("//evil.example.com/x", None),
        ("/relative/path", None),
        ("https://exa mple.com/", None),
        ("http://[::1", None),
        (None, None),
        ("", None),
    ],
)
def test_only_absolute_web_urls_become_links(value: str | None, expected: str | None) -> None:
    assert safe_url(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mailto:data@example.gov", "mailto:data@example.gov"),
        ("data@example.gov", "mailto:data@example.gov"),
        ("mailto:javascript:alert(1)", None),
        ("not an email", None),
        (None, None),
    ],
)
def test_emails(value: str | None, expected: str | None) -> None:
    assert email_href(value) == expected


def test_a_download_and_an_api() -> None:
    file = distribution_view(Distribution(download_url="https://x.gov/a.csv", media_type="text/csv"), 1)
    assert (file.label, file.download_url, file.access_url, file.service) == ("CSV", "https://x.gov/a.csv", None, False)
    assert file.title == "CSV from x.gov"
    api = distribution_view(Distribution(title="Query it", access_url="https://x.gov/api", format="API"), 2)
    assert (api.label, api.download_url, api.access_url, api.service) == ("API", None, "https://x.gov/api", True)
    assert api.title == "Query it"


def test_a_hostile_distribution_has_no_links() -> None:
    view = distribution_view(Distribution(download_url="javascript:alert(1)", access_url="data:x"), 3)
    assert (view.download_url, view.access_url, view.title) == (None, None, "Resource 3")


def test_the_same_url_twice_is_one_link() -> None:
    view = distribution_view(Distribution(download_url="https://x.gov/a.zip", access_url="https://x.gov/a.zip"), 1)
    assert (view.download_url, view.access_url) == ("https://x.gov/a.zip", None)


def test_bounding_boxes_are_spelled_out() -> None:
    box = Dataset(identifier="a", title="t", spatial="-75.28,39.87,-74.96,40.14")
    assert bbox_words(box) == "W -75.28, S 39.87, E -74.96, N 40.14"
    assert bbox_words(Dataset(identifier="a", title="t", spatial="Philadelphia")) is None
