"""Freshness and quality as people read them on the pages: words, tones and sentences (issue 13)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog_api.web.charts import Series
from mappings.quality import rating, summary

FRESHNESS_WORDS: dict[str, str] = {  # what the freshness facet and badges say
    "fresh": "Up to date",
    "due": "Update due",
    "stale": "Out of date",
    "unknown": "Freshness unknown",
}
FRESHNESS_TONES: dict[str, str] = {"fresh": "ok", "due": "warn", "stale": "bad", "unknown": "none"}
FRESHNESS_HELP: dict[str, str] = {
    "fresh": "updated as often as its publisher says it is",
    "due": "an update its publisher planned is late",
    "stale": "several planned updates are late",
    "unknown": "its publisher gives no update frequency or no modified date",
}
# the freshness states as chart series (CSS classes s-fresh, s-due, s-stale, s-unknown)
STATE_SERIES: tuple[Series, ...] = tuple(Series(state, words) for state, words in FRESHNESS_WORDS.items())
RATING_TONES: dict[str, str] = {"excellent": "ok", "good": "ok", "sufficient": "warn", "poor": "bad"}


def freshness_words(state: str) -> str:
    return FRESHNESS_WORDS.get(state, state)


def freshness_tone(state: str) -> str:
    return FRESHNESS_TONES.get(state, "none")


def freshness_help(state: str) -> str:
    return FRESHNESS_HELP.get(state, "")


def quality_rating(score: int | None) -> str:
    return rating(score) if score is not None else "not scored"


def quality_tone(score: int | None) -> str:
    return RATING_TONES.get(quality_rating(score), "none")


def quality_summary(quality: Mapping[str, Any] | None) -> str:
    """The plain-language sentence the public reads (no schema messages)."""
    return summary(quality) if quality else "This dataset has not been scored yet."


GLOBALS: dict[str, Any] = {
    "freshness_words": freshness_words,
    "freshness_tone": freshness_tone,
    "freshness_help": freshness_help,
    "quality_rating": quality_rating,
    "quality_tone": quality_tone,
    "quality_summary": quality_summary,
}
