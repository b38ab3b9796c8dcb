"""Checking that a catalog's links still answer, politely.

* one ``HEAD`` per link, or — where a server refuses ``HEAD`` (405, 501, and the 400/403/406 some servers
  give ``HEAD`` only) — a ranged ``GET`` (``Range: bytes=0-0``) whose body is read no further than
  :data:`PEEK_BYTES`;
* redirects followed hop by hop, at most ``max_redirects``, every hop recorded and checked against
  robots.txt and the SSRF guard;
* robots.txt fetched once per origin and obeyed (its ``Crawl-delay`` too, up to ``max_crawl_delay``);
* at most ``host_concurrency`` checks in flight per host, consecutive checks of a host ``host_delay``
  seconds apart (:class:`PoliteQueue`);
* conditional requests: a link's last ETag / Last-Modified go with the next check, and a ``304`` keeps
  its state;
* connections only through :class:`harvesters.http.GuardedBackend` (loopback and private addresses
  refused unless allowed, as for harvests), and every check ends by its own deadline.

What a link's state means (:func:`judge`): ``ok`` — it answers 2xx (through temporary redirects, if
any); ``redirected`` — it answers 2xx only through a permanent redirect (301/308: the catalog should
publish the new address); ``broken`` — a 4xx or 5xx, an unusable URL, a timeout or a refused connection;
``unchecked`` — not checked (yet): robots.txt disallows it, the SSRF guard refused it, the scheme is not
http(s), or the host asked us to slow down (429).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal
from urllib.robotparser import RobotFileParser

import httpcore
import httpx

from harvesters import DEFAULT_USER_AGENT
from harvesters.errors import BlockedAddressError
from harvesters.http import (
    AddressGuard,
    GuardedBackend,
    GuardedTransport,
    IPNetwork,
    Resolver,
    Validators,
    system_resolver,
)

log = logging.getLogger("nutmeg.links")

LinkState = Literal["ok", "redirected", "broken", "unchecked"]
STATES: tuple[LinkState, ...] = ("ok", "redirected", "broken", "unchecked")
HEAD_REFUSED = frozenset({400, 403, 405, 406, 501})
PERMANENT = frozenset({301, 308})
PEEK_BYTES = 1024
ROBOTS_MAX_BYTES = 512 << 10
ROBOTS_TTL = 24 * 3600.0
ROBOTS_RETRY = 3600.0


@dataclass(frozen=True, slots=True)
class LinkPolicy:
    """Limits and manners of the link checker (built from Settings by the app)."""

    timeout: float = 10.0  # connect, and each read
    max_seconds: float = 30.0  # one check in all: every hop, header and byte
    max_redirects: int = 10
    workers: int = 8
    host_concurrency: int = 2
    host_delay: float = 1.0
    max_crawl_delay: float = 60.0
    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    user_agent: str = DEFAULT_USER_AGENT


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """A link to check, with what the last check left: its validators and its state."""

    url: str
    validators: Validators = field(default_factory=Validators)
    allow_private: bool = False  # a source that uses the link may reach private addresses
    previous: LinkState = "unchecked"
    previous_http_status: int | None = None
    previous_final_url: str | None = None

    @property
    def host(self) -> str:
        return host_of(self.url)


@dataclass(frozen=True, slots=True)
class Hop:
    status: int
    url: str  # where the hop pointed (its Location)


@dataclass(frozen=True, slots=True)
class LinkResult:
    url: str
    status: LinkState
    http_status: int | None
    checked_at: datetime
    final_url: str | None = None
    method: str | None = None
    redirects: tuple[Hop, ...] = ()
    message: str | None = None
    not_modified: bool = False
    validators: Validators = field(default_factory=Validators)
    elapsed: float = 0.0


def host_of(url: str) -> str:
    """The lower-cased host of ``url`` ('' when it has none or is no URL)."""
    try:
        return (httpx.URL(url.strip()).host or "").lower()
    except (httpx.InvalidURL, TypeError):
        return ""


def judge(final: int, hops: tuple[Hop, ...]) -> tuple[LinkState, int]:
    """A link's state and the HTTP status that decided it, from its last answer and the redirects before."""
    if 200 <= final < 300 or final == 416:  # 416: a ranged GET of an empty file, which exists
        moved = next((h.status for h in hops if h.status in PERMANENT), None)
        return ("redirected", moved) if moved is not None else ("ok", final)
    return "broken", final


class _Unchecked(Exception):
    """The link is not checked (robots.txt, the SSRF guard, its scheme): why, in words."""


class _Broken(Exception):
    """The link cannot be followed (an unusable URL or redirect, a timeout, a network error)."""


