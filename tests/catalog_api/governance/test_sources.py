"""Sources managed by their agencies: checks before saving (against loopback servers answering 404, an
HTML page, the wrong kind), changes that keep records, the API for an organization's own sources, a
feed registered in one call, and harvests started in the background."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from catalog_api.cli import main
from catalog_api.governance.sourcecheck import SourceCheckError, probe, sniff
from catalog_api.governance.sources import SourceSpec, check_spec
from catalog_api.services import build_services
from catalog_api.settings import Settings
from harvesters.http import HttpClient
from tests.catalog_api.governance.conftest import Gov, snapshot
from tests.conftest import DATA, make_settings, serve_file
from tests.support.httpserver import LoopbackServer, Route

HTML = b"<!DOCTYPE html><html><head><title>Open data</title></head><body><p>Our data</p></body></html>"
MASSDOT = DATA / "feeds/massdot-itms-event-feed-sample.xml"
RSS = DATA / "feeds/feedparser-namespace_rss2.0NSwithModules.xml"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("datajson/gsa-harvester-dcatus.json", "datajson"),
        ("datajson/socrata-v1.0-2013-data.seattle.gov.json", "datajson"),
        ("feeds/massdot-itms-event-feed-sample.xml", "xml"),
        ("feeds/feedparser-namespace_rss2.0NSwithModules.xml", "rss"),
        ("feeds/feedparser-namespace_rss1.0withModules.xml", "rss"),
        ("feeds/feedparser-sanitize_large_atom_feed_that_needs_css_sanitisation.xml", "rss"),
        ("html/extruct-CreativeWork.001.html", "html"),
    ],
)
def test_sniffing_fixture_files(path: str, expected: str) -> None:
    assert sniff((DATA / path).read_bytes()[:65536]) == expected


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A store on disk: a background harvest writes from its own thread while the test reads, and one
    in-memory SQLite connection cannot be shared between threads."""
    return make_settings(database_url=f"sqlite:///{tmp_path}/nutmeg.db", index_path=None)


