"""The one HTTP layer every harvester uses.

* timeouts per operation and a time budget per fetch; a size cap enforced while streaming, counted after
  decompression; a redirect limit, every hop checked;
* retries with exponential backoff on 429 / 5xx / network errors, honouring ``Retry-After``
  (:func:`failure_policy` is the one place that decides what a status means);
* conditional GET (ETag / Last-Modified); a per-host concurrency limit and politeness delay;
* an SSRF guard: every connection goes through :class:`GuardedBackend`, which resolves the host itself,
  refuses loopback, private, link-local and reserved addresses (unless the operator allows them) and
  connects to the address it checked — so neither a redirect nor DNS rebinding gets past it.
"""

from __future__ import annotations

import codecs
import email.utils
import functools
import ipaddress
import logging
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import certifi
import httpcore
import httpx

from harvesters import DEFAULT_USER_AGENT
from harvesters.errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeout,
    LimitError,
    ParseError,
    ResponseTooLarge,
    RetriableError,
)

log = logging.getLogger("nutmeg.harvest")

# API pages of JSON are read whole too, but cost ~5x their size once parsed (a 30 MB CKAN page: +160 MB)
# where RDF and XML parsers cost ~40x: they may be this many times NUTMEG_HARVEST_MAX_PARSE_BYTES.
JSON_PAGE_FACTOR = 4

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]
Outcome = Literal["ok", "not-modified", "retry", "fatal"]

# Only encodings :class:`BoundedDecoder` can inflate in bounded steps are asked for.
ACCEPT_ENCODING = "gzip, deflate"
_INFLATE_STEP = 1 << 16


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    """Limits and manners for outgoing requests (built from Settings by the app)."""

    timeout: float = 30.0
    max_seconds: float = 3600.0  # the whole job: an HttpClient serves one job and counts from its creation
    max_bytes: int = 1 << 30
    max_parse_bytes: int = 8 << 20  # bodies read whole for a parser (get_bytes)
    max_requests: int = 50_000  # pages (API pages, Hydra pages, WAF files) one job may request
    max_redirects: int = 5
    retries: int = 3
    backoff: float = 0.5
    max_retry_after: float = 60.0
    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    host_concurrency: int = 2
    host_delay: float = 0.0
    user_agent: str = DEFAULT_USER_AGENT
    file_root: Path | None = None


@dataclass(frozen=True, slots=True)
class Validators:
    """What a conditional GET sends back: the ETag and Last-Modified of the last good fetch."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True, slots=True)
class OriginHeaders:
    """Headers (a source's credentials) sent only to one origin, the source's."""

    origin: httpx.URL
    headers: Mapping[str, str]

    def __repr__(self) -> str:  # never print a secret
        return f"OriginHeaders({self.origin.host}, {sorted(self.headers)})"

    def applies_to(self, url: httpx.URL) -> bool:
        """Same scheme, host and port as the source, or the same host upgraded from http to https."""
        if url.host.lower() != self.origin.host.lower():
            return False
        if url.scheme == self.origin.scheme:
            return url.port == self.origin.port
        return self.origin.scheme == "http" and url.scheme == "https" and url.port is None


def failure_policy(status: int) -> Outcome:
    """The one decision on what an HTTP status means for a harvest."""
    if status == 304:
        return "not-modified"
    if 200 <= status < 300:
        return "ok"
    if status in (408, 425, 429) or status >= 500:
        return "retry"
    return "fatal"


# --- SSRF guard -------------------------------------------------------------------------------------


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` to its IP addresses with the system resolver."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpcore.ConnectError(f"cannot resolve host {host!r}: {exc}") from exc
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


@dataclass(frozen=True, slots=True)
class AddressGuard:
    """Decides which IP addresses the harvester may connect to."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def allows(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in self.allowed_networks):
            return True
        return self.allow_private or is_public(ip)


def is_public(ip: IPAddress) -> bool:
    """True for globally routable unicast addresses only."""
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


Deadline = Callable[[], float | None]


def _no_deadline() -> float | None:
    return None


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read, write and TLS handshake ends by the job's deadline (monotonic
    seconds), so a server dripping its headers or its body a byte at a time is cut at the deadline
    instead of resetting a per-read timeout forever."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def _bounded(self, timeout: float | None) -> float | None:
        return bounded_timeout(timeout, self._deadline())

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._bounded(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._bounded(timeout))
        return DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


