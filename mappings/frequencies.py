"""Update frequencies: the words catalogs use → the ISO 8601 repeating durations DCAT-US 1.1 requires
(after the Project Open Data v1.0 → v1.1 table)."""

from __future__ import annotations

import re

FREQUENCIES: dict[str, str] = {
    "decennial": "R/P10Y",
    "quadrennial": "R/P4Y",
    "annual": "R/P1Y",
    "annually": "R/P1Y",
    "yearly": "R/P1Y",
    "every year": "R/P1Y",
    "bimonthly": "R/P2M",
    "semiweekly": "R/P3.5D",
    "daily": "R/P1D",
    "biweekly": "R/P2W",
    "semiannual": "R/P6M",
    "biennial": "R/P2Y",
    "triennial": "R/P3Y",
    "three times a week": "R/P0.33W",
    "three times a month": "R/P0.33M",
    "continuous": "R/PT1S",
    "monthly": "R/P1M",
    "quarterly": "R/P3M",
    "semimonthly": "R/P0.5M",
    "three times a year": "R/P4M",
    "weekly": "R/P1W",
    "hourly": "R/PT1H",
    "irregular": "irregular",
}

_EMBEDDED = re.compile(r"(R/P[0-9.YMWDTHS]+)")


def iso_frequency(text: str) -> str | None:
    """``"Weekly"`` → ``R/P1W``; ``"Annual (R/P1Y)"`` → ``R/P1Y``; None when it names no frequency."""
    key = " ".join(text.strip().lower().replace("-", " ").split())
    for candidate in (key, key.replace(" ", "")):
        if candidate in FREQUENCIES:
            return FREQUENCIES[candidate]
    if key.endswith("ly") and key[:-2] in FREQUENCIES:
        return FREQUENCIES[key[:-2]]
    match = _EMBEDDED.search(text.upper())
    return match.group(1) if match else None
