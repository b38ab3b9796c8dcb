"""Nothing changes but speed (issue #16): every data.json fixture harvested through today's pipeline gives
the same stored records, search documents, data.json, DCAT RDF and CKAN answers as through the reference
pipeline (the one before the speed work, ``tests/support/reference.py``).

Both catalogs harvest the same fixtures under the same source names over loopback HTTP, so record ids
agree, on a harvest clock stopped at the same time (the DCAT catalog records say when a dataset was
harvested); the store's own times are left out of the comparison by name.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from rdflib import BNode, Graph

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from harvesters.base import canonical_json
from harvesters.datajson import capped_json
from harvesters.fieldcaps import FieldCaps, cap_record
from index.duplicates import merged_away
from index.ids import record_id
from tests.conftest import DATA, harvest_file, make_settings
from tests.support.httpserver import LoopbackServer
from tests.support.reference import reference_pipeline

pytestmark = pytest.mark.slow  # two catalogs of every data.json fixture (~10k records each)

FIXTURES = sorted(p.name for p in (DATA / "datajson").glob("*.json"))
HARVESTED_AT = datetime(2026, 11, 28, 12, tzinfo=UTC)
TIMES = {"first_seen", "last_changed", "last_seen", "withdrawn_at", "metadata_created", "metadata_modified"}
DEFAULTS: dict[str, Any] = {
    "default_publisher": "State of Example",
    "default_contact_name": "Open Data Team",
    "default_contact_email": "opendata@example.gov",
    "default_access_level": "public",
}


def _catalog(tmp: Any, name: str) -> Services:
    """A catalog on a store and index in files (the index's rows are read back with sqlite3)."""
    settings = make_settings(**DEFAULTS, database_url=f"sqlite:///{tmp}/{name}.db", index_path=str(tmp / f"{name}.idx"))
    services = build_services(settings)
    services.runner._clock = lambda: HARVESTED_AT  # both catalogs harvest "at" the same time
    with LoopbackServer() as server:
        for number, fixture in enumerate(FIXTURES):
            harvest_file(services, server, f"datajson/{fixture}", f"src{number}")
    return services


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, Services]]:
    tmp = tmp_path_factory.mktemp("golden")
    with pytest.MonkeyPatch.context() as monkeypatch, reference_pipeline(monkeypatch):
        reference = _catalog(tmp, "reference")
    current = _catalog(tmp, "current")
    yield reference, current
    reference.close()
    current.close()


@pytest.fixture(scope="module")
def clients(catalogs: tuple[Services, Services]) -> Iterator[tuple[TestClient, TestClient]]:
    reference, current = catalogs
    with (
        TestClient(create_app(reference.settings, reference)) as before,
        TestClient(create_app(current.settings, current)) as after,
    ):
        yield before, after


def _records(services: Services) -> dict[str, dict[str, Any]]:
    rows = services.store.iter_records(live=None)
    return {r.id: {k: getattr(r, k) for k in r.__dataclass_fields__ if k not in TIMES} for r in rows}


def test_the_fixtures_are_harvested(catalogs: tuple[Services, Services]) -> None:
    reference, current = catalogs
    assert len(FIXTURES) >= 20
    assert current.store.live_count() == reference.store.live_count() > 500


def test_stored_records_are_the_same(catalogs: tuple[Services, Services]) -> None:
    reference, current = catalogs
    before, after = _records(reference), _records(current)
    assert sorted(after) == sorted(before)
    for id_, record in before.items():
        assert after[id_] == record, id_


def test_job_reports_and_record_errors_are_the_same(catalogs: tuple[Services, Services]) -> None:
    def jobs(services: Services) -> list[tuple[Any, ...]]:
        found = []
        for source in services.store.list_sources():
            for job in services.store.list_jobs(source.id):
                _, errors = services.store.list_errors(job_id=job.id, limit=10_000)
                messages = sorted((e.original_identifier or "", e.path, e.message, e.code) for e in errors)
                found.append((source.name, job.status, job.new, job.skipped, job.failed, messages))
        return sorted(found)

    reference, current = catalogs
    assert jobs(current) == jobs(reference)


