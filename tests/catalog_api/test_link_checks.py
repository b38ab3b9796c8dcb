"""Link checks end to end: a harvested catalog whose distributions point at a loopback server answering
200, 301, 404, 500, a timeout and a refused HEAD; the pass writes each link's state and history, and the
API, the pages, the report functions and ``nutmeg check links`` show them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.cli import main
from catalog_api.linkcheck.runner import link_checks_due, run_link_checks
from catalog_api.services import Services, build_services
from index.governance import NewOrganization, add_organization, rematch_records
from index.ids import record_id
from index.linkchecks import broken_links, link_counts, link_history, link_statuses, start_run
from index.store import Conflict
from tests.conftest import add_source, make_settings, serve_json
from tests.support.httpserver import LoopbackServer, Route, Seen

FAST = {"link_check_host_delay": 0.0, "link_check_timeout": 0.5, "link_check_max_seconds": 2.0}


def dataset(identifier: str, *links: dict[str, str], publisher: str = "Parks Department") -> dict[str, Any]:
    return {
        "identifier": identifier,
        "title": f"Dataset {identifier}",
        "description": "Test data.",
        "keyword": ["test"],
        "modified": "2026-01-01",
        "publisher": {"name": publisher},
        "contactPoint": {"fn": "Data team", "hasEmail": "mailto:data@example.gov"},
        "accessLevel": "public",
        "distribution": list(links),
    }


def serve_links(server: LoopbackServer) -> dict[str, str]:
    def no_head(seen: Seen) -> Route:
        return Route(status=405) if seen.method == "HEAD" else Route(body=b"a,b\n", content_type="text/csv")

    new = server.route("/new.csv", Route(body=b"a,b\n", content_type="text/csv"))
    return {
        "ok": server.route("/ok.csv", Route(body=b"a,b\n", content_type="text/csv")),
        "moved": server.route("/moved.csv", Route(redirect_to=new, status=301)),
        "missing": server.route("/missing.csv", Route(body=b"", status=404)),
        "error": server.route("/error.csv", Route(body=b"", status=500)),
        "slow": server.route("/slow.csv", Route(body=b"x", delay=2.0)),
        "nohead": server.respond("/nohead.csv", no_head),
        "page": server.route("/about.html", Route(body=b"<p>hi</p>", content_type="text/html")),
    }


def catalog(urls: dict[str, str]) -> dict[str, Any]:
    return {
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "dataset": [
            dataset("ok", {"downloadURL": urls["ok"], "mediaType": "text/csv"}),
            dataset("moved", {"downloadURL": urls["moved"], "mediaType": "text/csv"}),
            dataset(
                "mixed",
                {"downloadURL": urls["missing"], "accessURL": urls["page"], "mediaType": "text/csv"},
                {"accessURL": urls["page"]},
            ),
            dataset("error", {"downloadURL": urls["error"], "mediaType": "text/csv"}),
            dataset("slow", {"downloadURL": urls["slow"], "mediaType": "text/csv"}),
            dataset("nohead", {"downloadURL": urls["nohead"], "mediaType": "text/csv"}, publisher="Other Office"),
        ],
    }


@pytest.fixture
def links_server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def built(links_server: LoopbackServer) -> Iterator[tuple[Services, dict[str, str]]]:
    urls = serve_links(links_server)
    services = build_services(make_settings(**FAST))
    add_source(services, "parks", serve_json(links_server, "/data.json", catalog(urls)))
    assert services.runner.harvest("parks").ok
    yield services, urls
    services.close()


def rid(identifier: str) -> str:
    return record_id("parks", identifier)


def api_links(services: Services, identifier: str) -> list[dict[str, Any]]:
    with TestClient(create_app(services.settings, services)) as client:
        response = client.get(f"/api/v1/datasets/{rid(identifier)}")
    assert response.status_code == 200
    return [d["link_status"] for d in response.json()["dataset"]["distribution"]]


def test_before_any_check_every_link_is_unchecked(built: tuple[Services, dict[str, str]]) -> None:
    services, urls = built
    assert api_links(services, "ok") == [
        {"status": "unchecked", "checked_at": None, "http_status": None, "url": urls["ok"], "final_url": None}
    ]


def test_a_pass_keeps_each_links_state_and_the_api_shows_it(built: tuple[Services, dict[str, str]]) -> None:
    services, urls = built
    report = run_link_checks(services.store, services.settings)
    assert (report.due, report.checked) == (7, 7)
    assert report.states == {"ok": 3, "redirected": 1, "broken": 3}

    [ok] = api_links(services, "ok")
    assert (ok["status"], ok["http_status"], ok["url"]) == ("ok", 200, urls["ok"])
    assert datetime.fromisoformat(ok["checked_at"]) <= datetime.now(UTC)
    [moved] = api_links(services, "moved")
    new = urls["ok"].replace("/ok.csv", "/new.csv")
    assert (moved["status"], moved["http_status"], moved["final_url"]) == ("redirected", 301, new)
    first, second = api_links(services, "mixed")  # the worst of a distribution's links; the second only has a page
    assert (first["status"], first["http_status"], first["url"]) == ("broken", 404, urls["missing"])
    assert (second["status"], second["http_status"]) == ("ok", 200)
    assert [(s["status"], s["http_status"]) for s in api_links(services, "error")] == [("broken", 500)]
    assert [(s["status"], s["http_status"]) for s in api_links(services, "slow")] == [("broken", None)]
    assert [(s["status"], s["http_status"]) for s in api_links(services, "nohead")] == [("ok", 200)]


def test_broken_links_per_source_and_organization_for_reports(built: tuple[Services, dict[str, str]]) -> None:
    services, urls = built
    run_link_checks(services.store, services.settings)
    source_id = services.store.get_source("parks").id
    broken = broken_links(services.store, source_id=source_id)
    assert sorted(b.url for b in broken) == sorted([urls["missing"], urls["error"], urls["slow"]])
    missing = next(b for b in broken if b.url == urls["missing"])
    assert (missing.record_id, missing.position, missing.field, missing.title) == (
        rid("mixed"),
        0,
        "downloadURL",
        "Dataset mixed",
    )
    assert link_counts(services.store, source_id=source_id) == {"ok": 4, "redirected": 1, "broken": 3, "unchecked": 0}

    parks = add_organization(services.store, NewOrganization("parks", "Parks Department"), datetime.now(UTC))
    rematch_records(services.store)
    assert {b.url for b in broken_links(services.store, organization_id=parks.id)} == {
        urls["missing"],
        urls["error"],
        urls["slow"],
    }
    other = add_organization(services.store, NewOrganization("other", "Other Office"), datetime.now(UTC))
    rematch_records(services.store)
    assert broken_links(services.store, organization_id=other.id) == []
    assert link_counts(services.store, organization_id=other.id)["ok"] == 1
    assert link_statuses(services.store, [urls["error"], "http://never.test/"])["http://never.test/"].status == (
        "unchecked"
    )


def test_pages_flag_broken_and_moved_links(built: tuple[Services, dict[str, str]]) -> None:
    services, urls = built
    run_link_checks(services.store, services.settings)
    add_organization(services.store, NewOrganization("parks", "Parks Department"), datetime.now(UTC))
    rematch_records(services.store)
    services.runner.index_pending()
    with TestClient(create_app(services.settings, services)) as client:
        mixed = client.get(f"/dataset/{rid('mixed')}", follow_redirects=True).text
        moved = client.get(f"/dataset/{rid('moved')}", follow_redirects=True).text
        fine = client.get(f"/dataset/{rid('ok')}", follow_redirects=True).text
        source = client.get("/source/parks").text
        sources = client.get("/source").text
        organization = client.get("/organization/parks").text
    assert "The download link did not work when last checked (HTTP 404)" in mixed
    assert "The download link has moved (HTTP 301): it now leads to" in moved
    assert 'data-link-status="' not in fine
    assert "<strong>3</strong> broken links</a>, 1 moved" in source
    assert source.count('<tr data-link-status="') == 4
    assert "Dataset mixed" in source
    assert urls["missing"] in source
    assert "<strong>3</strong> broken links" in organization
    assert '<td class="num" data-label="Broken links"><a href="/source/parks#links">3</a></td>' in sources


def test_history_is_bounded_and_conditional_checks_keep_the_state(links_server: LoopbackServer) -> None:
    urls = serve_links(links_server)
    services = build_services(make_settings(**FAST, link_check_history=2))
    try:
        doc = {"dataset": [dataset("ok", {"downloadURL": urls["ok"], "mediaType": "text/csv"})]}
        add_source(services, "parks", serve_json(links_server, "/data.json", doc))
        services.runner.harvest("parks")
        for _ in range(3):
            run_link_checks(services.store, services.settings, due_only=False)
        history = link_history(services.store, urls["ok"])
        assert [(h.status, h.http_status, h.not_modified) for h in history] == [("ok", 200, True), ("ok", 200, True)]
        assert links_server.seen("/ok.csv")[-1].headers.get("If-None-Match")
        assert link_statuses(services.store, [urls["ok"]])[urls["ok"]].status == "ok"
    finally:
        services.close()


def test_only_due_links_are_checked_and_gone_links_are_dropped(
    built: tuple[Services, dict[str, str]], links_server: LoopbackServer
) -> None:
    services, urls = built
    run_link_checks(services.store, services.settings)
    again = run_link_checks(services.store, services.settings)  # every link was checked a moment ago
    assert (again.due, again.checked) == (0, 0)
    assert not link_checks_due(services.store, services.settings, datetime.now(UTC))

    smaller = catalog(urls)
    smaller["dataset"] = [d for d in smaller["dataset"] if d["identifier"] != "error"]
    serve_json(links_server, "/data.json", smaller)
    services.runner.harvest("parks", accept_shrink=True)
    run_link_checks(services.store, services.settings)
    assert link_history(services.store, urls["error"]) == []
    assert urls["error"] not in {b.url for b in broken_links(services.store)}


def test_loopback_links_are_not_checked_unless_allowed(links_server: LoopbackServer) -> None:
    urls = serve_links(links_server)
    services = build_services(make_settings(**FAST))
    try:
        doc = {"dataset": [dataset("ok", {"downloadURL": urls["ok"], "mediaType": "text/csv"})]}
        add_source(services, "parks", serve_json(links_server, "/data.json", doc))
        services.runner.harvest("parks")
        guarded = services.settings.model_copy(update={"harvest_allow_private": False})
        report = run_link_checks(services.store, guarded)
        assert report.states == {"unchecked": 1}
        assert links_server.seen("/ok.csv") == []
    finally:
        services.close()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "NUTMEG_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "NUTMEG_HARVEST_ALLOW_PRIVATE": "1",
        "NUTMEG_LINK_CHECK_HOST_DELAY": "0",
        "NUTMEG_LINK_CHECK_TIMEOUT": "0.5",
        "NUTMEG_LINK_CHECKS": "1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("cli_env")
def test_the_worker_checks_links_on_its_own_schedule(links_server: LoopbackServer) -> None:
    urls = serve_links(links_server)
    doc = {"dataset": [dataset("x", {"downloadURL": urls["missing"]}), dataset("y", {"downloadURL": urls["ok"]})]}
    runner = CliRunner()
    url = serve_json(links_server, "/parks.json", doc)
    assert runner.invoke(main, ["source", "add", "parks", url, "--no-check", "--schedule", "PT1H"]).exit_code == 0
    first = runner.invoke(main, ["worker", "--once"])
    assert first.exit_code == 0, first.output
    assert "harvested 1 due source(s)\nlink checks: checked 2 link(s) due a check" in first.output
    assert [s.method for s in links_server.seen("/missing.csv")] == ["HEAD"]
    second = runner.invoke(main, ["worker", "--once"])  # nothing due: the pass ran within the hour
    assert second.exit_code == 0, second.output
    assert "checked" not in second.output
    assert len(links_server.seen("/missing.csv")) == 1


def test_a_pass_under_way_elsewhere_is_not_started_again(built: tuple[Services, dict[str, str]]) -> None:
    services, _ = built
    now = datetime.now(UTC)
    assert link_checks_due(services.store, services.settings, now)
    start_run(services.store, now, None, stale_before=now)  # another worker's pass, still running
    assert not link_checks_due(services.store, services.settings, now + timedelta(minutes=5))
    with pytest.raises(Conflict, match="a link-check pass is under way"):
        run_link_checks(services.store, services.settings, clock=lambda: now + timedelta(minutes=5))
    later = now + timedelta(minutes=11)
    assert link_checks_due(services.store, services.settings, later)  # silent that long: taken as dead
    report = run_link_checks(services.store, services.settings, clock=lambda: later)
    assert report.checked == 7
    assert link_checks_due(services.store, services.settings, later + timedelta(hours=1))


@pytest.mark.usefixtures("cli_env")
def test_the_command_checks_one_sources_links_with_a_summary(links_server: LoopbackServer) -> None:
    urls = serve_links(links_server)
    one = {"dataset": [dataset("x", {"downloadURL": urls["missing"]}), dataset("y", {"downloadURL": urls["ok"]})]}
    other = {"dataset": [dataset("z", {"downloadURL": urls["error"]})]}
    runner = CliRunner()
    for name, doc in (("parks", one), ("roads", other)):
        url = serve_json(links_server, f"/{name}.json", doc)
        assert runner.invoke(main, ["source", "add", name, url, "--no-check"]).exit_code == 0
        assert runner.invoke(main, ["harvest", name]).exit_code == 0

    result = runner.invoke(main, ["check", "links", "--source", "parks"])
    assert result.exit_code == 0, result.output
    assert "checked 2 of 2 links" in result.output
    assert "ok 1, redirected 0, broken 1, unchecked 0" in result.output
    assert urls["missing"] in result.output
    assert "HTTP 404" in result.output
    assert links_server.seen("/error.csv") == []  # the other source's link was left alone

    unknown = runner.invoke(main, ["check", "links", "--source", "nope"])
    assert unknown.exit_code != 0
    assert "no source named 'nope'" in unknown.output
    assert "nutmeg source list" in unknown.output


def test_help_of_the_check_commands() -> None:
    for command in (["check"], ["check", "links"]):
        result = CliRunner().invoke(main, [*command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage:" in result.output
    assert "--source NAME" in CliRunner().invoke(main, ["check", "links", "--help"]).output


def test_broken_links_cost_quality_points_and_fill_the_organization_report(
    built: tuple[Services, dict[str, str]],
) -> None:
    services, urls = built
    add_organization(services.store, NewOrganization("parks", "Parks Department"), datetime.now(UTC))
    rematch_records(services.store)
    services.runner.index_pending()
    with TestClient(create_app(services.settings, services)) as client:
        before = client.get(f"/api/v1/datasets/{rid('mixed')}").json()["quality"]
        not_yet = client.get("/api/v1/organizations/parks/report").json()["broken_links"]
        report = run_link_checks(services.store, services.settings)
        assert report.rescored == 3  # the datasets whose links are now broken wait for the index
        assert services.runner.index_pending() == 3
        after = client.get(f"/api/v1/datasets/{rid('mixed')}").json()["quality"]
        hit = client.get("/api/v1/datasets", params={"q": "Dataset mixed"}).json()["results"][0]
        filled = client.get("/api/v1/organizations/parks/report").json()["broken_links"]
        csv = client.get("/api/v1/organizations/parks/report", params={"list": "broken_links", "format": "csv"})
    assert "broken download link" not in str(before["reasons"])
    assert "1 broken download link of 1" in str(after["reasons"])
    assert after["score"] < before["score"]
    assert hit["quality"]["score"] == after["score"]  # the search index was re-scored too
    assert not_yet["results"] == []
    assert "not checked" in not_yet["note"]
    assert filled["note"] is None
    assert sorted(link["url"] for link in filled["results"]) == sorted([urls["missing"], urls["error"], urls["slow"]])
    assert urls["missing"] in csv.text
