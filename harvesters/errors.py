"""Harvest exceptions, grouped by what the caller should do.

::

    HarvestError                      base of everything a harvest can raise
    ├── SourceError                   fatal for this run: fail the job, withdraw nothing
    │   ├── FetchError                the source answered badly (4xx, bad URL, too many redirects)
    │   │   ├── BlockedAddressError   SSRF guard: the URL resolves to a private/loopback address
    │   │   ├── ResponseTooLarge      the body exceeded the size cap (counted after decompression)
    │   │   └── FetchTimeout          the whole fetch took longer than allowed
    │   ├── ParseError                the body is not what the harvester reads (not JSON, not a catalog)
    │   ├── PagingError               a paged source repeated a page token (would loop forever)
    │   └── LimitError                the job reached a cap (records or requests per job)
    ├── RetriableError                429 / 5xx / network trouble: retried with backoff, then a SourceError
    └── RecordError                   one bad record: stored as a per-record error, the harvest goes on

The job runner catches ``SourceError`` (the job fails, nothing is withdrawn) and ``RecordError`` (the record
is counted as failed); anything else is a bug and propagates.
"""

from __future__ import annotations


class HarvestError(Exception):
    """Base class for harvest failures."""


class SourceError(HarvestError):
    """The source as a whole cannot be harvested this time."""


class FetchError(SourceError):
    """The HTTP fetch failed for good (after any retries)."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class BlockedAddressError(FetchError):
    """The SSRF guard refused a URL that resolves to a non-public address."""


class ResponseTooLarge(FetchError):
    """The response body went past the configured maximum."""


class FetchTimeout(FetchError):
    """The fetch went past its time budget."""


class ParseError(SourceError):
    """The body could not be read as the harvester's format."""


class PagingError(SourceError):
    """A paginator saw a page token twice."""


class LimitError(SourceError):
    """The job went past one of its caps (NUTMEG_HARVEST_MAX_RECORDS, NUTMEG_HARVEST_MAX_PAGES)."""


class RetriableError(HarvestError):
    """A transient failure worth retrying (429, 5xx, connection reset, read timeout)."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class RecordError(HarvestError):
    """A single record is unusable; it is reported and skipped."""

    def __init__(self, message: str, *, identifier: str | None = None, path: str = "$") -> None:
        super().__init__(message)
        self.identifier = identifier
        self.path = path
