"""Writing small XML documents (feeds, OpenSearch, sitemaps) as text, safely and fast.

Harvested text is untrusted and may hold characters XML 1.0 cannot carry at all (``\\x00``, ``\\x0b``,
lone surrogates); :func:`clean` removes them before escaping, so a bad record can never make a feed
ill-formed. Building strings beats an element tree for a 50,000-URL sitemap by a wide margin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape, quoteattr

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids."""
    return _NOT_XML.sub("", value)


def text(value: object) -> str:
    return escape(clean(str(value)))


def attrs(values: Mapping[str, object | None]) -> str:
    return "".join(f" {name}={quoteattr(clean(str(v)))}" for name, v in values.items() if v is not None)


def element(tag: str, content: object | None = None, attributes: Mapping[str, object | None] | None = None) -> str:
    """``<tag a="1">content</tag>`` (content escaped), or ``<tag a="1"/>`` without content."""
    written = attrs(attributes or {})
    if content is None:
        return f"<{tag}{written}/>"
    return f"<{tag}{written}>{text(content)}</{tag}>"


def wrap(tag: str, children: Iterable[str], attributes: Mapping[str, object | None] | None = None) -> str:
    """``<tag a="1">children</tag>`` (children are already XML)."""
    return f"<{tag}{attrs(attributes or {})}>{''.join(children)}</{tag}>"
