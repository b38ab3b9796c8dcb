"""docker-compose.yml and the Dockerfile stay in step with what Nutmeg reads and serves.

No container runs here (there is no Docker engine on the test machines): the files are read and every
value Nutmeg depends on is checked against the code — settings names and values, CLI commands, ports,
the health endpoint, the search URL the engine backend parses.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.cli import main
from catalog_api.settings import Settings
from index.search.engine import open_engine
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
NUTMEG_SERVICES = ("migrate", "api", "worker")
SECRETS = {
    "POSTGRES_PASSWORD": "pg-secret",
    "ELASTIC_PASSWORD": "es-secret",
    "NUTMEG_BASE_URL": "https://data.example.gov",
}


def interpolate(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, with the secrets an operator puts in .env."""

    def one(match: re.Match[str]) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if name in SECRETS:
            return SECRETS[name]
        assert op == ":-", f"${{{name}}} has no default and is not one of the documented .env values"
        return rest

    return re.sub(r"\$\{(\w+)(:-|:\?)?([^}]*)\}", one, value)


def nutmeg_env(service: str) -> dict[str, str]:
    return {k: interpolate(str(v)) for k, v in SERVICES[service]["environment"].items()}


def test_the_services() -> None:
    assert set(SERVICES) == {"postgres", "elasticsearch", "migrate", "api", "worker"}
    for name in ("postgres", "elasticsearch", "api", "worker"):
        assert "healthcheck" in SERVICES[name], name
        assert SERVICES[name]["restart"] == "unless-stopped"
    assert set(COMPOSE["volumes"]) == {"pgdata", "esdata"}
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    assert "esdata:/usr/share/elasticsearch/data" in SERVICES["elasticsearch"]["volumes"]


@pytest.mark.parametrize("service", NUTMEG_SERVICES)
def test_every_variable_is_a_setting_and_validates(service: str) -> None:
    env = nutmeg_env(service)
    fields = {f"NUTMEG_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= fields, set(env) - fields
    values = {k.removeprefix("NUTMEG_").lower(): v for k, v in env.items()}
    settings = make_settings(**values)
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.search_url
    assert settings.base_url == "https://data.example.gov"


def test_the_store_url_matches_the_postgres_service() -> None:
    url = urllib.parse.urlsplit(nutmeg_env("api")["NUTMEG_DATABASE_URL"])
    postgres = {k: interpolate(str(v)) for k, v in SERVICES["postgres"]["environment"].items()}
    assert url.hostname == "postgres"
    assert url.port == 5432
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == postgres["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == postgres["POSTGRES_DB"]


def test_the_search_url_matches_the_elasticsearch_service() -> None:
    env = nutmeg_env("api")
    url = urllib.parse.urlsplit(env["NUTMEG_SEARCH_URL"])
    elastic = {k: interpolate(str(v)) for k, v in SERVICES["elasticsearch"]["environment"].items()}
    assert (url.scheme, url.hostname, url.port) == ("http", "elasticsearch", 9200)
    assert (url.username, url.password) == ("elastic", elastic["ELASTIC_PASSWORD"])
    # security on, with the TLS choice the comment explains (HTTP stays inside the compose network)
    assert elastic["xpack.security.enabled"] == "true"
    assert elastic["xpack.security.http.ssl.enabled"] == "false"
    assert "ports" not in SERVICES["elasticsearch"]
    assert elastic["discovery.type"] == "single-node"
    major = int(SERVICES["elasticsearch"]["image"].rsplit(":", 1)[1].split(".")[0])
    assert major in (8, 9)  # what the engine backend supports
    backend = open_engine(env["NUTMEG_SEARCH_URL"], env["NUTMEG_SEARCH_INDEX"])
    assert backend.alias == "nutmeg-datasets"


def test_the_same_environment_everywhere() -> None:
    assert nutmeg_env("api") == nutmeg_env("worker") == nutmeg_env("migrate")


@pytest.mark.parametrize("service", NUTMEG_SERVICES)
def test_commands_are_real_cli_commands(service: str) -> None:
    command = SERVICES[service]["command"]
    assert command[0] == "nutmeg"
    assert command[1] in main.commands, command
    context = main.commands[command[1]].make_context(command[1], list(command[2:]))
    assert context.params is not None


def test_the_api_port_workers_and_order_of_start() -> None:
    api = SERVICES["api"]
    command = api["command"]
    port = command[command.index("--port") + 1]
    assert api["ports"] == [f"{port}:{port}"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert int(command[command.index("--workers") + 1]) > 1
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert api["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["worker"]["command"] == ["nutmeg", "worker"]
    assert f"127.0.0.1:{port}/healthz" in " ".join(api["healthcheck"]["test"])


def test_the_health_endpoint_the_checks_call_exists() -> None:
    with TestClient(create_app(make_settings())) as client:
        assert client.get("/healthz").status_code == 200


def test_the_dockerfile_builds_what_compose_runs() -> None:
    text = (ROOT / "Dockerfile").read_text("utf-8")
    assert '".[postgres,elasticsearch]"' in text
    assert re.search(r"^EXPOSE 8000$", text, flags=re.MULTILINE)
    assert "/healthz" in text
    cmd = re.search(r"^CMD (\[.*\])$", text, flags=re.MULTILINE)
    assert cmd is not None
    assert yaml.safe_load(cmd.group(1)) == SERVICES["api"]["command"]
    for package in ("catalog_api", "harvesters", "mappings", "index"):
        assert f"COPY {package} {package}" in text
    assert "USER nutmeg" in text
    assert SERVICES["migrate"]["build"] == "."
    assert SERVICES["migrate"]["image"] == SERVICES["api"]["image"]
