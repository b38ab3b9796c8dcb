"""Reading an untrusted JSON body as a stream: encodings, nesting depth, and a look at its head.

ijson's C backend parses at close to orjson speed without holding the document, but it tracks a prefix
string per nesting level, so 100,000 ``[`` cost it tens of gigabytes. :class:`DepthGuard` measures the
real nesting depth of every chunk before ijson sees it (strings skipped, vectorized with numpy) and stops
the stream past a limit. :class:`JsonByteStream` also strips a UTF-8 byte-order mark and transcodes
UTF-16/32 bodies (both met in data.json files saved by office tools), and keeps the first bytes for
sniffing (is it JSON at all? which DCAT-US version does the catalog say it is?).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

import numpy as np

from harvesters.errors import ParseError

MAX_DEPTH = 128
HEAD_BYTES = 1 << 16

_NOT_STRUCTURAL = bytes(b for b in range(256) if b not in b'"[]{}')
_DELTA = np.zeros(256, dtype=np.int8)
_DELTA[ord("[")] = _DELTA[ord("{")] = 1
_DELTA[ord("]")] = _DELTA[ord("}")] = -1

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class DepthGuard:
    """Tracks JSON nesting depth across chunks, ignoring brackets inside strings.

    Every step is a C-level bytes operation: drop escape pairs, keep only quotes and brackets, split on
    quotes to leave what is outside strings, then a numpy cumulative sum gives the deepest level.
    """

    def __init__(self, limit: int = MAX_DEPTH) -> None:
        self.limit = limit
        self.depth = 0
        self._in_string = False
        self._escaped = False

    def feed(self, chunk: bytes) -> None:
        structural = self._outside_strings(chunk)
        if not structural:
            return
        steps = np.cumsum(_DELTA[np.frombuffer(structural, dtype=np.uint8)], dtype=np.int64)
        deepest = int(steps.max()) + self.depth
        self.depth += int(steps[-1])
        if deepest > self.limit:
            raise ParseError(f"JSON nested deeper than {self.limit} levels; refusing to read further")

    def _outside_strings(self, chunk: bytes) -> bytes:
        if self._escaped:
            chunk = chunk[1:]
        chunk = chunk.replace(b"\\\\", b"")
        self._escaped = chunk.endswith(b"\\")
        chunk = chunk.replace(b'\\"', b"").translate(None, _NOT_STRUCTURAL)
        parts = chunk.split(b'"')
        outside = parts[1::2] if self._in_string else parts[0::2]
        if len(parts) % 2 == 0:
            self._in_string = not self._in_string
        return b"".join(outside)


_HIGH_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")


def _unescaped(chunk: bytes, index: int) -> bool:
    """True when the quote at ``index`` is not escaped (an even run of backslashes before it)."""
    run = 0
    while index - run - 1 >= 0 and chunk[index - run - 1] == 0x5C:
        run += 1
    return run % 2 == 0


def _last_quote(view: bytes, start: int) -> int:
    """The last unescaped quote at or after ``start`` in ``view`` (-1 if none)."""
    index = view.rfind(b'"', start)
    while index >= start and not _unescaped(view, index):
        index = view.rfind(b'"', start, index)
    return index if index >= start else -1


def _first_quote(view: bytes, start: int) -> int:
    index = view.find(b'"', start)
    while index >= 0 and not _unescaped(view, index):
        index = view.find(b'"', index + 1)
    return index


def _unfinished(view: bytes, at: int) -> int:
    """How far past ``at`` an escape or a UTF-8 character begun before ``at`` runs (0: none)."""
    need = 0
    backslash = view.rfind(b"\\", max(0, at - 12), at)
    while backslash >= 0 and not _unescaped(view, backslash):  # an escaped backslash: look further back
        backslash = view.rfind(b"\\", max(0, at - 12), backslash - 1) if backslash > 0 else -1
    if backslash >= 0:
        length = 6 if view[backslash + 1 : backslash + 2] == b"u" or backslash + 1 >= len(view) else 2
        if _HIGH_SURROGATE.fullmatch(view, backslash, backslash + 6):
            length = 12  # a surrogate pair is one character: both escapes go together
        need = max(need, backslash + length - at)
    for lead in range(at - 1, max(-1, at - 4), -1):
        byte = view[lead]
        if byte < 0x80:
            break
        if byte >= 0xC0:
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            need = max(need, lead + length - at)
            break
    return need


class StringCap:
    """Cuts JSON strings longer than ``limit`` bytes out of the stream, keeping their first ``limit``.

    ijson (yajl) re-scans a string that spans many chunks from its start at every chunk, so a 200 MB
    description costs hours of CPU; here the excess never reaches it. Chunk-level bookkeeping: bytes are
    looked at one by one only at the tail of a chunk and around the quotes that open and close an
    over-long string. A string that ends in the chunk it started in passes whole (the limit is meant to
    be far above a chunk's size); a cut never splits a character or an escape, so the limit is
    approximate by a few bytes.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.cut = 0  # strings cut so far
        self._open = 0  # bytes of the string open at the end of the last chunk
        self._skipping = False
        self._tail = b""  # the last bytes of the stream, for escapes and characters that span chunks

    def feed(self, chunk: bytes, in_string: bool) -> bytes:
        """What of ``chunk`` to pass on; ``in_string`` is the depth guard's state after the chunk."""
        view = self._tail + chunk
        offset = len(self._tail)
        self._tail = view[-16:]
        if self._skipping:
            end = _first_quote(view, offset)
            if end < 0:
                return b""
            self._skipping = False
            view, offset, chunk = view[:end], end, chunk[end - offset :]
            view += chunk
        if not in_string:
            self._open = 0
            return chunk
        last = _last_quote(view, offset)
        self._open = len(view) - last - 1 if last >= 0 else self._open + len(chunk)
        if self._open <= self.limit:
            return chunk
        floor = last + 1 - offset if last >= 0 else _unfinished(view, offset)
        keep = max(len(chunk) - (self._open - self.limit), floor)
        if keep >= len(chunk):  # too short to finish what began before it: cut in the next chunk
            return chunk
        keep = max(floor, keep - _overrun(view, offset + keep))
        pair = offset + keep - 6  # never keep the first half of an escaped surrogate pair alone
        if pair >= offset + floor and _HIGH_SURROGATE.fullmatch(view, pair, pair + 6) and _unescaped(view, pair):
            keep -= 6
        self._skipping = True
        self.cut += 1
        return chunk[:keep]


def _overrun(view: bytes, at: int) -> int:
    """How many bytes before ``at`` to cut instead, so no escape or character is split at ``at``."""
    need = _unfinished(view, at)
    if not need:
        return 0
    for start in range(at - 1, max(-1, at - 13), -1):  # back to the byte that began it
        if _unfinished(view, start) == 0 and (view[start] == 0x5C or view[start] >= 0xC0):
            return at - start
    return 0


class JsonByteStream:
    """File-like ``read(n)`` over body chunks: BOM handled, depth guarded, over-long strings cut (when
    ``max_string`` is given), head kept for sniffing."""

    def __init__(
        self,
        chunks: Iterator[bytes],
        *,
        max_depth: int = MAX_DEPTH,
        encoding: str | None = None,
        max_string: int | None = None,
    ) -> None:
        self._chunks = chunks
        self._encoding = encoding
        self._guard = DepthGuard(max_depth)
        self.strings = StringCap(max_string) if max_string is not None else None
        self._buffer = b""
        self._pending = b""
        self.head = b""
        self._started = False

    def first_byte(self) -> bytes:
        """The first non-whitespace byte (b"" for an empty body); fills :attr:`head`."""
        self._start()
        return self.head.lstrip()[:1]

    def read(self, size: int = -1) -> bytes:
        self._start()
        if not self._buffer and size > 0:
            chunk = self._next()
            if chunk is None:
                return b""
            if len(chunk) <= size:
                return chunk
            self._buffer = chunk
        while size < 0 or len(self._buffer) < size:
            chunk = self._next()
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def _start(self) -> None:
        if self._started:
            return
        self._started = True
        raw = b""
        while len(raw) < HEAD_BYTES:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            raw += chunk
        self._chunks = _decoded(raw, self._chunks, self._encoding)
        first = next(self._chunks, b"")
        self.head = first[:HEAD_BYTES]
        self._pending = first

    def _next(self) -> bytes | None:
        """The next chunk to parse (never empty), or None at the end."""
        while True:
            if self._pending:
                chunk, self._pending = self._pending, b""
            else:
                found = next(self._chunks, None)
                if found is None:
                    return None
                chunk = found
            self._guard.feed(chunk)
            if self.strings is not None:
                chunk = self.strings.feed(chunk, self._guard._in_string)
            if chunk:
                return chunk


def _decoded(first: bytes, rest: Iterator[bytes], declared: str | None) -> Iterator[bytes]:
    """Yield UTF-8 bytes: ``first`` + ``rest`` with any BOM removed, UTF-16/32 and a declared non-UTF-8
    charset (``Content-Type: ...; charset=iso-8859-1``) transcoded."""
    for bom, encoding in _BOMS:
        if first.startswith(bom):
            if encoding == "utf-8":
                return _chain(first[len(bom) :], rest)
            return _transcode(first[len(bom) :], rest, encoding)
    if declared and _known(declared) and codecs.lookup(declared).name not in ("utf-8", "ascii"):
        return _transcode(first, rest, declared)
    return _chain(first, rest)


def _known(encoding: str) -> bool:
    """A text encoding Python knows (never a byte transform such as bz2 or base64)."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        return False
    return bool(getattr(info, "_is_text_encoding", True))


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def _transcode(first: bytes, rest: Iterator[bytes], encoding: str) -> Iterator[bytes]:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        for chunk in _chain(first, rest):
            yield decoder.decode(chunk).encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")
    except UnicodeError as exc:  # undecodable, or decoded to lone surrogates UTF-8 cannot hold
        raise ParseError(f"the body says it is {encoding} but is not") from exc
