"""One Settings object, validated once, with errors that name the key and the value."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from catalog_api.cli import main
from catalog_api.settings import Settings


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUTMEG_DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("NUTMEG_HARVEST_ALLOWED_NETWORKS", "10.1.0.0/16, 192.168.5.7/32")
    monkeypatch.setenv("NUTMEG_DEFAULT_BUREAU_CODE", "015:11")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite:///x.db"
    assert settings.resolved_index_path == "x-index.db"
    assert settings.harvest_allowed_networks == ["10.1.0.0/16", "192.168.5.7/32"]
    assert settings.default_bureau_code == ["015:11"]
    assert len(settings.http_policy().allowed_networks) == 2


@pytest.mark.parametrize(
    ("key", "value", "mentions"),
    [
        ("database_url", "mysql://x", "mysql://x"),
        ("harvest_max_shrink", "1.5", "1.5"),
        ("harvest_allowed_networks", "not-a-network", "not-a-network"),
        ("base_url", "catalog.gov", "catalog.gov"),
        ("default_access_level", "open", "open"),
    ],
)
def test_bad_values_are_named(key: str, value: str, mentions: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, **{key: value})  # type: ignore[call-arg, arg-type]
    assert key in str(caught.value)
    assert mentions in str(caught.value)


def test_the_cli_reports_bad_configuration_with_a_next_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUTMEG_HARVEST_MAX_SHRINK", "2")
    result = CliRunner().invoke(main, ["source", "list"])
    assert result.exit_code == 1
    assert "NUTMEG_HARVEST_MAX_SHRINK=" in result.output
    assert "next:" in result.output


def test_a_bad_default_schedule_is_named() -> None:
    assert Settings(_env_file=None, schedule_default="PT12H").schedule_default == "PT12H"  # type: ignore[call-arg]
    assert Settings(_env_file=None, schedule_default="off").schedule_default == "off"  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="'often' is not a schedule"):
        Settings(_env_file=None, schedule_default="often")  # type: ignore[call-arg]
