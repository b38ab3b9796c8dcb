"""``nutmeg collection`` and ``nutmeg census`` through click's runner, on a store on disk harvested over
loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.catalog_api.test_cli import run
from tests.catalog_api.test_collections import FIRST, SECOND, catalog
from tests.support.httpserver import LoopbackServer, Route


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    monkeypatch.setenv("NUTMEG_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("NUTMEG_HARVEST_ALLOW_PRIVATE", "1")
    monkeypatch.chdir(tmp_path)
    with LoopbackServer() as server:
        server.route("/data.json", Route(body=json.dumps(catalog(FIRST)).encode()))
        assert run("source", "add", "state", server.url("/data.json"), "--no-check")[0] == 0
        assert run("harvest", "state")[0] == 0
        yield server


def counts() -> dict[str, int]:
    code, output = run("collection", "list", "--json")
    assert code == 0, output
    return {c["slug"]: c["datasets"] for c in json.loads(output)}


def test_collections_from_the_command_line_follow_harvests(served: LoopbackServer) -> None:
    assert run("org", "add", "health", "--title", "Health")[0] == 0
    code, output = run("collection", "add", "hhs", "--title", "HHS", "--filter", "keyword=health", "--owner", "health")
    assert code == 0, output
    assert "2 datasets" in output
    served.route("/data.json", Route(body=json.dumps(catalog(SECOND)).encode()))
    assert run("harvest", "state")[0] == 0
    assert counts() == {"hhs": 2}
    code, output = run("collection", "exclude", "hhs", "nope")
    assert code != 0
    assert "no dataset" in output
    assert "next:" in output
    code, output = run("collection", "add", "bad", "--title", "Bad", "--filter", "colour")
    assert code != 0
    assert "FACET=VALUE" in output
    assert run("collection", "update", "hhs", "--no-rule")[0] == 0
    assert counts() == {"hhs": 0}
    code, output = run("census", "--json")
    assert code == 0
    assert json.loads(output)["items_total"] >= 9
    assert run("collection", "remove", "hhs")[0] == 0
    assert counts() == {}


def test_help_on_every_collection_command() -> None:
    for command in ["add", "update", "list", "include", "exclude", "reset", "remove"]:
        code, output = run("collection", command, "--help")
        assert code == 0, command
        assert "Usage:" in output
    assert run("census", "--help")[0] == 0
