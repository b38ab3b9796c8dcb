"""DCAT-US 3.0 both ways: 3.0 catalogs harvested into the model, and the model published as 3.0.

The round trip takes each good Dataset example of the DCAT-US 3.0 schema (GSA/dcat-us, and data.gov's
harvester's own) that data.gov's definitions accept, serves it as a 3.0 catalog over loopback HTTP,
harvests it, publishes ``/dcat-us/3.0/data.json`` and compares every field both the example and the
model carry (:data:`CARRIED`), in the form 3.0 gives it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.harvesting import HarvestReport
from catalog_api.services import Services, build_services
from mappings.datajson import CatalogDefaults
from mappings.datajson_export import make_exportable_v3
from mappings.dcatus import geometry_bbox
from mappings.dcatus3 import date_v3
from mappings.vocab import DCAT3, RDF
from tests.catalog_api.test_datagov_acceptance import DEFAULTS, datagov_v11, datagov_v30, rejected
from tests.conftest import DATA, add_source, make_settings
from tests.support.httpserver import LoopbackServer, Route
from tests.support.rdfcompare import parse
from tests.support.shacl import violations

EXAMPLES = sorted(
    [
        *(DATA / "schema/dcat-us-3.0/examples/Dataset/good").glob("*.json"),
        *(DATA / "schema/datagov-harvester/dcatus3.0/examples/Dataset/good").glob("*.json"),
    ]
)
CONFORMS_V3 = {"@type": "Standard", "identifier": "https://resources.data.gov/dcat-us/3.0.0"}


def _valid_examples() -> list[Path]:
    """The examples data.gov's definitions accept (the MANIFEST marks a few as older than the schema)."""
    validator = datagov_v30()
    return [p for p in EXAMPLES if validator.is_valid(json.loads(p.read_text()))]


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if isinstance(value, dict) and value.get(key) is not None:
            return value[key]
    return None if isinstance(value, dict) else value


def _identifier(value: Any) -> Any:
    return _get(value, "@id", "notation")


def _contact(value: Any) -> Any:
    first = _first(value)
    return {k: first.get(k) for k in ("fn", "hasEmail", "tel")} if isinstance(first, dict) else None


def _organizations(value: Any) -> list[str]:
    names: list[str] = []
    while isinstance(value, dict):
        names.append(value.get("name") or value.get("prefLabel"))
        value = _first(value.get("subOrganizationOf"))
    return names


def _period(value: Any) -> Any:
    first = _first(value)
    return (date_v3(first.get("startDate")), date_v3(first.get("endDate"))) if isinstance(first, dict) else None


def _location(value: Any) -> Any:
    first = _first(value)
    if not isinstance(first, dict):
        return first
    for shape in ("bbox", "geometry"):
        if first.get(shape) is not None:
            text = first[shape] if isinstance(first[shape], str) else json.dumps(first[shape])
            return geometry_bbox(text)
    return _get(first, "@id", "prefLabel", "identifier")


def _concepts(value: Any) -> Any:
    items = value if isinstance(value, list) else [value]
    return [_get(v, "prefLabel", "@id") for v in items] if value is not None else None


def _rights(value: Any) -> Any:
    return "\n".join(value) if isinstance(value, list) else value


def _distributions(value: Any) -> Any:
    if not isinstance(value, list):
        return None
    return [{key: read(item.get(key)) for key, read in DISTRIBUTION_CARRIED.items()} for item in value]


Reader = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _url(value: Any) -> Any:
    return _get(value, "accessURL", "@id", "downloadURL") if isinstance(value, dict) else value


