"""Pagination as objects that refuse to loop forever (after the Singer SDK's paginators)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

from harvesters.errors import PagingError

T = TypeVar("T", bound=Hashable)


class Paginator(Generic[T]):
    """Tracks page tokens; :meth:`advance` raises :class:`PagingError` on a token seen before."""

    def __init__(self, first: T, *, max_pages: int = 100_000) -> None:
        self.current: T = first
        self.finished = False
        self.pages = 1
        self._seen: set[T] = {first}
        self._max_pages = max_pages

    def advance(self, token: T | None) -> None:
        """Move to ``token``; ``None`` means there are no more pages."""
        if token is None:
            self.finished = True
            return
        if token in self._seen:
            raise PagingError(f"the source repeated page token {token!r} after {self.pages} pages")
        if self.pages >= self._max_pages:
            raise PagingError(f"more than {self._max_pages} pages; stopping")
        self._seen.add(token)
        self.current = token
        self.pages += 1


class OffsetPaginator(Paginator[int]):
    """``start``/``offset`` paging: the next token is the offset after this page's records."""

    def __init__(self, page_size: int, *, start: int = 0, max_pages: int = 100_000) -> None:
        super().__init__(start, max_pages=max_pages)
        self.page_size = page_size

    def next_offset(self, received: int, total: int | None) -> int | None:
        """The next offset, or None when this page was short or the total is reached."""
        offset = self.current + received
        if received == 0 or (total is not None and offset >= total):
            return None
        return offset