def _index_rows(services: Services) -> list[tuple[Any, ...]]:
    path = services.settings.resolved_index_path
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT id, hash, title, keywords, description, publisher, title_sort, modified, facets, summary,"
            " identifiers, west, south, east, north, t_start, t_end FROM docs ORDER BY id"
        ).fetchall()


def test_search_documents_are_the_same(catalogs: tuple[Services, Services]) -> None:
    reference, current = catalogs
    assert _index_rows(current) == _index_rows(reference)


def _get(client: TestClient, path: str, **params: Any) -> bytes:
    response = client.get(path, params=params)
    assert response.status_code == 200, (path, response.text[:300])
    return response.content


def test_data_json_is_the_same(clients: tuple[TestClient, TestClient]) -> None:
    reference, current = clients
    before, after = orjson.loads(_get(reference, "/data.json")), orjson.loads(_get(current, "/data.json"))
    assert len(after["dataset"]) > 500
    assert after == before


def test_dcat_rdf_is_the_same(catalogs: tuple[Services, Services], clients: tuple[TestClient, TestClient]) -> None:
    reference, current = clients
    services = catalogs[1]
    published = services.store.live_count() - len(merged_away(services.store)[0])  # duplicates shown once
    pages = -(-published // services.settings.catalog_page_size)
    for page in range(1, pages + 1):
        before = Graph().parse(data=_get(reference, "/catalog.ttl", page=page), format="turtle")
        after = Graph().parse(data=_get(current, "/catalog.ttl", page=page), format="turtle")
        assert len(after) == len(before) > 100
        assert _canonical(after) == _canonical(before), page


def _canonical(graph: Graph) -> list[str]:
    """The graph as sorted trees, one per root (an IRI, or a blank node no triple points at), blank nodes
    written out where they are used: equal for isomorphic graphs whose blank nodes form trees, as a
    catalog page's do (rdflib's ``isomorphic`` takes minutes on a 1,000-dataset page)."""
    pointed = {o for o in graph.objects() if isinstance(o, BNode)}
    roots = {s for s in graph.subjects() if not isinstance(s, BNode) or s not in pointed}

    def described(node: Any, depth: int = 0) -> list[str]:
        return sorted(repr((p.n3(), tree(o, depth + 1))) for p, o in graph.predicate_objects(node))

    def tree(node: Any, depth: int) -> Any:
        return described(node, depth) if isinstance(node, BNode) and depth < 20 else node.n3()

    return sorted(repr((s.n3() if not isinstance(s, BNode) else "_", described(s))) for s in roots)


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k not in TIMES}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def test_ckan_answers_are_the_same(catalogs: tuple[Services, Services], clients: tuple[TestClient, TestClient]) -> None:
    reference, current = clients
    for start in range(0, catalogs[1].store.live_count(), 1000):
        params = {"rows": 1000, "start": start, "sort": "name asc"}
        before = orjson.loads(_get(reference, "/api/3/action/package_search", **params))["result"]
        after = orjson.loads(_get(current, "/api/3/action/package_search", **params))["result"]
        assert after["count"] == before["count"] > 500
        assert _without_times(after["results"]) == _without_times(before["results"])


@pytest.mark.parametrize(
    "record",
    [
        {"title": "short", "identifier": "a"},
        {"title": "x" * 70_000, "identifier": "a", "keyword": ["é" * 20_000]},
        {"title": "t", "description": "é" * 40_000, "spatial": {"type": "Point", "coordinates": [0, 0]}},
        {"title": "t", "spatial": {"type": "Polygon", "coordinates": [[[0.5, 1.5]] * 70_000]}},
    ],
)
def test_the_short_cut_past_the_field_caps_changes_nothing(record: dict[str, Any]) -> None:
    caps = FieldCaps(max_field_bytes=64 << 10, max_spatial_bytes=1 << 20)
    expected, cut = cap_record(dict(record), caps)
    assert capped_json(record, caps) == (expected, cut, canonical_json(expected))


@pytest.mark.parametrize(("source", "identifier"), [("src", "a"), ("ckan", "https://x.gov/d/1"), ("é", "名前 \x00")])
def test_record_ids_are_the_base32_they_were(source: str, identifier: str) -> None:
    digest = hashlib.blake2b(f"{source}\x00{identifier}".encode(), digest_size=10).digest()
    assert record_id(source, identifier) == base64.b32encode(digest).decode("ascii").lower()
