"""Each CLI command through click's runner, and the whole flow once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog_api.cli import main
from tests.conftest import DATA
from tests.support.httpserver import LoopbackServer, Route


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    values = {
        "NUTMEG_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "NUTMEG_HARVEST_ALLOW_PRIVATE": "1",
        "NUTMEG_HARVEST_RETRIES": "0",
        "NUTMEG_DEFAULT_CONTACT_NAME": "Data team",
        "NUTMEG_DEFAULT_PUBLISHER": "State",
        "NUTMEG_DEFAULT_ACCESS_LEVEL": "public",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return values


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.output


def test_help_on_every_command() -> None:
    for command in (
        [],
        ["source"],
        ["source", "add"],
        ["source", "list"],
        ["source", "remove"],
        ["harvest"],
        ["reindex"],
        ["export"],
        ["export", "datajson"],
        ["serve"],
        ["worker"],
    ):
        code, output = run(*command, "--help")
        assert code == 0, command
        assert "Usage:" in output


def test_source_add_list_harvest_reindex_export_remove(
    env: dict[str, str], http_server: LoopbackServer, tmp_path: Path
) -> None:
    url = http_server.route("/phl.json", Route(body=DATA / "datajson/gsa-harvester-dcatus_with_none.json"))
    code, output = run("source", "add", "phl", url, "--publisher", "City of Philadelphia", "--schedule", "P1D")
    assert code == 0, output
    assert "nutmeg harvest phl" in output
    code, output = run("source", "add", "phl", url)
    assert code == 1
    assert "already exists" in output
    assert "next:" in output

    code, output = run("harvest", "phl")
    assert code == 0, output
    assert "succeeded" in output
    assert "new 402" in output
    code, output = run("source", "list", "--json")
    assert json.loads(output)[0]["datasets"] == 402

    code, output = run("reindex")
    assert code == 0
    assert "reindexed 402 datasets" in output

    target = tmp_path / "out.json"
    code, output = run("export", "datajson", str(target))
    assert code == 0, output
    assert len(json.loads(target.read_text())["dataset"]) == 402

    code, output = run("source", "remove", "phl", "--yes")
    assert code == 0
    assert "402 records" in output
    code, output = run("source", "list")
    assert "no sources yet" in output


def test_harvest_failure_exits_non_zero_with_the_reason(env: dict[str, str], http_server: LoopbackServer) -> None:
    url = http_server.route("/down.json", Route(body=b"oops", status=500, content_type="text/plain"))
    run("source", "add", "down", url, "--no-check")  # a source that is down now can be registered
    code, output = run("harvest", "down")
    assert code == 1
    assert "HTTP 500" in output
    assert "did not succeed" in output


def test_unknown_things_name_what_is_known(env: dict[str, str]) -> None:
    code, output = run("source", "add", "x", "https://example.gov/data.json", "--kind", "ftp")
    assert code == 1
    assert "no harvester 'ftp'; known: ckan, csw, datajson, dcat, feed, html, iso, rss, socrata" in output
    code, output = run("harvest", "ghost")
    assert code == 1
    assert "no source named 'ghost'" in output
    assert "nutmeg source list" in output
    code, output = run("harvest")
    assert code == 1
    assert "--all" in output
    code, output = run("source", "add", "y", "https://example.gov/", "--schedule", "often")
    assert code == 1
    assert "ISO 8601" in output
    code, output = run("source", "add", "y", "https://example.gov/", "--option", "novalue")
    assert code == 1
    assert "KEY=VALUE" in output


def test_the_real_command_end_to_end(env: dict[str, str], http_server: LoopbackServer, tmp_path: Path) -> None:
    url = http_server.route("/cftc.json", Route(body=DATA / "datajson/gsa-harvester-dcatus.json"))
    nutmeg = str(Path(sys.executable).with_name("nutmeg"))
    environment = {**os.environ, **env}

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [nutmeg, *args], env=environment, capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False
        )

    assert call("source", "add", "cftc", url).returncode == 0
    harvested = call("harvest", "--all")
    assert harvested.returncode == 0, harvested.stderr
    assert "new 7" in harvested.stdout
    exported = call("export", "datajson")
    assert exported.returncode == 0
    assert len(json.loads(exported.stdout)["dataset"]) == 7
    assert "exported 7 datasets" in exported.stderr


def test_worker_once_harvests_what_is_due(env: dict[str, str], http_server: LoopbackServer) -> None:
    url = http_server.route("/cftc.json", Route(body=DATA / "datajson/gsa-harvester-dcatus.json"))
    run("source", "add", "scheduled", url, "--schedule", "PT6H")
    run("source", "add", "manual", url)
    code, output = run("worker", "--once")
    assert code == 0, output
    assert "scheduled: succeeded" in output
    assert "manual" not in output
    code, output = run("worker", "--once")
    assert "harvested 0 due source(s)" in output  # not due again for six hours


def test_serve_demo_as_a_real_process(tmp_path: Path) -> None:
    """The README's first command: the demo harvests bundled catalogs from disk and serves them."""
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nutmeg = str(Path(sys.executable).with_name("nutmeg"))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NUTMEG_")}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [nutmeg, "serve", "--demo", "--port", str(port)],
        env=environment,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/datasets?per_page=1", timeout=5) as r:
                    body = json.loads(r.read())
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "the demo did not start"
                time.sleep(0.5)
        assert body["total"] > 500
        assert {f["value"] for f in body["facets"]["source"]} >= {"philadelphia", "seattle", "cftc"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/data.json", timeout=10) as r:
            assert len(json.loads(r.read())["dataset"]) > 500
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_worker_catches_the_index_up(env: dict[str, str], http_server: LoopbackServer) -> None:
    """Records the index missed (an engine outage) are indexed by the worker even if no source is due."""
    from catalog_api.cli import services

    url = http_server.route("/cftc.json", Route(body=DATA / "datajson/gsa-harvester-dcatus.json"))
    run("source", "add", "cftc", url)
    run("harvest", "cftc")
    with services() as built:
        built.store.clear_indexed()
    code, output = run("worker", "--once")
    assert code == 0, output
    assert "caught up with 7 record(s)" in output
    code, output = run("worker", "--once")
    assert "caught up" not in output
