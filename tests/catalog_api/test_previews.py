"""Data previews over real HTTP on loopback: real CSV, XLSX, JSON and GeoJSON files profiled by
frictionless; broken, hostile, oversized and slow ones stored as failures with their reason; files fetched
again only when they changed; the API's shape and its 404s; ``nutmeg check previews``."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.cli import main
from catalog_api.previews import PreviewReport, previews_after_harvest, run_previews
from catalog_api.services import Services, build_services
from catalog_api.settings import Settings
from index.previews import PreviewRow, get_preview, remove_previews
from tests.conftest import DATA, add_source, make_settings
from tests.support.httpserver import LoopbackServer, Route

CSV = DATA / "previews" / "worldbank-top-economies-gdp.csv"
XLSX = DATA / "previews" / "worldbank-top-economies-gdp.xlsx"
BIKES = DATA / "socrata" / "sodapy-resource-bike_counts_page_1.json"
WORK_ZONE = DATA / "feeds" / "wzdx-scenario2_laneshift_linestring_example.geojson"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GDP_COLUMNS = [
    {"name": "country", "type": "string"},
    {"name": "year", "type": "integer"},
    {"name": "gdp_trillion", "type": "number"},
]


def preview_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"preview_allow_private": True, "preview_max_seconds": 5.0, "preview_rows": 5}
    return make_settings(**{**values, **overrides})


@pytest.fixture
def built() -> Iterator[Services]:
    services = build_services(preview_settings())
    yield services
    services.close()


def publish(services: Services, server: LoopbackServer, distributions: list[dict[str, Any]], name: str = "src") -> str:
    """Harvest a one-dataset catalog listing ``distributions``; the dataset's record id."""
    dataset = {
        "identifier": f"{name}-data",
        "title": f"Data of {name}",
        "description": "Files to preview.",
        "keyword": ["test"],
        "modified": "2026-11-01",
        "publisher": {"name": "Test Agency"},
        "contactPoint": {"fn": "Data team", "hasEmail": "mailto:data@example.gov"},
        "accessLevel": "public",
        "distribution": distributions,
    }
    body = json.dumps({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [dataset]})
    url = server.route(f"/{name}/data.json", Route(body=body.encode()))
    if name not in {s.name for s in services.store.list_sources()}:
        add_source(services, name, url)
    services.runner.harvest(name)
    record = next(services.store.iter_records(source_id=services.store.get_source(name).id))
    return record.id


def serve(server: LoopbackServer, path: str, body: bytes | Path, content_type: str, **route: Any) -> str:
    return server.route(path, Route(body=body, content_type=content_type, **route))


def run(services: Services, **overrides: Any) -> PreviewReport:
    settings = services.settings.model_copy(update=overrides) if overrides else services.settings
    return run_previews(services.store, settings)


def preview(services: Services, record_id: str, position: int) -> PreviewRow:
    found = get_preview(services.store, record_id, position)
    assert found is not None
    return found


# -- real files ------------------------------------------------------------------------------------


