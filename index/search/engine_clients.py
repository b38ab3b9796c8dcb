"""Talking to Elasticsearch 8/9 (the official ``elasticsearch`` client) or OpenSearch 2/3 (``opensearch-py``).

Which product is at ``NUTMEG_SEARCH_URL`` is read from its root response (``GET /``): OpenSearch says
``"distribution": "opensearch"``, Elasticsearch does not. Both clients then get the same requests (built by
:mod:`index.search.engine_dsl`) through one small interface, :class:`EngineClient`, and their errors are
turned into ours::

    EngineError                    the engine answered with an error (status and reason)
    ├── EngineBusy                 429: rejected for load; retry after a pause (bulk backpressure)
    └── EngineMissing              404: no such index or alias
    BackendUnavailable             nothing answered (refused, timed out, 502/503/504): the API says 503

Credentials come from the URL (``https://user:password@host:9200``); they never appear in messages.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

import httpx
import orjson

from index.search.base import BackendUnavailable

log = logging.getLogger("nutmeg.engine")

DEFAULT_TIMEOUT = 30.0
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})


class EngineError(Exception):
    """The engine refused a request."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"search engine answered {status}: {reason}")
        self.status = status
        self.reason = reason


class EngineBusy(EngineError):
    """429 Too Many Requests: back off and retry."""


class EngineMissing(EngineError):
    """404: the index or alias does not exist."""


@dataclass(frozen=True, slots=True)
class ProductInfo:
    product: str  # "elasticsearch" | "opensearch"
    version: str

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0] or 0)

    @property
    def label(self) -> str:
        return f"{'OpenSearch' if self.product == 'opensearch' else 'Elasticsearch'} {self.version}"


class EngineClient(Protocol):
    info: ProductInfo

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """One JSON request; raises :class:`EngineError` subclasses or ``BackendUnavailable``."""

    def bulk(self, lines: bytes, refresh: str) -> Mapping[str, Any]:
        """One ``_bulk`` request with an NDJSON body."""

    def close(self) -> None: ...


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def detect(url: str, timeout: float = 10.0) -> ProductInfo:
    """Which product and version answers at ``url`` (its root response)."""
    parts = urllib.parse.urlsplit(url)
    auth = None
    if parts.username:
        auth = (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    bare = urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))
    try:
        response = httpx.get(bare.rstrip("/") + "/", auth=auth, timeout=timeout)
    except httpx.HTTPError as exc:
        raise BackendUnavailable(f"no search engine answers at {redact(url)}: {exc}") from exc
    if response.status_code in UNAVAILABLE_STATUSES:
        raise BackendUnavailable(f"the search engine at {redact(url)} answered {response.status_code}")
    if response.status_code != 200:
        raise EngineError(response.status_code, f"GET / at {redact(url)}: {response.text[:200]}")
    try:
        version = response.json()["version"]
        number = str(version["number"])
    except (ValueError, KeyError, TypeError) as exc:
        raise EngineError(200, f"{redact(url)} is not Elasticsearch or OpenSearch (no version in GET /)") from exc
    product = "opensearch" if version.get("distribution") == "opensearch" else "elasticsearch"
    return ProductInfo(product, number)


def connect(url: str, info: ProductInfo, timeout: float = DEFAULT_TIMEOUT) -> EngineClient:
    """A client for the product found at ``url``."""
    if info.product == "opensearch":
        return OpenSearchClient(url, info, timeout)
    if info.major < 8:
        raise EngineError(0, f"Elasticsearch {info.version} is too old; Nutmeg needs Elasticsearch 8 or 9")
    return ElasticsearchClient(url, info, timeout)


def _reason(body: Any, fallback: str) -> str:
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            root = (error.get("root_cause") or [error])[0]
            return f"{root.get('type', '?')}: {root.get('reason', '')}"[:500]
        if isinstance(error, str):
            return error[:500]
    return fallback[:500]


def _raise_for(status: int, body: Any, fallback: str) -> NoReturn:
    reason = _reason(body, fallback)
    if status in UNAVAILABLE_STATUSES:
        raise BackendUnavailable(f"search engine answered {status}: {reason}")
    if status == 429:
        raise EngineBusy(status, reason)
    if status == 404:
        raise EngineMissing(status, reason)
    raise EngineError(status, reason)


class ElasticsearchClient:
    """Elasticsearch 8/9 through the official client (which checks the product header itself)."""

    def __init__(self, url: str, info: ProductInfo, timeout: float) -> None:
        import elasticsearch

        self.info = info
        self._errors = elasticsearch
        self._client = elasticsearch.Elasticsearch(url, request_timeout=timeout, max_retries=1, retry_on_timeout=False)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        headers = {"accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/json"
        client = self._client.options(request_timeout=timeout) if timeout else self._client
        try:
            response = client.perform_request(method, path, params=params, headers=headers, body=body)
        except self._errors.ApiError as exc:
            _raise_for(exc.meta.status, exc.body, str(exc))
        except (self._errors.ConnectionError, self._errors.ConnectionTimeout) as exc:
            raise BackendUnavailable(f"Elasticsearch is unreachable: {type(exc).__name__}") from exc
        except self._errors.TransportError as exc:
            raise BackendUnavailable(f"Elasticsearch transport error: {type(exc).__name__}") from exc
        return response.body

    def bulk(self, lines: bytes, refresh: str) -> Mapping[str, Any]:
        headers = {"accept": "application/json", "content-type": "application/x-ndjson"}
        try:
            response = self._client.perform_request(
                "POST", "/_bulk", params={"refresh": refresh}, headers=headers, body=lines
            )
        except self._errors.ApiError as exc:
            _raise_for(exc.meta.status, exc.body, str(exc))
        except (self._errors.ConnectionError, self._errors.ConnectionTimeout, self._errors.TransportError) as exc:
            raise BackendUnavailable(f"Elasticsearch is unreachable: {type(exc).__name__}") from exc
        body: Mapping[str, Any] = response.body
        return body

    def close(self) -> None:
        self._client.close()


class OpenSearchClient:
    """OpenSearch 2/3 through ``opensearch-py``."""

    def __init__(self, url: str, info: ProductInfo, timeout: float) -> None:
        import opensearchpy

        self.info = info
        self._errors = opensearchpy
        self._client = opensearchpy.OpenSearch(hosts=[url], timeout=timeout, max_retries=1, retry_on_timeout=False)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        try:
            return self._client.transport.perform_request(method, path, params=params, body=body, timeout=timeout)
        except self._errors.ConnectionError as exc:
            raise BackendUnavailable(f"OpenSearch is unreachable: {type(exc).__name__}") from exc
        except self._errors.TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 0
            _raise_for(status, exc.info, str(exc.error))

    def bulk(self, lines: bytes, refresh: str) -> Mapping[str, Any]:
        result: Mapping[str, Any] = self.call("POST", "/_bulk", body=lines, params={"refresh": refresh})
        return result

    def close(self) -> None:
        self._client.close()


def dumps_lines(lines: list[dict[str, Any]]) -> bytes:
    """NDJSON for ``_bulk`` (orjson: the encoding is a large share of bulk indexing's client time)."""
    return b"\n".join(orjson.dumps(line) for line in lines) + b"\n"
