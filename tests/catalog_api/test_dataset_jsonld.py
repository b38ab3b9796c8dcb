"""The schema.org Dataset markup on dataset pages, extracted with extruct as a crawler would and checked
against what Google Dataset Search reads, for every dataset of the fixture catalogs."""

from __future__ import annotations

import re
from typing import Any

import extruct
import pytest
from fastapi.testclient import TestClient

from catalog_api.services import Services
from mappings.derive import format_label
from mappings.model import Dataset
from mappings.rdfterms import date_literal
from tests.conftest import DATA, harvest_file
from tests.support.httpserver import LoopbackServer

FIXTURES = sorted(p.name for p in (DATA / "datajson").glob("*.json") if p.name != "pod-dashboard-baddata.json")
LARGE = {p.name for p in (DATA / "datajson").glob("*.json") if p.stat().st_size > 900_000}
SAMPLE = 60  # pages fetched per large fixture


def _markup(client: TestClient, url: str) -> dict[str, Any]:
    response = client.get(url.removeprefix("http://catalog.test"))
    assert response.status_code == 200
    data = extruct.extract(response.text, base_url=url, syntaxes=["json-ld"], uniform=True)
    found = [item for item in data["json-ld"] if item.get("@type") == "Dataset"]
    assert len(found) == 1, data
    return found[0]


def _check_description(text: str, source: str) -> None:
    """schema.org's description is text: a plain source's words unchanged; Markdown and HTML without markup."""
    words = " ".join(source.split())
    if not re.search(r"<[a-zA-Z/!]|\]\(|[*_`#&]", source):  # plain text
        assert " ".join(text.split()) == words[: len(" ".join(text.split()))]
        assert len(text) <= 5000
    else:
        assert not re.search(r"<(p|div|span|br|a)\b", text, re.IGNORECASE), text[:200]
        assert "](http" not in text


def _check(markup: dict[str, Any], dataset: Dataset, url: str) -> None:
    assert markup["@context"] in ("https://schema.org/", "http://schema.org/")
    assert markup["name"] == dataset.title
    assert markup["url"] == markup["@id"] == url
    assert markup["identifier"] == dataset.identifier
    assert markup["description"].strip()
    _check_description(markup["description"], (dataset.description or "").strip() or dataset.title)
    assert set(dataset.keyword) <= set(markup.get("keywords", []))
    assert set(dataset.theme) <= set(markup.get("keywords", []))
    if dataset.publisher:
        assert markup["creator"]["@type"] == "Organization"
        assert markup["creator"]["name"] == markup["publisher"]["name"] == dataset.publisher.name
    if dataset.contact_point and dataset.contact_point.fn:
        assert markup["creator"]["contactPoint"]["name"] == dataset.contact_point.fn
    if dataset.license:
        license_ = markup["license"]
        assert license_ == dataset.license.strip() or license_["name"] == " ".join(dataset.license.split())
    if dataset.temporal:
        assert markup["temporalCoverage"] == dataset.temporal
    if dataset.spatial:
        assert markup["spatialCoverage"]["@type"] == "Place"
    if dataset.access_level:
        assert markup["isAccessibleForFree"] is (dataset.access_level.strip().lower() == "public")
    expected_date = date_literal(dataset.modified).datatype is not None if dataset.modified else False
    assert ("dateModified" in markup) == expected_date
    links = [d.download_url or d.access_url for d in dataset.distribution if d.download_url or d.access_url]
    downloads = markup.get("distribution", [])
    assert [d["contentUrl"] for d in downloads] == links
    for download, dist in zip(
        downloads, [d for d in dataset.distribution if d.download_url or d.access_url], strict=True
    ):
        assert download["@type"] == "DataDownload"
        if dist.media_type or format_label(dist):
            assert download["encodingFormat"]
    assert markup["includedInDataCatalog"] == {"@type": "DataCatalog", "url": "http://catalog.test/"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in LARGE else n for n in FIXTURES])
def test_every_dataset_page_carries_what_google_reads(
    services: Services, client: TestClient, http_server: LoopbackServer, name: str
) -> None:
    harvest_file(services, http_server, f"datajson/{name}")
    records = list(services.store.iter_records())
    if name in LARGE:
        records = records[:: max(1, len(records) // SAMPLE)]
    for record in records:
        summary = client.get(f"/api/v1/datasets/{record.id}").json()
        for distribution in summary["dataset"].get("distribution", []):
            distribution.pop("link_status")  # the API's own addition beside the DCAT-US fields
        dataset = Dataset.model_validate(summary["dataset"])
        _check(_markup(client, summary["html_url"]), dataset, summary["html_url"])


def test_markup_cannot_break_out_of_its_script(
    services: Services, client: TestClient, http_server: LoopbackServer
) -> None:
    harvest_file(services, http_server, "datajson/gsa-harvester-dcatus.json")
    summary = client.get("/api/v1/datasets", params={"per_page": 1}).json()["results"][0]
    html = client.get(summary["html_url"].removeprefix("http://catalog.test")).text
    script = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "</" not in script
