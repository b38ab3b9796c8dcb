"""Input limits: request bodies (announced and streamed, over real HTTP), text lengths, integer ranges,
signed cursors, unknown and repeated parameters. Every refusal is the one error shape, says what to do,
and shows nothing of the server's insides."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import socket
import stat
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from catalog_api import cursor
from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from catalog_api.settings import Settings
from tests.catalog_api.test_error_shape import assert_error
from tests.conftest import harvest_file, make_settings
from tests.support.httpserver import LoopbackServer
from tests.support.live import serve

LIMIT = 64 * 1024
LEAKS = ("Traceback", "OverflowError", "sqlite", "site-packages", "KeyError", "orjson")


def assert_refused(response: Any, status: int, code: str, mentions: str) -> None:
    assert_error(response, status, code, mentions)
    assert not any(leak in response.text for leak in LEAKS), response.text


@pytest.fixture(scope="module")
def filled() -> Iterator[Services]:
    """One harvested catalog for the module: these tests only read."""
    services = build_services(make_settings())
    with LoopbackServer() as server:
        harvest_file(services, server, "datajson/gsa-harvester-dcatus_with_none.json")
    yield services
    services.close()


@pytest.fixture(scope="module")
def api(filled: Services) -> Iterator[TestClient]:
    with TestClient(create_app(filled.settings, filled), raise_server_exceptions=False) as client:
        yield client


# -- request bodies, over real HTTP ---------------------------------------------------------------


@pytest.fixture
def small_bodies() -> Iterator[str]:
    settings = make_settings(max_body_bytes=LIMIT)
    built = build_services(settings)
    with serve(create_app(settings, built)) as base:
        yield base
    built.close()


def raw_exchange(base: str, head: str, chunks: Iterator[bytes]) -> tuple[int, bytes, int]:
    """Send a request by hand (so a chunked body really is chunked); the status, body and bytes sent."""
    host, port = base.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head.encode())
        try:
            for chunk in chunks:
                conn.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: it does not read past the limit
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < _length(answer):
            data = conn.recv(65536)
            if not data:
                break
            answer += data
    head_bytes, _, body = answer.partition(b"\r\n\r\n")
    return int(head_bytes.split()[1]), body, sent


def _length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 1 << 30


def _json_error(body: bytes, code: str) -> dict[str, Any]:
    error: dict[str, Any] = orjson.loads(body)
    assert set(error) == {"error"}
    assert error["error"]["code"] == code
    return error


def test_an_announced_body_over_the_limit_is_refused_unread(small_bodies: str) -> None:
    head = (
        "POST /api/3/action/package_search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 629145600\r\n\r\n"
    )
    status, body, _ = raw_exchange(small_bodies, head, iter([b"{" + b" " * 1000]))
    assert status == 413
    assert "65,536 bytes" in _json_error(body, "too_large")["error"]["message"]


def test_a_chunked_body_is_counted_and_cut_at_the_limit(small_bodies: str) -> None:
    head = (
        "POST /api/3/action/package_search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b" " * 16384
    chunks = (f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for _ in range(2000))  # 32 MB offered
    status, body, sent = raw_exchange(small_bodies, head, chunks)
    assert status == 413
    _json_error(body, "too_large")
    assert sent < 16 * 1024 * 1024  # refused early: the server stopped reading long before 32 MB


def test_a_body_under_the_limit_is_served(small_bodies: str) -> None:
    import httpx

    padding = " " * (LIMIT - 100)
    response = httpx.post(
        f"{small_bodies}/api/3/action/package_search",
        content=b'{"rows": 1}' + padding.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True


def test_the_body_limit_covers_every_endpoint(small_bodies: str) -> None:
    import httpx

    for method, path in (("GET", "/api/v1/datasets"), ("POST", "/api/v1/datasets"), ("PUT", "/data.json")):
        response = httpx.request(method, f"{small_bodies}{path}", content=b"x" * (LIMIT + 1))
        assert_refused(response, 413, "too_large", "NUTMEG_MAX_BODY_BYTES")


# -- text lengths and integer ranges ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "mentions"),
    [
        ("/api/v1/datasets?q=" + "x" * 501, "q"),
        ("/api/v1/jobs/1/errors?q=" + "x" * 201, "q"),
        ("/api/v1/suggest?q=" + "x" * 201, "q"),
        ("/api/v1/sources/src/jobs?page=2.2e20", "page"),
        ("/api/v1/sources/src/jobs?page=220000000000000000000", "page"),
        ("/api/v1/sources/src/jobs?per_page=-1", "per_page"),
        ("/api/v1/jobs/99999999999999999999999", "job_id"),
        ("/api/v1/jobs/9223372036854775808/errors", "job_id"),
        ("/api/v1/jobs/1/errors?page=1e300", "page"),
        ("/api/v1/datasets?page=99999999999999999999", "page"),
        ("/catalog.ttl?page=1e30", "page"),
        ("/catalog?page=-3", "page"),
    ],
)
def test_out_of_range_input_is_a_400(api: TestClient, path: str, mentions: str) -> None:
    assert_refused(api.get(path), 400, "bad_parameter", mentions)


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ({"q": "x" * 1001}, "q: Must be at most 1000 characters"),
        ({"fq": "tags:" + "x" * 1000}, "fq: Must be at most 1000 characters"),
        ({"rows": "1", "start": "99999999999999999999"}, "start"),
        ({"rows": "2.2e20"}, "rows"),
    ],
)
def test_ckan_search_limits(api: TestClient, params: dict[str, str], mentions: str) -> None:
    for response in (
        api.get("/api/3/action/package_search", params=params),
        api.post("/api/3/action/package_search", json=params),
    ):
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["success"] is False
        assert body["error"]["__type"] == "Validation Error"
        assert mentions in body["error"]["message"]
        assert not any(leak in response.text for leak in LEAKS)


def test_ckan_offsets_are_bounded(api: TestClient) -> None:
    response = api.get("/api/3/action/package_list", params={"offset": "9" * 19})
    assert response.status_code == 409
    assert "offset" in response.json()["error"]["message"]


# -- cursors ---------------------------------------------------------------------------------------


def _sign(key: bytes, payload: Any) -> str:
    raw = json.dumps(payload).encode()  # not orjson: it refuses integers past 64 bits, which a forger may send
    mac = hmac.new(key, raw, hashlib.sha256).digest()[: cursor.MAC_BYTES]
    encode = base64.urlsafe_b64encode
    return f"{encode(raw).decode().rstrip('=')}.{encode(mac).decode().rstrip('=')}"


def test_cursors_are_signed_and_walk(api: TestClient, filled: Services) -> None:
    first = api.get("/api/v1/datasets", params={"per_page": 50, "sort": "title"}).json()
    token = first["next"]
    assert token.count(".") == 1, "a cursor carries its signature"
    second = api.get("/api/v1/datasets", params={"per_page": 50, "sort": "title", "cursor": token}).json()
    assert second["page"] == 2
    assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])


def test_forged_and_altered_cursors_are_refused(api: TestClient, filled: Services) -> None:
    params = {"per_page": 50, "sort": "title"}
    real = api.get("/api/v1/datasets", params=params).json()["next"]
    payload, _, mac = real.partition(".")
    data = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    unsigned = base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")
    altered = dict(data, p=-5)
    forged = [
        unsigned,  # the old, unsigned form
        f"{_sign(b'another deployment key of 32 characters', data)}",
        f"{base64.urlsafe_b64encode(orjson.dumps(altered)).decode().rstrip('=')}.{mac}",
        real + "x",
        "." * 3,
        "%%%garbage",
        "a" * 5000,
    ]
    for token in forged:
        response = api.get("/api/v1/datasets", params={**params, "cursor": token})
        assert_refused(response, 400, "bad_cursor", "cursor")


@pytest.mark.parametrize(
    "change",
    [
        {"k": None},
        {"k": [None, None]},
        {"k": [{"nested": ["x"]}, "id"]},
        {"k": [["a"], "id"]},
        {"k": [1.5, "id"]},  # a number where the title sort needs text
        {"k": ["title", 7]},
        {"k": ["a", "b", "c"]},
        {"p": -5},
        {"p": 0},
        {"p": 1},
        {"p": True},
        {"p": "2"},
        {"p": 10**30},
        {"extra": 1},
    ],
)
def test_signed_cursors_with_bad_contents_are_refused(
    api: TestClient, filled: Services, change: dict[str, Any]
) -> None:
    """Even a correctly signed cursor (a leaked key, a bug) must hold exactly what this API writes."""
    params = {"per_page": 50, "sort": "title"}
    real = api.get("/api/v1/datasets", params=params).json()["next"]
    payload = real.partition(".")[0]
    data = {**orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))), **change}
    response = api.get("/api/v1/datasets", params={**params, "cursor": _sign(filled.signing_key, data)})
    assert_refused(response, 400, "bad_cursor", "cursor")


def test_a_cursor_never_echoes_a_negative_page(api: TestClient) -> None:
    body = api.get("/api/v1/datasets", params={"per_page": 50, "sort": "title"}).json()
    pages = [body["page"]]
    while body["next"]:
        body = api.get("/api/v1/datasets", params={"per_page": 50, "sort": "title", "cursor": body["next"]}).json()
        pages.append(body["page"])
    assert pages == list(range(1, len(pages) + 1))


def test_processes_of_one_deployment_share_the_generated_key(tmp_path: Any, http_server: LoopbackServer) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path}/nutmeg.db", index_path=None)
    one, other = build_services(settings), build_services(settings)
    try:
        assert one.signing_key == other.signing_key
        key_file = tmp_path / "nutmeg-secret.key"
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        harvest_file(one, http_server, "datajson/gsa-harvester-dcatus_with_none.json")
        with (
            TestClient(create_app(settings, one)) as first,
            TestClient(create_app(settings, other)) as second,
        ):
            token = first.get("/api/v1/datasets", params={"per_page": 10}).json()["next"]
            assert second.get("/api/v1/datasets", params={"per_page": 10, "cursor": token}).status_code == 200
    finally:
        one.close()
        other.close()


def test_a_configured_key_signs_and_a_short_one_is_refused() -> None:
    key = "k" * 40
    services = build_services(make_settings(secret_key=key))
    try:
        assert services.signing_key == key.encode()
    finally:
        services.close()
    with pytest.raises(ValueError, match="at least 32 characters"):
        Settings(_env_file=None, secret_key="short")  # type: ignore[call-arg]


# -- unknown and repeated parameters ------------------------------------------------------------------


def test_an_unknown_parameter_is_named(api: TestClient) -> None:
    response = api.get("/api/v1/datasets", params={"freshnes": "stale"})
    assert_refused(response, 400, "bad_parameter", "unknown parameter 'freshnes'")
    assert "modified_since" in response.json()["error"]["message"]  # and the ones it takes are listed
    close = api.get("/api/v1/datasets", params={"keywords": "water"})
    assert "did you mean 'keyword'?" in close.json()["error"]["message"]


def test_every_api_route_refuses_unknown_parameters(api: TestClient) -> None:
    """Read from the routes themselves, so a route or parameter added later is covered too."""
    contexts = iter_route_contexts(api.app.routes)  # type: ignore[attr-defined]
    routes = [
        c
        for c in contexts
        if isinstance(c.route, APIRoute) and (c.path or "").startswith("/api/v1/") and "GET" in (c.methods or ())
    ]
    assert len(routes) >= 9
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "1", route.path or "")
        response = api.get(path, params={"no_such_thing": "1"})
        assert_refused(response, 400, "bad_parameter", "unknown parameter 'no_such_thing'")


def test_known_parameters_pass_and_other_interfaces_are_lenient(api: TestClient) -> None:
    assert api.get("/api/v1/datasets", params={"q": "police", "keyword": "x", "per_page": 5}).status_code == 200
    assert api.get("/search.atom", params={"utm_source": "newsletter"}).status_code == 200  # feed readers add these


def test_a_single_valued_parameter_given_twice_is_a_400(api: TestClient) -> None:
    assert_refused(api.get("/api/v1/datasets?q=police&q=crime"), 400, "bad_parameter", "'q' takes one value")
    assert api.get("/api/v1/datasets?keyword=a&keyword=b").status_code == 200  # repeatable: all must match


def test_an_empty_optional_parameter_with_a_length_bound_is_not_a_500(api: TestClient) -> None:
    """``bbox=`` (an OpenSearch client filling a template with nothing) is no bbox; schemathesis found a 500."""
    assert api.get("/api/v1/datasets?bbox=").status_code == 200
    assert_refused(api.get("/api/v1/datasets?bbox=" + "x" * 201), 400, "bad_parameter", "bbox")
