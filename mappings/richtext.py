"""Descriptions as sources write them — plain text, Markdown, or HTML (ArcGIS's ``<DIV STYLE=...><P><SPAN>``,
DKAN, Socrata) — as safe HTML for pages, and as plain text wherever text is expected (feeds, JSON-LD, meta
descriptions, search summaries). ``data.json`` and the API keep the source's text unchanged.

- Markdown and plain text go through markdown-it-py (CommonMark, raw HTML off, single line breaks kept,
  tables and strikethrough on, bare URLs linked by linkify-it).
- HTML goes through nh3 (the ammonia sanitizer), then its bare URLs are linked.
- Everything ends in nh3 with one small allow-list: text formatting, lists, tables, headings (moved below
  the page's own: ``h1`` becomes ``h3``) and links. Links keep only absolute ``http``, ``https`` and
  ``mailto`` URLs and get ``rel="nofollow noopener ugc"``; ``javascript:``, ``data:`` and relative URLs never
  become links. Images become links to the image (pages load nothing from another host).
"""

from __future__ import annotations

import re
from functools import cache
from html import escape, unescape
from html.parser import HTMLParser
from typing import Any

import nh3
from linkify_it import LinkifyIt
from lxml import html as lxml_html
from markdown_it import MarkdownIt
from markdown_it.token import Token

MAX_CHARACTERS = 20_000
SCHEMES = frozenset({"http", "https", "mailto"})
TAGS = frozenset(
    {"a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h3", "h4", "h5", "h6", "hr"}
    | {"i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}
)
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}, "td": {"colspan"}, "th": {"colspan"}}
LINK_REL = "nofollow noopener ugc"
HEADING_SHIFT = 2  # a description's h1 sits below the page's h1 (title) and h2 ("Description")

# HTML that formats text (a stray <script> in Markdown does not make it HTML: it is shown as text)
_LOOKS_LIKE_HTML = re.compile(
    r"</?(?:p|div|span|br|font|ul|ol|li|table|tr|td|th|h[1-6]|b|strong|i|em|u|a|blockquote|pre|dl|dt|dd)\b[^>]*>",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^h([1-6])$")
_UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")  # no text, and XML refuses


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_LIKE_HTML.search(text))


def render_html(value: str | None) -> str:
    """A description as sanitized HTML (empty for none)."""
    if not value or not value.strip():
        return ""
    text = _UNSHOWABLE.sub("", value[:MAX_CHARACTERS])
    rendered = _from_html(text) if looks_like_html(text) else _markdown().render(text)
    return _clean(rendered).strip()


def plain_text(value: str | None) -> str:
    """A description as text: Markdown and HTML reduced to their words, paragraphs as blank lines."""
    rendered = render_html(value)
    if not rendered:
        return ""
    parser = _TextOnly()
    parser.feed(rendered)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def title_text(value: str) -> str:
    """A title as text: titles are not Markdown (``ArcGIS_rest_services_...`` keeps its underscores), but
    some arrive as HTML or with entities (``Fish &amp; Wildlife``)."""
    text = plain_text(value) if looks_like_html(value) else unescape(value)
    return " ".join(text.split()) or value


