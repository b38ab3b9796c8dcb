"""The organizations page: registered organizations (with their descriptions) and the other publishers
the datasets name, each with its dataset count; searchable by name or description and sortable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from catalog_api.errors import ApiError
from catalog_api.web.organizations import Publisher
from index.governance import OrganizationRow
from mappings.derive import facet_value

SORTS: tuple[tuple[str, str], ...] = (("name", "Name (A–Z)"), ("datasets", "Most datasets"))
MAX_QUERY = 200


@dataclass(frozen=True, slots=True)
class OrganizationList:
    entries: list[Publisher]
    total: int
    q: str
    sort: str
    sorts: tuple[tuple[str, str], ...] = SORTS


def with_registered(found: list[Publisher], registered: Iterable[OrganizationRow]) -> list[Publisher]:
    """Publishers from the facets, the registered organizations among them named by their slug and
    described; registered organizations without datasets yet are listed too."""
    orgs = {facet_value(o.title): o for o in registered}
    out: list[Publisher] = []
    for publisher in found:
        org = orgs.pop(publisher.name, None)
        out.append(Publisher(publisher.name, publisher.datasets, org.slug, org.description) if org else publisher)
    out.extend(Publisher(title, 0, org.slug, org.description) for title, org in orgs.items())
    return out


def organization_list(publishers: list[Publisher], q: str | None, sort: str | None) -> OrganizationList:
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise ApiError(400, "bad_parameter", f"the search words are longer than {MAX_QUERY} characters")
    sort = sort or "name"
    if sort not in dict(SORTS):
        raise ApiError(400, "bad_parameter", f"sort must be one of {', '.join(dict(SORTS))} (got {sort!r})")
    chosen = [p for p in publishers if _matches(p, q)] if q else list(publishers)
    if sort == "datasets":
        chosen.sort(key=lambda p: (-p.datasets, p.name.casefold()))
    else:
        chosen.sort(key=lambda p: p.name.casefold())
    return OrganizationList(chosen, len(publishers), q, sort)


def _matches(publisher: Publisher, q: str) -> bool:
    """Every word of ``q`` in the name, slug or description (case-insensitively)."""
    text = " ".join((publisher.name, publisher.slug, publisher.description or "")).casefold()
    return all(word in text for word in q.casefold().split())
