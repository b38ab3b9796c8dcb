"""The one HTTP layer, over real loopback HTTP: time, retries, redirects, size, manners and the SSRF guard."""

from __future__ import annotations

import gzip
import ipaddress
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from harvesters.errors import BlockedAddressError, FetchError, FetchTimeout, ResponseTooLarge
from harvesters.http import HttpClient, HttpPolicy, Validators, failure_policy, parse_retry_after
from tests.support.httpserver import LoopbackServer, Route


def client(**policy: Any) -> HttpClient:
    values: dict[str, Any] = {"allow_private": True, "retries": 0, "backoff": 0.01, "timeout": 5.0}
    values.update(policy)
    return HttpClient(HttpPolicy(**values))


class Sleeps:
    """Records the waits the client asks for instead of sleeping (the server keeps real time)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


# -- time ----------------------------------------------------------------------------------------


def test_a_server_that_does_not_answer_in_time_fails_the_fetch(http_server: LoopbackServer) -> None:
    url = http_server.route("/slow", Route(body=b"{}", delay=1.5))
    started = time.monotonic()
    with client(timeout=0.3) as http, pytest.raises(FetchError, match="did not answer in time"):
        http.get_bytes(url)
    assert time.monotonic() - started < 1.4


def test_a_body_that_drips_forever_stops_at_the_time_budget(http_server: LoopbackServer) -> None:
    def drip() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * 100

    url = http_server.route("/drip", Route(body=drip, chunk_delay=0.05))
    with client(max_seconds=0.5) as http, pytest.raises(FetchTimeout, match=r"longer than 0\.5 s"):
        http.get_bytes(url)


# -- retries -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(http_server: LoopbackServer, status: int) -> None:
    route = Route(body=b'{"ok": true}', fail_times=2, fail_status=status, headers={"Retry-After": "2"})
    url = http_server.route("/busy", route)
    sleeps = Sleeps()
    with HttpClient(HttpPolicy(allow_private=True, retries=3, backoff=0.5), sleep=sleeps) as http:
        fetched, body = http.get_bytes(url)
    assert (fetched.status, body) == (200, b'{"ok": true}')
    assert sleeps.waits == [2.0, 2.0]
    assert len(http_server.seen("/busy")) == 3


def test_without_retry_after_the_backoff_doubles(http_server: LoopbackServer) -> None:
    url = http_server.route("/flaky", Route(body=b"{}", fail_times=3, fail_status=502))
    sleeps = Sleeps()
    with HttpClient(HttpPolicy(allow_private=True, retries=3, backoff=0.5), sleep=sleeps) as http:
        assert http.get_bytes(url)[0].status == 200
    assert sleeps.waits == [0.5, 1.0, 2.0]


def test_retries_run_out(http_server: LoopbackServer) -> None:
    url = http_server.route("/down", Route(body=b"{}", fail_times=10, fail_status=503))
    with (
        HttpClient(HttpPolicy(allow_private=True, retries=2, backoff=0.01), sleep=Sleeps()) as http,
        pytest.raises(FetchError, match="still failing after 2 retries") as raised,
    ):
        http.get_bytes(url)
    assert raised.value.status == 503
    assert len(http_server.seen("/down")) == 3


def test_a_retry_after_past_the_time_budget_gives_up_at_once(http_server: LoopbackServer) -> None:
    url = http_server.route("/later", Route(body=b"{}", fail_times=1, fail_status=429, headers={"Retry-After": "50"}))
    with (
        HttpClient(HttpPolicy(allow_private=True, retries=3, max_seconds=5), sleep=Sleeps()) as http,
        pytest.raises(FetchTimeout, match="waiting to retry would take the harvest past"),
    ):
        http.get_bytes(url)


def test_client_errors_are_not_retried(http_server: LoopbackServer) -> None:
    url = http_server.route("/gone", Route(body=b"gone", status=410))
    with client(retries=3) as http, pytest.raises(FetchError, match="HTTP 410") as raised:
        http.get_bytes(url)
    assert raised.value.status == 410
    assert len(http_server.seen("/gone")) == 1


def test_the_failure_policy_and_retry_after_forms() -> None:
    assert [failure_policy(s) for s in (200, 304, 404, 408, 429, 500, 503)] == [
        "ok",
        "not-modified",
        "fatal",
        "retry",
        "retry",
        "retry",
        "retry",
    ]
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: no wait
    assert parse_retry_after("soon") is None


# -- redirects -----------------------------------------------------------------------------------


def test_redirects_are_followed_up_to_the_limit(http_server: LoopbackServer) -> None:
    for hop in range(4):
        http_server.route(f"/r{hop}", Route(status=302, redirect_to=http_server.url(f"/r{hop + 1}")))
    http_server.route("/r4", Route(body=b"{}"))
    with client(max_redirects=4) as http:
        fetched, _ = http.get_bytes(http_server.url("/r0"))
        assert fetched.url.endswith("/r4")
    with client(max_redirects=3) as http, pytest.raises(FetchError, match="more than 3 redirects"):
        http.get_bytes(http_server.url("/r0"))
    assert len(http_server.seen("/r4")) == 1


def test_a_redirect_loop_stops(http_server: LoopbackServer) -> None:
    http_server.route("/a", Route(status=301, redirect_to=http_server.url("/b")))
    http_server.route("/b", Route(status=301, redirect_to=http_server.url("/a")))
    with client() as http, pytest.raises(FetchError, match="redirects"):
        http.get_bytes(http_server.url("/a"))


def test_a_redirect_to_a_file_url_is_refused(http_server: LoopbackServer) -> None:
    url = http_server.route("/to-file", Route(status=302, redirect_to="file:///etc/passwd"))
    with client() as http, pytest.raises(FetchError, match="file"):
        http.get_bytes(url)


# -- size ----------------------------------------------------------------------------------------


def test_a_body_over_the_cap_is_refused(http_server: LoopbackServer) -> None:
    url = http_server.route("/big", Route(body=b"x" * 300_000))
    with client(max_bytes=100_000) as http, pytest.raises(ResponseTooLarge, match="100,000-byte limit"):
        http.get_bytes(url)


def test_an_endless_body_is_cut_at_the_cap(http_server: LoopbackServer) -> None:
    def endless() -> Iterator[bytes]:
        while True:
            yield b"[" * 65536

    url = http_server.route("/endless", Route(body=endless))
    with client(max_bytes=1_000_000) as http, http.open(url) as fetched, pytest.raises(ResponseTooLarge):
        for _ in fetched.iter_bytes():
            pass
    assert fetched.bytes_read <= 1_000_000 + 65536


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compression_bomb_is_stopped_after_decompression(http_server: LoopbackServer, encoding: str) -> None:
    inflated = 200 * 1024 * 1024
    packed = gzip.compress(b"\0" * inflated, 9) if encoding == "gzip" else zlib.compress(b"\0" * inflated, 9)
    assert len(packed) < 1_000_000  # small on the wire, so only the decompressed count can catch it
    url = http_server.route("/bomb", Route(body=packed, headers={"Content-Encoding": encoding}))
    tracemalloc.start()
    try:
        with client(max_bytes=2_000_000) as http, pytest.raises(ResponseTooLarge):
            http.get_bytes(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000  # never inflated whole: a few 64 KiB steps past the 2 MB cap


def test_compressed_bodies_are_decoded(http_server: LoopbackServer) -> None:
    document = b'{"dataset": []}' * 1000
    url = http_server.route("/gz", Route(body=gzip.compress(document), headers={"Content-Encoding": "gzip"}))
    with client() as http:
        _, body = http.get_bytes(url)
    assert body == document
    assert http_server.seen("/gz")[0].headers["Accept-Encoding"] == "gzip, deflate"


def test_an_encoding_that_was_not_asked_for_is_refused(http_server: LoopbackServer) -> None:
    url = http_server.route("/br", Route(body=b"\x1b\x00", headers={"Content-Encoding": "br"}))
    with client() as http, pytest.raises(FetchError, match="not asked for"):
        http.get_bytes(url)


# -- manners -------------------------------------------------------------------------------------


class InFlight:
    """A streamed body that counts how many requests the server is answering at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    def body(self) -> Iterator[bytes]:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            for _ in range(3):
                time.sleep(0.05)
                yield b"{}"
        finally:
            with self._lock:
                self.now -= 1


