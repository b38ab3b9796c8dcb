"""The streaming reader's depth guard and encodings, at every chunk boundary."""

from __future__ import annotations

import json
from collections.abc import Iterator

import ijson
import pytest

from harvesters.errors import ParseError
from harvesters.jsonstream import DepthGuard, JsonByteStream

TRICKY = json.dumps({"a": r"x\"[[[", "b": [{"c": r"]]]\""}, [1, 2]], "d": r"\"{", "e": "\\", "f": [r"\\\"[{"]}).encode()


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64, 4096])
def test_brackets_inside_strings_never_count(size: int) -> None:
    guard = DepthGuard(limit=3)
    for chunk in chunks(TRICKY, size):
        guard.feed(chunk)
    assert guard.depth == 0


@pytest.mark.parametrize("size", [1, 3, 1000])
def test_depth_past_the_limit_stops_the_stream(size: int) -> None:
    guard = DepthGuard(limit=50)

    def feed_all() -> None:
        for chunk in chunks(b"[" * 51 + b"]" * 51, size):
            guard.feed(chunk)

    with pytest.raises(ParseError, match="nested deeper than 50"):
        feed_all()


def test_depth_inside_one_chunk_is_caught() -> None:
    guard = DepthGuard(limit=10)
    with pytest.raises(ParseError):
        guard.feed(b"[" * 20 + b"]" * 20)  # balanced within the chunk, but 20 deep


@pytest.mark.parametrize("size", [1, 17, 65536])
def test_stream_yields_the_same_items_whatever_the_chunking(size: int) -> None:
    document = {"dataset": [{"identifier": str(i), "title": f"t{i} [x] {{y}}"} for i in range(50)]}
    data = json.dumps(document).encode()
    items = list(ijson.items(JsonByteStream(chunks(data, size)), "dataset.item"))
    assert items == document["dataset"]


def test_first_byte_and_head() -> None:
    stream = JsonByteStream(iter([b"  \n", b'{"a": 1}']))
    assert stream.first_byte() == b"{"
    assert stream.head.startswith(b"  \n{")
    assert JsonByteStream(iter([])).first_byte() == b""


def test_utf32_and_utf16_be() -> None:
    for encoding in ("utf-32", "utf-16-be"):
        data = '["é", "漢"]'.encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        assert list(ijson.items(JsonByteStream(chunks(data, 3)), "item")) == ["é", "漢"]


def test_broken_utf16_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="utf-16"):
        JsonByteStream(iter([b"\xff\xfe[\x00\x00\xd8"])).read()
