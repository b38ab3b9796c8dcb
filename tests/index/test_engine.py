"""The Elasticsearch/OpenSearch backend passes the backend conformance suite against a real OpenSearch node,
and keeps its promises about aliases, rebuilds and bulk writes."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from catalog_api.jobs import owner
from index.search import engine_dsl as dsl
from index.search.base import BackendUnavailable, OrderBy, SearchDoc, SearchQuery
from index.search.engine import EngineIndex, EngineOptions, open_engine
from tests.index.conformance import BackendConformance, corpus
from tests.support.esproxy import ElasticsearchFacade
from tests.support.servers import OpenSearchNode, free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.engine


class TestOpenSearchConformance(BackendConformance):
    @pytest.fixture
    def backend(self, opensearch_node: OpenSearchNode, alias: str) -> Iterator[EngineIndex]:
        index = open_engine(opensearch_node.url, alias)
        yield index
        index.close()


# -- beyond the conformance suite: aliases, rebuilds, bulk backpressure, outages ------------------------


def _indexes(node: OpenSearchNode, alias: str) -> dict[str, list[str]]:
    """index name → its aliases, for every versioned index of ``alias``."""
    found = httpx.get(f"{node.url}/{alias}-*/_alias").json()
    return {name: sorted(v["aliases"]) for name, v in found.items()}


def test_first_use_creates_a_versioned_index_behind_the_alias(opensearch_node: OpenSearchNode, alias: str) -> None:
    index = open_engine(opensearch_node.url, alias)
    assert index.search(SearchQuery()).total == 0
    assert _indexes(opensearch_node, alias) == {f"{alias}-000001": [alias]}
    mapping = httpx.get(f"{opensearch_node.url}/{alias}/_mapping").json()[f"{alias}-000001"]["mappings"]
    assert mapping["properties"]["title"]["analyzer"] == "english"
    assert mapping["properties"]["publisher"]["fields"]["folded"]["normalizer"] == "folded"
    assert mapping["properties"]["spatial"]["type"] == "geo_shape"
    index.close()


def test_an_index_made_before_the_catalog_times_takes_them(opensearch_node: OpenSearchNode, alias: str) -> None:
    """An index an older Nutmeg made (strict mapping without created/changed/name) keeps accepting
    documents: the fields are added to its mapping when Nutmeg meets it; old documents sort as missing."""
    old_body = dsl.index_body()
    for added in dsl.ADDED_PROPERTIES:
        del old_body["mappings"]["properties"][added]
    first = f"{alias}-000001"
    assert httpx.put(f"{opensearch_node.url}/{first}", json=old_body).status_code == 200
    actions = {"actions": [{"add": {"index": first, "alias": alias}}]}
    assert httpx.post(f"{opensearch_node.url}/_aliases", json=actions).status_code == 200
    docs = corpus(6)
    old_doc = dsl.document(docs[0])
    for added in dsl.ADDED_PROPERTIES:
        old_doc.pop(added, None)
    assert httpx.put(f"{opensearch_node.url}/{first}/_doc/{docs[0].id}?refresh=true", json=old_doc).status_code == 201
    index = open_engine(opensearch_node.url, alias)
    index.index(docs[1:])
    order = (OrderBy("changed", descending=True),)
    hits = index.search(SearchQuery(order=order, limit=10, facets=())).hits
    assert [h.id for h in hits][-1] == docs[0].id  # the old document has no change time yet: last
    assert {h.id for h in hits} == {d.id for d in docs}
    index.close()


def test_rebuild_swaps_the_alias_while_searches_keep_answering(opensearch_node: OpenSearchNode, alias: str) -> None:
    index = open_engine(opensearch_node.url, alias)
    docs = corpus(600)
    index.index(docs)
    assert index.search(SearchQuery()).total == 600  # the writer's read refreshes: all 600 visible to others
    totals: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def search_all_the_time() -> None:
        reader = open_engine(opensearch_node.url, alias)
        while not done.is_set():
            try:
                totals.append(reader.search(SearchQuery(limit=1)).total)
            except BaseException as exc:  # any failure during the swap is what this test is about
                errors.append(exc)
        reader.close()

    thread = threading.Thread(target=search_all_the_time)
    thread.start()
    try:
        assert index.rebuild(iter(docs[:250])) == 250
        assert index.rebuild(iter(docs[:300])) == 300
    finally:
        done.set()
        thread.join()
    assert not errors
    assert totals
    assert set(totals) <= {600, 250, 300}  # never empty, never half-built
    assert _indexes(opensearch_node, alias) == {f"{alias}-000003": [alias]}  # old versions removed
    assert index.search(SearchQuery()).total == 300
    index.close()


def test_a_failed_rebuild_leaves_the_live_index_alone(opensearch_node: OpenSearchNode, alias: str) -> None:
    index = open_engine(opensearch_node.url, alias)
    docs = corpus(50)
    index.index(docs)

    def broken() -> Iterator[SearchDoc]:
        yield from docs[:20]
        raise RuntimeError("the store went away mid-rebuild")

    with pytest.raises(RuntimeError, match="mid-rebuild"):
        index.rebuild(broken())
    assert _indexes(opensearch_node, alias) == {f"{alias}-000001": [alias]}
    assert index.search(SearchQuery()).total == 50
    index.close()


def test_a_crashed_rebuild_is_cleaned_up_by_the_next(opensearch_node: OpenSearchNode, alias: str) -> None:
    index = open_engine(opensearch_node.url, alias)
    index.index(corpus(10))
    httpx.put(f"{opensearch_node.url}/{alias}-000002", json={}).raise_for_status()  # left by a killed process
    assert index.rebuild(iter(corpus(5))) == 5
    assert _indexes(opensearch_node, alias) == {f"{alias}-000003": [alias]}
    index.close()


@pytest.mark.parametrize("fault", ["request", "item"])
def test_bulk_retries_what_a_busy_cluster_refuses(opensearch_node: OpenSearchNode, alias: str, fault: str) -> None:
    with ElasticsearchFacade(opensearch_node.url, pose=False) as proxy:
        index = EngineIndex(proxy.url, alias, EngineOptions(backoff=0.01))
        index.index(corpus(30))
        proxy.busy = [fault, fault]
        before = proxy.bulk_requests
        docs = corpus(40)
        index.index(docs)
        assert proxy.bulk_requests - before == 3  # refused twice, then accepted
        assert index.search(SearchQuery()).total == 40
        assert index.hashes() == {d.id: d.content_hash for d in docs}
        index.close()


def test_a_cluster_that_stays_busy_counts_as_unavailable(opensearch_node: OpenSearchNode, alias: str) -> None:
    with ElasticsearchFacade(opensearch_node.url, pose=False) as proxy:
        index = EngineIndex(proxy.url, alias, EngineOptions(backoff=0.01, retries=2))
        proxy.busy = ["request"] * 3
        with pytest.raises(BackendUnavailable, match="overloaded"):
            index.index(corpus(5))
        index.close()


def test_batches_split_by_count_and_bytes(opensearch_node: OpenSearchNode, alias: str) -> None:
    with ElasticsearchFacade(opensearch_node.url, pose=False) as proxy:
        index = EngineIndex(proxy.url, alias, EngineOptions(batch_docs=100, batch_bytes=20_000))
        assert index.rebuild(iter(corpus(240))) == 240
        assert proxy.bulk_requests >= 3  # 100 + 100 + 40 documents, fewer bytes per request than that
        assert index.search(SearchQuery()).total == 240
        index.close()


def _refresh_interval(node: OpenSearchNode, alias: str) -> str:
    (settings,) = httpx.get(f"{node.url}/{alias}/_settings").json().values()
    interval: str = settings["settings"]["index"]["refresh_interval"]
    return interval


def test_a_bulk_load_refreshes_less_often_and_shows_everything_when_it_ends(
    opensearch_node: OpenSearchNode, alias: str
) -> None:
    writer, reader = open_engine(opensearch_node.url, alias), open_engine(opensearch_node.url, alias)
    docs = corpus(300)
    with writer.bulk_load():
        writer.index(docs[:100])
        assert _refresh_interval(opensearch_node, alias) == "1s"  # one batch is not worth two settings changes
        with writer.bulk_load():  # a second job in the same process
            writer.index(docs[100:200])
            assert _refresh_interval(opensearch_node, alias) == "30s"
        assert _refresh_interval(opensearch_node, alias) == "30s"  # the first job still writes
        writer.index(docs[200:])
        assert reader.search(SearchQuery()).total < 300  # the last batch waits for the next refresh
    assert _refresh_interval(opensearch_node, alias) == "1s"
    assert reader.search(SearchQuery()).total == 300  # the end refreshed: another process sees it all at once
    with writer.bulk_load():
        writer.index(docs[:10])
    assert _refresh_interval(opensearch_node, alias) == "1s"
    writer.close()
    reader.close()


_KILLED_MID_JOB = """
import os, signal, sys
from index.search.engine import open_engine
from tests.index.conformance import corpus
writer = open_engine(sys.argv[1], sys.argv[2])
docs = corpus(200)
with writer.bulk_load():
    writer.index(docs[:100])
    writer.index(docs[100:])  # the second batch relaxes the refresh interval
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_job_after_a_killed_one_restores_the_refresh_interval(opensearch_node: OpenSearchNode, alias: str) -> None:
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_JOB, opensearch_node.url, alias], cwd=ROOT, check=False, timeout=120
    )
    assert killed.returncode == -signal.SIGKILL
    assert _refresh_interval(opensearch_node, alias) == "30s"  # left behind
    writer = open_engine(opensearch_node.url, alias)
    with writer.bulk_load():
        writer.index(corpus(5))  # one batch alone would not touch the interval
    assert _refresh_interval(opensearch_node, alias) == "1s"
    assert writer.search(SearchQuery()).total == 200
    writer.close()