def _dictionary(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return (_get(value, "downloadURL", "accessURL", "@id"), value.get("mediaType"))


def _standard(value: Any) -> Any:
    return _get(_first(value), "identifier", "@id")


# Every field the model carries, read from 3.0 JSON into a comparable value.
CARRIED: dict[str, Reader] = {
    "identifier": _identifier,
    "title": _same,
    "description": _same,
    "keyword": _same,
    "issued": date_v3,
    "modified": date_v3,
    "created": date_v3,
    "version": _same,
    "accrualPeriodicity": _same,
    "accessRights": _same,
    "language": lambda v: [v] if isinstance(v, str) else v,
    "contactPoint": _contact,
    "publisher": _organizations,
    "temporal": _period,
    "spatial": _location,
    "landingPage": _url,
    "describedBy": _dictionary,
    "conformsTo": _standard,
    "theme": _concepts,
    "rights": _rights,
    "inSeries": lambda v: [{k: s.get(k) for k in ("@id", "title", "description")} for s in v or []],
    "distribution": _distributions,
}
DISTRIBUTION_CARRIED: dict[str, Reader] = {
    "title": _same,
    "description": _same,
    "downloadURL": _same,
    "accessURL": _same,
    "mediaType": _same,
    "format": _same,
    "license": _same,
    "issued": date_v3,
    "modified": date_v3,
    "conformsTo": _standard,
    "describedBy": _dictionary,
}


@pytest.fixture(scope="module")
def published() -> Iterator[tuple[Services, HarvestReport, dict[str, dict[str, Any]]]]:
    """Every valid example harvested from one 3.0 catalog, and the 3.0 document published from them."""
    examples = [json.loads(p.read_text()) for p in _valid_examples()]
    catalog = {"@type": "Catalog", "conformsTo": CONFORMS_V3, "dataset": examples}
    with LoopbackServer() as server:
        services = build_services(make_settings(**DEFAULTS))
        add_source(services, "v3", server.route("/catalog.json", Route(body=json.dumps(catalog).encode())))
        report = services.runner.harvest("v3")
        assert report.status == "succeeded"
        with TestClient(create_app(services.settings, services)) as client:
            document = client.get("/dcat-us/3.0/data.json").json()
            v11 = client.get("/dcat-us/1.1/data.json").json()
        assert len(v11["dataset"]) == len(document["dataset"])
        assert rejected(datagov_v11(), v11["dataset"]) == []  # the 3.0 examples published as 1.1 too
        yield services, report, {_identifier(d["identifier"]): d for d in document["dataset"]}
        services.close()


def test_there_are_examples_to_round_trip() -> None:
    assert len(_valid_examples()) >= 5


@pytest.mark.parametrize("path", _valid_examples(), ids=lambda p: f"{p.parent.parent.parent.parent.name}/{p.name}")
def test_a_3_0_example_round_trips_on_the_fields_the_model_carries(
    path: Path, published: tuple[Services, HarvestReport, dict[str, dict[str, Any]]]
) -> None:
    _, _, by_identifier = published
    example = json.loads(path.read_text())
    identifier = _identifier(example.get("identifier"))
    if not identifier:  # the model needs an identifier; such a record is reported, not stored
        assert all(_identifier(d.get("identifier")) for d in by_identifier.values())
        return
    out = by_identifier[identifier]
    assert rejected(datagov_v30(), [out]) == []
    for key, read in CARRIED.items():
        if example.get(key) in (None, [], ""):
            continue
        assert read(out.get(key)) == read(example[key]), key


def test_a_3_0_example_without_identifier_gets_a_clear_per_record_error(
    published: tuple[Services, HarvestReport, dict[str, dict[str, Any]]],
) -> None:
    services, report, by_identifier = published
    missing = [p for p in _valid_examples() if not _identifier(json.loads(p.read_text()).get("identifier"))]
    assert missing  # null_example.json: every field null
    assert len(by_identifier) == len(_valid_examples()) - len(missing)
    _, errors = services.store.list_errors(job_id=report.job_id)
    assert any(e.path.endswith("identifier") and e.severity == "error" for e in errors), errors


def test_the_3_0_document_is_streamed_with_validators_and_answers_304(http_server: LoopbackServer) -> None:
    services = build_services(make_settings(**DEFAULTS))
    name = "gsa-harvester-dcatus.json"
    add_source(services, "cftc", http_server.route(f"/{name}", Route(body=DATA / "datajson" / name)))
    services.runner.harvest("cftc")
    with TestClient(create_app(services.settings, services)) as client:
        first = client.get("/dcat-us/3.0/data.json")
        etag = first.headers["etag"]
        again = client.get("/dcat-us/3.0/data.json", headers={"If-None-Match": etag})
        head = client.head("/dcat-us/3.0/data.json")
        v11 = client.get("/dcat-us/1.1/data.json")
        default = client.get("/data.json")
    services.close()
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/json")
    document = first.json()
    assert document["conformsTo"]["identifier"] == "https://resources.data.gov/dcat-us/3.0.0"
    assert document["@id"] == "http://catalog.test/dcat-us/3.0/data.json"
    assert list(datagov_v30("catalog").iter_errors(document)) == []
    assert len(document["dataset"]) == 7
    assert (again.status_code, again.content) == (304, b"")
    assert (head.status_code, head.headers["etag"]) == (200, etag)
    assert v11.headers["etag"] != etag  # another document, another validator
    assert default.content == v11.content  # /data.json serves 1.1 unless told otherwise
    assert v11.json()["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"


def test_the_setting_makes_data_json_serve_3_0(http_server: LoopbackServer) -> None:
    services = build_services(make_settings(datajson_version="3.0", **DEFAULTS))
    name = "ckanext-datajson-ny.data.json"
    add_source(services, "ny", http_server.route(f"/{name}", Route(body=DATA / "datajson" / name)))
    services.runner.harvest("ny")
    with TestClient(create_app(services.settings, services)) as client:
        served = client.get("/data.json").json()
        v30 = client.get("/dcat-us/3.0/data.json").json()
        report = client.get("/api/v1/export/datajson/report").json()
    services.close()
    assert served == v30
    assert served["dataset"][0]["@type"] == "Dataset"
    assert (report["version"], report["exported"]) == ("3.0", 1)


def test_a_1_1_record_becomes_3_0_objects() -> None:
    """The 1.1 → 3.0 shapes data.gov's migration describes, on one record."""
    record = {
        "@type": "dcat:Dataset",
        "identifier": "parcels",
        "title": "Parcels",
        "description": "City parcels.",
        "modified": "R/P1W",
        "publisher": {"name": "Planning", "subOrganizationOf": {"name": "City"}},
        "contactPoint": {"@type": "vcard:Contact", "fn": "GIS", "hasEmail": "mailto:gis@city.gov"},
        "accessLevel": "restricted public",
        "rights": "Ask the GIS team.",
        "license": "https://creativecommons.org/publicdomain/zero/1.0/",
        "temporal": "2019-01-01T00:00:00/2020-12-31",
        "spatial": "-75.3,39.8,-74.9,40.1",
        "language": ["en-US"],
        "landingPage": "https://city.gov/parcels",
        "describedBy": "https://city.gov/parcels/dictionary.pdf",
        "describedByType": "application/pdf",
        "conformsTo": "https://city.gov/standards/parcels",
        "distribution": [
            {"@type": "dcat:Distribution", "downloadURL": "https://city.gov/p.csv", "mediaType": "text/csv"}
        ],
    }
    out = make_exportable_v3(record, CatalogDefaults()).record
    assert out is not None
    assert rejected(datagov_v30(), [out]) == []
    assert out["accrualPeriodicity"] == "weekly"
    assert "modified" not in out
    assert out["publisher"] == {
        "@type": "Organization",
        "name": "Planning",
        "subOrganizationOf": [{"@type": "Organization", "name": "City"}],
    }
    assert out["contactPoint"]["@type"] == "Kind"
    assert out["accessRights"].startswith("Access restricted")
    assert out["accessLevel"] == "restricted public"  # kept, as data.gov's migration guide says
    assert out["rights"] == ["Ask the GIS team."]
    assert out["temporal"] == [{"@type": "PeriodOfTime", "startDate": "2019-01-01", "endDate": "2020-12-31"}]
    assert out["spatial"]["bbox"].startswith("POLYGON((")
    assert out["language"] == ["en"]
    assert out["landingPage"] == {"@type": "Document", "accessURL": "https://city.gov/parcels", "title": "Parcels"}
    assert out["describedBy"]["mediaType"] == "application/pdf"
    assert out["conformsTo"] == [{"@type": "Standard", "identifier": "https://city.gov/standards/parcels"}]
    assert out["distribution"][0]["license"] == record["license"]


def test_what_3_0_adds_stays_valid_dcat_ap(
    published: tuple[Services, HarvestReport, dict[str, dict[str, Any]]],
) -> None:
    """Series, rights statements, versions and telephones go into the DCAT RDF without a SHACL violation."""
    services, _, _ = published
    with TestClient(create_app(services.settings, services)) as client:
        graph = parse(client.get("/catalog.ttl").content, "ttl")
    assert set(graph.subjects(RDF.type, DCAT3.DatasetSeries))  # comprehensive-dataset.json's series
    assert violations(graph) == {}
