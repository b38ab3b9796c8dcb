"""How fresh a dataset is: its ``accrualPeriodicity`` and its ``modified`` → ``fresh``, ``due``, ``stale``
or ``unknown``.

Freshness changes as time passes while the record does not, so it is not stored as a word: at index time a
dataset gets two instants (:class:`Schedule`), when it becomes *due* (an expected update is late) and
when it becomes *stale* (a second one is late too). A search compares them with "now"
(:func:`state`); filters and facets are range comparisons on both backends, so nothing is recomputed per
query and a dataset turns due on its own, with no reindex.

The rules (documented in docs/search.md):

* a period ``P`` (an ISO 8601 repeating duration such as ``R/P1D``, ``R/PT1H``, ``R/P3M``, ``R/P0.5M``, a
  DCAT-US frequency word, a Dublin Core Collection Description frequency term such as ``threeTimesAYear``
  or ``http://purl.org/cld/freq/weekly``, or an EU frequency authority code such as ``DAILY``): due at
  ``modified + P + grace``, stale at ``modified + 2P + grace``, with ``grace`` a tenth of ``P`` (at least
  an hour, at most 30 days) for harvest delays;
* continuous (``continual``, ``continuous``, ``R/PT1S``, any period under an hour): expected to change at
  least daily, so ``P`` is one day;
* ``irregular`` (and "as needed", "other"): due a year after ``modified``, stale after two;
* never updated (``never``, "not planned"): always fresh;
* no or an unreadable periodicity, ``unknown``, or no ``modified`` (nor ``issued``): ``unknown``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from mappings.frequencies import iso_frequency

State = Literal["fresh", "due", "stale", "unknown"]
STATES: tuple[State, ...] = ("fresh", "due", "stale", "unknown")

NEVER_DUE = datetime(9999, 12, 31, tzinfo=UTC)  # "no update planned": never due, never stale
CONTINUOUS_FLOOR = timedelta(hours=1)  # a period shorter than this is "continuous"
CONTINUOUS_PERIOD = timedelta(days=1)
IRREGULAR_DUE = timedelta(days=365)
IRREGULAR_STALE = timedelta(days=730)
GRACE_MIN = timedelta(hours=1)
GRACE_MAX = timedelta(days=30)

# Days in each ISO 8601 duration unit (years and months on average: 365.2425 / 12).
_UNIT_DAYS = {"Y": 365.2425, "M": 30.436875, "W": 7.0, "D": 1.0}
_TIME_UNIT_DAYS = {"H": 1 / 24, "M": 1 / 1440, "S": 1 / 86400}
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"^P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$"
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")  # threeTimesAYear → three Times A Year

# Words for which no period is expected: (kind, words).
IRREGULAR_WORDS = frozenset({"irregular", "irreg", "as needed", "as_needed", "other"})
NEVER_WORDS = frozenset({"never", "not planned", "not_planned", "none planned", "no updates planned"})
UNKNOWN_WORDS = frozenset({"unknown", "op_datpro", "provisional"})
CONTINUOUS_WORDS = frozenset(
    {"continual", "continuous", "continuously", "cont", "real time", "realtime", "update_cont"}
)
# The EU Publications Office frequency authority codes that are not words the frequency table knows.
EU_CODES: dict[str, str] = {
    "ANNUAL_2": "R/P6M",
    "ANNUAL_3": "R/P4M",
    "BIMONTHLY": "R/P2M",
    "2MONTHLY": "R/P2M",
    "MONTHLY_2": "R/P0.5M",
    "MONTHLY_3": "R/P0.33M",
    "BIWEEKLY": "R/P2W",
    "2WEEKLY": "R/P2W",
    "WEEKLY_2": "R/P3.5D",
    "WEEKLY_3": "R/P0.33W",
    "DAILY_2": "R/PT12H",
    "BIHOURLY": "R/PT2H",
    "TRIHOURLY": "R/PT3H",
    "QUINQUENNIAL": "R/P5Y",
    "BIDECENNIAL": "R/P20Y",
    "TRIDECENNIAL": "R/P30Y",
    "1MIN": "R/PT1M",
    "5MIN": "R/PT5M",
    "10MIN": "R/PT10M",
    "15MIN": "R/PT15M",
    "30MIN": "R/PT30M",
}


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a dataset becomes due and stale (both None: its freshness is unknown), and the rule used."""

    due_at: datetime | None
    stale_at: datetime | None
    rule: str


