"""JSON-LD read offline: every context comes from the bundled set or is refused.

A JSON-LD document can name remote contexts in many places: the top-level ``@context``, a node's own
``@context``, a term definition's scoped ``@context`` (applied when the term is used, or when a node has
that type), and ``@import`` inside any context. rdflib fetches each of them with urllib, past the SSRF
guard and for ``file:`` URLs too. Here they never are:

* :func:`offline_document` rewrites the document before rdflib sees it: every context reference, at any
  depth, is replaced by the bundled copy (``harvesters/contexts/``: DCAT-US 1.1, schema.org, Hydra) or
  removed, and each removal is noted for the record's issues;
* :func:`to_graph` parses with rdflib's loader replaced by :func:`_bundled_only`, so a reference the
  rewrite could not see (none should remain) is refused instead of fetched;
* nesting deeper than :data:`MAX_DEPTH` is refused before parsing (rdflib's parser recurses per level).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from rdflib import Graph
from rdflib.plugins.parsers import jsonld as rdflib_jsonld
from rdflib.plugins.shared.jsonld import context as rdflib_context

from harvesters.errors import ParseError

log = logging.getLogger("nutmeg.harvest")

# How deep objects and arrays may nest in a JSON-LD document (rdflib uses several stack frames per level).
MAX_DEPTH = 64

_BUNDLED_FILES = {
    "project-open-data.cio.gov/v1.1/schema/catalog.jsonld": "dcat-us-1.1.jsonld",
    "schema.org": "schema.org.jsonld",
    "schema.org/docs/jsonldcontext.json": "schema.org.jsonld",
    "schema.org/docs/jsonldcontext.jsonld": "schema.org.jsonld",
    "www.w3.org/ns/hydra/context.jsonld": "hydra.jsonld",
    "www.w3.org/ns/hydra/core": "hydra.jsonld",
}


# What a left-out reference becomes: a context that changes nothing (rdflib reads null or {} as "reset").
NO_OP_CONTEXT = {"@version": 1.1}


class ContextRefused(ParseError):
    """A JSON-LD context that is not in the bundled set (never fetched)."""


def context_key(reference: str) -> str | None:
    """The bundled-set key of an ``http(s)`` context URL (scheme, trailing ``/`` and ``#`` ignored)."""
    value = reference.strip()
    for scheme in ("https://", "http://"):
        if value.lower().startswith(scheme):
            rest = value[len(scheme) :].split("#", 1)[0].rstrip("/")
            return rest if rest in _BUNDLED_FILES else None
    return None


@cache
def _bundled(name: str) -> str:
    return resources.files("harvesters").joinpath("contexts", name).read_text("utf-8")


def bundled_context(reference: str) -> dict[str, Any] | None:
    """The bundled context document (``{"@context": ...}``, a fresh copy) for ``reference``, else None."""
    key = context_key(reference)
    if key is None:
        return None
    document: dict[str, Any] = json.loads(_bundled(_BUNDLED_FILES[key]))
    return document


# -- depth ----------------------------------------------------------------------------------------


def json_depth_exceeds(document: Any, limit: int = MAX_DEPTH) -> bool:
    """True when objects and arrays in ``document`` nest deeper than ``limit`` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


# -- rewriting the document -----------------------------------------------------------------------


def offline_document(document: Any, notes: list[str]) -> Any:
    """``document`` with every context reference, at any depth, bundled or removed (and noted)."""
    if isinstance(document, list):
        return [offline_document(item, notes) for item in document]
    if not isinstance(document, dict):
        return document
    return {
        key: _offline_context(value, notes) if key == "@context" else offline_document(value, notes)
        for key, value in document.items()
    }


def _offline_context(value: Any, notes: list[str]) -> Any:
    """A context value (a reference, an inline definition, ``null`` or a list of them) made offline."""
    if isinstance(value, list):
        return [_offline_context(item, notes) for item in value]
    if isinstance(value, str):
        found = bundled_context(value)
        if found is None:
            notes.append(f"JSON-LD context {_shown(value)} is not in the bundled set and was not fetched")
            return dict(NO_OP_CONTEXT)
        return _offline_context(found["@context"], notes)
    if isinstance(value, dict):
        return _offline_definition(value, notes)
    return value


def _offline_definition(definition: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """An inline context: ``@import`` merged from the bundled set (or dropped), and each term's scoped
    context made offline too."""
    out: dict[str, Any] = {}
    imported = definition.get("@import")
    if isinstance(imported, str) and (found := bundled_context(imported)) is not None:
        base = _offline_context(found["@context"], notes)
        out.update(base if isinstance(base, dict) else {})
    elif "@import" in definition:
        notes.append(f"JSON-LD @import {_shown(imported)} is not in the bundled set and was not fetched")
    for key, value in definition.items():
        if key == "@import":
            continue
        if key == "@context":  # a context document inlined as a context: rdflib reads what it holds
            value = _offline_context(value, notes)
        elif isinstance(value, dict):
            value = {k: _offline_context(v, notes) if k == "@context" else v for k, v in value.items()}
        out[key] = value
    return out


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)[:200]
    return repr(text[:200])


def references(document: Any) -> Iterator[str]:
    """Every string still standing where a context may be named (for tests: none after the rewrite)."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in ("@context", "@import") and isinstance(item, str):
                    yield item
                elif key == "@context" and isinstance(item, list):
                    yield from (i for i in item if isinstance(i, str))
                stack.append(item)


# -- parsing --------------------------------------------------------------------------------------


def _bundled_only(
    self: rdflib_context.Context, source: str, base: str | None, referenced_contexts: set[str]
) -> dict[str, Any]:
    """rdflib's context loader, replaced: bundled contexts only, nothing is ever opened."""
    found = bundled_context(source)
    if found is None:
        raise ContextRefused("a JSON-LD context outside the bundled set was refused")
    return found


@cache
def _install_offline_loader() -> None:
    """Replace rdflib's one context loader (``Context._fetch_context``, behind every top-level, scoped and
    ``@import`` context) for this process. Done on first use, not at import."""
    rdflib_context.Context._fetch_context = _bundled_only  # type: ignore[method-assign]


def to_graph(document: Any, *, base: str, notes: list[str]) -> Graph:
    """``document`` (parsed JSON) as a graph, offline; :class:`ParseError` in our words otherwise."""
    if json_depth_exceeds(document):
        raise ParseError(f"{base}: the JSON-LD nests deeper than {MAX_DEPTH} levels; refused")
    _install_offline_loader()
    offline = offline_document(document, notes)
    graph = Graph(bind_namespaces="none")
    try:
        rdflib_jsonld.to_rdf(offline, graph, base=base)
    except ContextRefused as exc:
        raise ContextRefused(f"{base}: a JSON-LD context outside the bundled set was refused") from exc
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        log.info("JSON-LD from %s not read: %r", base, exc)
        raise ParseError(f"{base} is not valid JSON-LD (the parser gave up; details are in the server log)") from exc
    except Exception as exc:  # rdflib raises bare Exception subclasses for invalid contexts
        if type(exc).__module__.startswith("rdflib"):
            log.info("JSON-LD from %s not read: %r", base, exc)
            raise ParseError(f"{base} is not valid JSON-LD (its context is invalid)") from exc
        raise
    return graph
