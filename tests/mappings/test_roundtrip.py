"""data.json → RDF → model → data.json keeps every schema field, for every record of every fixture;
and model → RDF → model is the identity (graph isomorphism on the mapped subset)."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib.compare import isomorphic

from harvesters.datajson import Dialect, build_record
from harvesters.datajson_forms import upgrade_v10
from mappings.datajson import dataset_to_datajson
from mappings.dcatus import KNOWN_DATASET_KEYS, KNOWN_DISTRIBUTION_KEYS, mailto
from mappings.model import Dataset
from mappings.rdf_model import dataset_from_graph
from mappings.rdf_out import dataset_graph
from mappings.validation import Profile, is_valid
from tests.conftest import DATA, datasets_of

V11 = [
    p.name
    for p in sorted((DATA / "datajson").glob("*.json"))
    if not p.name.startswith(("socrata-v1.0", "pod-dashboard-baddata", "gsa-harvester-dcatus3"))
]
V10 = [p.name for p in sorted((DATA / "datajson").glob("socrata-v1.0-*.json"))]


def comparable(value: Any) -> Any:
    """What the schema promises to keep: no @type, no null or empty values, no repeated list items,
    keys limited to DCAT-US 1.1 fields, surrounding whitespace trimmed (IRIs, emails and dates are
    published trimmed; an email gains the ``mailto:`` DCAT-US requires)."""
    if isinstance(value, dict):
        kept = {
            k: comparable(mailto(v) if k == "hasEmail" and isinstance(v, str) else v)
            for k, v in value.items()
            if not k.startswith("@")
        }
        return {k: v for k, v in kept.items() if v not in (None, [], {}, "") and not _blank(v)}
    if isinstance(value, list):
        items = [comparable(v) for v in value if v not in (None, "")]
        unique: list[Any] = []
        for item in items:
            if item not in unique:
                unique.append(item)
        return unique
    if isinstance(value, str):
        return value.strip()
    return value


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def mapped(record: dict[str, Any], dialect: Dialect = Dialect.V11) -> Dataset:
    built = build_record(record, dialect, Profile.NON_FEDERAL)
    return dataset_from_graph(built.graph, built.subject)


@pytest.mark.parametrize("name", V11)
def test_datajson_round_trip_keeps_every_schema_field(name: str) -> None:
    for record in datasets_of(f"datajson/{name}"):
        if not record.get("identifier") or not record.get("title"):
            continue
        out = dataset_to_datajson(mapped(record))
        original = {k: v for k, v in record.items() if k in KNOWN_DATASET_KEYS}
        if isinstance(original.get("distribution"), list):
            original["distribution"] = [
                {k: v for k, v in d.items() if k in KNOWN_DISTRIBUTION_KEYS} for d in original["distribution"]
            ]
        assert comparable(out) == comparable(original), record.get("identifier")


@pytest.mark.parametrize("name", V11)
def test_valid_records_stay_valid(name: str) -> None:
    for record in datasets_of(f"datajson/{name}"):
        if record.get("identifier") and record.get("title") and is_valid(record, Profile.NON_FEDERAL):
            assert is_valid(dataset_to_datajson(mapped(record)), Profile.NON_FEDERAL), record["identifier"]


@pytest.mark.parametrize("name", V10)
def test_legacy_records_map_to_their_1_1_form(name: str) -> None:
    for record in datasets_of(f"datajson/{name}")[1:]:
        out = dataset_to_datajson(mapped(record, Dialect.V10))
        assert comparable(out) == comparable({k: v for k, v in upgrade_v10(record).items() if k in KNOWN_DATASET_KEYS})


@pytest.mark.parametrize(
    "name", ["gsa-harvester-dcatus.json", "ckanext-datajson-geospatial.data.json", "healthdata.gov-dkan-2020.data.json"]
)
def test_model_to_rdf_and_back_is_isomorphic(name: str) -> None:
    for record in datasets_of(f"datajson/{name}")[:200]:
        dataset = mapped(record)
        graph = dataset_graph(dataset, "https://catalog.test/dataset/x")
        again = dataset_from_graph(graph, _node(graph))
        assert again == dataset
        assert isomorphic(dataset_graph(again, "https://catalog.test/dataset/x"), graph)


def _node(graph: Any) -> Any:
    from mappings.rdf_model import dataset_nodes

    (node,) = dataset_nodes(graph)
    return node


def test_distribution_order_and_nested_publishers_survive() -> None:
    record = {
        "identifier": "x",
        "title": "Nested",
        "publisher": {
            "name": "Bureau",
            "subOrganizationOf": {"name": "Department", "subOrganizationOf": {"name": "Government"}},
        },
        "distribution": [{"downloadURL": f"https://example.gov/{i}.csv", "mediaType": "text/csv"} for i in range(5)],
        "temporal": "2010-01-01/2012-12-31",
        "spatial": "-77.1,38.8,-76.9,39.0",
        "theme": ["Health", "https://example.gov/themes/transport"],
        "dataQuality": False,
    }
    out = dataset_to_datajson(mapped(record))
    assert [d["downloadURL"] for d in out["distribution"]] == [d["downloadURL"] for d in record["distribution"]]
    assert out["publisher"]["subOrganizationOf"]["subOrganizationOf"]["name"] == "Government"
    assert out["temporal"] == "2010-01-01/2012-12-31"
    assert out["spatial"] == "-77.1,38.8,-76.9,39.0"
    assert out["theme"] == ["Health", "https://example.gov/themes/transport"]
    assert out["dataQuality"] is False
