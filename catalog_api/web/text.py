"""Untrusted descriptions shown as readable text: markup dropped, paragraphs kept, web links clickable.

Sources publish descriptions as plain text, as HTML (DKAN and Socrata catalogs do), or as a mix. Nothing
of it is ever rendered as HTML: tags are reduced to line breaks, everything else is escaped, and only
``http(s)`` URLs become links (``rel="nofollow noopener"``).
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from markupsafe import Markup, escape

MAX_CHARACTERS = 20_000
_LOOKS_LIKE_HTML = re.compile(r"<(?:/?[a-zA-Z][a-zA-Z0-9]*\b[^>]*|!--)>")
_BREAKS = {"br", "p", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
_SKIPPED = {"script", "style", "head", "title"}
_URL = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment, with a line break for each block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BREAKS:
            self.parts.append("\n\n" if tag in ("p", "div", "ul", "ol") else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in ("p", "div", "ul", "ol"):
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def plain_text(value: str | None) -> str:
    """The text of a description: HTML reduced to text and line breaks, entities decoded."""
    if not value:
        return ""
    text = value[:MAX_CHARACTERS]
    if _LOOKS_LIKE_HTML.search(text):
        parser = _TextOnly()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
    elif "&" in text:
        text = unescape(text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def paragraphs(value: str | None) -> list[Markup]:
    """Paragraphs of a description, escaped, single line breaks kept, links made clickable."""
    blocks = re.split(r"\n\s*\n", plain_text(value))
    out: list[Markup] = []
    for block in blocks:
        lines = [" ".join(line.split()) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            out.append(Markup("<br>").join(linkify(line) for line in lines))
    return out


def summary(value: str | None, limit: int = 280) -> str:
    """One line of plain text, cut at a word boundary."""
    text = " ".join(plain_text(value).split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def linkify(text: str) -> Markup:
    """Escape ``text``; turn each http(s) URL in it into a link."""
    out: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        out.append(escape(text[position : match.start()]))
        out.append(Markup('<a href="{0}" rel="nofollow noopener">{0}</a>').format(url))
        position = match.start() + len(url)
    out.append(escape(text[position:]))
    return Markup("").join(out)
