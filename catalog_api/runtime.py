"""Process-level tuning for a long-running server."""

from __future__ import annotations

import gc
import os

SERVER_THRESHOLDS = (50_000, 20, 100)
_tuned = False


def tune_collector() -> None:
    """Keep the cyclic garbage collector from rescanning what a server loads once.

    A server process holds many long-lived objects (the embedded index's columns, templates, the
    schemas); with the default thresholds every few hundred allocations start a collection that
    rescans them, which measured ~40% of building a 1,000-dataset catalog page. Objects alive now are
    frozen out of collection and young collections happen less often. Reference counting still frees
    everything without cycles immediately.
    """
    global _tuned
    if _tuned:  # once per process: a second freeze would keep later garbage out of collection
        return
    _tuned = True
    gc.freeze()
    gc.set_threshold(*SERVER_THRESHOLDS)


def lower_priority(niceness: int) -> None:
    """Give this process (and the mapping workers it starts, which inherit it) a lower CPU priority.

    A harvest is batch work: on a machine that also serves, it took every core (its mapping workers
    too) and searches waited for CPU (benchmarks/load.py: p99 2.4 s during a harvest, the server
    getting under a third of a core). The harvest still gets every cycle the server does not need.
    Raises the niceness to ``niceness``, never lowers it, so calling it again changes nothing.
    """
    if niceness <= 0 or not hasattr(os, "nice"):
        return
    current = os.nice(0)
    if current < niceness:
        os.nice(niceness - current)
