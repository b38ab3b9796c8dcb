"""Mapping failures: the graph does not describe a usable dataset."""

from __future__ import annotations


class MappingError(Exception):
    """A record's graph cannot become the model (no dataset node, no title...)."""

    def __init__(self, message: str, *, path: str = "$") -> None:
        super().__init__(message)
        self.path = path
