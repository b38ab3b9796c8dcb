"""A full fetch byte-for-byte the last complete harvest's body ends as ``unchanged`` without reading a
record (issue 16): counts and errors carried over, no record or search document touched; any other body,
setting or earlier outcome goes the normal way. Over real loopback HTTP."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from catalog_api.app import create_app
from catalog_api.services import Services
from index.baselines import baseline
from index.governance import update_source, withdraw_record
from index.quality import history
from index.tables import quality_daily
from tests.conftest import DATA, add_source
from tests.support.httpserver import LoopbackServer, Route

URL_PATH = "/data.json"


def _dataset(i: int, revision: int = 0) -> dict[str, Any]:
    return {
        "identifier": f"ds-{i}",
        "title": f"Dataset {i} (revision {revision})",
        "description": f"Record {i} of a catalog, revision {revision}.",
        "keyword": ["test"],
        "modified": "2026-01-01",
        "publisher": {"name": "Agency"},
        "contactPoint": {"fn": "Data team", "hasEmail": "mailto:data@example.gov"},
        "accessLevel": "public",
    }


def _catalog(count: int = 20) -> bytes:
    """``count`` good records, then a record with schema problems, a repeated identifier and an untitled
    record: a job with warnings, errors and skipped records."""
    datasets = [_dataset(i) for i in range(count)]
    invalid = {**_dataset(count), "contactPoint": {"fn": "x", "hasEmail": "not-an-email"}, "accessLevel": "maybe"}
    datasets += [invalid, {**_dataset(0), "title": "A repeat"}, {"identifier": "untitled"}]
    return json.dumps({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": datasets}).encode()


def _serve(server: LoopbackServer, body: bytes, **route: Any) -> Route:
    served = Route(body=body, conditional=False, **route)  # no ETag / Last-Modified: every fetch is full
    server.route(URL_PATH, served)
    return served


def _rows(services: Services) -> dict[str, tuple[datetime, str, str | None]]:
    return {r.id: (r.last_changed, r.content_hash, r.indexed_hash) for r in services.store.iter_records()}


def _errors(services: Services, job_id: int) -> list[tuple[Any, ...]]:
    _, rows = services.store.list_errors(job_id=job_id, limit=1000)
    return [(e.record_id, e.original_identifier, e.path, e.message, e.severity, e.code) for e in rows]


@pytest.fixture
def source(services: Services, http_server: LoopbackServer) -> str:
    add_source(services, "src", f"{http_server.url(URL_PATH)}")
    return "src"


def test_the_same_body_ends_unchanged_with_counts_and_errors_carried_over(
    services: Services, http_server: LoopbackServer, source: str
) -> None:
    _serve(http_server, _catalog())
    first = services.runner.harvest(source)
    assert first.status == "succeeded", first.message
    assert (first.new, first.skipped) == (21, 2)
    assert _errors(services, first.job_id), "the catalog has records with problems"
    rows, version = _rows(services), services.index.version()

    for _ in range(2):  # and again: the baseline stays the first job
        again = services.runner.harvest(source, full=True)
        assert again.status == "unchanged", again.message
        assert str(first.job_id) in (again.message or "")
        assert (again.listed, again.new, again.updated, again.unchanged) == (first.listed, 0, 0, first.new)
        assert (again.skipped, again.failed, again.withdrawn) == (first.skipped, first.failed, 0)
        assert again.stats["same_body_as_job"] == first.job_id
        assert again.stats["dialect"] == first.stats["dialect"]
        assert _errors(services, again.job_id) == _errors(services, first.job_id)
        assert _rows(services) == rows  # no record rewritten, none marked for indexing
        assert services.index.version() == version  # nothing written to the search index
    source_row = services.store.get_source(source)
    assert source_row.last_full_harvest_at is not None
    assert source_row.last_full_harvest_at > first_finished(services)


def first_finished(services: Services) -> datetime:
    jobs = services.store.list_jobs(services.store.get_source("src").id)
    finished = jobs[-1].finished_at
    assert finished is not None
    return finished


def test_pages_and_the_api_show_the_carried_over_job(
    services: Services, http_server: LoopbackServer, source: str
) -> None:
    _serve(http_server, _catalog())
    first = services.runner.harvest(source)
    again = services.runner.harvest(source)
    assert again.status == "unchanged"
    with TestClient(create_app(services=services)) as client:
        job = client.get(f"/api/v1/jobs/{again.job_id}").json()
        assert (job["status"], job["unchanged"], job["skipped"]) == ("unchanged", first.new, first.skipped)
        errors = client.get(f"/api/v1/jobs/{again.job_id}/errors").json()
        assert errors["total"] == len(_errors(services, first.job_id)) > 0
        page = client.get(f"/source/{source}")
        assert page.status_code == 200
        assert "Unchanged" in page.text


def test_one_byte_changed_goes_the_normal_way(services: Services, http_server: LoopbackServer, source: str) -> None:
    body = _catalog()
    served = _serve(http_server, body)
    first = services.runner.harvest(source)
    changed = body.replace(b"Dataset 7 (revision 0)", b"Dataset 7 (revision 1)")
    assert len(changed) == len(body)
    assert sum(a != b for a, b in zip(body, changed, strict=True)) == 1
    served.body = changed
    again = services.runner.harvest(source)
    assert again.status == "succeeded", again.message
    assert (again.updated, again.unchanged) == (1, first.new - 1)
    assert any(r.title == "Dataset 7 (revision 1)" for r in services.store.iter_records())
    served.body = changed  # the changed body is the baseline now
    assert services.runner.harvest(source).status == "unchanged"


def test_a_failed_or_held_back_harvest_is_never_the_baseline(
    services: Services, http_server: LoopbackServer, source: str
) -> None:
    served = _serve(http_server, _catalog())
    services.runner.harvest(source)
    # a failed job (the server down) takes the baseline away: the same body is read again afterwards
    served.status = 500
    assert services.runner.harvest(source).status == "failed"
    served.status = 200
    read = services.runner.harvest(source)
    assert read.status == "succeeded"
    assert read.unchanged == 21
    # a body cut short fails too, and is no baseline
    served.truncate_at = 500
    assert services.runner.harvest(source).status == "failed"
    served.truncate_at = None
    assert services.runner.harvest(source).status == "succeeded"
    # a catalog that shrank too much is held back: neither it nor the catalog before it is a baseline
    served.body = _catalog(2)
    for _ in range(2):
        held = services.runner.harvest(source)
        assert held.status == "suspicious", held.message
    assert baseline(services.store, services.store.get_source(source).id) is None


def test_too_many_records_is_no_baseline(services: Services, http_server: LoopbackServer, source: str) -> None:
    _serve(http_server, _catalog())
    services.runner.settings = services.runner.settings.model_copy(update={"harvest_max_records": 10})
    for _ in range(2):
        capped = services.runner.harvest(source)
        assert capped.status == "failed"
        assert "more than 10" in (capped.message or "")
    services.runner.settings = services.runner.settings.model_copy(update={"harvest_max_records": 1000})
    assert services.runner.harvest(source).status == "succeeded"


@pytest.mark.parametrize(
    "change",
    ["mapping version", "field caps", "federal profile", "source options", "record withdrawn by hand"],
)
def test_a_change_besides_the_body_reads_it_again(
    services: Services, http_server: LoopbackServer, source: str, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    _serve(http_server, _catalog())
    first = services.runner.harvest(source)
    settings = services.runner.settings
    if change == "mapping version":
        monkeypatch.setattr("catalog_api.baselines.MAPPING_VERSION", b"nutmeg-mapping-next")
    elif change == "field caps":
        services.runner.settings = settings.model_copy(update={"harvest_max_field_bytes": 32 << 10})
    elif change == "federal profile":
        services.runner.settings = settings.model_copy(update={"federal": not settings.federal})
    elif change == "source options":
        update_source(services.store, source, options={"max_shrink": 0.9})
    else:
        withdraw_record(services.store, next(services.store.iter_records()).id, first_finished(services))
    again = services.runner.harvest(source)
    assert again.status == "succeeded", again.message
    assert again.new + again.updated + again.unchanged == first.new
    assert services.store.live_count() == first.new


def test_a_one_page_dcat_catalog_and_a_feed(services: Services, http_server: LoopbackServer) -> None:
    rdf = DATA / "rdf" / "ckanext-dcat-catalog.rdf"
    http_server.route("/catalog.rdf", Route(body=rdf, content_type="application/rdf+xml", conditional=False))
    add_source(services, "rdf", http_server.url("/catalog.rdf"), kind="dcat")
    feed = next(iter(sorted((DATA / "feeds").glob("*.xml"))))
    http_server.route("/feed.xml", Route(body=feed, content_type="application/rss+xml", conditional=False))
    add_source(services, "feed", http_server.url("/feed.xml"), kind="feed", title="A feed", publisher="Agency")
    for name in ("rdf", "feed"):
        first = services.runner.harvest(name)
        assert first.status == "succeeded", first.message
        rows = _rows(services)
        again = services.runner.harvest(name)
        assert again.status == "unchanged", (name, again.message)
        assert again.unchanged == first.new + first.updated + first.unchanged
        assert _rows(services) == rows
    feed_job = services.runner.harvest("feed")
    assert feed_job.stats["http_status"] == 200
    assert "items" in feed_job.stats


def test_a_paged_dcat_catalog_is_always_read_whole(services: Services, http_server: LoopbackServer) -> None:
    """A first page's bytes say nothing of the pages after it: a change on page 2 alone is seen."""
    from tests.harvesters.test_dcat import PagedCatalog

    catalog = PagedCatalog(http_server)
    add_source(services, "paged", catalog.source_url(), kind="dcat")
    assert services.runner.harvest("paged").new == 4
    catalog.pages["2"] = catalog.pages["2"].replace(b"Dataset 4 description", b"Dataset 4, revised")
    again = services.runner.harvest("paged", full=True)
    assert (again.status, again.updated) == ("succeeded", 1)


def test_an_unchanged_job_keeps_the_days_quality_history_once(
    services: Services, http_server: LoopbackServer, source: str
) -> None:
    """The first job of a day keeps the day's quality averages, unchanged or not; later unchanged jobs
    leave them (they changed nothing the averages are computed from)."""
    _serve(http_server, _catalog())
    services.runner.harvest(source)
    kept = history(services.store, f"source:{source}")
    assert len(kept) == 1
    with services.store.engine.begin() as connection:
        connection.execute(delete(quality_daily))
    assert services.runner.harvest(source).status == "unchanged"
    assert history(services.store, f"source:{source}") == kept
