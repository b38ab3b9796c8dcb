"""The governance vocabulary: an organization's modes and a key's roles (ordered, weakest first).

Its own module, importing nothing, so the CLI can offer them as choices without loading the store."""

from __future__ import annotations

from typing import Literal

Mode = Literal["direct", "reviewed"]
Role = Literal["publisher", "reviewer", "admin"]
MODES: tuple[str, ...] = ("direct", "reviewed")
ROLES: tuple[str, ...] = ("publisher", "reviewer", "admin")
