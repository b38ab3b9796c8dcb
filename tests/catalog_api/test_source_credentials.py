"""A source's credentials: given apart from the URL, sent to the source's own host only, shown nowhere.

Real loopback servers: the source on 127.0.0.1, another host on 127.0.0.2 that a redirect points to. The
secrets are looked for in every output a user or operator sees: the API, the pages, the CLI, job messages
and the logs.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from click.testing import CliRunner
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.cli import main
from harvesters.credentials import redact_url
from index.store import Store
from tests.conftest import DATA, make_settings
from tests.support.httpserver import LoopbackServer, Route

TOKEN = "s3cret-token-value"
PASSWORD = "pw-alice-123"
BASIC = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
SECRETS = (TOKEN, PASSWORD, BASIC.split()[1])
CATALOG = DATA / "datajson/gsa-harvester-dcatus.json"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "NUTMEG_DATABASE_URL": f"sqlite:///{tmp_path}/creds.db",
        "NUTMEG_HARVEST_ALLOW_PRIVATE": "1",
        "NUTMEG_HARVEST_RETRIES": "0",
        "SOCRATA_TOKEN": TOKEN,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    monkeypatch.chdir(tmp_path)
    return values


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def _headers(seen: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in seen.headers.items()}


def _assert_secret_free(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("https://alice:pw-alice-123@data.example.gov/data.json", "user:password@"),
        ("https://data.example.gov/api/views.json?$$app_token=s3cret-token-value", "'$$app_token'"),
        ("https://data.example.gov/data.json?api_key=s3cret-token-value", "'api_key'"),
        ("https://data.example.gov/data.json?format=json&token=s3cret-token-value", "'token'"),
        ("https://data.example.gov/data.json?access_token=s3cret-token-value", "'access_token'"),
    ],
)
def test_a_url_with_credentials_is_refused_with_how_to_give_them(env: dict[str, str], url: str, what: str) -> None:
    code, output = _cli("source", "add", "s", url)
    assert code == 1
    assert what in output
    assert "nothing was added" in output
    assert "--header X-App-Token=env:SOCRATA_TOKEN" in output
    assert "--auth USER:PASSWORD" in output
    _assert_secret_free(output)
    assert _cli("source", "list", "--json")[1].strip() == "[]"


@pytest.mark.parametrize("bad", [["--header", "X-App-Token"], ["--header", "Bad Name=v"], ["--auth", "nocolon"]])
def test_malformed_credentials_are_refused(env: dict[str, str], bad: list[str]) -> None:
    code, output = _cli("source", "add", "s", "https://data.example.gov/data.json", *bad)
    assert code == 1
    assert "next:" in output


def test_credentials_reach_the_source_host_only_and_are_shown_nowhere(
    env: dict[str, str], http_server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    with LoopbackServer(host="127.0.0.2") as other:
        other.route("/data.json", Route(body=CATALOG))
        http_server.route("/data.json", Route(body=CATALOG))
        same = http_server.route("/moved", Route(status=302, redirect_to=http_server.url("/data.json")))
        cross = http_server.route("/hop", Route(status=302, redirect_to=other.url("/data.json")))
        outputs = []
        for name, url in (("same", same), ("cross", cross)):
            args = (
                "source",
                "add",
                name,
                url,
                "--header",
                "X-App-Token=env:SOCRATA_TOKEN",
                "--auth",
                f"alice:{PASSWORD}",
            )
            code, output = _cli(*args)
            assert code == 0, output
            outputs.append(output)
        with caplog.at_level(logging.DEBUG):
            for name in ("same", "cross"):
                code, output = _cli("harvest", name)
                assert code == 0, output
                outputs.append(output)

        for path in ("/moved", "/data.json", "/hop"):
            for seen in http_server.seen(path):
                headers = _headers(seen)
                assert headers["x-app-token"] == TOKEN
                assert headers["authorization"] == BASIC
        elsewhere = other.seen("/data.json")
        assert len(elsewhere) == 2  # the check when the source was added, then the harvest: neither carries them
        for seen in elsewhere:
            assert "x-app-token" not in _headers(seen)
            assert "authorization" not in _headers(seen)

    outputs.append(_cli("source", "list", "--json")[1])
    outputs.append(_cli("source", "list")[1])
    settings = make_settings(database_url=env["NUTMEG_DATABASE_URL"], index_path=None)
    with TestClient(create_app(settings)) as client:
        for path in ("/api/v1/sources", "/api/v1/sources/same", "/api/v1/sources/same/jobs", "/source", "/source/same"):
            response = client.get(path)
            assert response.status_code == 200, path
            outputs.append(response.text)
        job = client.get("/api/v1/sources/cross/jobs").json()["results"][0]
        assert job["status"] == "succeeded"
        outputs.append(client.get(f"/api/v1/jobs/{job['id']}").text)
    outputs.append(caplog.text)
    outputs.append(repr(Store(env["NUTMEG_DATABASE_URL"]).get_source("same")))
    _assert_secret_free("\n".join(outputs))


def test_a_missing_environment_variable_fails_the_job_without_leaking(
    env: dict[str, str], http_server: LoopbackServer
) -> None:
    url = http_server.route("/data.json", Route(body=CATALOG))
    code, output = _cli("source", "add", "s", url, "--header", "X-App-Token=env:NOT_SET_ANYWHERE")
    assert code == 0
    assert "NOT_SET_ANYWHERE is not set here" in output
    code, output = _cli("harvest", "s")
    assert code == 1
    assert "X-App-Token refers to the environment variable NOT_SET_ANYWHERE, which is not set" in " ".join(
        output.split()
    )
    assert http_server.seen("/data.json") == []  # nothing was sent without it


def test_redacted_urls_hide_what_older_registrations_carry() -> None:
    assert (
        redact_url("https://a:b@x.gov/d.json?format=json&api_key=k")
        == "https://***@x.gov/d.json?format=json&api_key=***"
    )
    assert redact_url("https://x.gov/d.json?q=1") == "https://x.gov/d.json?q=1"


def test_the_migration_moves_credentials_out_of_urls_and_locates_waf_records(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    engine = sa.create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parents[2] / "index" / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        for name, source_url in (
            ("basic", "https://alice:pw%2Falice@data.example.gov/data.json"),
            ("socrata", "https://data.example.gov/api/catalog/v1?domains=x.gov&$$app_token=s3cret-token-value"),
            ("plain", "https://data.example.gov/data.json"),
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO sources (name, kind, url, options, federal, allow_private, enabled, created_at) "
                    "VALUES (:n, 'datajson', :u, '{}', 0, 0, 1, '2026-01-01 00:00:00')"
                ),
                {"n": name, "u": source_url},
            )
        connection.execute(
            sa.text(
                "INSERT INTO records (id, source_id, original_identifier, content_hash, source_record, dataset, "
                "datajson, export_problems, issues, title, first_seen, last_changed, last_seen, withdrawn) "
                "SELECT 'r1', id, 'iso-1', 'h', x'00', :d, x'00', '{}', '[]', 'T', '2026-01-01 00:00:00', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 0 FROM sources WHERE name = 'plain'"
            ),
            {"d": '{"title": "T", "landingPage": "https://waf.example.gov/iso/one.xml"}'},
        )
        connection.execute(sa.text("UPDATE sources SET kind = 'iso' WHERE name = 'plain'"))
    engine.dispose()
    store = Store(url)
    store.migrate()
    basic, plain, socrata = store.list_sources()
    assert (basic.url, basic.credentials) == (
        "https://data.example.gov/data.json",
        {"headers": {}, "auth": "alice:pw/alice"},
    )
    assert socrata.url == "https://data.example.gov/api/catalog/v1?domains=x.gov"
    assert socrata.credentials == {"headers": {"X-App-Token": TOKEN}, "auth": None}
    assert (plain.url, plain.credentials) == ("https://data.example.gov/data.json", None)
    assert store.record_states(plain.id)["iso-1"].locator == "https://waf.example.gov/iso/one.xml"
    store.close()
