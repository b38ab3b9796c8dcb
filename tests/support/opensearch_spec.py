"""The rules of the OpenSearch 1.1 specification (draft 6, opensearch.org) that a description document and
the OpenSearch elements of a response must follow, as a checker returning every violation.

From the spec: the root is ``OpenSearchDescription`` in ``http://a9.com/-/spec/opensearch/1.1/``;
``ShortName`` (at most 16 characters, plain text) and ``Description`` (at most 1024) are required once, ``Url``
at least once; ``LongName`` at most 48, ``Tags`` at most 256, ``Developer`` at most 64, ``Attribution`` at
most 256; ``SyndicationRight`` is one of open, limited, private, closed; ``AdultContent`` a boolean word.
A ``Url`` has ``template`` and ``type`` (required), ``rel`` (space-separated: results, suggestions, self,
collection, or a URI), ``indexOffset`` and ``pageOffset`` (integers) — nothing else without a namespace. A
template's parameters are ``{name}`` or ``{name?}`` of the spec's parameters, or ``{prefix:name}`` of a
declared namespace. ``Query`` has ``role`` (request, example, related, correction, subset, superset, or a
prefixed role) and the spec's search parameters as attributes.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
PARAMETERS = {"searchTerms", "count", "startIndex", "startPage", "language", "inputEncoding", "outputEncoding"}
URL_ATTRIBUTES = {"template", "type", "rel", "indexOffset", "pageOffset"}
QUERY_ATTRIBUTES = {"role", "title", "totalResults", *PARAMETERS}
ROLES = {"request", "example", "related", "correction", "subset", "superset"}
RELS = {"results", "suggestions", "self", "collection"}
LIMITS = {"ShortName": 16, "LongName": 48, "Description": 1024, "Tags": 256, "Developer": 64, "Attribution": 256}
ELEMENTS = {
    "ShortName",
    "Description",
    "Url",
    "Contact",
    "Tags",
    "LongName",
    "Image",
    "Query",
    "Developer",
    "Attribution",
    "SyndicationRight",
    "AdultContent",
    "Language",
    "InputEncoding",
    "OutputEncoding",
}
IMAGE_ATTRIBUTES = {"height", "width", "type"}
BOOLEAN_WORDS = {"true", "false", "TRUE", "FALSE", "1", "0", "yes", "no", "YES", "NO"}
_PARAMETER = re.compile(r"\{([^}]*)\}")


def _local(element: Any) -> str:
    return str(element.tag).split("}", 1)[-1]


def _in_spec(element: Any) -> bool:
    return str(element.tag).startswith("{" + OPENSEARCH + "}")


def description_problems(root: Any) -> list[str]:
    """Every way the parsed (lxml) description breaks the spec; empty when it follows it."""
    problems: list[str] = []
    if root.tag != f"{{{OPENSEARCH}}}OpenSearchDescription":
        return [f"root is {root.tag}, not OpenSearchDescription in the 1.1 namespace"]
    children = [c for c in root if isinstance(c.tag, str)]
    counts = {name: sum(1 for c in children if _in_spec(c) and _local(c) == name) for name in LIMITS}
    for required in ("ShortName", "Description"):
        if counts[required] != 1:
            problems.append(f"{required} must appear exactly once, not {counts[required]} times")
    if not any(_in_spec(c) and _local(c) == "Url" for c in children):
        problems.append("no Url")
    for child in children:
        if not _in_spec(child):
            if "}" not in str(child.tag):
                problems.append(f"{child.tag} is neither OpenSearch nor in another namespace")
            continue
        name = _local(child)
        if name not in ELEMENTS:
            problems.append(f"{name} is not an OpenSearch 1.1 element")
            continue
        limit = LIMITS.get(name)
        if limit is not None and len(child.text or "") > limit:
            problems.append(f"{name} is {len(child.text or '')} characters, more than {limit}")
        if name in ("ShortName", "LongName") and re.search(r"<[a-z]", child.text or ""):
            problems.append(f"{name} has markup")
        if name == "SyndicationRight" and (child.text or "").lower() not in ("open", "limited", "private", "closed"):
            problems.append(f"SyndicationRight {child.text!r}")
        if name == "AdultContent" and (child.text or "") not in BOOLEAN_WORDS:
            problems.append(f"AdultContent {child.text!r}")
        if name == "Url":
            problems += url_problems(child)
        elif name == "Query":
            problems += query_problems(child)
        else:
            known = IMAGE_ATTRIBUTES if name == "Image" else set()
            problems += [f"{name} has attribute {a!r}" for a in child.attrib if _unknown(a, known)]
    return problems


def url_problems(url: Any) -> list[str]:
    problems = [f"Url has attribute {a!r} the spec does not define" for a in url.attrib if _unknown(a, URL_ATTRIBUTES)]
    template, media = url.get("template"), url.get("type")
    if not template or not media:
        return [*problems, "Url without template or type"]
    for rel in (url.get("rel") or "results").split():
        if rel not in RELS and not urlsplit(rel).scheme:
            problems.append(f"Url rel {rel!r} is neither a spec value nor a URI")
    for offset in ("indexOffset", "pageOffset"):
        if url.get(offset) is not None and not url.get(offset).lstrip("-").isdigit():
            problems.append(f"Url {offset} {url.get(offset)!r} is not an integer")
    for parameter in _PARAMETER.findall(template):
        name = parameter.removesuffix("?")
        if ":" in name:
            prefix = name.split(":", 1)[0]
            if prefix not in (url.nsmap or {}):
                problems.append(f"template parameter {{{parameter}}} uses an undeclared prefix")
        elif name not in PARAMETERS:
            problems.append(f"template parameter {{{parameter}}} is not an OpenSearch parameter")
    filled = _PARAMETER.sub("x", template)
    if urlsplit(filled).scheme not in ("http", "https") or not urlsplit(filled).netloc:
        problems.append(f"template {template!r} is not an absolute http(s) URL")
    return problems


def query_problems(query: Any) -> list[str]:
    problems = [
        f"Query has attribute {a!r} the spec does not define" for a in query.attrib if _unknown(a, QUERY_ATTRIBUTES)
    ]
    role = query.get("role")
    if role is None:
        problems.append("Query without role")
    elif role not in ROLES and ":" not in role:
        problems.append(f"Query role {role!r}")
    for number in ("totalResults", "count", "startIndex", "startPage"):
        value = query.get(number)
        if value is not None and not value.isdigit():
            problems.append(f"Query {number} {value!r} is not a number")
    return problems


def response_problems(root: Any) -> list[str]:
    """The OpenSearch response elements of an Atom or RSS feed: numbers where numbers go, spec attributes only."""
    problems: list[str] = []
    for element in root.iter(f"{{{OPENSEARCH}}}*"):
        name = _local(element)
        if name in ("totalResults", "startIndex", "itemsPerPage"):
            if not (element.text or "").strip().isdigit():
                problems.append(f"{name} {element.text!r} is not a number")
            problems += [f"{name} has attribute {a!r}" for a in element.attrib]
        elif name == "Query":
            problems += query_problems(element)
        else:
            problems.append(f"opensearch:{name} is not a response element")
    return problems


def _unknown(attribute: str, known: set[str]) -> bool:
    return not attribute.startswith("{") and attribute not in known