# --- robots.txt --------------------------------------------------------------------------------------


@dataclass
class _Robots:
    parser: RobotFileParser | None  # None: every path allowed
    refuse_all: bool = False  # the server failed (5xx): asked again after ROBOTS_RETRY, not a day
    fetched: float = field(default_factory=time.monotonic)

    def expired(self, now: float) -> bool:
        return now - self.fetched > (ROBOTS_RETRY if self.refuse_all else ROBOTS_TTL)


class RobotsCache:
    """robots.txt of each origin, fetched once (per day) through the checker's own guarded client."""

    def __init__(self, fetch: Callable[[str], tuple[int, bytes]], agent: str) -> None:
        self._fetch = fetch
        self._agent = agent.split("/", 1)[0]  # the product token: ``Nutmeg``
        self._lock = threading.Lock()
        self._entries: dict[str, _Robots] = {}
        self._origin_locks: dict[str, threading.Lock] = {}

    def allows(self, url: httpx.URL) -> bool:
        robots = self._get(url)
        if robots.refuse_all:
            return False
        return robots.parser is None or robots.parser.can_fetch(self._agent, str(url))

    def crawl_delay(self, url: httpx.URL) -> float | None:
        robots = self._get(url)
        if robots.parser is None:
            return None
        delay = robots.parser.crawl_delay(self._agent)
        return float(delay) if delay is not None else None

    def _get(self, url: httpx.URL) -> _Robots:
        origin = f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"
        with self._lock:
            lock = self._origin_locks.setdefault(origin, threading.Lock())
        with lock:  # one fetch per origin, the other checks of that origin wait for it
            found = self._entries.get(origin)
            if found is None or found.expired(time.monotonic()):
                found = self._entries[origin] = self._load(origin)
            return found

    def _load(self, origin: str) -> _Robots:
        """RFC 9309: a 4xx means no rules; a 5xx, refuse everything for now. A host that cannot be reached
        at all gets no rules: its links are then tried, and found broken."""
        try:
            status, body = self._fetch(origin + "/robots.txt")
        except (_Broken, _Unchecked) as exc:
            log.info("robots.txt of %s: %s", origin, exc)
            return _Robots(None)
        if status >= 500:
            return _Robots(None, refuse_all=True)
        if not 200 <= status < 300:
            return _Robots(None)
        parser = RobotFileParser()
        parser.parse(body.decode("utf-8", "replace").splitlines())
        return _Robots(parser)


# --- one check ---------------------------------------------------------------------------------------