def test_real_files_are_profiled(built: Services, http_server: LoopbackServer) -> None:
    tsv = CSV.read_bytes().replace(b",", b"\t")
    record = publish(
        built,
        http_server,
        [
            {"downloadURL": serve(http_server, "/gdp.csv", CSV, "text/csv"), "mediaType": "text/csv"},
            {"downloadURL": serve(http_server, "/gdp.xlsx", XLSX, XLSX_TYPE), "mediaType": XLSX_TYPE},
            {"downloadURL": serve(http_server, "/bikes", BIKES, "application/json"), "format": "JSON"},
            {"downloadURL": serve(http_server, "/zones.geojson", WORK_ZONE, "application/geo+json")},
            {"downloadURL": serve(http_server, "/gdp.tsv", tsv, "text/tab-separated-values")},
            {"downloadURL": serve(http_server, "/report.pdf", b"%PDF-1.4", "application/pdf"), "format": "PDF"},
        ],
    )
    report = run(built)
    assert (report.total, report.fetched, report.failed) == (5, 5, 0)
    for position, kind in ((0, "csv"), (1, "xlsx"), (4, "tsv")):
        found = preview(built, record, position)
        assert (found.status, found.kind, found.columns) == ("ok", kind, GDP_COLUMNS), found
        assert found.row_count == 230  # every data line of the file
        assert found.rows[0] == ["United States", 2000, 10.251]
        assert len(found.rows) == 5
        assert found.errors == []
    assert preview(built, record, 0).encoding == "utf-8"
    assert preview(built, record, 1).encoding is None

    bikes = preview(built, record, 2)
    items = json.loads(BIKES.read_bytes())
    assert bikes.kind == "json"
    assert bikes.row_count == len(items)
    assert [c["name"] for c in bikes.columns] == list(items[0])
    assert {c["name"]: c["type"] for c in bikes.columns}["counts"] == "integer"  # "100" in the file
    assert bikes.rows[0][0] == int(items[0]["id"])

    zones = preview(built, record, 3)
    features = json.loads(WORK_ZONE.read_bytes())["features"]
    assert zones.kind == "geojson"
    assert zones.row_count == len(features)
    names = [c["name"] for c in zones.columns]
    assert names[-1] == "geometry_type"
    assert names[:-1] == list(features[0]["properties"])
    assert zones.rows[0][-1] == features[0]["geometry"]["type"]
    assert get_preview(built.store, record, 5) is None  # a PDF is not previewed


def test_the_api_answers_the_preview(built: Services, http_server: LoopbackServer) -> None:
    record = publish(
        built,
        http_server,
        [
            {"downloadURL": serve(http_server, "/gdp.csv", CSV, "text/csv"), "mediaType": "text/csv"},
            {"downloadURL": serve(http_server, "/report.pdf", b"%PDF-1.4", "application/pdf"), "format": "PDF"},
            {"downloadURL": serve(http_server, "/later.csv", CSV, "text/csv"), "format": "CSV"},
        ],
    )
    run(built)
    with TestClient(create_app(built.settings, built), raise_server_exceptions=False) as client:
        body = client.get(f"/api/v1/datasets/{record}/distributions/0/preview").json()
        assert body["columns"] == GDP_COLUMNS
        assert body["rows"][0] == ["United States", 2000, 10.251]
        assert body["row_count"] == 230
        assert body["errors"] == []
        assert body["encoding"] == "utf-8"
        assert body["fetched_at"]
        assert (body["status"], body["format"], body["truncated"]) == ("ok", "csv", False)

        def error(path: str, status: int = 404) -> dict[str, str]:
            response = client.get(path)
            assert response.status_code == status, response.text
            found: dict[str, str] = response.json()["error"]
            assert set(found) == {"code", "message"}
            return found

        assert error("/api/v1/datasets/nope/distributions/0/preview")["code"] == "not_found"
        out_of_range = error(f"/api/v1/datasets/{record}/distributions/3/preview")
        assert out_of_range["code"] == "not_found"
        assert "distributions 0 to 2" in out_of_range["message"]
        pdf = error(f"/api/v1/datasets/{record}/distributions/1/preview")
        assert pdf["code"] == "not_previewable"
        assert "PDF" in pdf["message"]
        remove_previews(built.store, record, keep=[0])
        pending = error(f"/api/v1/datasets/{record}/distributions/2/preview")
        assert pending["code"] == "preview_pending"
        assert "nutmeg check previews" in pending["message"]
        assert error(f"/api/v1/datasets/{record}/distributions/-1/preview", 400)["code"] == "bad_parameter"


# -- broken, hostile, oversized, slow --------------------------------------------------------------