def test_sniffing_rdf_and_others() -> None:
    assert sniff(b"@prefix dcat: <http://www.w3.org/ns/dcat#> .") == "rdf"
    assert sniff(b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="x"/>') == "rdf"
    assert sniff(b'{"@context": {}, "@graph": []}') == "rdf"
    assert sniff(b'{"success": true, "result": []}') == "json"
    assert sniff(b"plain words") == "other"
    assert sniff(b'{"@context": {}, "@graph": ' + b"[" * 100_000) == "rdf"  # too deep to parse: by its opening
    assert sniff(b'{"dataset": [' + b"[" * 100_000) == "datajson"
    assert sniff(b"\xef\xbb\xbf  <!-- hi --><html>") == "html"


@pytest.fixture
def http() -> Any:
    settings = make_settings(harvest_retries=0)
    with HttpClient(settings.http_policy()) as client:
        yield client


def test_probe_refuses_404_html_and_the_wrong_kind(http_server: LoopbackServer, http: HttpClient) -> None:
    missing = http_server.url("/missing.json")
    with pytest.raises(SourceCheckError, match="HTTP 404") as refused:
        probe(http, missing, "datajson")
    assert refused.value.field == "url"
    page = http_server.route("/portal", Route(body=HTML, content_type="text/html"))
    with pytest.raises(SourceCheckError, match=r"this is an HTML page; did you mean --kind html\?"):
        probe(http, page, "datajson")
    rss = serve_file(http_server, "feeds/feedparser-namespace_rss2.0NSwithModules.xml")
    with pytest.raises(SourceCheckError, match=r"this is an RSS or Atom feed; did you mean --kind rss\?"):
        probe(http, rss, "datajson")
    catalog = serve_file(http_server, "datajson/gsa-harvester-dcatus.json")
    with pytest.raises(SourceCheckError, match=r"did you mean --kind datajson\?"):
        probe(http, catalog, "rss")
    assert probe(http, catalog, "datajson").looks == "datajson"
    assert probe(http, rss, "feed").looks == "rss"
    assert probe(http, page, "ckan").looks == "html"  # a portal's base URL: it only has to answer
    with pytest.raises(SourceCheckError, match="not an http"):
        probe(http, "not-a-url", "datajson")


def test_the_probe_is_ssrf_guarded(http_server: LoopbackServer) -> None:
    services = build_services(make_settings(harvest_allow_private=False, harvest_retries=0))
    try:
        url = serve_file(http_server, "datajson/gsa-harvester-dcatus.json")
        with pytest.raises(SourceCheckError, match="does not answer"):
            check_spec(services.settings, SourceSpec("local", url), probe_url=True)
    finally:
        services.close()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUTMEG_DATABASE_URL", f"sqlite:///{tmp_path}/src.db")
    monkeypatch.setenv("NUTMEG_HARVEST_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("NUTMEG_HARVEST_RETRIES", "0")
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.usefixtures("cli_env")
def test_source_add_checks_what_a_new_user_gets_wrong(http_server: LoopbackServer) -> None:
    missing = http_server.url("/gone.json")
    page = http_server.route("/portal", Route(body=HTML, content_type="text/html"))
    code, output = run("source", "add", "gone", missing)
    assert code == 1
    assert "HTTP 404" in output
    assert "--no-check" in output
    code, output = run("source", "add", "portal", page, "--kind", "datajson")
    assert code == 1
    assert "this is an HTML page; did you mean --kind html?" in output
    code, output = run("source", "add", "bad", "not-a-url")
    assert code == 1
    assert "is not an http(s) URL" in output
    code, output = run("source", "add", "Bad Name!", serve_file(http_server, "datajson/gsa-harvester-dcatus.json"))
    assert code == 1
    assert "not a valid source name" in output
    code, output = run("source", "list", "--json")
    assert output.strip() == "[]"
    assert run("source", "add", "gone", missing, "--no-check")[0] == 0  # registered on purpose, unchecked


@pytest.mark.usefixtures("cli_env")
def test_source_update_keeps_the_records(http_server: LoopbackServer) -> None:
    first = serve_file(http_server, "datajson/gsa-harvester-dcatus.json")
    assert run("source", "add", "cftc", first)[0] == 0
    assert run("harvest", "cftc")[0] == 0
    moved = http_server.route("/v2/data.json", Route(body=(DATA / "datajson/gsa-harvester-dcatus.json").read_bytes()))
    code, output = run("source", "update", "cftc", "--url", moved, "--title", "CFTC catalog")
    assert code == 0, output
    assert "its 7 datasets are kept" in output
    code, output = run("source", "update", "cftc", "--url", http_server.url("/nowhere.json"))
    assert code == 1
    assert "HTTP 404" in output
    code, output = run("harvest", "cftc")
    assert code == 0, output
    assert http_server.requests[-1].path == "/v2/data.json"
    code, output = run("source", "list", "--json")
    assert '"datasets": 7' in output
    assert moved in output


def _wait_for_job(gov: Gov, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = gov.client.get(url.removeprefix(gov.services.settings.base_url)).json()
        if job["status"] != "running":
            return dict(job)
        time.sleep(0.05)
    raise AssertionError("the harvest job did not finish")


def test_an_agency_registers_its_feed_in_one_call_and_harvests_it(gov: Gov) -> None:
    url = gov.server.route("/incidents.xml", Route(body=MASSDOT.read_bytes(), content_type="application/xml"))
    body = {
        "name": "dot-incidents-feed",
        "url": url,
        "kind": "feed",
        "title": "Highway incidents (real time)",
        "description": "Planned and unplanned events on state highways, updated every few minutes.",
        "keywords": ["traffic", "incidents"],
        "frequency": "R/PT5M",
        "options": {"item_xpath": "/EventsFeed/Events/*", "time_xpath": "UpdatedAt"},
    }
    made = gov.call("POST", "/api/v1/sources", "dot-publisher", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["publisher"] == "Department of Transportation"
    started = gov.call("POST", "/api/v1/sources/dot-incidents-feed/harvest", "dot-publisher")
    assert started.status_code == 202, started.text
    assert started.headers["Location"] == started.json()["url"]
    job = _wait_for_job(gov, started.json()["url"])
    assert (job["status"], job["new"]) == ("succeeded", 1)
    found = gov.client.get("/api/v1/datasets", params={"q": "Highway incidents"}).json()["results"]
    assert [r["publisher"] for r in found] == ["Department of Transportation"]
    log = gov.call("GET", "/api/v1/audit?organization=dot", "dot-admin").json()["results"]
    assert [(e["action"], e["target"], e["key_id"]) for e in log[:2]] == [
        ("source.harvest", "dot-incidents-feed", gov.key_ids["dot-publisher"]),
        ("source.add", "dot-incidents-feed", gov.key_ids["dot-publisher"]),
    ]


def test_source_api_refuses_bad_sources_with_field_errors(gov: Gov) -> None:
    before = snapshot(gov.services)
    page = gov.server.route("/portal", Route(body=HTML, content_type="text/html"))
    wrong = gov.call("POST", "/api/v1/sources", "dot-publisher", json={"name": "portal", "url": page})
    assert wrong.status_code == 400
    error = wrong.json()["error"]
    assert error["code"] == "invalid_source"
    assert "this is an HTML page" in error["message"]
    assert error["fields"][0]["field"] == "kind"
    bad_name = gov.call(
        "POST", "/api/v1/sources", "dot-publisher", json={"name": "Bad Name!", "url": page, "kind": "html"}
    )
    assert bad_name.json()["error"]["fields"][0]["field"] == "name"
    assert snapshot(gov.services) == before
    unchecked = {"name": "portal", "url": page, "check": False}
    assert gov.call("POST", "/api/v1/sources", "dot-publisher", json=unchecked).status_code == 201


def test_source_api_changes_a_source_without_losing_records(gov: Gov) -> None:
    moved = serve_file(gov.server, "datajson/gsa-harvester-dcatus.json", "/moved.json")
    changed = gov.call("PATCH", "/api/v1/sources/cftc", "dot-publisher", json={"url": moved, "title": "CFTC"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["url"], changed.json()["title"], changed.json()["datasets"]) == (moved, "CFTC", 7)
    history = gov.call("GET", "/api/v1/audit?organization=dot", "dot-publisher").json()["results"]
    assert history[0]["action"] == "source.update"
    assert {c["field"] for c in history[0]["changes"]} == {"url", "title"}
    foreign = gov.call("PATCH", "/api/v1/sources/cftc", "health-admin", json={"title": "Mine"})
    assert foreign.status_code == 403
    api_source = gov.call("PATCH", "/api/v1/sources/api.dot", "dot-admin", json={"title": "x"})
    assert api_source.status_code == 409


def test_removing_a_source_needs_an_admin(gov: Gov) -> None:
    assert gov.call("DELETE", "/api/v1/sources/cftc", "dot-reviewer").status_code == 403
    removed = gov.call("DELETE", "/api/v1/sources/cftc", "dot-admin")
    assert removed.json() == {"removed": "cftc", "records": 7}
    assert gov.client.get("/api/v1/sources/cftc").status_code == 404
    assert gov.search_ids() == {gov.published}


def test_source_api_takes_cron_and_iso_schedules_and_refuses_bad_ones(gov: Gov) -> None:
    url = serve_file(gov.server, "datajson/gsa-harvester-dcatus.json", "/scheduled.json")

    def add(name: str, **fields: Any) -> Any:
        return gov.call("POST", "/api/v1/sources", "dot-publisher", json={"name": name, "url": url, **fields})

    nightly = add("nightly").json()  # none given: nightly, at a minute of its own between 01:00 and 05:59 UTC
    minute, hour, *every_day = nightly["schedule"].split()
    assert (every_day, 1 <= int(hour) <= 5, 0 <= int(minute) <= 59) == (["*", "*", "*"], True, True)
    assert nightly["next_run_at"] is not None  # never harvested: due now
    assert (nightly["consecutive_failures"], nightly["failing"]) == (0, False)
    assert add("cron", schedule="30 2 * * 1-5").json()["schedule"] == "30 2 * * 1-5"
    assert add("iso", schedule="r/2026-01-01T02:00:00Z/p1d").json()["schedule"] == "R/2026-01-01T02:00:00Z/P1D"
    assert add("manual", schedule="off").json()["schedule"] is None

    before = snapshot(gov.services)
    for bad, says in (("0 0 30 2 *", "is not a schedule"), ("R5/P1D", "a run count needs a start")):
        refused = add("bad", schedule=bad)
        assert refused.status_code == 400
        assert refused.json()["error"]["fields"] == [
            {"field": "schedule", "message": refused.json()["error"]["message"]}
        ]
        assert says in refused.json()["error"]["message"]
    assert snapshot(gov.services) == before

    changed = gov.call("PATCH", "/api/v1/sources/cron", "dot-publisher", json={"schedule": "PT6H"})
    assert changed.json()["schedule"] == "PT6H"
    off = gov.call("PATCH", "/api/v1/sources/cron", "dot-publisher", json={"schedule": "off"})
    assert (off.json()["schedule"], off.json()["next_run_at"]) == (None, None)
    bad_change = gov.call("PATCH", "/api/v1/sources/cron", "dot-publisher", json={"schedule": "often"})
    assert bad_change.status_code == 400
    assert bad_change.json()["error"]["fields"][0]["field"] == "schedule"
