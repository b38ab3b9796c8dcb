"""Bad input never costs what was harvested before: not JSON, wrong types, deep nesting, other
encodings, bodies larger than the cap — each a clear job or per-record error in bounded memory."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psutil
import pytest

from catalog_api.services import Services, build_services
from tests.conftest import DATA, add_source, make_settings
from tests.support.httpserver import LoopbackServer, Route

HOSTILE = DATA / "hostile"
V11 = "https://project-open-data.cio.gov/v1.1/schema"


def harvest_body(services: Services, server: LoopbackServer, route: Route, name: str = "src") -> object:
    add_source(services, name, server.route(f"/{name}.json", route))
    return services.runner.harvest(name)


@pytest.mark.parametrize(
    "name",
    [p.name for p in sorted(HOSTILE.glob("jsontestsuite-n_*.json"))],
)
def test_json_the_spec_rejects_fails_the_job(services: Services, http_server: LoopbackServer, name: str) -> None:
    report = harvest_body(services, http_server, Route(body=HOSTILE / name))
    assert report.status == "failed"  # type: ignore[attr-defined]
    message = report.message or ""  # type: ignore[attr-defined]
    assert "JSON" in message or "empty body" in message or "nested deeper" in message
    assert "nothing was withdrawn" in message


def test_utf16_with_bom_is_read(services: Services, http_server: LoopbackServer) -> None:
    body = json.dumps({"conformsTo": V11, "dataset": [{"identifier": "x", "title": "Café"}]}).encode("utf-16")
    report = harvest_body(services, http_server, Route(body=body))
    assert (report.status, report.new) == ("succeeded", 1)  # type: ignore[attr-defined]
    assert next(services.store.iter_records()).title == "Café"


def test_utf8_bom_is_read(services: Services, http_server: LoopbackServer) -> None:
    body = b"\xef\xbb\xbf" + json.dumps({"dataset": [{"identifier": "x", "title": "y"}]}).encode()
    assert harvest_body(services, http_server, Route(body=body)).new == 1  # type: ignore[attr-defined]


def test_declared_latin1_is_transcoded(services: Services, http_server: LoopbackServer) -> None:
    body = json.dumps({"dataset": [{"identifier": "x", "title": "Caf\u00e9"}]}, ensure_ascii=False).encode("latin-1")
    route = Route(body=body, content_type="application/json; charset=ISO-8859-1")
    assert harvest_body(services, http_server, route).new == 1  # type: ignore[attr-defined]
    assert next(services.store.iter_records()).title == "Café"


def test_undeclared_non_utf8_is_a_clear_failure(services: Services, http_server: LoopbackServer) -> None:
    body = json.dumps({"dataset": [{"identifier": "x", "title": "Caf\u00e9"}]}, ensure_ascii=False).encode("latin-1")
    report = harvest_body(services, http_server, Route(body=body))
    assert report.status == "failed"  # type: ignore[attr-defined]
    assert "not valid UTF-8" in (report.message or "")  # type: ignore[attr-defined]


def test_wrong_types_are_per_record(services: Services, http_server: LoopbackServer) -> None:
    records = [
        "a string, not a dataset",
        42,
        {"identifier": ["a", "list"], "title": "identifier is a list"},
        {"identifier": "ok-1", "title": "Fine", "keyword": "not-a-list", "distribution": "nope", "publisher": 7},
        {"identifier": "ok-2", "title": 12345, "description": {"nested": True}, "modified": ["2020"]},
        {"identifier": "ok-3", "title": "Good", "description": "Fine too."},
    ]
    report = harvest_body(
        services, http_server, Route(body=json.dumps({"conformsTo": V11, "dataset": records}).encode())
    )
    assert report.status == "succeeded"  # type: ignore[attr-defined]
    assert (report.new, report.skipped) == (3, 3)  # type: ignore[attr-defined]
    stored = {r.original_identifier: r for r in services.store.iter_records()}
    assert stored["ok-2"].title == "12345"
    assert {i["path"] for i in stored["ok-1"].issues if i["code"] == "schema"} >= {
        "keyword",
        "distribution",
        "publisher",
    }
    _, errors = services.store.list_errors(job_id=report.job_id)  # type: ignore[attr-defined]
    assert {e.path for e in errors if e.code == "skipped"} >= {"dataset[0]", "dataset[1]", "dataset[2].identifier"}


def test_ten_thousand_levels_deep(services: Services, http_server: LoopbackServer) -> None:
    first = harvest_body(services, http_server, Route(body=(DATA / "datajson/gsa-harvester-dcatus.json")), "cftc")
    assert first.new == 7  # type: ignore[attr-defined]
    deep = b'{"dataset": [{"identifier": "d", "title": "deep", "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}]}"
    http_server.route("/cftc.json", Route(body=deep))
    report = services.runner.harvest("cftc", full=True)
    assert report.status == "failed"
    assert "nested deeper than" in (report.message or "")
    assert services.store.live_count() == 7


def _endless_padding() -> Iterator[bytes]:
    yield b'{"conformsTo": "' + V11.encode() + b'", "dataset": ['
    chunk = b" " * (1 << 20)
    for _ in range(2048):  # 2 GiB of whitespace, if anyone read it all
        yield chunk


def test_a_two_gigabyte_body_stops_at_the_cap_in_bounded_memory(http_server: LoopbackServer) -> None:
    services = build_services(make_settings(harvest_max_bytes=64 << 20))
    process = psutil.Process()
    before = process.memory_info().rss
    report = harvest_body(services, http_server, Route(body=_endless_padding))
    grown = process.memory_info().rss - before
    services.close()
    assert report.status == "failed"  # type: ignore[attr-defined]
    assert "larger than the" in (report.message or "")  # type: ignore[attr-defined]
    assert grown < 100 << 20, f"memory grew by {grown >> 20} MB"


def test_an_announced_two_gigabytes_is_refused_before_reading(services: Services, http_server: LoopbackServer) -> None:
    route = Route(body=b"{}", headers={"Content-Length": str(2 << 30)})
    report = harvest_body(services, http_server, route)
    assert report.status == "failed"  # type: ignore[attr-defined]
    assert "announces" in (report.message or "")  # type: ignore[attr-defined]


def test_html_with_200_names_what_came_back(services: Services, http_server: LoopbackServer) -> None:
    route = Route(body=b"<html><title>Portal maintenance</title></html>", content_type="text/html")
    report = harvest_body(services, http_server, route)
    assert "did not return JSON (text/html" in (report.message or "")  # type: ignore[attr-defined]
