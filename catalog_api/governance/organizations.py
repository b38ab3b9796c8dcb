"""Registered organizations as the pages and APIs show them: their dataset counts come from the search
index's publisher facet, whose value is the organization's title for every record it owns."""

from __future__ import annotations

from catalog_api.services import Services
from index.search.base import SearchQuery
from mappings.derive import facet_value

MAX_PUBLISHERS = 10_000


def organization_counts(services: Services) -> dict[str, int]:
    """Live datasets per publisher facet value (an organization's title, or an unmatched name)."""
    query = SearchQuery(limit=0, sort="modified", facets=("publisher",), facet_limit=MAX_PUBLISHERS)
    return {f.value: f.count for f in services.index.search(query).facets["publisher"]}


def count_of(counts: dict[str, int], title: str) -> int:
    return counts.get(facet_value(title), 0)
