"""The CKAN-compatible read API, driven by the ckanapi package's RemoteCKAN against a live uvicorn server
on loopback, by POST (ckanapi's default) and GET, and compared with this catalog's own search API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import ckanapi
import httpx
import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from tests.conftest import DATA, harvest_file, make_settings
from tests.support.httpserver import LoopbackServer
from tests.support.liveserver import LiveServer

FIXTURES = (
    "catalog.data.gov-harvest-source.data.json",
    "ckanext-datajson-arm.data.json",
    "ckanext-datajson-geospatial.data.json",
    "socrata-v1.0-2013-data.consumerfinance.gov.json",
    "gsa-harvester-dcatus.json",
)
# the keys of a licence in CKAN 2.10's license_list (ckan/model/license.py, DefaultLicense._keys)
CKAN_LICENSE_KEYS = {
    "domain_content",
    "id",
    "domain_data",
    "domain_software",
    "family",
    "is_generic",
    "od_conformance",
    "osd_conformance",
    "maintainer",
    "status",
    "url",
    "title",
}
# CKAN fields of CKAN 2.8 that later versions dropped
RETIRED = {"revision_id"}
# 26 records, 25 datasets: catalog.data.gov's harvest source and ckanext-datajson's geospatial sample both
# list the Census TIGER county shapefile (identifier tl_2013_us_county.shp.xml), shown once
DATASETS = 25


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """One catalog for the whole module (the tests only read it), served by uvicorn on loopback."""
    services = build_services(make_settings())
    with LoopbackServer() as sources:
        for number, name in enumerate(FIXTURES):
            harvest_file(services, sources, f"datajson/{name}", f"src{number}")
    with LiveServer(create_app(services.settings, services)) as server:
        yield server.url
    services.close()


@pytest.fixture(params=["post", "get"])
def ckan(site: str, request: pytest.FixtureRequest) -> Iterator[ckanapi.RemoteCKAN]:
    with ckanapi.RemoteCKAN(site, get_only=request.param == "get", user_agent="nutmeg-tests") as remote:
        yield remote


def _api(site: str, **params: Any) -> Any:
    return httpx.get(f"{site}/api/v1/datasets", params={"per_page": 100, **params}).json()


def _ckan_fixture(name: str) -> Any:
    return json.loads((DATA / "ckan" / name).read_bytes())


def test_status_and_envelope(ckan: ckanapi.RemoteCKAN, site: str) -> None:
    status = ckan.action.status_show()
    assert status["site_title"] == "Nutmeg open data catalog"
    assert status["site_url"] == "http://catalog.test"
    assert status["ckan_version"].startswith("2.")
    raw = httpx.get(f"{site}/api/3/action/status_show").json()
    assert set(raw) == {"help", "success", "result"}
    assert raw["success"] is True
    assert raw["help"] == "http://catalog.test/api/3/action/help_show?name=status_show"
    assert httpx.get(f"{site}/api/3").json() == {"version": 3}
    assert "dataset" in ckan.action.help_show(name="package_show").lower()


def test_package_list_and_show(ckan: ckanapi.RemoteCKAN, site: str) -> None:
    names = ckan.action.package_list()
    every = _api(site)
    assert names == sorted(names)
    assert len(names) == every["total"] == DATASETS
    assert ckan.action.package_list(limit=5, offset=3) == names[3:8]
    reference = _ckan_fixture("demo.ckan.org-package_show-62513382.json")["result"]
    by_url = {r["html_url"]: r for r in every["results"]}
    for name in names:
        package = ckan.action.package_show(id=name)
        assert set(reference) - RETIRED <= set(package)
        assert package["name"] == name
        assert ckan.action.package_show(id=package["id"])["name"] == name
        summary = by_url[f"http://catalog.test/dataset/{name}"]
        assert package["title"] == summary["title"]
        assert package["id"] == summary["id"]
        dataset = httpx.get(summary["api_url"].replace("http://catalog.test", site)).json()["dataset"]
        assert package["notes"] == (dataset.get("description") or "")
        assert [t["name"] for t in package["tags"]] == summary["keyword"]
        links = [d.get("downloadURL") or d.get("accessURL") for d in dataset.get("distribution", [])]
        assert [r["url"] for r in package["resources"]] == [link for link in links if link]
        for resource in package["resources"]:
            assert set(reference["resources"][0]) - RETIRED <= set(resource)
        if summary["publisher"]:
            assert package["organization"]["title"] == summary["publisher"]
            assert package["owner_org"] == package["organization"]["id"]
        extras = {e["key"]: e["value"] for e in package["extras"]}
        assert extras["identifier"] == summary["identifier"]


def test_package_search_pages_like_ckan(ckan: ckanapi.RemoteCKAN) -> None:
    reference = _ckan_fixture("demo.ckan.org-package_search.json")["result"]
    first = ckan.action.package_search(rows=4)
    assert set(reference) <= set(first)
    assert first["count"] == DATASETS
    seen: list[str] = []
    for start in range(0, DATASETS, 4):
        seen += [p["name"] for p in ckan.action.package_search(rows=4, start=start, sort="title_string asc")["results"]]
    assert sorted(seen) == ckan.action.package_list()
    assert len(set(seen)) == DATASETS
    assert ckan.action.package_search(rows=0)["results"] == []
    assert ckan.action.package_search(rows=0, q="*:*")["count"] == DATASETS


@pytest.mark.parametrize(
    ("q", "fq", "api"),
    [
        ("climate", "", {"q": "climate"}),
        ("", 'organization:"general-services-administration"', {"publisher": "General Services Administration"}),
        ("", "tags:arm", {"keyword": "arm"}),
        ("", "res_format:CSV", {"format": "CSV"}),
        ("", 'license_id:"CC0-1.0"', {"license": "CC0-1.0"}),
        ("", "groups:geospatial", {"theme": "geospatial"}),
        ("radiation", "+tags:arm AND tags:climate", {"q": "radiation", "keyword": ["arm", "climate"]}),
        ("tags:arm", "", {"keyword": "arm"}),
    ],
)
def test_package_search_filters_as_the_search_api_does(
    ckan: ckanapi.RemoteCKAN, site: str, q: str, fq: str, api: dict[str, Any]
) -> None:
    found = ckan.action.package_search(q=q, fq=fq, rows=100)
    expected = _api(site, **api)
    assert expected["total"] > 0
    assert found["count"] == expected["total"]
    assert sorted(p["id"] for p in found["results"]) == sorted(r["id"] for r in expected["results"])


# CKAN sort field → the package dict value it orders by (ties by id, as the index breaks them)
SORT_VALUES: dict[str, Any] = {
    "id": lambda p: p["id"],
    "name": lambda p: p["name"],
    "title_string": lambda p: p["title"].strip().lower(),
    "metadata_modified": lambda p: p["metadata_modified"],
    "metadata_created": lambda p: p["metadata_created"],
}


def _sorted_like_ckan(packages: list[dict[str, Any]], sort: str) -> list[str]:
    ranked = sorted(packages, key=lambda p: p["id"])
    for part in reversed(sort.split(",")):
        field_name, direction = part.split()
        ranked = sorted(ranked, key=SORT_VALUES[field_name], reverse=direction == "desc")
    return [p["id"] for p in ranked]


@pytest.mark.parametrize(
    "sort",
    [
        *(f"{f} {d}" for f in SORT_VALUES for d in ("asc", "desc")),
        "metadata_created desc, name asc",
        "title_string desc,id desc",
    ],
)
def test_sorts(ckan: ckanapi.RemoteCKAN, sort: str) -> None:
    every = ckan.action.package_search(rows=100)["results"]
    found = ckan.action.package_search(rows=100, sort=sort)
    assert found["sort"] == sort
    assert [p["id"] for p in found["results"]] == _sorted_like_ckan(every, sort)


def test_relevance_and_field_searches(ckan: ckanapi.RemoteCKAN, site: str) -> None:
    ranked = ckan.action.package_search(q="climate", sort="score desc", rows=100)["results"]
    assert [p["id"] for p in ranked] == [r["id"] for r in _api(site, q="climate", sort="relevance")["results"]]
    every = ckan.action.package_search(rows=100)["results"]
    in_title = {p["id"] for p in ckan.action.package_search(q="title:credit", rows=100)["results"]}
    assert in_title == {p["id"] for p in every if "credit" in p["title"].lower()}
    assert len(in_title) == 4
    in_notes = ckan.action.package_search(q="notes:dictionary -title:travel", rows=100)["results"]
    want = {p["id"] for p in every if "dictionary" in p["notes"].lower() and "travel" not in p["title"].lower()}
    assert {p["id"] for p in in_notes} == want
    assert len(want) == 1
    one = every[3]
    assert [p["id"] for p in ckan.action.package_search(q=f"name:{one['name']}")["results"]] == [one["id"]]
    assert [p["id"] for p in ckan.action.package_search(fq=f"id:{one['id']}")["results"]] == [one["id"]]
    tag = one["tags"][0]["name"] if one["tags"] else "arm"
    tagged = {p["id"] for p in ckan.action.package_search(q=f'tags:"{tag}"', rows=100)["results"]}
    assert tagged == {p["id"] for p in every if tag in [t["name"] for t in p["tags"]]}
    organization = next(p["organization"]["name"] for p in every if p["organization"])
    mine = {p["id"] for p in every if p["organization"] and p["organization"]["name"] == organization}
    assert {p["id"] for p in ckan.action.package_search(q=f"organization:{organization}", rows=100)["results"]} == mine


def test_fq_or_negation_ranges_and_constant_fields(ckan: ckanapi.RemoteCKAN) -> None:
    every = ckan.action.package_search(rows=100)["results"]
    ids = {p["id"] for p in every}
    assert len(ids) == DATASETS

    def search(**params: Any) -> set[str]:
        return {p["id"] for p in ckan.action.package_search(rows=100, **params)["results"]}

    arm = {p["id"] for p in every if "arm" in [t["name"].lower() for t in p["tags"]]}
    csv = {p["id"] for p in every if "CSV" in [r["format"] for r in p["resources"]]}
    assert arm
    assert csv
    assert search(fq="tags:arm OR res_format:CSV") == arm | csv
    assert search(fq="-tags:arm") == ids - arm
    assert search(fq="NOT tags:arm AND -res_format:CSV") == ids - arm - csv
    assert search(fq="(tags:arm OR res_format:CSV) -tags:arm") == csv - arm
    stamps = sorted(p["metadata_modified"] for p in every)
    middle = stamps[len(stamps) // 2]
    assert search(fq=f"metadata_modified:[{middle}Z TO *]") == {
        p["id"] for p in every if p["metadata_modified"] >= middle
    }
    assert search(fq=f"metadata_modified:[* TO {middle}Z]") == {
        p["id"] for p in every if p["metadata_modified"] <= middle
    }
    assert search(fq=f"metadata_modified:{{{middle}Z TO *]") == {
        p["id"] for p in every if p["metadata_modified"] > middle
    }
    assert search(fq="metadata_created:[* TO NOW]") == ids
    assert search(fq="metadata_created:[NOW TO *]") == set()
    assert search(fq="capacity:public dataset_type:dataset") == ids
    assert search(fq="+capacity:public", fq_list=json.dumps(["dataset_type:dataset", "-tags:arm"])) == ids - arm
    assert search(fq="capacity:private") == set()
    assert search(fq="dataset_type:harvest") == set()


def test_license_list_resource_show_and_site_read(ckan: ckanapi.RemoteCKAN, site: str) -> None:
    assert ckan.action.site_read() is True
    every = ckan.action.package_search(rows=100)["results"]
    licenses = ckan.action.license_list()
    used = {p["license_id"] for p in every if p["license_id"]}
    assert {item["id"] for item in licenses} == used
    for item in licenses:
        assert set(item) == CKAN_LICENSE_KEYS
        assert item["title"]
    by_id = {item["id"]: item for item in licenses}
    if "CC0-1.0" in by_id:
        assert by_id["CC0-1.0"]["url"].startswith("https://creativecommons.org/publicdomain/zero/1.0")
    resources = [r for p in every for r in p["resources"]]
    assert len({r["id"] for r in resources}) == len(resources) > 20
    for resource in resources[::7]:
        assert ckan.action.resource_show(id=resource["id"]) == resource
    with pytest.raises(ckanapi.NotFound):
        ckan.action.resource_show(id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.resource_show(id="not-a-resource")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.resource_show()


def test_facets(ckan: ckanapi.RemoteCKAN, site: str) -> None:
    fields = ["organization", "tags", "res_format", "license_id", "groups"]
    found = ckan.action.package_search(rows=0, **{"facet.field": json.dumps(fields), "facet.limit": -1})
    api = httpx.get(f"{site}/api/v1/datasets", params={"per_page": 1}).json()["facets"]
    organizations = {o["name"]: o["title"] for o in ckan.action.organization_list(all_fields=True)}
    assert {organizations[k]: v for k, v in found["facets"]["organization"].items()} == {
        f["value"]: f["count"] for f in api["publisher"]
    }
    assert found["facets"]["res_format"] == {f["value"]: f["count"] for f in api["format"]}
    for item in found["search_facets"]["organization"]["items"]:
        assert organizations[item["name"]] == item["display_name"]
    top = ckan.action.package_search(rows=0, **{"facet.field": '["tags"]', "facet.limit": 2})
    assert len(top["facets"]["tags"]) == 2


def test_organizations_groups_and_tags(ckan: ckanapi.RemoteCKAN, site: str) -> None:
    names = ckan.action.organization_list()
    assert names == sorted(names)
    detailed = ckan.action.organization_list(all_fields=True, sort="package_count desc")
    assert [o["package_count"] for o in detailed] == sorted((o["package_count"] for o in detailed), reverse=True)
    with_publisher = sum(f["count"] for f in _api(site)["facets"]["publisher"])
    assert sum(o["package_count"] for o in detailed) == with_publisher == DATASETS - 6  # Socrata 2013: no publisher
    for organization in detailed:
        shown = ckan.action.organization_show(id=organization["name"], include_datasets=True)
        assert shown["id"] == organization["id"]
        assert shown["package_count"] == organization["package_count"] == len(shown["packages"])
        assert {p["organization"]["name"] for p in shown["packages"]} == {organization["name"]}
        assert ckan.action.organization_show(id=organization["id"])["name"] == organization["name"]
    groups = ckan.action.group_list(all_fields=True)
    assert {g["title"] for g in groups} == {f["value"] for f in _api(site)["facets"]["theme"]}
    assert ckan.action.group_show(id=groups[0]["name"])["package_count"] == groups[0]["package_count"]
    tags = ckan.action.tag_list()
    assert tags == sorted(tags)
    assert "ARM" in tags  # as the ARM catalog spells it
    assert ckan.action.tag_list(query="arm") == [t for t in tags if "arm" in t.lower()]
    assert ckan.action.tag_list(query="arm", all_fields=True)[0]["name"] == "ARM"


def test_errors_come_back_as_ckan_exceptions(ckan: ckanapi.RemoteCKAN, site: str) -> None:
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="no-such-dataset-aaaaaaaaaaaaaaaa")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="nobody")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_show()
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(rows="many")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(rows=-1)
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(start=-5)
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(sort="popularity desc")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(sort="name sideways")
    for fq in ("nosuchfield:x", "(tags:arm", "tags:[a TO b]", "metadata_modified:[yesterday TO *]", "tags:*"):
        with pytest.raises(ckanapi.SearchQueryError):
            ckan.action.package_search(fq=fq)
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(q="title:(climate")
    with pytest.raises(ckanapi.CKANAPIError):
        ckan.action.package_create(name="x")


def test_error_body_has_ckans_form_and_ours(site: str) -> None:
    response = httpx.get(f"{site}/api/3/action/package_show", params={"id": "missing"})
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False
    assert body["help"].endswith("help_show?name=package_show")
    assert body["error"]["__type"] == "Not Found Error"
    assert body["error"]["code"] == "not_found"
    assert body["error"]["message"]
    unknown = httpx.post(f"{site}/api/3/action/nope", json={})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["__type"] == "Bad request"
    broken = httpx.post(
        f"{site}/api/3/action/package_search", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["success"] is False


def test_form_posts_and_a_withdrawn_dataset(
    services: Services, client: TestClient, http_server: LoopbackServer
) -> None:
    harvest_file(services, http_server, "datajson/ckanext-datajson-arm.data.json")
    found = client.post("/api/3/action/package_search", data={"q": "arm", "rows": "1"}).json()
    assert found["success"] is True
    assert found["result"]["count"] == 3
    name = found["result"]["results"][0]["name"]
    record_id = found["result"]["results"][0]["id"]
    services.store.withdraw_missing(services.store.get_record(record_id).source_id, set(), datetime.now(UTC))
    gone = client.get("/api/3/action/package_show", params={"id": name})
    assert gone.status_code == 404
    assert name not in client.get("/api/3/action/package_list").json()["result"]
