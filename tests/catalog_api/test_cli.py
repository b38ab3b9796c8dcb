"""Each CLI command through click's runner, and the whole flow once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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
        ["job"],
        ["job", "errors"],
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
    published = len(json.loads(target.read_text())["dataset"])
    assert published == 402
    assert "filled modified (harvest: last change seen): 391 records" in output  # the repairs, with their source

    target = tmp_path / "out-3.0.json"
    code, output = run("export", "datajson", str(target), "--version", "3.0")
    assert code == 0, output
    document = json.loads(target.read_text())
    assert document["conformsTo"]["title"] == "DCAT-US 3.0"
    assert len(document["dataset"]) == published

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
    assert "'often' is not a schedule" in output
    assert "ISO 8601" in output
    assert "cron" in output
    code, output = run("source", "add", "y", "https://example.gov/", "--schedule", "0 0 30 2 *")
    assert code == 1
    assert "'0 0 30 2 *' is not a schedule" in output
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
    run("source", "add", "manual", url, "--schedule", "off")
    run("source", "add", "nightly", url)  # no schedule given: nightly, at a time taken from its name
    code, output = run("worker", "--once")
    assert code == 0, output
    assert "scheduled: succeeded" in output
    assert "nightly: succeeded" in output  # never harvested: due at once
    assert "manual" not in output
    code, output = run("worker", "--once")
    assert "harvested 0 due source(s)" in output  # not due again for six hours, or until tonight
    by_name = {item["name"]: item for item in json.loads(run("source", "list", "--json")[1])}
    assert by_name["manual"]["schedule"] is None
    minute, hour, *every_day = by_name["nightly"]["schedule"].split()
    assert every_day == ["*", "*", "*"]
    assert 1 <= int(hour) <= 5
    assert 0 <= int(minute) <= 59
    planned = datetime.fromisoformat(by_name["nightly"]["next_run_at"])
    assert (planned.hour, planned.minute) == (int(hour), int(minute))
    assert timedelta(0) < planned - datetime.now(UTC) <= timedelta(days=1)
    started = datetime.fromisoformat(by_name["scheduled"]["last_job"]["started_at"])
    assert datetime.fromisoformat(by_name["scheduled"]["next_run_at"]) == started + timedelta(hours=6)


def test_serve_demo_as_a_real_process(tmp_path: Path) -> None:
    """The README's first command: the demo harvests bundled catalogs from disk and serves them."""
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nutmeg = str(Path(sys.executable).with_name("nutmeg"))
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NUTMEG_")} | {"TMPDIR": str(temporary)}
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
        assert body["results"][0]["html_url"].startswith(f"http://127.0.0.1:{port}/dataset/")  # the port served
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/data.json", timeout=10) as r:
            assert len(json.loads(r.read())["dataset"]) > 500
        assert next(p.name for p in temporary.iterdir()).startswith("nutmeg-demo-")
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
    assert list(temporary.iterdir()) == []  # the demo's store and index went with it


def test_serve_on_a_busy_port_fails_before_any_work(tmp_path: Path) -> None:
    import socket
    import time

    nutmeg = str(Path(sys.executable).with_name("nutmeg"))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NUTMEG_")} | {"TMPDIR": str(tmp_path)}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        done = subprocess.run(
            [nutmeg, "serve", "--demo", "--port", str(port)],
            env=environment,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert f"pick another with --port (e.g. --port {port + 1})" in done.stderr
    assert "demo catalog ready" not in done.stdout
    assert "Errno" not in done.stderr
    assert time.monotonic() - started < 10  # nothing was harvested first
    assert list(tmp_path.iterdir()) == []


def test_source_list_fits_80_columns_and_json_carries_everything(
    env: dict[str, str], http_server: LoopbackServer
) -> None:
    long_url = http_server.route("/" + "long-path/" * 12 + "data.json", Route(body=b"not json", status=500))
    good = http_server.route("/cftc.json", Route(body=DATA / "datajson/gsa-harvester-dcatus.json"))
    run("source", "add", "a-source-with-a-long-name", long_url, "--schedule", "PT6H", "--no-check")  # it answers 500
    run("source", "add", "cftc", good, "--schedule", "off")
    run("harvest", "a-source-with-a-long-name")
    run("harvest", "cftc")
    result = CliRunner().invoke(main, ["source", "list"], env={"COLUMNS": "80"}, terminal_width=80)
    lines = result.output.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80, result.output
    first_column = "".join(line[: lines[0].index("datasets")].strip() for line in lines)
    assert long_url in first_column.replace(" ", ""), result.output  # folded, never cut
    assert "…" not in result.output
    assert "failed" in result.output
    assert "last failure:" in result.output

    _code, output = run("source", "list", "--json")
    by_name = {item["name"]: item for item in json.loads(output)}
    failing, fine = by_name["a-source-with-a-long-name"], by_name["cftc"]
    assert failing["status"] == "failed"
    assert failing["last_failure_at"] is not None
    assert failing["last_failure"]["message"]
    assert failing["last_success_at"] is None
    assert failing["schedule"] == "PT6H"
    assert failing["next_run_at"] is not None
    assert fine["status"] == "succeeded"
    assert fine["datasets"] == 7
    assert fine["last_success_at"] is not None
    assert fine["last_failure"] is None
    assert fine["last_job"]["new"] == 7
    assert fine["schedule"] is None
    assert fine["next_run"] == "on demand"


def test_job_errors_groups_problems_by_kind(env: dict[str, str], http_server: LoopbackServer) -> None:
    from catalog_api.cli import opened_store

    url = http_server.route("/phl.json", Route(body=DATA / "datajson/gsa-harvester-dcatus_with_none.json"))
    run("source", "add", "phl", url)
    run("harvest", "phl")
    code, output = run("source", "list", "--json")
    job_id = json.loads(output)[0]["last_job"]["id"]
    with opened_store() as store:
        total, rows = store.list_errors(job_id=job_id, limit=100_000)
    kinds: dict[str, int] = {}
    for row in rows:
        kinds[row.code] = kinds.get(row.code, 0) + 1
    assert total
    assert len(kinds) >= 1
    code, output = run("job", "errors", str(job_id), "--examples", "2")
    assert code == 0, output
    assert output.startswith(f"job {job_id} of phl: ")
    for kind, count in kinds.items():
        assert f"\n{kind} (" in output
        assert f"{count:,} problem" in output
        if count > 2:
            assert f"…and {count - 2:,} more" in output
    code, output = run("job", "errors", "999999")
    assert code == 1
    assert "no harvest job 999999" in output
    assert "next:" in output


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


def test_export_lists_what_it_left_out_and_names_every_default(
    env: dict[str, str], http_server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(env):
        if key.startswith("NUTMEG_DEFAULT_"):
            monkeypatch.delenv(key)
    lacking = [{"identifier": f"x{n}", "title": f"Record {n}", "description": "d", "keyword": ["k"]} for n in range(25)]
    catalog = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": lacking}
    url = http_server.route("/lacking.json", Route(body=json.dumps(catalog).encode()))
    run("source", "add", "lacking", url)
    run("harvest", "lacking")
    result = CliRunner().invoke(main, ["export", "datajson", str(tmp_path / "out.json")])
    assert result.exit_code == 0, result.output
    assert "left out 25 records" in result.output
    assert "…and 5 more" in result.output
    from catalog_api.settings import Settings

    for name in Settings.model_fields:
        if name.startswith("default_"):
            assert f"NUTMEG_{name.upper()}" in result.output
