"""The streaming reader's depth guard and encodings, at every chunk boundary."""

from __future__ import annotations

import json
import random
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


@pytest.mark.parametrize("size", [1, 3, 7, 64, 4096])
def test_over_long_strings_are_cut_on_character_and_escape_boundaries(size: int) -> None:
    long = 'é\\"\\\\\\u00e9x' * 4000  # two-byte characters, escaped quotes and backslashes, \u escapes
    document = json.dumps(
        {"dataset": [{"a": long, "b": "short [", "c": ["x" * 50_000, 1]}, {"a": "y"}]}, ensure_ascii=False
    )
    data = document.encode()
    chunks = iter([data[i : i + size] for i in range(0, len(data), size)])
    stream = JsonByteStream(chunks, max_string=1000)
    items = list(ijson.items(stream, "dataset.item"))
    assert [len(i["a"].encode()) <= 1000 for i in items] == [True, True]
    assert items[0]["a"]
    assert long.startswith(items[0]["a"])
    assert items[0]["b"] == "short ["
    assert items[0]["c"][1] == 1
    assert len(items[0]["c"][0]) == 1000
    assert items[1] == {"a": "y"}
    assert stream.strings is not None
    assert stream.strings.cut == 2


def test_cut_strings_stay_valid_json_whatever_the_chunking() -> None:
    """Random strings of multi-byte characters, escapes and surrogate pairs, random chunk sizes: every
    cut string is a prefix of the original and the stream stays valid JSON."""
    rng = random.Random(7)
    alphabet = ["a", "é", "€", "𝄞", '"', "\\", "\n", "[", "{", "\u0001", " "]
    for _ in range(300):
        strings = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400))) for _ in range(3)]
        document = {"dataset": [{"a": s, "n": i} for i, s in enumerate(strings)]}
        data = json.dumps(document, ensure_ascii=rng.random() < 0.5).encode()
        size, limit = rng.randint(1, 50), rng.randint(20, 200)
        chunks = iter([b" " * 70_000] + [data[i : i + size] for i in range(0, len(data), size)])
        items = list(ijson.items(JsonByteStream(chunks, max_string=limit), "dataset.item"))
        assert [i["n"] for i in items] == [0, 1, 2]
        assert all(strings[n].startswith(item["a"]) for n, item in enumerate(items))