def _kill_mid_job(node: OpenSearchNode, alias: str) -> None:
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_JOB, node.url, alias], cwd=ROOT, check=False, timeout=120
    )
    assert killed.returncode == -signal.SIGKILL
    assert _refresh_interval(node, alias) == "30s"  # left behind


def test_a_killed_jobs_refresh_interval_is_put_back_at_the_next_start_when_no_job_runs(
    opensearch_node: OpenSearchNode, alias: str, tmp_path: Path
) -> None:
    """No new job needed: a worker's start and ``nutmeg doctor`` (like ``harvest`` and ``serve`` at
    theirs) put the interval back — but not while a live job may have relaxed it on purpose."""
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from catalog_api.app import create_app
    from catalog_api.cli import main
    from catalog_api.doctor import diagnose
    from catalog_api.jobs import settle_engine
    from catalog_api.services import build_services
    from catalog_api.worker import Worker
    from index.store import NewSource
    from tests.conftest import make_settings

    _kill_mid_job(opensearch_node, alias)
    settings = make_settings(
        database_url=f"sqlite:///{tmp_path}/s.db", search_url=opensearch_node.url, search_index=alias
    )
    services = build_services(settings)
    now = datetime.now(UTC)
    source = services.store.add_source(NewSource("s", "datajson", "https://example.gov/data.json"), now)
    live = services.store.start_job(source.id, now, owner=owner())  # this process: alive
    assert not settle_engine(services.store, services.index, now, timedelta(seconds=120))
    assert _refresh_interval(opensearch_node, alias) == "30s"  # a live job may be loading

    services.store.end_running_job(live, "failed", "test", now)
    assert Worker(services, []).start() == [
        "put back the search engine's refresh interval a killed harvest left relaxed"
    ]
    assert _refresh_interval(opensearch_node, alias) == "1s"
    assert services.index.search(SearchQuery()).total == 200  # everything the killed job wrote is searchable
    services.close()

    _kill_mid_job(opensearch_node, alias)
    findings = {f.name: f for f in diagnose(settings)}
    assert findings["search settings"].summary == "put back the refresh interval a killed harvest left relaxed"
    assert _refresh_interval(opensearch_node, alias) == "1s"
    assert "search settings" not in {f.name for f in diagnose(settings)}  # once is enough

    _kill_mid_job(opensearch_node, alias)
    with TestClient(create_app(settings)):  # `nutmeg serve`: at start, beside warming the index
        deadline = time.monotonic() + 30
        while _refresh_interval(opensearch_node, alias) != "1s" and time.monotonic() < deadline:
            time.sleep(0.1)
    assert _refresh_interval(opensearch_node, alias) == "1s"

    _kill_mid_job(opensearch_node, alias)
    environment = {"NUTMEG_DATABASE_URL": settings.database_url, "NUTMEG_SEARCH_URL": opensearch_node.url}
    harvested = CliRunner().invoke(main, ["harvest", "nowhere"], env={**environment, "NUTMEG_SEARCH_INDEX": alias})
    assert "put back the search engine's refresh interval a killed harvest left relaxed" in harvested.output
    assert _refresh_interval(opensearch_node, alias) == "1s"