UNKNOWN = Schedule(None, None, "no update frequency or no modified date")


def schedule(periodicity: str | None, modified: datetime | None) -> Schedule:
    """The instants at which a dataset last modified at ``modified`` becomes due and stale."""
    if not periodicity or not periodicity.strip() or modified is None:
        return UNKNOWN
    kind, period = expected_period(periodicity)
    if kind == "never":
        return Schedule(NEVER_DUE, NEVER_DUE, "no updates planned")
    if kind == "irregular":
        return Schedule(modified + IRREGULAR_DUE, modified + IRREGULAR_STALE, "irregular: due after a year")
    if period is None:
        return Schedule(None, None, f"unreadable update frequency {periodicity!r}")
    if period < CONTINUOUS_FLOOR:
        period = CONTINUOUS_PERIOD
    grace = min(max(period / 10, GRACE_MIN), GRACE_MAX)
    return Schedule(_capped(modified, period + grace), _capped(modified, 2 * period + grace), f"every {period}")


def _capped(start: datetime, span: timedelta) -> datetime:
    try:
        return start + span
    except OverflowError:
        return NEVER_DUE


def state(due_at: datetime | None, stale_at: datetime | None, now: datetime) -> State:
    """A dataset's freshness at ``now``."""
    if due_at is None or stale_at is None:
        return "unknown"
    if now < due_at:
        return "fresh"
    return "due" if now < stale_at else "stale"


Kind = Literal["period", "irregular", "never", "unknown"]


def expected_period(text: str) -> tuple[Kind, timedelta | None]:
    """An ``accrualPeriodicity`` as (kind, period): ``("period", 1 day)`` for ``R/P1D`` or ``daily``."""
    word = _word(text)
    if word in NEVER_WORDS:
        return "never", None
    if word in IRREGULAR_WORDS:
        return "irregular", None
    if word in UNKNOWN_WORDS:
        return "unknown", None
    if word in CONTINUOUS_WORDS:
        return "period", CONTINUOUS_PERIOD
    iso = EU_CODES.get(word.upper().replace(" ", "_")) or iso_frequency(word) or iso_frequency(text)
    if iso == "irregular":
        return "irregular", None
    period = duration(iso or text)  # a bare duration (P1D) is no frequency word
    return ("period", period) if period else ("unknown", None)


def _word(text: str) -> str:
    """The frequency word of a value: the last segment of a vocabulary IRI, camelCase split, lower-cased."""
    value = text.strip()
    if "://" in value:
        value = re.split(r"[/#]", value.rstrip("/#"))[-1]
    value = _CAMEL.sub(" ", value)
    return " ".join(value.replace("-", " ").split()).lower()


def duration(text: str) -> timedelta | None:
    """An ISO 8601 duration or repeating interval (``R/P1D``, ``R5/2020-01-01/P1M``, ``P0.5M``) as a
    timedelta (years and months on average); None when it is none or zero."""
    value = text.strip().upper()
    if value.startswith("R"):
        value = value.split("/")[-1]
    match = _DURATION.match(value)
    if match is None or value in ("P", "PT"):
        return None
    date_part = zip("YMWD", match.groups()[:4], strict=True)
    time_part = zip("HMS", match.groups()[4:], strict=True)
    days = sum(_UNIT_DAYS[u] * float(n.replace(",", ".")) for u, n in date_part if n)
    days += sum(_TIME_UNIT_DAYS[u] * float(n.replace(",", ".")) for u, n in time_part if n)
    try:
        return timedelta(days=days) if days > 0 else None
    except OverflowError:
        return None
