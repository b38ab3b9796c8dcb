"""Docs generated from the code stay equal to it."""

from __future__ import annotations

from pathlib import Path

from mappings.dcatus import table_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_mapping_table_in_docs_matches_the_code() -> None:
    text = (ROOT / "docs" / "mapping.md").read_text("utf-8")
    embedded = text.split("<!-- table:start -->\n", 1)[1].split("<!-- table:end -->", 1)[0]
    assert embedded == table_markdown(), "regenerate with mappings.dcatus.table_markdown()"