def test_nothing_listening_is_unavailable(caplog: pytest.LogCaptureFixture) -> None:
    index = open_engine(f"http://127.0.0.1:{free_port()}", "nutmeg-nowhere")
    with pytest.raises(BackendUnavailable):
        index.search(SearchQuery())
    with caplog.at_level("INFO", logger="nutmeg.engine"), index.bulk_load():
        for _ in range(2):  # the second write first tries to relax the refresh interval: that fails quietly
            with pytest.raises(BackendUnavailable):
                index.index(corpus(1))
    assert "could not relax the refresh interval" in caplog.text
    health = index.health()
    assert not health.ok
    assert "no search engine answers" in (health.detail or "")


def test_url_options_and_bad_configuration() -> None:
    index = open_engine("http://elastic:s3cret@127.0.0.1:9/?replicas=1&refresh=wait_for", "nutmeg-x")
    assert (index.options.replicas, index.options.refresh, index.url) == (
        1,
        "wait_for",
        "http://elastic:s3cret@127.0.0.1:9/",
    )
    with pytest.raises(ValueError, match="unknown NUTMEG_SEARCH_URL option"):
        open_engine("http://127.0.0.1:9/?shard=2", "nutmeg-x")
    with pytest.raises(ValueError, match="NUTMEG_SEARCH_INDEX"):
        open_engine("http://127.0.0.1:9", "Upper Case")
    with pytest.raises(BackendUnavailable) as caught:
        open_engine("http://elastic:s3cret@127.0.0.1:9", "nutmeg-x").search(SearchQuery())
    assert "s3cret" not in str(caught.value)
    assert "elastic:***@127.0.0.1:9" in str(caught.value)