def summary(value: str | None, limit: int = 280) -> str:
    """One line of plain text, cut at a word boundary."""
    text = " ".join(plain_text(value).split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# -- sanitizing ---------------------------------------------------------------------------------------


def _clean(fragment: str, extra_tags: frozenset[str] = frozenset()) -> str:
    return nh3.clean(
        fragment,
        tags=set(TAGS | extra_tags),
        clean_content_tags={"script", "style", "template", "textarea", "title", "noscript", "svg", "math"},
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(SCHEMES),
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


def safe_link(url: str) -> bool:
    """Whether ``url`` may become a link: absolute, with a scheme in :data:`SCHEMES`."""
    scheme, colon, rest = url.strip().partition(":")
    return bool(colon and rest) and scheme.lower() in SCHEMES


# -- HTML sources ------------------------------------------------------------------------------------


def _from_html(text: str) -> str:
    """Source HTML: sanitized first (so the tree below is small and harmless), then headings moved down and
    bare URLs in its text linked."""
    cleaned = _clean(text, extra_tags=frozenset({"h1", "h2"}))  # kept to be moved down below
    if not cleaned.strip():
        return ""
    root = lxml_html.fragment_fromstring(cleaned, create_parent="div")
    for element in list(root.iter()):
        match = _HEADING.match(str(element.tag))
        if match:
            element.tag = f"h{min(6, int(match.group(1)) + HEADING_SHIFT)}"
        elif element.tag == "a" and not element.get("href"):  # its URL was refused: keep the words only
            element.drop_tag()
    _link_urls(root)
    parts = [escape(root.text, quote=False)] if root.text else []
    parts += [lxml_html.tostring(child, encoding="unicode") for child in root]  # each with its tail
    return "".join(parts)


def _link_urls(element: Any) -> None:
    """Turn URLs in ``element``'s text (not inside a link) into ``<a>`` elements, depth first."""
    if element.tag == "a":
        return
    if element.text:
        element.text, anchors = _split_links(element.text)
        for position, anchor in enumerate(anchors):
            element.insert(position, anchor)
    for child in list(element):
        if not isinstance(child.tag, str):
            continue
        _link_urls(child)
        if child.tail:
            child.tail, anchors = _split_links(child.tail)
            at = element.index(child)
            for offset, anchor in enumerate(anchors, 1):
                element.insert(at + offset, anchor)


def _split_links(text: str) -> tuple[str, list[Any]]:
    matches = [m for m in (_linkify().match(text) or []) if safe_link(m.url)]
    if not matches:
        return text, []
    anchors = []
    for number, match in enumerate(matches):
        anchor = lxml_html.Element("a", href=match.url)
        anchor.text = match.text
        end = matches[number + 1].index if number + 1 < len(matches) else len(text)
        anchor.tail = text[match.last_index : end]
        anchors.append(anchor)
    return text[: matches[0].index], anchors


@cache
def _linkify() -> LinkifyIt:
    return LinkifyIt()


# -- Markdown and plain text ------------------------------------------------------------------------------


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True, "typographer": False})
    md.enable(["linkify", "table", "strikethrough"])
    md.validateLink = safe_link  # type: ignore[method-assign]
    md.core.ruler.push("nutmeg_headings", _shift_headings)
    md.add_render_rule("image", _image_as_link)
    return md


def _shift_headings(state: Any) -> None:
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + HEADING_SHIFT)}"


def _image_as_link(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    """``![alt](src)`` becomes a link to the image: a page loads nothing from another host."""
    token = tokens[idx]
    source = str(token.attrGet("src") or "")
    label = self.renderInlineAsText(token.children or [], options, env) or source
    if not safe_link(source):
        return escape(label)
    return f'<a href="{escape(source)}">{escape(label)}</a>'


# -- back to text -------------------------------------------------------------------------------------------

_BLOCKS = {"p", "div", "ul", "ol", "table", "blockquote", "pre", "h3", "h4", "h5", "h6", "dl", "hr"}
_LINES = {"br", "tr", "dt", "dd"}


class _TextOnly(HTMLParser):
    """The text of sanitized HTML, with a blank line between blocks and a line break for each list item."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.preformatted = 0
        self.lists: list[int] = []  # the next number of each open <ol>, or -1 for a <ul>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.preformatted += tag == "pre"
        if tag in ("ol", "ul"):
            start = dict(attrs).get("start") or "1"
            self.lists.append(int(start) if tag == "ol" and start.isdigit() else -1 if tag == "ul" else 1)
        if tag == "li":
            self.parts.append("\n" + self._marker())
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag in _LINES:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def _marker(self) -> str:
        if not self.lists or self.lists[-1] < 0:
            return "- "
        self.lists[-1] += 1
        return f"{self.lists[-1] - 1}. "

    def handle_endtag(self, tag: str) -> None:
        self.preformatted -= tag == "pre" and self.preformatted > 0
        if tag in ("ol", "ul") and self.lists:
            self.lists.pop()
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.preformatted else data.replace("\n", " "))
