"""Dashboard statistics straight from the store: jobs per period, additions per day, newest records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from catalog_api.services import Services
from index.stats import additions, jobs_since, newest_records
from tests.conftest import add_source, datasets_of, serve_file
from tests.support.httpserver import LoopbackServer, Route
from tests.support.site import runner_at

NOW = datetime(2024, 11, 26, 12, 0, tzinfo=UTC)


def _days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def test_jobs_additions_and_newest(services: Services, http_server: LoopbackServer) -> None:
    records = datasets_of("datajson/gsa-harvester-dcatus.json")
    catalog = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": records}
    route = Route(body=json.dumps(catalog).encode())
    add_source(services, "cftc", http_server.route("/cftc.json", route))
    add_source(services, "ny", serve_file(http_server, "datajson/ckanext-datajson-ny.data.json"))
    add_source(services, "broken", serve_file(http_server, "datajson/pod-dashboard-baddata.json"))

    assert runner_at(services, _days_ago(3)).harvest("cftc").new == 7
    assert runner_at(services, _days_ago(2)).harvest("broken").status == "failed"
    assert runner_at(services, _days_ago(1)).harvest("ny").new == 1
    route.body = json.dumps({**catalog, "dataset": records[:5]}).encode()
    assert runner_at(services, _days_ago(0.5)).harvest("cftc").withdrawn == 2

    recent = jobs_since(services.store, _days_ago(2.5))
    assert [(name, job.status) for name, job in recent] == [
        ("broken", "failed"),
        ("ny", "succeeded"),
        ("cftc", "succeeded"),
    ]
    assert [job.started_at for _, job in recent] == sorted(job.started_at for _, job in recent)
    assert len(jobs_since(services.store, _days_ago(10))) == 4

    bounds = [_days_ago(d) for d in (4, 2, 0, -1)]
    assert additions(services.store, bounds) == [5, 1, 0]  # the two withdrawn records no longer count
    assert additions(services.store, bounds[:1]) == []

    newest = newest_records(services.store, limit=3)
    assert newest[0].source == "ny"
    assert newest[0].first_seen == _days_ago(1)
    cftc = sorted((r for r in services.store.iter_records() if r.source == "cftc"), key=lambda r: r.id, reverse=True)
    assert [(r.id, r.title) for r in newest[1:]] == [(r.id, r.title) for r in cftc[:2]]  # same moment: by id
