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


class JsonByteStream:
    """File-like ``read(n)`` over body chunks: BOM handled, depth guarded, head kept for sniffing."""

    def __init__(self, chunks: Iterator[bytes], *, max_depth: int = MAX_DEPTH, encoding: str | None = None) -> None:
        self._chunks = chunks
        self._encoding = encoding
        self._guard = DepthGuard(max_depth)
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
        if self._pending:
            chunk, self._pending = self._pending, b""
        else:
            found = next(self._chunks, None)
            if found is None:
                return None
            chunk = found
        self._guard.feed(chunk)
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