def bounded_timeout(timeout: float | None, deadline: float | None) -> float | None:
    """``timeout`` shortened to what is left before ``deadline``; a timeout error once it has passed."""
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise httpcore.ReadTimeout("the harvest's time budget is spent")
    return remaining if timeout is None else min(timeout, remaining)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore network backend that only opens TCP connections to addresses the guard allows, and whose
    streams end by ``deadline``."""

    def __init__(
        self, guard: AddressGuard, resolver: Resolver = system_resolver, deadline: Deadline = _no_deadline
    ) -> None:
        self._guard = guard
        self._resolver = resolver
        self._deadline = deadline
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._resolver(host, port)
        allowed = [a for a in addresses if self._guard.allows(a)]
        if not allowed:
            listed = ", ".join(addresses) or "no address"
            raise BlockedAddressError(
                f"refused to connect to {host} ({listed}): not a public address; set "
                "NUTMEG_HARVEST_ALLOW_PRIVATE=1 or the source's allow-private flag to permit it"
            )
        error: Exception | None = None
        for address in allowed:
            try:
                bounded = bounded_timeout(timeout, self._deadline())
                stream = self._inner.connect_tcp(address, port, bounded, local_address, socket_options)
                return DeadlineStream(stream, self._deadline)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise BlockedAddressError("unix sockets are never harvested")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verified TLS context per process (loading the CA bundle costs ~20 ms)."""
    return ssl.create_default_context(cafile=certifi.where())


class GuardedTransport(httpx.HTTPTransport):
    """httpx transport whose connection pool connects through :class:`GuardedBackend`."""

    def __init__(self, backend: GuardedBackend, limits: httpx.Limits) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


class FileTransport(httpx.BaseTransport):
    """Serves ``file://`` URLs below one root folder (the bundled demo catalogs); nothing else."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = Path(request.url.path).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            return httpx.Response(404, request=request, text="not found")
        return httpx.Response(200, request=request, stream=_FileStream(path))


class _FileStream(httpx.SyncByteStream):
    def __init__(self, path: Path) -> None:
        self._path = path

    def __iter__(self) -> Iterator[bytes]:
        with self._path.open("rb") as handle:
            while chunk := handle.read(1 << 16):
                yield chunk


# --- politeness --------------------------------------------------------------------------------------


class HostThrottle:
    """At most ``concurrency`` requests in flight per host (held until the body is read), each request to
    a host ``delay`` seconds after the one before it."""

    def __init__(self, concurrency: int, delay: float) -> None:
        self._concurrency = max(1, concurrency)
        self._delay = delay
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._last: dict[str, float] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.BoundedSemaphore(self._concurrency))
        with semaphore:
            yield

    def wait_turn(self, host: str) -> None:
        if self._delay <= 0:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._last.get(host, 0.0) + self._delay)
            self._last[host] = start
        if start > now:
            time.sleep(start - now)


# --- the client --------------------------------------------------------------------------------------


@dataclass
class Fetched:
    """An open response whose body is read through :meth:`iter_bytes` within the caps."""

    url: str
    status: int
    headers: httpx.Headers
    elapsed: float
    _response: httpx.Response
    _policy: HttpPolicy
    _deadline: float
    bytes_read: int = field(default=0)
    _limit: int = field(default=0)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def validators(self) -> Validators:
        return Validators(self.headers.get("etag"), self.headers.get("last-modified"))

    @property
    def content_type(self) -> str:
        value: str = self.headers.get("content-type", "")
        return value.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The character set the Content-Type declares, as Python's codec name (None when it declares
        none); :class:`ParseError` when it names no codec, or a codec that is not a character set
        (``bz2``, ``zlib``, ``base64``, ``rot13``, ``hex``... would decompress or transform the body)."""
        value: str = self.headers.get("content-type", "")
        for param in value.split(";")[1:]:
            key, _, found = param.strip().partition("=")
            if key.strip().lower() == "charset" and found.strip():
                return text_encoding(found.strip().strip('"').strip("'"), url=self.url)
        return None

    def iter_bytes(self, chunk_size: int = 1 << 16, *, limit: int | None = None) -> Iterator[bytes]:
        """The decoded body in chunks; the size cap (``limit``, else NUTMEG_HARVEST_MAX_BYTES) counts
        decoded bytes and is checked every 64 KiB of output, so a compression bomb never inflates past
        it in memory. The job's deadline bounds every read."""
        self._limit = min(limit, self._policy.max_bytes) if limit is not None else self._policy.max_bytes
        _ = self.charset  # a body declared in a non-text "charset" is refused before a byte is read
        declared = self.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._limit and "content-encoding" not in self.headers:
            raise ResponseTooLarge(
                f"{self.url} announces {int(declared):,} bytes, over the {self._limit_words()}", url=self.url
            )
        decoder = BoundedDecoder(self.headers.get("content-encoding", ""), url=self.url)
        try:
            for raw in self._response.iter_raw(chunk_size):
                for chunk in decoder.feed(raw):
                    yield self._counted(chunk)
            for chunk in decoder.flush():
                yield self._counted(chunk)
        except httpx.HTTPError as exc:
            if time.monotonic() >= self._deadline:
                raise out_of_time(self._policy, self.url) from exc
            log.info("reading %s failed: %r", self.url, exc)
            raise FetchError(f"the connection broke while reading {self.url}", url=self.url) from exc

    def _limit_words(self) -> str:
        if self._limit < self._policy.max_bytes:
            return f"{self._limit:,}-byte limit for documents read whole (NUTMEG_HARVEST_MAX_PARSE_BYTES)"
        return f"{self._limit:,}-byte limit (NUTMEG_HARVEST_MAX_BYTES)"

    def _counted(self, chunk: bytes) -> bytes:
        self.bytes_read += len(chunk)
        self._check_limits()
        return chunk

    def read(self, *, limit: int | None = None) -> bytes:
        return b"".join(self.iter_bytes(limit=limit))

    def _check_limits(self) -> None:
        if self.bytes_read > (self._limit or self._policy.max_bytes):
            raise ResponseTooLarge(f"{self.url} is larger than the {self._limit_words()}", url=self.url)
        self.check_time()

    def check_time(self) -> None:
        """:class:`FetchTimeout` once the job's time budget is spent (for work on a body already read)."""
        if time.monotonic() > self._deadline:
            raise out_of_time(self._policy, self.url)


