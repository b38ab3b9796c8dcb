"""Parsing untrusted XML: no entity expansion, no network, no DTD loading, no huge trees.

Every XML source (ISO 19139, FGDC, CSW, RSS/Atom, generic XML feeds, WAF listings served as XHTML) goes
through :func:`parse_xml`. lxml is told never to resolve entities, load a DTD or touch the network, and
libxml2's own limits (``huge_tree`` off, its entity-amplification check) stay on. On top of that, a
document that *declares* entities is refused outright: metadata records never need them, and a
billion-laughs or external-entity payload is then reported as what it is instead of parsing into a
half-empty tree. RDF/XML goes to rdflib's parser, which uses expat; :func:`refuse_entities` checks it
first with defusedxml.
"""

from __future__ import annotations

import io
from xml.sax import SAXParseException

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException
from lxml import etree

from harvesters.errors import ParseError


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        recover=recover,
    )


def parse_xml(data: bytes, *, where: str, recover: bool = False) -> etree._Element:
    """The root element of ``data``; :class:`ParseError` for anything unsafe or not well-formed.

    ``recover`` reads ill-formed documents leniently (feeds with a stray ``&``); it never turns
    entity handling back on.
    """
    data = data.lstrip()  # whitespace before the XML declaration is common in hand-made files
    if not data:
        raise ParseError(f"{where} returned an empty body")
    try:
        root = etree.fromstring(data, _parser(recover))
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise ParseError(f"{where} is not well-formed XML{_position(exc)}") from exc
    if root is None:
        raise ParseError(f"{where} is not XML (nothing could be read)")
    _check_entities(root.getroottree(), where)
    return root


def _check_entities(tree: etree._ElementTree, where: str) -> None:
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):  # type: ignore[attr-defined]
        raise ParseError(f"{where} declares XML entities; refused (entity expansion is never performed)")


def refuse_entities(data: bytes, *, where: str) -> None:
    """Raise :class:`ParseError` if ``data`` has a document type declaration (entities, an external DTD)
    or is not well-formed (for RDF/XML, which expat would otherwise expand)."""
    try:
        safe_et.parse(io.BytesIO(data), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ParseError(f"{where} declares XML entities or external references; refused ({_kind(exc)})") from exc
    except (safe_et.ParseError, SAXParseException) as exc:
        raise ParseError(f"{where} is not well-formed XML{_position(exc)}") from exc


def _kind(exc: DefusedXmlException) -> str:
    """Which defence tripped, in our words (the exception's text quotes the document)."""
    return {
        "EntitiesForbidden": "entity declaration",
        "ExternalReferenceForbidden": "external reference",
        "DTDForbidden": "document type definition",
    }.get(type(exc).__name__, "forbidden construct")


def _position(exc: Exception) -> str:
    """Where the parser stopped (a line number only: the parser's own message may quote the document)."""
    line = getattr(exc, "lineno", None)
    if line is None and isinstance(getattr(exc, "position", None), tuple):
        line = exc.position[0]  # type: ignore[attr-defined]
    if line is None and callable(getattr(exc, "getLineNumber", None)):
        line = exc.getLineNumber()  # type: ignore[attr-defined]
    said = str(exc).lower()
    if "depth" in said:
        return " (elements nest deeper than 256 levels)"
    if "entit" in said or "amplification" in said:
        return " (an entity reference was refused: entities are never expanded)"
    return f" (stopped at line {line})" if isinstance(line, int) and line > 0 else ""


def text_of(element: etree._Element | None) -> str | None:
    """The element's text content, whitespace collapsed; None when empty."""
    if element is None:
        return None
    text = " ".join("".join(str(t) for t in element.itertext()).split())
    return text or None


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return etree.QName(tag).localname
