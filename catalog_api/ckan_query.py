"""CKAN's Solr query syntax (``q``, ``fq``, ``sort`` of ``package_search``), parsed into a small tree.

The grammar is Lucene's as CKAN clients write it::

    query    := group*                       side by side (or with AND) means all of them
    group    := unary ("OR" unary)*          OR joins its neighbours
    unary    := ("-" | "!" | "NOT" | "+") unary | primary
    primary  := "(" query ")" | "*:*" | [field ":"] value
    value    := word | "a phrase" | "[" bound " TO " bound "]" | "{" … "}" | "(" query ")"
    bound    := "*" | an ISO 8601 date or datetime (``Z`` or an offset) | NOW[±n UNIT]

``OR`` binds tighter than the implicit AND, so ``organization:a OR organization:b metadata_modified:[X TO
*]`` (what ckanext-harvest sends for an incremental run limited to two organizations) means "either
organization, modified since X". ``[`` ``]`` bounds are inclusive, ``{`` ``}`` exclusive. A syntax error
raises :class:`QuerySyntaxError` with the position; what the fields mean is for the caller
(:mod:`catalog_api.ckan`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_CLAUSES = 256


class QuerySyntaxError(ValueError):
    """The query does not parse (Solr would answer "Search Query Error")."""


@dataclass(frozen=True, slots=True)
class Term:
    """``field:value`` (``field`` None: free text); ``phrase`` for a quoted value."""

    field: str | None
    value: str
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class Span:
    """``field:[low TO high]`` (``None``: open)."""

    field: str
    low: datetime | None
    high: datetime | None
    low_inclusive: bool = True
    high_inclusive: bool = True


@dataclass(frozen=True, slots=True)
class Everything:
    """``*:*``."""


@dataclass(frozen=True, slots=True)
class Negated:
    node: Node


@dataclass(frozen=True, slots=True)
class Either:
    nodes: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Both:
    nodes: tuple[Node, ...]


Node = Term | Span | Everything | Negated | Either | Both

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<all>\*:\*)
    | (?P<open>\()
    | (?P<close>\))
    | (?P<range>[\[{][^\]}]*[\]}])
    | (?P<phrase>"(?:[^"\\]|\\.)*")
    | (?P<field>[A-Za-z_][\w.]*):(?=\S)
    | (?P<sign>[-+!])(?=\S)
    | (?P<word>(?:[^\s()"\\:\[\]{}]|\\.)+)
    )""",
    re.VERBOSE,
)
_OPERATORS = {"AND", "OR", "NOT", "&&", "||"}
_NOW = re.compile(r"NOW(?:([+-])(\d+)(SECOND|MINUTE|HOUR|DAY|WEEK)S?)?", re.IGNORECASE)
_UNITS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400, "WEEK": 7 * 86400}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    at: int


def tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise QuerySyntaxError(f"cannot parse the query at character {position + 1}: {text[position:][:30]!r}")
        kind = match.lastgroup or "word"
        value, start = match.group(kind), match.start(kind)
        if kind == "word" and value.upper() in _OPERATORS:
            kind = "op"
            value = {"&&": "AND", "||": "OR"}.get(value, value.upper())
        tokens.append(_Token(kind, value, start))
        position = match.end()
    if len(tokens) > MAX_CLAUSES:
        raise QuerySyntaxError(f"the query has more than {MAX_CLAUSES} parts")
    return tokens


class _Parser:
    def __init__(self, text: str, now: datetime) -> None:
        self.tokens = tokenize(text)
        self.at = 0
        self.now = now

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def query(self, field: str | None, *, nested: bool) -> Node:
        groups: list[Node] = []
        while (token := self.peek()) is not None:
            if token.kind == "close":
                if not nested:
                    raise QuerySyntaxError(f"a ')' without its '(' at character {token.at + 1}")
                break
            if token.kind == "op" and token.text == "AND":
                self.take()
                continue
            groups.append(self.group(field))
        return groups[0] if len(groups) == 1 else Both(tuple(groups))

    def group(self, field: str | None) -> Node:
        nodes = [self.unary(field)]
        while (token := self.peek()) is not None and token.kind == "op" and token.text == "OR":
            self.take()
            nodes.append(self.unary(field))
        return nodes[0] if len(nodes) == 1 else Either(tuple(nodes))

    def unary(self, field: str | None) -> Node:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("the query ends where a term was expected")
        if token.kind == "sign" or (token.kind == "op" and token.text == "NOT"):
            self.take()
            inner = self.unary(field)
            return inner if token.text == "+" else Negated(inner)
        return self.primary(field)

    def primary(self, field: str | None) -> Node:
        token = self.take()
        if token.kind == "all":
            return Everything()
        if token.kind == "open":
            inner = self.query(field, nested=True)
            closing = self.peek()
            if closing is None or closing.kind != "close":
                raise QuerySyntaxError(f"the '(' at character {token.at + 1} is never closed")
            self.take()
            return inner
        if token.kind == "field":
            if field is not None:
                raise QuerySyntaxError(f"a field inside a field at character {token.at + 1}")
            following = self.peek()
            if following is None or following.kind in ("close", "op"):
                raise QuerySyntaxError(f"no value for {token.text!r} at character {token.at + 1}")
            return self.primary(token.text)
        if token.kind == "range":
            if field is None:
                raise QuerySyntaxError(f"a range without a field at character {token.at + 1}")
            return self.span(field, token)
        if token.kind == "phrase":
            return Term(field, _unescape(token.text[1:-1]), phrase=True)
        if token.kind == "word":
            return Term(field, _unescape(token.text))
        raise QuerySyntaxError(f"unexpected {token.text!r} at character {token.at + 1}")

    def span(self, field: str, token: _Token) -> Span:
        inside = token.text[1:-1]
        parts = re.split(r"\s+TO\s+", inside.strip())
        if len(parts) != 2:
            raise QuerySyntaxError(f"a range must be [low TO high], not {token.text!r}")
        low, high = (self.bound(p, token.text) for p in parts)
        return Span(field, low, high, token.text[0] == "[", token.text[-1] == "]")

    def bound(self, text: str, whole: str) -> datetime | None:
        text = text.strip()
        if text == "*":
            return None
        now = _NOW.fullmatch(text)
        if now:
            sign, amount, unit = now.groups()
            shift = timedelta(seconds=int(amount) * _UNITS[unit.upper()]) if amount else timedelta(0)
            return self.now - shift if sign == "-" else self.now + shift
        return parse_date(text, whole)


def parse_date(text: str, where: str) -> datetime:
    """A range bound: an ISO 8601 date or datetime; without an offset it is UTC (as Solr's are)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise QuerySyntaxError(f"{text!r} in {where!r} is not a date (use 2024-01-01T00:00:00Z, * or NOW)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse(text: str, *, now: datetime | None = None) -> Node:
    """The tree of a ``q`` or ``fq`` value (an empty one is everything)."""
    if not text.strip():
        return Everything()
    return _Parser(text, now or datetime.now(UTC)).query(None, nested=False)


def conjuncts(node: Node) -> list[Node]:
    """The parts AND-ed at the top of a tree."""
    return list(node.nodes) if isinstance(node, Both) else [node]


# -- sort --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SortKey:
    field: str
    descending: bool


def parse_sort(text: str) -> list[SortKey]:
    """``"score desc, metadata_modified desc"`` → keys; a key without a direction is ascending."""
    keys: list[SortKey] = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise QuerySyntaxError(f"cannot sort by {part.strip()!r}: use 'field asc' or 'field desc'")
        keys.append(SortKey(words[0], len(words) == 2 and words[1].lower() == "desc"))
    return keys
