"""Fixed-window rate limits kept in the process: writes per key and per client address, sign-ins per
client address. A refused request answers 429 with ``Retry-After`` (seconds until the window ends).

One process's counts: with several uvicorn workers each enforces the limit on its own share, which
still bounds a client to ``workers × limit``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimited(Exception):
    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(f"too many {what}; try again in {retry_after} s")
        self.retry_after = retry_after


class RateLimiter:
    """At most ``limit`` hits per ``window`` seconds for each name."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}

    def hit(self, name: str, what: str) -> None:
        """Count one hit for ``name``; raises :class:`RateLimited` past the limit."""
        now = self._clock()
        with self._lock:
            if len(self._counts) > 10_000:
                self._counts = {k: v for k, v in self._counts.items() if now - v[0] < self.window}
            start, count = self._counts.get(name, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            if count >= self.limit:
                raise RateLimited(what, max(1, math.ceil(start + self.window - now)))
            self._counts[name] = (start, count + 1)
