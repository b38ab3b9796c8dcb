"""The link checker against a real server on loopback: what each answer makes of a link, and its manners
(HEAD first, a ranged GET where HEAD is refused, robots.txt, per-host limits, conditional requests, the
SSRF guard)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from harvesters.http import Validators
from harvesters.linkcheck import LinkPolicy, LinkProber, LinkResult, LinkTarget, PoliteQueue, check_links
from tests.support.httpserver import LoopbackServer, Route, Seen

POLICY = LinkPolicy(timeout=2.0, max_seconds=5.0, host_delay=0.0, allow_private=True)


@pytest.fixture
def prober() -> Iterator[LinkProber]:
    with LinkProber(POLICY) as made:
        yield made


def check(prober: LinkProber, url: str, **target: object) -> LinkResult:
    return prober.check(LinkTarget(url, **target))  # type: ignore[arg-type]


def test_a_link_that_answers_is_ok_after_one_head(http_server: LoopbackServer, prober: LinkProber) -> None:
    url = http_server.route("/file.csv", Route(body=b"a,b\n1,2\n", content_type="text/csv"))
    result = check(prober, url)
    assert (result.status, result.http_status, result.method) == ("ok", 200, "HEAD")
    assert [s.method for s in http_server.seen("/file.csv")] == ["HEAD"]
    assert result.validators.etag  # kept for the next, conditional, check


def test_a_permanent_redirect_is_flagged_with_where_it_leads(http_server: LoopbackServer, prober: LinkProber) -> None:
    target = http_server.route("/new.csv", Route(body=b"x"))
    url = http_server.route("/old.csv", Route(redirect_to=target, status=301))
    result = check(prober, url)
    assert (result.status, result.http_status, result.final_url) == ("redirected", 301, target)
    assert [(h.status, h.url) for h in result.redirects] == [(301, target)]


def test_a_temporary_redirect_to_a_working_file_is_ok(http_server: LoopbackServer, prober: LinkProber) -> None:
    target = http_server.route("/signed.csv", Route(body=b"x"))
    url = http_server.route("/download", Route(redirect_to=target, status=302))
    result = check(prober, url)
    assert (result.status, result.http_status, result.final_url) == ("ok", 200, target)
    assert [h.status for h in result.redirects] == [302]


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_4xx_and_5xx_are_broken(http_server: LoopbackServer, prober: LinkProber, status: int) -> None:
    url = http_server.route("/gone", Route(body=b"no", status=status))
    result = check(prober, url)
    assert (result.status, result.http_status, result.message) == ("broken", status, f"HTTP {status}")


def test_a_redirect_to_a_missing_file_is_broken(http_server: LoopbackServer, prober: LinkProber) -> None:
    url = http_server.route("/moved", Route(redirect_to=http_server.url("/nowhere"), status=301))
    result = check(prober, url)
    assert (result.status, result.http_status) == ("broken", 404)


def test_a_server_that_does_not_answer_in_time_is_broken_at_the_timeout(http_server: LoopbackServer) -> None:
    url = http_server.route("/slow", Route(body=b"x", delay=3.0))
    with LinkProber(replace(POLICY, timeout=0.3)) as prober:
        started = time.monotonic()
        result = check(prober, url)
    assert (result.status, result.http_status, result.message) == ("broken", None, "no answer in time")
    assert time.monotonic() - started < 2.0


def test_refused_head_falls_back_to_a_ranged_get(http_server: LoopbackServer, prober: LinkProber) -> None:
    big = b"x" * (4 << 20)  # a server that ignores Range: the checker still reads no more than a peek

    def no_head(seen: Seen) -> Route:
        return Route(status=405, body=b"") if seen.method == "HEAD" else Route(body=big, content_type="text/csv")

    url = http_server.respond("/nohead.csv", no_head)
    result = check(prober, url)
    assert (result.status, result.http_status, result.method) == ("ok", 200, "GET")
    head, get = http_server.seen("/nohead.csv")
    assert (head.method, get.method, get.headers.get("Range")) == ("HEAD", "GET", "bytes=0-0")


def test_a_body_that_never_comes_does_not_hide_the_answer(http_server: LoopbackServer) -> None:
    def stalled() -> Iterator[bytes]:
        time.sleep(2.0)
        yield b"a,b\n"

    def no_head(seen: Seen) -> Route:
        return Route(status=405) if seen.method == "HEAD" else Route(body=stalled, content_type="text/csv")

    url = http_server.respond("/stalled.csv", no_head)
    with LinkProber(replace(POLICY, timeout=0.3)) as prober:
        result = check(prober, url)
    assert (result.status, result.http_status, result.method) == ("ok", 200, "GET")


def test_a_missing_file_behind_a_refused_head_is_still_broken(http_server: LoopbackServer, prober: LinkProber) -> None:
    def no_head(seen: Seen) -> Route:
        return Route(status=403 if seen.method == "HEAD" else 404, body=b"")

    url = http_server.respond("/private-bucket.csv", no_head)
    result = check(prober, url)
    assert (result.status, result.http_status, result.method) == ("broken", 404, "GET")


def test_robots_txt_is_obeyed_and_nothing_disallowed_is_requested(
    http_server: LoopbackServer, prober: LinkProber
) -> None:
    http_server.route("/robots.txt", Route(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
    hidden = http_server.route("/private/data.csv", Route(body=b"x"))
    public = http_server.route("/public/data.csv", Route(body=b"x"))
    assert check(prober, hidden).status == "unchecked"
    assert "robots.txt" in (check(prober, hidden).message or "")
    assert check(prober, public).status == "ok"
    assert http_server.seen("/private/data.csv") == []
    assert len(http_server.seen("/robots.txt")) == 1  # once per origin


def test_robots_txt_for_another_agent_does_not_apply(http_server: LoopbackServer, prober: LinkProber) -> None:
    http_server.route("/robots.txt", Route(body=b"User-agent: OtherBot\nDisallow: /\n", content_type="text/plain"))
    assert check(prober, http_server.route("/a.csv", Route(body=b"x"))).status == "ok"


def test_a_conditional_check_keeps_the_state_on_304(http_server: LoopbackServer, prober: LinkProber) -> None:
    url = http_server.route("/file.json", Route(body=b"{}"))
    first = check(prober, url)
    second = check(
        prober, url, validators=first.validators, previous="ok", previous_http_status=200, previous_final_url=None
    )
    assert (second.status, second.http_status, second.not_modified) == ("ok", 200, True)
    assert http_server.seen("/file.json")[-1].headers.get("If-None-Match") == first.validators.etag


def test_loopback_is_refused_unless_allowed(http_server: LoopbackServer) -> None:
    url = http_server.route("/file.csv", Route(body=b"x"))
    with LinkProber(replace(POLICY, allow_private=False)) as guarded:
        refused = check(guarded, url)
        allowed_for_its_source = check(guarded, url, allow_private=True)
    assert refused.status == "unchecked"
    assert "not a public address" in (refused.message or "")
    assert allowed_for_its_source.status == "ok"
    assert [s.method for s in http_server.seen("/file.csv")] == ["HEAD"]  # only the allowed check reached it


@pytest.mark.parametrize(
    ("url", "status"),
    [("not a url", "broken"), ("N/A", "broken"), ("ftp://ftp.example.gov/x.zip", "unchecked"), ("", "broken")],
)
def test_what_is_not_an_http_url(prober: LinkProber, url: str, status: str) -> None:
    assert check(prober, url).status == status


def test_a_redirect_loop_is_broken_at_the_cap(http_server: LoopbackServer) -> None:
    http_server.route("/a", Route(redirect_to=http_server.url("/b"), status=302))
    http_server.route("/b", Route(redirect_to=http_server.url("/a"), status=302))
    with LinkProber(replace(POLICY, max_redirects=3)) as prober:
        result = check(prober, http_server.url("/a"))
    assert (result.status, result.message) == ("broken", "more than 3 redirects")
    assert len(http_server.seen("/a")) + len(http_server.seen("/b")) == 4


def test_never_more_checks_in_flight_per_host_than_allowed(http_server: LoopbackServer) -> None:
    urls = [http_server.route(f"/f{i}.csv", Route(body=b"x", delay=0.1)) for i in range(12)]
    results: list[LinkResult] = []
    lock = threading.Lock()

    def keep(result: LinkResult) -> None:
        with lock:
            results.append(result)

    with LinkProber(replace(POLICY, workers=8, host_concurrency=2)) as prober:
        check_links([LinkTarget(u) for u in urls], prober, keep)
    assert sorted(r.url for r in results) == sorted(urls)
    assert {r.status for r in results} == {"ok"}
    assert http_server.peak_in_flight == 2  # the server saw two at once, never more


def test_checks_of_one_host_are_spaced_by_the_delay(http_server: LoopbackServer) -> None:
    urls = [http_server.route(f"/g{i}.csv", Route(body=b"x")) for i in range(4)]
    with LinkProber(replace(POLICY, workers=4, host_concurrency=4, host_delay=0.25)) as prober:
        started = time.monotonic()
        check_links([LinkTarget(u) for u in urls], prober, lambda _: None)
    assert time.monotonic() - started >= 0.75  # 4 checks, 3 gaps


def test_robots_crawl_delay_spaces_a_hosts_checks(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", Route(body=b"User-agent: *\nCrawl-delay: 1\n", content_type="text/plain"))
    urls = [http_server.route(f"/c{i}.csv", Route(body=b"x")) for i in range(3)]
    with LinkProber(replace(POLICY, workers=3, host_concurrency=1)) as prober:
        started = time.monotonic()
        check_links([LinkTarget(u) for u in urls], prober, lambda _: None)
    assert time.monotonic() - started >= 2.0  # 3 checks, 2 gaps of a second


def test_hosts_take_turns() -> None:
    targets = [LinkTarget(f"http://a.test/{i}") for i in range(3)] + [LinkTarget("http://b.test/0")]
    queue = PoliteQueue(targets, concurrency=1, delay=0.0)
    first = queue.take()
    second = queue.take()  # a.test is busy: b.test's link comes next, not a wait
    assert first is not None
    assert second is not None
    assert (first.host, second.host) == ("a.test", "b.test")


def test_validators_are_sent(http_server: LoopbackServer, prober: LinkProber) -> None:
    url = http_server.route("/v.csv", Route(body=b"x", conditional=False))
    check(prober, url, validators=Validators(None, "Wed, 01 Jan 2025 00:00:00 GMT"))
    assert http_server.seen("/v.csv")[0].headers.get("If-Modified-Since") == "Wed, 01 Jan 2025 00:00:00 GMT"