def test_an_index_made_before_areas_and_periods_gets_the_new_fields(
    opensearch_node: OpenSearchNode, alias: str
) -> None:
    """An index whose mapping lacks ``temporal`` and ``identifiers`` (strict mapping): connecting adds them,
    so new documents with a period and identifiers are accepted and found."""
    from index.search import engine_dsl

    body = engine_dsl.index_body()
    for name in ("temporal", "identifiers"):
        del body["mappings"]["properties"][name]
    httpx.put(f"{opensearch_node.url}/{alias}-000001", json=body, timeout=30).raise_for_status()
    httpx.post(
        f"{opensearch_node.url}/_aliases", json={"actions": [{"add": {"index": f"{alias}-000001", "alias": alias}}]}
    ).raise_for_status()
    index = open_engine(opensearch_node.url, alias)
    docs = corpus(30)
    index.index(docs)
    start = docs[1].temporal[0] if docs[1].temporal and docs[1].temporal[0] else None
    found = index.search(SearchQuery(temporal_from=start, limit=50)).total
    assert found == sum(
        1 for d in docs if d.temporal is not None and (start is None or d.temporal[1] is None or d.temporal[1] >= start)
    )
    assert index.search(SearchQuery(text="e3zj-s4zh")).total == 0
    index.close()
