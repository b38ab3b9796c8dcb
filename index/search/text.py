"""The user's search words, parsed once and rendered for each engine.

``water "air quality" bus* -draft`` → terms ``water`` (word), ``air quality`` (phrase), ``bus`` (prefix)
and ``draft`` (excluded). Anything else the user types (quotes left open, operators, punctuation) is
treated as words, never as engine syntax, so no query can fail to parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD_CHARS = re.compile(r"[\w']+", re.UNICODE)
MAX_TERMS = 32


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    phrase: bool = False
    prefix: bool = False
    negated: bool = False


def parse(query: str | None) -> list[Term]:
    """Split a query into terms (at most 32; empty when there is nothing to search)."""
    if not query:
        return []
    terms: list[Term] = []
    for match in _TOKEN.finditer(query):
        term = _term(match)
        if term is not None:
            terms.append(term)
    return terms[:MAX_TERMS]


def _term(match: re.Match[str]) -> Term | None:
    negated_phrase, phrase, word = match.groups()
    if phrase is not None:
        words = _WORD_CHARS.findall(phrase)
        return Term(" ".join(words), phrase=True, negated=bool(negated_phrase)) if words else None
    negated = word.startswith("-") and len(word) > 1
    prefix = word.endswith("*")
    words = _WORD_CHARS.findall(word)
    if not words:
        return None
    if len(words) > 1:
        return Term(" ".join(words), phrase=True, negated=negated)
    return Term(words[0], prefix=prefix and len(words[0]) >= 2, negated=negated)


def to_fts5(terms: list[Term]) -> tuple[str | None, str | None]:
    """FTS5 MATCH expressions for the positive terms and for the excluded ones."""
    positive = [_fts5_term(t) for t in terms if not t.negated]
    negative = [_fts5_term(t) for t in terms if t.negated]
    return (" ".join(positive) or None), (" OR ".join(negative) or None)


def _fts5_term(term: Term) -> str:
    quoted = '"' + term.text.replace('"', '""') + '"'
    return quoted + "*" if term.prefix else quoted