def zip_bomb() -> bytes:
    """A ZIP shaped like a workbook whose sheet unpacks to 40 MB from a few dozen KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<sheetData>" + b" " * (40 << 20) + b"</sheetData>")
    return buffer.getvalue()


def test_broken_files_are_stored_with_their_reason(built: Services, http_server: LoopbackServer) -> None:
    ragged = CSV.read_bytes() + b"Atlantis,not a year,1.5\nFrance,2024\nItaly,2024,2.3,extra\n"
    html = (DATA / "html" / "extruct-CreativeWork.001.html").read_bytes()
    files: list[tuple[str, bytes | Path, str, dict[str, Any]]] = [
        ("/ragged.csv", ragged, "text/csv", {}),
        ("/cut.xlsx", XLSX.read_bytes()[:4000], XLSX_TYPE, {}),
        ("/bad.json", DATA / "datajson" / "pod-dashboard-baddata.json", "application/json", {}),
        ("/page.csv", html, "text/csv", {}),
        ("/login.csv", html, "text/html", {}),
        ("/bomb.xlsx", zip_bomb(), XLSX_TYPE, {}),
        ("/old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, XLSX_TYPE, {}),
        ("/gone.csv", b"", "text/csv", {"status": 404}),
        ("/values.json", b"[1, 2, 3]", "application/json", {}),
        ("/binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/csv", {}),
    ]
    record = publish(built, http_server, [{"downloadURL": serve(http_server, p, b, t, **r)} for p, b, t, r in files])
    report = run(built, preview_max_unpacked_bytes=5 << 20)
    assert (report.total, report.fetched, report.failed) == (10, 1, 9)

    ragged_preview = preview(built, record, 0)
    assert ragged_preview.status == "ok"
    assert ragged_preview.row_count == 233
    kinds = {(e["type"], e["row"]) for e in ragged_preview.errors}
    assert kinds == {("type-error", 232), ("missing-cell", 233), ("extra-cell", 234)}
    assert ragged_preview.error_count == 3

    expected = {
        1: ("format", "damaged or incomplete ZIP archive"),
        2: ("format", "not valid JSON"),
        3: ("html", "web page (HTML), not CSV"),
        4: ("html", "web page (HTML)"),
        5: ("too-large", "would unpack to 41,943,0"),
        6: ("format", "old Excel 97-2003 (.xls)"),
        7: ("fetch", "HTTP 404"),
        8: ("format", "values, not of records"),
        9: ("format", "binary data, not CSV"),
    }
    for position, (code, words) in expected.items():
        found = preview(built, record, position)
        assert found.status == "failed", (position, found)
        assert found.errors[0]["type"] == code, (position, found.errors)
        assert found.message is not None
        assert words in found.message, (position, found.message)
        assert found.rows == []


def test_a_wrong_charset_is_read_right_and_reported(built: Services, http_server: LoopbackServer) -> None:
    body = "city,population\nBogotá,7901653\nSão Paulo,11451245\n".encode("cp1252")
    url = serve(http_server, "/cities.csv", body, "text/csv; charset=utf-8")
    record = publish(built, http_server, [{"downloadURL": url}])
    run(built)
    found = preview(built, record, 0)
    assert (found.status, found.encoding) == ("ok", "cp1252")
    assert found.rows[:2] == [["Bogotá", 7901653], ["São Paulo", 11451245]]
    assert found.errors[0]["type"] == "charset"
    assert "declares charset utf-8" in found.errors[0]["message"]


def test_an_oversized_file_is_cut_at_the_cap_and_says_so(built: Services, http_server: LoopbackServer) -> None:
    csv_url = serve(http_server, "/gdp.csv", CSV, "text/csv")
    json_url = serve(http_server, "/bikes.json", BIKES, "application/json")
    xlsx_url = serve(http_server, "/gdp.xlsx", XLSX, XLSX_TYPE)
    record = publish(built, http_server, [{"downloadURL": u} for u in (csv_url, json_url, xlsx_url)])
    run(built, preview_max_bytes=2048)
    cut = preview(built, record, 0)
    assert (cut.status, cut.truncated, cut.bytes) == ("ok", True, 2048)
    lines = CSV.read_bytes()[:2048].count(b"\n")
    assert cut.row_count == lines - 1  # the whole lines within the cap, less the header
    assert cut.errors == []  # the cut line is dropped, not reported as a broken row
    bikes = preview(built, record, 1)
    assert (bikes.status, bikes.truncated) == ("ok", True)
    assert 0 < (bikes.row_count or 0) < len(json.loads(BIKES.read_bytes()))
    workbook = preview(built, record, 2)
    assert workbook.status == "failed"
    assert "cannot be previewed in part" in (workbook.message or "")  # refused from its Content-Length


def test_a_slow_file_stops_at_the_time_limit(built: Services, http_server: LoopbackServer) -> None:
    url = serve(http_server, "/slow.csv", CSV.read_bytes() * 4, "text/csv", chunk_delay=0.4)
    record = publish(built, http_server, [{"downloadURL": url}])
    run(built, preview_max_seconds=1.0)
    found = preview(built, record, 0)
    assert found.status == "failed"
    assert "NUTMEG_PREVIEW_MAX_SECONDS" in (found.message or "")


def test_loopback_is_refused_unless_the_operator_allows_it(http_server: LoopbackServer) -> None:
    services = build_services(preview_settings(preview_allow_private=False))
    try:
        record = publish(services, http_server, [{"downloadURL": serve(http_server, "/gdp.csv", CSV, "text/csv")}])
        run(services)
        found = preview(services, record, 0)
        assert found.status == "failed"
        assert found.message == (
            "127.0.0.1 (or a host it redirects to) is not a public address; previews of private addresses are off "
            "(NUTMEG_PREVIEW_ALLOW_PRIVATE)"
        )  # the addresses a name resolved to are never shown
        assert not http_server.seen("/gdp.csv")
    finally:
        services.close()


# -- fetched once ------------------------------------------------------------------------------------


def test_a_file_is_fetched_again_only_when_it_changed(built: Services, http_server: LoopbackServer) -> None:
    url = serve(http_server, "/gdp.csv", CSV, "text/csv")
    record = publish(built, http_server, [{"downloadURL": url}])
    assert run(built).fetched == 1
    first = preview(built, record, 0)
    again = run(built)
    assert (again.fetched, again.unchanged) == (0, 1)
    conditional = http_server.seen("/gdp.csv")[-1].headers
    assert conditional.get("If-None-Match") == first.etag
    assert preview(built, record, 0).fetched_at == first.fetched_at

    serve(http_server, "/gdp.csv", CSV.read_bytes() + b"Canada,2024,2.2\n", "text/csv")
    assert run(built).fetched == 1
    assert preview(built, record, 0).row_count == 231

    http_server.route("/gdp.csv", Route(status=500, fail_times=10))  # the server breaks: the preview stays
    kept = run(built, harvest_retries=0)
    assert kept.failed == 1
    found = preview(built, record, 0)
    assert (found.status, found.row_count) == ("ok", 231)
    assert "the last check failed" in (found.message or "")


def test_previews_of_removed_distributions_are_dropped(built: Services, http_server: LoopbackServer) -> None:
    csv_url = serve(http_server, "/gdp.csv", CSV, "text/csv")
    json_url = serve(http_server, "/bikes.json", BIKES, "application/json")
    record = publish(built, http_server, [{"downloadURL": csv_url}, {"downloadURL": json_url}])
    run(built)
    assert get_preview(built.store, record, 1) is not None
    publish(built, http_server, [{"downloadURL": csv_url}])
    assert run(built).removed == 1
    assert get_preview(built.store, record, 1) is None


def test_frictionless_never_opens_a_connection_or_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import socket
    import time

    from harvesters.profiling import Limits, profile_file

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("frictionless tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.chdir(tmp_path)
    limits = Limits(5, 100 << 20, time.monotonic() + 30)
    for path, kind in ((CSV, "csv"), (XLSX, "xlsx"), (BIKES, "json"), (WORK_ZONE, "json")):
        assert profile_file(path.read_bytes(), kind, charset=None, truncated=False, limits=limits).row_count
    assert list(tmp_path.iterdir()) == []


# -- the command -------------------------------------------------------------------------------------


def test_nutmeg_check_previews(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http_server: LoopbackServer) -> None:
    settings = preview_settings(database_url=f"sqlite:///{tmp_path}/cli.db", index_path=None)
    services = build_services(settings)
    try:
        record = publish(services, http_server, [{"downloadURL": serve(http_server, "/gdp.csv", CSV, "text/csv")}])
    finally:
        services.close()
    monkeypatch.setenv("NUTMEG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("NUTMEG_PREVIEW_ALLOW_PRIVATE", "1")
    result = CliRunner().invoke(main, ["check", "previews", "--source", "src"])
    assert result.exit_code == 0, result.output
    assert "1 data file(s)" in result.output
    assert "fetched 1" in result.output
    missing = CliRunner().invoke(main, ["check", "previews", "--source", "nope"])
    assert missing.exit_code != 0
    assert "no source named 'nope'" in missing.output
    assert "next: see `nutmeg source list`" in missing.output
    reopened = build_services(settings)
    try:
        assert preview(reopened, record, 0).row_count == 230
    finally:
        reopened.close()


def test_the_worker_step_previews_the_source_it_harvested(built: Services, http_server: LoopbackServer) -> None:
    record = publish(built, http_server, [{"downloadURL": serve(http_server, "/gdp.csv", CSV, "text/csv")}])
    report = built.runner.harvest("src")
    previews_after_harvest(built, report)
    assert preview(built, record, 0).row_count == 230
    assert len(http_server.seen("/gdp.csv")) == 1
    http_server.route("/src/data.json", Route(status=404))
    failed = built.runner.harvest("src")
    assert not failed.ok
    previews_after_harvest(built, failed)
    assert len(http_server.seen("/gdp.csv")) == 1  # a failed harvest: no file is fetched


def test_json_that_breaks_off_keeps_the_records_before(built: Services, http_server: LoopbackServer) -> None:
    items = json.loads(BIKES.read_bytes())  # 1,000 records
    broken = json.dumps(items).encode()[:-2] + b", {oops}]"
    record = publish(built, http_server, [{"downloadURL": serve(http_server, "/b.json", broken, "application/json")}])
    run(built)
    found = preview(built, record, 0)
    assert found.status == "ok"
    assert found.row_count == len(items) - 1  # the record cut short by the break is not counted
    message = f"the JSON syntax breaks after record {len(items) - 1:,}; the records before it are read"
    assert found.errors[-1]["message"] == message


def test_one_endless_line_is_not_a_table(built: Services, http_server: LoopbackServer) -> None:
    record = publish(built, http_server, [{"downloadURL": serve(http_server, "/wide.csv", b"a," * 5000, "text/csv")}])
    run(built)
    found = preview(built, record, 0)
    assert found.status == "failed"
    assert found.message == "5,001 columns, over the 500 previewed"


def test_the_worker_previews_what_it_harvested(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http_server: LoopbackServer
) -> None:
    distribution = {"downloadURL": serve(http_server, "/gdp.csv", CSV, "text/csv"), "mediaType": "text/csv"}
    dataset = {"identifier": "gdp", "title": "GDP", "description": "d", "distribution": [distribution]}
    url = http_server.route("/data.json", Route(body=json.dumps({"dataset": [dataset]}).encode()))
    for key, value in {
        "NUTMEG_DATABASE_URL": f"sqlite:///{tmp_path}/worker.db",
        "NUTMEG_HARVEST_ALLOW_PRIVATE": "1",
        "NUTMEG_PREVIEW_ALLOW_PRIVATE": "1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    added = CliRunner().invoke(main, ["source", "add", "due", url, "--schedule", "PT6H", "--no-check"])
    assert added.exit_code == 0, added.output
    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert len(http_server.seen("/gdp.csv")) == 1  # the worker previewed the file of the source it harvested
    services = build_services(Settings(_env_file=None))  # type: ignore[call-arg]
    try:
        record = next(services.store.iter_records())
        assert preview(services, record.id, 0).row_count == 230
    finally:
        services.close()