class LinkProber:
    """Checks one link at a time per thread; safe to share between threads."""

    def __init__(
        self,
        policy: LinkPolicy | None = None,
        *,
        resolver: Resolver = system_resolver,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.policy = policy or LinkPolicy()
        self._clock = clock
        self._local = threading.local()
        self._clients = {
            allow: self._client(AddressGuard(allow, self.policy.allowed_networks), resolver) for allow in (False, True)
        }
        self.robots = RobotsCache(self._fetch_robots, self.policy.user_agent)

    def _client(self, guard: AddressGuard, resolver: Resolver) -> httpx.Client:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        transport = GuardedTransport(GuardedBackend(guard, resolver, self._deadline), limits)
        return httpx.Client(
            mounts={"http://": transport, "https://": transport},
            timeout=httpx.Timeout(self.policy.timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": "identity"},
        )

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> LinkProber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _deadline(self) -> float | None:
        deadline: float | None = getattr(self._local, "deadline", None)
        return deadline

    def _allowed(self, target: LinkTarget) -> bool:
        return self.policy.allow_private or target.allow_private

    def check(self, target: LinkTarget) -> LinkResult:
        """Check ``target`` once: never raises for anything the link or its server does."""
        started = time.monotonic()
        self._local.deadline = started + self.policy.max_seconds
        self._local.allow = self._allowed(target)
        now = self._clock()
        try:
            result = self._check(target, now)
        except _Unchecked as exc:
            result = LinkResult(target.url, "unchecked", None, now, message=str(exc))
        except _Broken as exc:
            result = LinkResult(target.url, "broken", None, now, message=str(exc))
        return replace(result, elapsed=time.monotonic() - started)

    def _check(self, target: LinkTarget, now: datetime) -> LinkResult:
        url = _parse(target.url)
        method = "HEAD"
        final, hops = self._follow(method, url, target.validators)
        if final.status_code in HEAD_REFUSED:
            method = "GET"
            final, hops = self._follow(method, url, target.validators)
        return _result(target, now, method, final, hops)

    def crawl_delay(self, target: LinkTarget) -> float | None:
        """The Crawl-delay the robots.txt of the link's origin asks for (fetching it if need be)."""
        try:
            url = _parse(target.url)
        except (_Broken, _Unchecked):
            return None
        self._local.deadline = time.monotonic() + self.policy.max_seconds
        self._local.allow = self._allowed(target)
        return self.robots.crawl_delay(url)

    def _follow(self, method: str, url: httpx.URL, validators: Validators) -> tuple[httpx.Response, tuple[Hop, ...]]:
        """Send ``method`` and follow redirects: the last response (closed) and the hops before it."""
        headers = dict(validators.headers())
        if method == "GET":
            headers["Range"] = "bytes=0-0"
        hops: list[Hop] = []
        for _ in range(self.policy.max_redirects + 1):
            if not self.robots.allows(url):
                raise _Unchecked(f"robots.txt of {url.host} asks robots not to fetch {url.path}")
            response = self._send(method, url, headers)
            if not response.has_redirect_location:
                return response, tuple(hops)
            target = _location(response)
            hops.append(Hop(response.status_code, str(target)))
            url = target
        raise _Broken(f"more than {self.policy.max_redirects} redirects")

    def _send(self, method: str, url: httpx.URL, headers: dict[str, str]) -> httpx.Response:
        client = self._clients[bool(getattr(self._local, "allow", False))]
        try:
            request = client.build_request(method, url, headers=headers)
            response = client.send(request, stream=True)
        except BlockedAddressError as exc:
            raise _Unchecked(str(exc).split(";", 1)[0] + "; not checked") from exc
        except (httpx.TimeoutException, httpcore.TimeoutException) as exc:
            raise _Broken("no answer in time") from exc
        except httpx.ConnectError as exc:
            raise _Broken("could not connect") from exc
        except (httpx.HTTPError, httpcore.ProtocolError) as exc:
            log.info("checking %s failed: %r", url, exc)
            raise _Broken("the server broke the HTTP protocol or dropped the connection") from exc
        try:
            if method == "GET" and not response.has_redirect_location:
                _peek(response)
        except (httpx.HTTPError, httpcore.TimeoutException, httpcore.ProtocolError) as exc:
            log.info("reading the start of %s failed (its status is known): %r", url, exc)
        finally:
            response.close()
        return response

    def _fetch_robots(self, url: str) -> tuple[int, bytes]:
        """robots.txt's status and (capped) body; redirects followed, each hop through the guard."""
        client = self._clients[bool(getattr(self._local, "allow", False))]
        try:
            with client.stream("GET", url, follow_redirects=True) as response:
                body = b""
                for chunk in response.iter_raw():
                    body += chunk
                    if len(body) > ROBOTS_MAX_BYTES:
                        break
                return response.status_code, body[:ROBOTS_MAX_BYTES]
        except BlockedAddressError as exc:
            raise _Unchecked(str(exc)) from exc
        except (httpx.HTTPError, httpcore.TimeoutException, httpcore.ProtocolError) as exc:
            raise _Broken(repr(exc)) from exc


def _result(target: LinkTarget, now: datetime, method: str, final: httpx.Response, hops: tuple[Hop, ...]) -> LinkResult:
    code = final.status_code
    final_url = str(final.url) if hops else None
    if code == 304:
        kept = _kept(target, now, None)
        return replace(kept, method=method, redirects=hops, not_modified=True, validators=target.validators)
    if code == 429:
        return replace(_kept(target, now, "the server asked for fewer requests (HTTP 429)"), method=method)
    state, decided = judge(code, hops)
    validators = Validators(final.headers.get("etag"), final.headers.get("last-modified"))
    return LinkResult(
        target.url,
        state,
        decided,
        now,
        final_url=final_url,
        method=method,
        redirects=hops,
        message=None if state != "broken" else f"HTTP {code}",
        validators=validators if state != "broken" else Validators(),
    )


def _peek(response: httpx.Response) -> None:
    """Read at most :data:`PEEK_BYTES` of a GET's body: a server ignoring ``Range`` is not downloaded."""
    seen = 0
    for chunk in response.iter_raw(PEEK_BYTES):
        seen += len(chunk)
        if seen >= PEEK_BYTES:
            return


def _kept(target: LinkTarget, now: datetime, message: str | None) -> LinkResult:
    """A check that learned nothing new: the link keeps its last state."""
    return LinkResult(
        target.url,
        target.previous,
        target.previous_http_status,
        now,
        final_url=target.previous_final_url,
        message=message,
        validators=target.validators,
    )


def _parse(text: str) -> httpx.URL:
    value = text.strip()
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme in ("ftp", "ftps", "sftp", "mailto", "file"):
        raise _Unchecked(f"{scheme}: links are not checked")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError) as exc:
        raise _Broken("not a valid URL") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise _Broken("not an http(s) URL")
    return url


def _location(response: httpx.Response) -> httpx.URL:
    try:
        target = response.next_request
    except httpx.InvalidURL:
        target = None
    if target is None:
        raise _Broken(f"HTTP {response.status_code} redirects to an unusable Location")
    if target.url.scheme not in ("http", "https"):
        raise _Broken(f"redirects to a {target.url.scheme}: URL")
    return target.url


# --- many checks, politely --------------------------------------------------------------------------


class PoliteQueue:
    """Hands out links so that no host has more than ``concurrency`` checks in flight and one host's checks
    start ``delay`` seconds apart (one at a time, and further apart, where its robots.txt asks); hosts
    take turns."""

    def __init__(self, targets: Iterable[LinkTarget], concurrency: int, delay: float) -> None:
        self._concurrency = max(1, concurrency)
        self._delay = delay
        self._queues: dict[str, deque[LinkTarget]] = {}
        for target in targets:
            self._queues.setdefault(target.host, deque()).append(target)
        self._hosts: deque[str] = deque(self._queues)
        self._busy: dict[str, int] = {}
        self._last: dict[str, float] = {}  # when the host's newest check started
        self._delays: dict[str, float] = {}  # hosts whose robots.txt asks for a Crawl-delay
        self._condition = threading.Condition()
        self._stopped = False

    def take(self) -> LinkTarget | None:
        """The next link whose host may be checked now (waiting for one), or None when none is left."""
        with self._condition:
            while not self._stopped and self._hosts:
                found, wait = self._ready(time.monotonic())
                if found is not None:
                    return found
                self._condition.wait(timeout=wait)  # a slot frees (notified), or a host's delay ends
            return None

    def _ready(self, now: float) -> tuple[LinkTarget | None, float | None]:
        wait: float | None = None
        for _ in range(len(self._hosts)):
            host = self._hosts[0]
            self._hosts.rotate(-1)
            limit = 1 if host in self._delays else self._concurrency  # a Crawl-delay means one at a time
            if self._busy.get(host, 0) >= limit:
                continue
            start = self._last.get(host, float("-inf")) + self._delays.get(host, self._delay)
            if start > now:
                wait = start - now if wait is None else min(wait, start - now)
                continue
            queue = self._queues[host]
            target = queue.popleft()
            if not queue:
                self._hosts.remove(host)
            self._busy[host] = self._busy.get(host, 0) + 1
            self._last[host] = now
            return target, None
        return None, wait

    def done(self, target: LinkTarget) -> None:
        with self._condition:
            self._busy[target.host] -= 1
            self._condition.notify_all()

    def slow_down(self, host: str, delay: float) -> None:
        """Space this host's checks ``delay`` seconds apart, one at a time (its robots.txt's Crawl-delay;
        the checks already under way when it is read go on)."""
        with self._condition:
            if delay > self._delays.get(host, self._delay):
                self._delays[host] = delay

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify_all()


def _checked(prober: LinkProber, queue: PoliteQueue, target: LinkTarget) -> LinkResult:
    """One link's result; a fault of the checker itself leaves the link unchecked (and is logged) rather
    than ending a checking thread."""
    try:
        delay = prober.crawl_delay(target)
        if delay:
            queue.slow_down(target.host, min(delay, prober.policy.max_crawl_delay))
        return prober.check(target)
    except Exception:
        log.exception("checking %s failed inside the checker", target.url)
        return LinkResult(target.url, "unchecked", None, datetime.now(UTC), message="the check failed; see the log")


def check_links(
    targets: Iterable[LinkTarget],
    prober: LinkProber,
    on_result: Callable[[LinkResult], None],
    *,
    stop: threading.Event | None = None,
) -> None:
    """Check every target with ``policy.workers`` threads, politely; ``on_result`` gets each result (from
    the checking threads). Returns when all are checked, or soon after ``stop`` is set."""
    policy = prober.policy
    queue = PoliteQueue(targets, policy.host_concurrency, policy.host_delay)

    def work() -> None:
        while (target := queue.take()) is not None:
            try:
                if stop is not None and stop.is_set():
                    queue.stop()
                    return
                on_result(_checked(prober, queue, target))
            finally:
                queue.done(target)

    threads = [threading.Thread(target=work, name=f"link-check-{i}", daemon=True) for i in range(policy.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
