"""The search engine goes down, for real: a node of its own is stopped mid-test and started again.

At harvest time the store still commits and the records wait for the index; at query time the API answers
503 with the JSON error shape; ``/healthz`` says the engine is down; once it is back, the next run (or
``nutmeg reindex``) makes the index match the store again, and ``nutmeg doctor`` agrees.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.cli import main
from catalog_api.doctor import compare
from catalog_api.services import Services, build_services
from tests.conftest import add_source, datasets_of, make_settings
from tests.support.httpserver import LoopbackServer, Route
from tests.support.servers import OpenSearchNode, opensearch_classpath

pytestmark = [pytest.mark.engine, pytest.mark.slow]
RECORDS = datasets_of("datajson/gsa-harvester-dcatus.json")


@pytest.fixture(scope="module")
def node() -> Iterator[OpenSearchNode]:
    """A node of this module's own, since the tests stop it."""
    home = Path(tempfile.mkdtemp(prefix="nutmeg-opensearch-faults-"))
    one = OpenSearchNode(opensearch_classpath(), home, heap="256m")
    one.start()
    yield one
    one.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def running(node: OpenSearchNode) -> OpenSearchNode:
    if node.process is None:
        node.start()
    return node


def _catalog(records: list[dict[str, Any]]) -> bytes:
    return json.dumps({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": records}).encode()


def _edited() -> list[dict[str, Any]]:
    """One record changed, one new, one gone."""
    edited = copy.deepcopy(RECORDS)
    edited[0]["title"] = "Commitment of Traders (revised during the outage)"
    edited.append({**copy.deepcopy(RECORDS[1]), "identifier": "brand-new", "title": "A new dataset"})
    del edited[2]
    return edited


def _in_sync(services: Services) -> bool:
    return compare(services.store.index_states(), services.index.hashes()).ok


@pytest.fixture
def services(running: OpenSearchNode, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Services]:
    settings = make_settings(
        database_url=f"sqlite:///{tmp_path}/store.db",
        search_url=running.url,
        search_index=f"faults-{request.node.name}",
    )
    built = build_services(settings)
    yield built
    built.close()


def test_engine_down_at_harvest_and_query_time(
    services: Services, running: OpenSearchNode, http_server: LoopbackServer
) -> None:
    route = Route(body=_catalog(RECORDS))
    add_source(services, "cftc", http_server.route("/data.json", route))
    assert services.runner.harvest("cftc").new == 7
    assert _in_sync(services)

    running.stop()
    route.body = _catalog(_edited())
    report = services.runner.harvest("cftc")
    # the store committed everything; the index waits
    assert (report.status, report.new, report.updated, report.withdrawn) == ("succeeded", 1, 1, 1)
    assert "not yet searchable" in (report.message or "")
    assert services.store.live_count() == 7
    assert len(services.store.pending_index_ids()) == 2
    assert len(services.store.pending_removal_ids()) == 1

    with TestClient(create_app(services.settings, services), raise_server_exceptions=False) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["search"]["ok"] is False
        assert health.json()["database"]["ok"] is True
        search = client.get("/api/v1/datasets", params={"q": "traders"})
        assert search.status_code == 503
        assert search.json()["error"]["code"] == "search_unavailable"
        assert set(search.json()) == {"error"}
        assert search.headers["Retry-After"]

        running.start()
        assert client.get("/healthz").status_code == 200
        # the next run (the source did not even change: 304) catches the index up
        again = services.runner.harvest("cftc")
        assert again.status == "unchanged"
        assert again.stats["indexed_after_outage"] == 3
        assert _in_sync(services)
        hits = client.get("/api/v1/datasets", params={"q": "outage"}).json()["results"]
        assert [h["title"] for h in hits] == ["Commitment of Traders (revised during the outage)"]
        assert client.get("/api/v1/datasets").json()["total"] == 7


def test_reindex_and_doctor_after_an_outage(
    running: OpenSearchNode, tmp_path: Path, http_server: LoopbackServer
) -> None:
    route = Route(body=_catalog(RECORDS))
    url = http_server.route("/data.json", route)
    env = {
        "NUTMEG_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "NUTMEG_SEARCH_URL": running.url,
        "NUTMEG_SEARCH_INDEX": "faults-cli",
        "NUTMEG_HARVEST_ALLOW_PRIVATE": "true",
    }
    cli = CliRunner(env=env)
    assert cli.invoke(main, ["source", "add", "cftc", url]).exit_code == 0
    assert cli.invoke(main, ["harvest", "cftc"]).exit_code == 0
    healthy = cli.invoke(main, ["doctor"])
    assert healthy.exit_code == 0, healthy.output
    assert "7 live datasets in the store, 7 in the index: 0 missing, 0 extra, 0 stale" in healthy.output
    assert "OpenSearch 2." in healthy.output

    running.stop()
    route.body = _catalog(_edited())
    assert cli.invoke(main, ["harvest", "cftc"]).exit_code == 0  # stored; the index waits
    down = cli.invoke(main, ["doctor"])
    assert down.exit_code == 1
    assert "FAIL" in down.output
    assert "start the search engine" in down.output
    failed = cli.invoke(main, ["reindex"])
    assert failed.exit_code == 1
    assert "search engine is unavailable" in failed.output

    running.start()
    stale = cli.invoke(main, ["doctor"])
    assert stale.exit_code == 1
    assert "1 missing, 1 extra, 1 stale" in stale.output
    assert "nutmeg reindex" in stale.output
    done = cli.invoke(main, ["reindex"])
    assert done.exit_code == 0, done.output
    assert "reindexed 7 datasets" in done.output
    fixed = cli.invoke(main, ["doctor"])
    assert fixed.exit_code == 0, fixed.output
    assert "everything is in order" in fixed.output
