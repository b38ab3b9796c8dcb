"""Harvesters registered by kind, imported lazily (like rdflib's plugin registry)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # listing kinds must not import rdflib and httpx (the CLI's --help lists them)
    from harvesters.base import Harvester

_KINDS: dict[str, str] = {
    "datajson": "harvesters.datajson:DataJsonHarvester",
    "dcat": "harvesters.dcat:DcatHarvester",
    "ckan": "harvesters.ckan:CkanHarvester",
    "socrata": "harvesters.socrata:SocrataHarvester",
    "feed": "harvesters.feed:FeedHarvester",
    "rss": "harvesters.feed:RssHarvester",
    "html": "harvesters.html:HtmlHarvester",
    "iso": "harvesters.iso:WafHarvester",
    "csw": "harvesters.iso:CswHarvester",
}


class UnknownHarvester(LookupError):
    """No harvester is registered under that kind."""


def known_kinds() -> list[str]:
    return sorted(_KINDS)


def register(kind: str, target: str) -> None:
    """Register ``"package.module:Class"`` under ``kind`` (used by plugins and tests)."""
    _KINDS[kind] = target


def require_kind(kind: str) -> str:
    """The import target registered for ``kind`` (nothing imported); unknown kinds list the known ones."""
    target = _KINDS.get(kind)
    if target is None:
        raise UnknownHarvester(f"no harvester {kind!r}; known: {', '.join(known_kinds())}")
    return target


def get_harvester(kind: str) -> type[Harvester]:
    """The harvester class for ``kind``; unknown kinds list the known ones."""
    target = require_kind(kind)
    from harvesters.base import Harvester

    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Harvester)):
        raise UnknownHarvester(f"{target} is not a Harvester")
    return cls
