"""``nutmeg core`` and ``nutmeg usage`` through click's runner, on a store and index on disk that a
harvest filled first."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog_api.cli import main
from catalog_api.services import Services, build_services
from index.governance import NewOrganization, add_organization
from index.search.base import SearchQuery
from index.usage import add_counts
from tests.conftest import harvest_file, make_settings
from tests.support.httpserver import LoopbackServer


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http_server: LoopbackServer) -> list[str]:
    settings = make_settings(database_url=f"sqlite:///{tmp_path}/cli.db", index_path=None)
    services = build_services(settings)
    assert harvest_file(services, http_server, "datajson/catalog.data.gov-harvest-source.data.json").ok
    add_organization(services.store, NewOrganization("education", "Department of Education"), datetime.now(UTC))
    ids = sorted(r.id for r in services.store.iter_records(live=True))
    services.close()
    monkeypatch.setenv("NUTMEG_DATABASE_URL", settings.database_url)
    monkeypatch.chdir(tmp_path)
    return ids


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def opened(tmp_path: Path) -> Services:
    return build_services(make_settings(database_url=f"sqlite:///{tmp_path}/cli.db", index_path=None))


def test_help_on_every_command() -> None:
    for command in (["core"], ["core", "mark"], ["core", "unmark"], ["core", "list"], ["usage"], ["usage", "export"]):
        code, output = run(*command, "--help")
        assert code == 0, command
        assert "Usage:" in output


def test_mark_list_and_unmark_a_core_dataset(catalog: list[str], tmp_path: Path) -> None:
    code, output = run("core", "mark", catalog[0], "--used-by", "nobody")
    assert code != 0
    assert "next:" in output
    code, output = run("core", "mark", catalog[0], "--used-by", "education", "--note", "schools")
    assert code == 0, output
    assert "used by education" in " ".join(output.split())  # rich wraps long lines
    code, output = run("core", "list")
    assert catalog[0] in output
    services = opened(tmp_path)
    try:
        assert [h.id for h in services.index.search(SearchQuery(core=True)).hits] == [catalog[0]]
    finally:
        services.close()
    assert run("core", "unmark", catalog[0])[0] == 0
    code, output = run("core", "unmark", catalog[0])
    assert code != 0
    assert "not a core dataset" in output
    services = opened(tmp_path)
    try:
        assert services.index.search(SearchQuery(core=True)).total == 0
    finally:
        services.close()


def test_usage_export_and_refresh(catalog: list[str], tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    services = opened(tmp_path)
    try:
        add_counts(services.store, {(catalog[1], today, "view"): 5, (catalog[2], today, "download"): 2})
    finally:
        services.close()
    code, output = run("usage", "refresh")
    assert code == 0, output
    assert "2 datasets" in output
    services = opened(tmp_path)
    try:
        order = [h.id for h in services.index.search(SearchQuery(sort="popular", limit=2)).hits]
    finally:
        services.close()
    assert order == [catalog[1], catalog[2]]
    code, output = run("usage", "export")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "day,dataset_id,title,views,api,downloads"
    assert sorted(line.split(",")[1] for line in lines[1:]) == sorted([catalog[1], catalog[2]])
    assert run("usage", "export", "usage.csv", "--since", "2000-01-01", "--until", "2000-01-02")[0] == 0
    assert (tmp_path / "usage.csv").read_bytes() == b"day,dataset_id,title,views,api,downloads\r\n"
