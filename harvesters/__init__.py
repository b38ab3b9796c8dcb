"""Nutmeg harvesters."""

DEFAULT_USER_AGENT = "Nutmeg/0.1 (open-data catalog harvester)"
"""What harvests send as User-Agent (here, not in ``harvesters.http``, so settings need not import httpx)."""