@pytest.mark.parametrize("limit", [1, 2])
def test_requests_in_flight_per_host_are_limited(http_server: LoopbackServer, limit: int) -> None:
    counter = InFlight()
    url = http_server.route("/count", Route(body=counter.body))
    with client(host_concurrency=limit) as http:
        threads = [threading.Thread(target=http.get_bytes, args=(url,)) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(http_server.seen("/count")) == 5
    assert 1 <= counter.most <= limit


def test_politeness_delay_spaces_requests_to_one_host(http_server: LoopbackServer) -> None:
    url = http_server.route("/polite", Route(body=b"{}"))
    started = time.monotonic()
    with client(host_delay=0.2) as http:
        for _ in range(3):
            http.get_bytes(url)
    assert time.monotonic() - started >= 0.4


def test_conditional_get_turns_into_304(http_server: LoopbackServer) -> None:
    url = http_server.route("/data.json", Route(body=b'{"dataset": []}'))
    with client() as http:
        first, _ = http.get_bytes(url)
        validators = first.validators
        assert validators.etag
        assert validators.last_modified
        second, body = http.get_bytes(url, validators=validators)
    assert second.not_modified
    assert body == b""
    sent = http_server.seen("/data.json")[-1].headers
    assert sent["If-None-Match"] == validators.etag
    assert sent["If-Modified-Since"] == validators.last_modified
    assert Validators().headers() == {}


# -- the SSRF guard ------------------------------------------------------------------------------


def only(network: str) -> tuple[ipaddress.IPv4Network, ...]:
    return (ipaddress.IPv4Network(network),)


def test_loopback_is_refused_unless_allowed(http_server: LoopbackServer) -> None:
    url = http_server.route("/x", Route(body=b"{}"))
    with HttpClient(HttpPolicy(allow_private=False)) as http, pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1"):
        http.get_bytes(url)
    assert http_server.seen("/x") == []
    with HttpClient(HttpPolicy(allow_private=True)) as http:
        assert http.get_bytes(url)[0].status == 200


def test_a_redirect_from_an_allowed_host_to_loopback_is_refused(http_server: LoopbackServer) -> None:
    target = http_server.route("/secret", Route(body=b'{"token": "s3cr3t"}'))
    with LoopbackServer(host="127.0.0.2") as allowed:
        start = allowed.route("/catalog", Route(status=302, redirect_to=target))
        plain = allowed.route("/plain", Route(body=b"{}"))
        policy = HttpPolicy(allow_private=False, allowed_networks=only("127.0.0.2/32"))
        with HttpClient(policy) as http:
            assert http.get_bytes(plain)[0].status == 200  # the operator's allow-list works
            with pytest.raises(BlockedAddressError, match=r"refused to connect to 127\.0\.0\.1"):
                http.get_bytes(start)
        assert len(allowed.seen("/catalog")) == 1
    assert http_server.seen("/secret") == []


def test_a_hostname_that_resolves_to_a_private_address_is_refused() -> None:
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["10.20.30.40", "fd00::1"]

    with (
        HttpClient(HttpPolicy(allow_private=False, retries=0), resolver=resolver) as http,
        pytest.raises(BlockedAddressError, match=r"data\.agency\.example .*10\.20\.30\.40"),
    ):
        http.get_bytes("http://data.agency.example/data.json")
    assert asked == ["data.agency.example"]


BLOCKED = ["169.254.169.254", "0.0.0.0", "::1", "::ffff:127.0.0.1", "192.168.1.1", "240.0.0.1"]


@pytest.mark.parametrize("address", BLOCKED)
def test_link_local_reserved_and_mapped_addresses_are_refused(address: str) -> None:
    with (
        HttpClient(HttpPolicy(allow_private=False, retries=0), resolver=lambda h, p: [address]) as http,
        pytest.raises(BlockedAddressError),
    ):
        http.get_bytes("http://metadata.example/latest")


def test_the_guard_connects_to_the_address_it_checked(http_server: LoopbackServer) -> None:
    """A name is resolved once, by the guard; the connection goes to that address (no DNS rebinding)."""
    http_server.route("/data.json", Route(body=b'{"ok": 1}'))
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    policy = HttpPolicy(allow_private=False, allowed_networks=only("127.0.0.1/32"))
    with HttpClient(policy, resolver=lambda h, p: next(answers)) as http:
        _, body = http.get_bytes(f"http://portal.example:{http_server.port}/data.json")
    assert body == b'{"ok": 1}'
    assert http_server.seen("/data.json")[0].headers["Host"] == f"portal.example:{http_server.port}"
