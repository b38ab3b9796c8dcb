"""``nutmeg doctor`` on the default stack (SQLite + the embedded index); the engine stack is exercised with a
real node in test_engine_faults.py."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from catalog_api.cli import main
from catalog_api.doctor import compare, diagnose
from catalog_api.services import build_services
from tests.conftest import DATA, add_source, make_settings
from tests.support.httpserver import LoopbackServer, Route


def test_compare_names_missing_extra_and_stale() -> None:
    states = [("a", "h1", "h1", False), ("b", "h2", None, False), ("c", "h3", "h0", False), ("d", "h4", "h4", True)]
    diff = compare(states, {"a": "h1", "c": "h0", "d": "h4", "z": "h9"})
    assert (diff.live, diff.indexed) == (3, 4)
    assert (diff.missing, diff.extra, diff.stale) == (["b"], ["d", "z"], ["c"])
    assert not diff.ok
    assert compare(states[:1], {"a": "h1"}).ok


def test_doctor_finds_what_the_index_lacks(tmp_path: Path, http_server: LoopbackServer) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path}/s.db", index_path=str(tmp_path / "i.db"))
    services = build_services(settings)
    add_source(services, "cftc", http_server.route("/d.json", Route(body=DATA / "datajson/gsa-harvester-dcatus.json")))
    services.runner.harvest("cftc")
    assert [(f.name, f.ok) for f in diagnose(settings)] == [
        ("database", True),
        ("search", True),
        ("index vs store", True),
        ("harvest jobs", True),
        ("schedules", True),
    ]
    gone = next(services.store.iter_records()).id
    services.index.remove([gone])
    services.close()

    findings = diagnose(settings)
    assert [f.ok for f in findings] == [True, True, False, True, True]
    assert findings[2].summary.endswith("1 missing, 0 extra, 0 stale")
    assert findings[2].details == (f"missing from the index: {gone}",)
    assert "nutmeg reindex" in (findings[2].next_step or "")


def test_doctor_reports_an_unmigrated_store_and_migrate_fixes_it(tmp_path: Path) -> None:
    env = {"NUTMEG_DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db", "NUTMEG_INDEX_PATH": str(tmp_path / "i.db")}
    cli = CliRunner(env=env)
    before = cli.invoke(main, ["doctor"])
    assert before.exit_code == 1
    assert "schema at revision none" in before.output
    assert "nutmeg migrate" in before.output
    assert cli.invoke(main, ["migrate"]).exit_code == 0
    after = cli.invoke(main, ["doctor"])
    assert after.exit_code == 0, after.output
    assert "everything is in order" in after.output
