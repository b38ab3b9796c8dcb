"""``nutmeg source list`` on SQLite reads through the standard library (index/sqlite_reader.py): the same
rows and the same output as through SQLAlchemy, the usual way whenever the light one cannot be taken,
and none of the heavy libraries imported."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import JSON, Boolean

import catalog_api.cli
import index.sqlite_reader
from catalog_api.cli import main
from index.governance import update_source
from index.schedules import record_run
from index.sqlite_reader import SqliteReader, open_reader, sqlite_path
from index.store import ErrorRow, JobOutcome, NewSource, RecordWrite, Store
from index.tables import UTCDateTime, harvest_jobs, sources

NOW = datetime.now(UTC).replace(microsecond=123456)
DAY = timedelta(days=1)
ROOT = Path(__file__).resolve().parents[2]


def _record(source_id: int, key: str) -> RecordWrite:
    return RecordWrite(key, source_id, key, "hash-" + key, b"{}", {"title": key}, b"{}", {}, [], key, None)


def _job(store: Store, source_id: int, started: datetime, status: str, message: str | None = None) -> int:
    job = store.start_job(source_id, started, owner="node/pid:1")
    if status != "running":
        store.finish_job(job, JobOutcome(status, message, listed=3, new=2, updated=1, stats={"ms": 1.5}), started)
    return job


def _fill(store: Store) -> None:
    """Sources in every state: never harvested, succeeded, failing with backoff, running, disabled, cron
    and ISO schedules (anchored too), options and credentials."""
    add = store.add_source
    add(NewSource("never", "datajson", "https://a.example.gov/data.json", schedule="30 2 * * *"), NOW - DAY)
    fine = add(NewSource("fine", "ckan", "https://b.example.gov/", schedule="PT6H", options={"rows": 50}), NOW)
    failing = add(NewSource("failing", "dcat", "https://c.example.gov/c.ttl", schedule="15 3 * * 1-5"), NOW)
    running = add(NewSource("running", "datajson", "https://d.example.gov/data.json", federal=True), NOW)
    add(NewSource("off", "datajson", "https://e.example.gov/data.json", title="Off", publisher="E"), NOW)
    token = {"headers": {"X-App-Token": "env:T"}}
    add(
        NewSource(
            "anchored", "socrata", "https://f.example.gov/", schedule="R/2030-01-01T02:00:00Z/P1D", credentials=token
        ),
        NOW,
    )
    store.write_records([_record(fine.id, "r1"), _record(fine.id, "r2"), _record(fine.id, "r3")], [], NOW)
    store.withdraw_missing(fine.id, {"r1", "r2"}, NOW)
    _job(store, fine.id, NOW - 2 * DAY, "failed", "HTTP 500")
    _job(store, fine.id, NOW - DAY, "succeeded")
    store.save_harvest_state(fine.id, last_success_at=NOW - DAY, last_full_harvest_at=NOW - DAY, last_job_at=NOW - DAY)
    record_run(store, fine.id, NOW + 5 * DAY, 0)
    for n in range(3):
        last = _job(store, failing.id, NOW - (3 - n) * DAY, "failed", f"attempt {n}: timed out")
    store.add_errors([ErrorRow(last, failing.id, None, "x-1", "$.title", "missing", "error", "required")] * 2)
    store.save_harvest_state(failing.id, last_job_at=NOW - DAY)
    record_run(store, failing.id, NOW + 4 * DAY, 3)
    _job(store, running.id, NOW - timedelta(minutes=5), "running")
    update_source(store, "off", enabled=False)


@pytest.fixture
def filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Store, str]]:
    url = f"sqlite:///{tmp_path}/light.db"
    store = Store(url)
    store.migrate()
    _fill(store)
    monkeypatch.setenv("NUTMEG_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    yield store, url
    store.close()


def _reader(url: str) -> SqliteReader:
    reader = open_reader(url)
    assert reader is not None
    return reader


def test_the_light_reader_returns_the_stores_own_rows(filled: tuple[Store, str]) -> None:
    store, url = filled
    reader = _reader(url)
    try:
        assert reader.list_sources() == store.list_sources()
        assert len(reader.list_sources()) == 6
        assert reader.live_count() == store.live_count() == 2
        for row in store.list_sources():
            assert reader.list_jobs(row.id) == store.list_jobs(row.id)
            assert reader.list_jobs(row.id, limit=1, offset=1) == store.list_jobs(row.id, limit=1, offset=1)
            assert reader.live_count(row.id) == store.live_count(row.id)
            for status in ("failed", "succeeded", "running"):
                assert reader.last_job_with_status(row.id, status) == store.last_job_with_status(row.id, status)
            for job in store.list_jobs(row.id):
                assert reader.error_count(job.id) == store.error_count(job.id)
        failing = next(r for r in reader.list_sources() if r.name == "failing")
        assert failing.next_run_at is not None
        assert failing.next_run_at.tzinfo is UTC
        assert reader.error_count(reader.list_jobs(failing.id)[0].id) == 2
    finally:
        reader.close()


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def test_source_list_prints_the_same_either_way(filled: tuple[Store, str], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_store(*_args: object) -> object:
        raise AssertionError("the light path opened the store through SQLAlchemy")

    with monkeypatch.context() as patched:
        patched.setattr(catalog_api.cli, "opened_store", no_store)
        light = [_cli("source", "list", "--json"), _cli("source", "list")]
    monkeypatch.setattr(index.sqlite_reader, "open_reader", lambda _url: None)
    usual = [_cli("source", "list", "--json"), _cli("source", "list")]
    assert light == usual
    by_name = {item["name"]: item for item in json.loads(light[0])}
    assert set(by_name) == {"anchored", "failing", "fine", "never", "off", "running"}
    assert (by_name["never"]["status"], by_name["never"]["next_run"]) == (None, "due now")
    assert by_name["fine"]["datasets"] == 2
    assert by_name["fine"]["last_failure"]["message"] == "HTTP 500"
    assert by_name["failing"]["failing"] is True
    assert by_name["failing"]["last_job"]["record_errors"] == 2
    assert by_name["failing"]["next_run_at"] == (NOW + 4 * DAY).isoformat()
    assert by_name["running"]["status"] == "running"
    assert by_name["off"]["next_run"] == "disabled"
    assert by_name["anchored"]["next_run_at"] == "2030-01-01T02:00:00+00:00"
    assert "FAILING" in light[1]


def test_a_store_that_needs_migrating_goes_the_usual_way(filled: tuple[Store, str], tmp_path: Path) -> None:
    _store, url = filled
    with closing(sqlite3.connect(tmp_path / "light.db", isolation_level=None)) as connection:
        connection.execute("update alembic_version set version_num = '0001'")
    assert open_reader(url) is None
    with closing(sqlite3.connect(tmp_path / "light.db", isolation_level=None)) as connection:
        connection.execute("drop table alembic_version")
    assert open_reader(url) is None


def test_stores_the_light_reader_leaves_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for url in (
        "postgresql+psycopg://nutmeg@127.0.0.1/nutmeg",
        "sqlite://",
        "sqlite:///:memory:",
        f"sqlite:///{tmp_path}/light.db?timeout=5",
        f"sqlite:///{tmp_path}/missing.db",
    ):
        assert open_reader(url) is None, url
    (tmp_path / "empty.db").touch()
    assert open_reader(f"sqlite:///{tmp_path}/empty.db") is None
    assert sqlite_path("sqlite:///relative/nutmeg.db") == Path("relative/nutmeg.db")
    assert sqlite_path("sqlite+pysqlite:////abs/nutmeg.db") == Path("/abs/nutmeg.db")
    monkeypatch.setenv("NUTMEG_DATABASE_URL", f"sqlite:///{tmp_path}/new.db")
    monkeypatch.chdir(tmp_path)
    assert "no sources yet" in _cli("source", "list")  # missing: created and migrated, as before
    assert open_reader(f"sqlite:///{tmp_path}/new.db") is not None  # … and light from then on


def test_the_reader_converts_every_typed_column() -> None:
    """Each UTC datetime, JSON and boolean column of the tables it reads is converted like SQLAlchemy would
    (a column added later must be added to the reader too)."""
    columns = [*sources.columns, *harvest_jobs.columns]
    kinds = {"datetimes": UTCDateTime, "json": JSON, "booleans": Boolean}
    for attribute, kind in kinds.items():
        expected = {c.name for c in columns if isinstance(c.type, kind)}
        known = getattr(index.sqlite_reader, f"_{attribute.upper()}")
        assert known == expected, attribute


def test_source_list_and_migrate_import_no_heavy_library(filled: tuple[Store, str], tmp_path: Path) -> None:
    _store, url = filled
    script = (
        "import sys\nfrom catalog_api.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "heavy = ('sqlalchemy', 'alembic', 'httpx', 'rdflib', 'fastapi', 'mappings', 'jsonschema', 'numpy')\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))) or '-', file=sys.stderr)"
    )
    env = {**os.environ, "NUTMEG_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    for args, says in (
        (["source", "list"], "never"),
        (["source", "list", "--json"], "never"),
        (["migrate"], "up to date"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", script, *args], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
        )
        assert says in done.stdout
        assert done.stderr.strip().splitlines()[-1] == "-", done.stderr
