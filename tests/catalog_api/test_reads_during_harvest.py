"""Reads never fail because of writes: searches through the API while harvests rewrite the catalog.

The harvest runs in a thread with its own services (its own store and index connections, as a
`nutmeg harvest` process beside the server would), re-harvesting a catalog whose every record changes
each run, so the index deletes and re-inserts every document batch after batch. Meanwhile client threads
search through the API of a second app on the same files: every answer must be a 200 with consistent hits.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.services import build_services
from catalog_api.settings import Settings
from tests.conftest import add_source, make_settings
from tests.support.httpserver import LoopbackServer, Route
from tests.support.servers import OpenSearchNode

RECORDS = 1500
QUERIES = (
    "/api/v1/datasets?q=water",
    "/api/v1/datasets?q=quality&sort=modified",
    "/api/v1/datasets?keyword=revision",
    "/api/v1/datasets?sort=title&per_page=50",
    "/api/v1/datasets?q=station*&page=3",
    "/api/v1/datasets",
)


def _catalog(revision: int) -> bytes:
    datasets = [
        {
            "identifier": f"ds-{i}",
            "title": f"Water quality station {i} revision {revision}",
            "description": f"Readings of station {i}, revision {revision}.",
            "keyword": ["water", "quality", "revision"] + (["odd"] if (i + revision) % 2 else []),
            "modified": f"2026-{1 + (i + revision) % 12:02d}-01",
            "publisher": {"name": f"Agency {i % 7}"},
            "contactPoint": {"fn": "Data team", "hasEmail": "mailto:data@example.gov"},
            "accessLevel": "public",
        }
        for i in range(RECORDS)
    ]
    return json.dumps({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": datasets}).encode()


def _searches_during_harvests(settings: Settings, server: LoopbackServer, seconds: float) -> tuple[Counter[Any], int]:
    writer = build_services(settings)
    route = Route(body=_catalog(0), conditional=False)
    add_source(writer, "churn", server.route("/data.json", route))
    assert writer.runner.harvest("churn").status == "succeeded"
    outcomes: Counter[Any] = Counter()
    harvests = 0
    stop = threading.Event()

    def harvest() -> None:
        nonlocal harvests
        revision = 0
        while not stop.is_set():
            revision += 1
            route.body = _catalog(revision)
            report = writer.runner.harvest("churn")
            assert report.status == "succeeded", report.message
            assert report.updated == RECORDS
            harvests += 1

    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:

        def search(offset: int) -> None:
            n = offset
            while not stop.is_set():
                response = client.get(QUERIES[n % len(QUERIES)])
                n += 1
                ok = response.status_code == 200 and all(hit["id"] for hit in response.json()["results"])
                outcomes["ok" if ok else (response.status_code, response.text[:300])] += 1

        threads = [threading.Thread(target=harvest)] + [threading.Thread(target=search, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    writer.close()
    return outcomes, harvests


@pytest.mark.slow
def test_embedded_searches_never_fail_while_a_harvest_writes(tmp_path: Path, http_server: LoopbackServer) -> None:
    settings = make_settings(
        database_url=f"sqlite:///{tmp_path}/store.db", index_path=str(tmp_path / "index.db"), harvest_batch=100
    )
    outcomes, harvests = _searches_during_harvests(settings, http_server, seconds=12)
    assert harvests >= 2
    assert outcomes["ok"] > 100
    assert [k for k in outcomes if k != "ok"] == []


@pytest.mark.engine
@pytest.mark.slow
def test_engine_searches_never_fail_while_a_harvest_writes(
    tmp_path: Path, http_server: LoopbackServer, opensearch_node: OpenSearchNode
) -> None:
    settings = make_settings(
        database_url=f"sqlite:///{tmp_path}/store.db",
        search_url=opensearch_node.url,
        search_index="nutmeg-reads-during-harvest",
        harvest_batch=100,
    )
    try:
        outcomes, harvests = _searches_during_harvests(settings, http_server, seconds=15)
    finally:
        import httpx

        httpx.delete(f"{opensearch_node.url}/nutmeg-reads-during-harvest-*", timeout=30)
    assert harvests >= 1
    assert outcomes["ok"] > 50
    assert [k for k in outcomes if k != "ok"] == []