def out_of_time(policy: HttpPolicy, url: str, *, retrying: bool = False) -> FetchTimeout:
    """The one message for a job past (or about to pass, waiting to retry) its deadline."""
    what = "waiting to retry would take the harvest past" if retrying else "the harvest took longer than"
    return FetchTimeout(f"{what} {policy.max_seconds:g} s (NUTMEG_HARVEST_MAX_SECONDS); stopped at {url}", url=url)


def text_encoding(name: str, *, url: str) -> str:
    """Python's codec name for the character set ``name``; :class:`ParseError` unless it is a text
    encoding (``codecs.lookup`` also finds bz2, zlib, base64, rot13, hex and other byte transforms)."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ParseError(f"{url} declares charset {name[:40]!r}, which is not a known character set") from None
    if not getattr(info, "_is_text_encoding", True):
        raise ParseError(f"{url} declares charset {name[:40]!r}, which is not a character set; nothing was decoded")
    return info.name


class BoundedDecoder:
    """Undoes ``Content-Encoding: gzip`` / ``deflate`` at most 64 KiB of output at a time.

    httpx inflates each network chunk whole, so one 64 KiB chunk of a deflate bomb becomes ~64 MB before
    any size check runs; here the caller sees (and counts) every 64 KiB as it is produced.
    """

    def __init__(self, encoding: str, *, url: str) -> None:
        self._url = url
        names = [e.strip().lower() for e in encoding.split(",") if e.strip() and e.strip().lower() != "identity"]
        if len(names) > 1 or (names and names[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchError(f"{url} sent Content-Encoding {encoding!r}, which was not asked for", url=url)
        self._encoding = names[0] if names else None
        self._inflater: zlib._Decompress | None = None
        if self._encoding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._encoding is None:
            if data:
                yield data
            return
        if self._inflater is None:  # deflate: zlib-wrapped as the RFC says, or raw as some servers send
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if _is_zlib_header(data) else -zlib.MAX_WBITS)
        yield from self._inflate(data)

    def flush(self) -> Iterator[bytes]:
        if self._inflater is None:
            return
        yield from self._inflate(b"")
        tail = self._inflater.flush()
        if tail:
            yield tail

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        assert self._inflater is not None
        try:
            while True:
                out = self._inflater.decompress(data, _INFLATE_STEP)
                if out:
                    yield out
                data = self._inflater.unconsumed_tail
                if not data and len(out) < _INFLATE_STEP:
                    return
        except zlib.error as exc:
            log.info("inflating %s failed: %r", self._url, exc)
            raise FetchError(f"{self._url}: the {self._encoding} body is corrupt", url=self._url) from exc


def _is_zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0


class HttpClient:
    """Shared by all harvesters of one process (one connection pool, one throttle)."""

    def __init__(
        self,
        policy: HttpPolicy | None = None,
        *,
        resolver: Resolver = system_resolver,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or HttpPolicy()
        # One client serves one harvest job: NUTMEG_HARVEST_MAX_SECONDS counts from here, for every
        # fetch, header and wait of the job.
        self.deadline = time.monotonic() + self.policy.max_seconds
        self.requests = 0
        guard = AddressGuard(self.policy.allow_private, self.policy.allowed_networks)
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=8)
        mounts: dict[str, httpx.BaseTransport | None] = {
            "http://": GuardedTransport(GuardedBackend(guard, resolver, self._current_deadline), limits),
            "https://": GuardedTransport(GuardedBackend(guard, resolver, self._current_deadline), limits),
        }
        if self.policy.file_root is not None:
            mounts["file://"] = FileTransport(self.policy.file_root)
        timeout = httpx.Timeout(self.policy.timeout)
        self._client = httpx.Client(
            mounts=mounts,
            verify=_ssl_context(),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )
        self._throttle = HostThrottle(self.policy.host_concurrency, self.policy.host_delay)
        self._sleep = sleep
        self._credentials: OriginHeaders | None = None

    def authorize(self, origin: str, headers: Mapping[str, str]) -> None:
        """Send ``headers`` (a source's credentials) with every request to ``origin``'s scheme, host and
        port, and with no other request — a redirect elsewhere gets none of them."""
        self._credentials = OriginHeaders(httpx.URL(origin), dict(headers)) if headers else None

    def _current_deadline(self) -> float | None:
        return self.deadline

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def open(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        validators: Validators | None = None,
        method: str = "GET",
        content: bytes | None = None,
    ) -> Iterator[Fetched]:
        """Open ``url`` (retrying transient failures) and yield the response to stream its body.

        Raises :class:`FetchError` for a final failure; a 304 is returned (``not_modified``). The request
        holds one of its host's concurrency slots until the body is closed, so never open a second
        request to the same host while one is open.
        """
        all_headers = dict(headers or {})
        self._check_scheme(url)
        if url.startswith("file:///"):
            url = "file://localhost/" + url.removeprefix("file:///")  # httpx takes host-less URLs as relative
        if validators is not None:
            all_headers.update(validators.headers())
        if time.monotonic() >= self.deadline:
            raise out_of_time(self.policy, url)
        self.requests += 1
        if self.requests > self.policy.max_requests:
            raise LimitError(
                f"the harvest asked for more than {self.policy.max_requests:,} pages, the most one job reads "
                "(NUTMEG_HARVEST_MAX_PAGES); stopped"
            )
        try:
            request = self._client.build_request(method, url, params=params, headers=all_headers, content=content)
        except httpx.InvalidURL as exc:
            raise FetchError(f"{url[:200]!r} is not a valid URL", url=url) from exc
        with self._throttle.slot(request.url.host or "file"):
            yield from self._opened(request, self.deadline)

    def _check_scheme(self, url: str) -> None:
        """Only http(s) is ever fetched (``file:`` too, below the demo root, when one is configured)."""
        scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
        allowed = ("http", "https", "file") if self.policy.file_root is not None else ("http", "https")
        if scheme not in allowed:
            shown = f"{scheme}:" if scheme and scheme.isascii() and scheme.isalnum() else "this kind of"
            raise FetchError(f"only http and https URLs are harvested; {shown} URLs are refused", url=url)

    def _opened(self, request: httpx.Request, deadline: float) -> Iterator[Fetched]:
        response, started = self._send_with_retries(request, deadline)
        try:
            elapsed = time.monotonic() - started
            yield Fetched(
                str(response.url),
                response.status_code,
                response.headers,
                elapsed,
                response,
                self.policy,
                deadline,
            )
        finally:
            response.close()

    def get_bytes(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        validators: Validators | None = None,
        limit: int | None = None,
    ) -> tuple[Fetched, bytes]:
        """Fetch a whole body for a parser that reads it at once, capped at ``limit`` bytes (default
        NUTMEG_HARVEST_MAX_PARSE_BYTES: such parsers hold many times the document's size in memory)."""
        with self.open(url, params=params, headers=headers, validators=validators) as fetched:
            body = b"" if fetched.not_modified else fetched.read(limit=limit or self.policy.max_parse_bytes)
            return fetched, body

    def _send_with_retries(self, request: httpx.Request, deadline: float) -> tuple[httpx.Response, float]:
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                return self._send_following(request, deadline), started
            except RetriableError as exc:
                attempt += 1
                if time.monotonic() >= deadline:
                    raise out_of_time(self.policy, str(request.url)) from exc
                if attempt > self.policy.retries:
                    raise FetchError(
                        f"{request.url} still failing after {self.policy.retries} retries: {exc}",
                        status=exc.status,
                        url=str(request.url),
                    ) from exc
                wait = self._backoff(attempt, exc.retry_after)
                if time.monotonic() + wait > deadline:
                    raise out_of_time(self.policy, str(request.url), retrying=True) from exc
                self._sleep(wait)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.policy.max_retry_after)
        return float(min(self.policy.backoff * (2 ** (attempt - 1)), self.policy.max_retry_after))

    def _send_following(self, request: httpx.Request, deadline: float) -> httpx.Response:
        for _ in range(self.policy.max_redirects + 1):
            response = self._send_once(request)
            if not response.has_redirect_location:
                return self._classify(response)
            response.close()
            request = self._redirect_target(response)
            if time.monotonic() > deadline:
                raise out_of_time(self.policy, str(request.url))
        raise FetchError(f"more than {self.policy.max_redirects} redirects from {request.url}", url=str(request.url))

    def _send_once(self, request: httpx.Request) -> httpx.Response:
        self._throttle.wait_turn(request.url.host or "file")
        self._apply_credentials(request)
        try:
            return self._client.send(request, stream=True)
        except BlockedAddressError:
            raise
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(f"unsupported URL {request.url}", url=str(request.url)) from exc
        except httpx.InvalidURL as exc:  # httpx builds the redirect target while receiving the response
            raise FetchError(f"{request.url} redirected to an invalid URL; refused", url=str(request.url)) from exc
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            log.info("request to %s failed: %r", request.url, exc)
            raise RetriableError(_network_words(exc)) from exc

    def _apply_credentials(self, request: httpx.Request) -> None:
        """Credentials go with this hop only if it goes to the source's origin (a redirect's request is
        copied from the previous hop's, so they are taken off first)."""
        credentials = self._credentials
        if credentials is None:
            return
        for name in credentials.headers:
            request.headers.pop(name, None)
        if credentials.applies_to(request.url):
            request.headers.update(credentials.headers)

    def _redirect_target(self, response: httpx.Response) -> httpx.Request:
        try:
            target = response.next_request
        except httpx.InvalidURL:
            target = None
        if target is None:
            raise FetchError(f"{response.url} redirected without a usable Location", url=str(response.url))
        if target.url.scheme not in ("http", "https"):
            raise FetchError(f"{response.url} redirected to a {target.url.scheme}: URL; refused", url=str(target.url))
        return target

    def _classify(self, response: httpx.Response) -> httpx.Response:
        outcome = failure_policy(response.status_code)
        if outcome in ("ok", "not-modified"):
            return response
        response.close()
        message = f"HTTP {response.status_code} from {response.url}"
        if outcome == "retry":
            raise RetriableError(
                message,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
                status=response.status_code,
            )
        raise FetchError(message, status=response.status_code, url=str(response.url))


def _network_words(exc: httpx.HTTPError) -> str:
    """What went wrong on the network, in our words (the library's are logged, never shown)."""
    if isinstance(exc, httpx.TimeoutException):
        return "the server did not answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server broke the HTTP protocol"
    return "the connection failed"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class BodyReader:
    """A file-like ``read(n)`` over a response body, for streaming parsers such as ijson."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            return self._buffer + b"".join(self._chunks)
        while len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out
