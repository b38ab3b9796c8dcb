"""Publishers as organizations: each gets a readable slug URL, ``/organization/city-of-philadelphia``.

Publishers are not registered anywhere: they are the ``publisher`` values of the datasets (the search
index's publisher facet). A slug names every publisher whose name slugifies to it; when several do
(``Dept. of Health`` and ``Dept of Health``), the page shows the one with most datasets and links the
others by ``?name=``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from catalog_api.web.links import organization_path, organization_slug
from index.search.base import SearchBackend, SearchQuery

MAX_PUBLISHERS = 10_000


@dataclass(frozen=True, slots=True)
class Publisher:
    name: str
    datasets: int
    registered: str | None = None  # the slug of the registered organization it is
    description: str | None = None

    @property
    def slug(self) -> str:
        return self.registered or organization_slug(self.name)

    @property
    def href(self) -> str:
        return f"/organization/{self.registered}" if self.registered else organization_path(self.name)


def publishers(index: SearchBackend, registered: Iterable[str | None] = ()) -> list[Publisher]:
    """Every publisher with its live dataset count, most datasets first; then the ``registered`` ones
    (sources' publishers) that no dataset names yet, so a source's publisher link always leads somewhere."""
    query = SearchQuery(limit=0, sort="modified", facets=("publisher",), facet_limit=MAX_PUBLISHERS)
    found = [Publisher(f.value, f.count) for f in index.search(query).facets["publisher"]]
    slugs = {p.slug for p in found}
    for name in dict.fromkeys(n.strip() for n in registered if n and n.strip()):
        if organization_slug(name) not in slugs:
            found.append(Publisher(name, 0))
            slugs.add(organization_slug(name))
    return found


def named_by(slug: str, candidates: list[Publisher]) -> list[Publisher]:
    """The publishers a slug names (most datasets first)."""
    return [p for p in candidates if p.slug == slug]
