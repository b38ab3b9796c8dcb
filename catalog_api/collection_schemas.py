"""The API's schemas of collections (``/api/v1/collections``)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from catalog_api.schemas import Public, SearchResponse
from catalog_api.settings import Settings
from index.collections import CollectionRow, Rule

Slug = Field(min_length=1, max_length=100, description="lower-case letters, digits and hyphens")


class RuleBody(Public):
    """A saved search: the words and facet filters of ``/api/v1/datasets`` (every filter value must match)."""

    model_config = ConfigDict(extra="forbid")
    q: str | None = Field(None, max_length=500, description="words, as the search API's q")
    filters: dict[str, list[str]] = Field(
        default_factory=dict, description="facet → values: publisher, keyword, theme, format, license, …"
    )

    def rule(self) -> Rule:
        return Rule(self.q, {k: tuple(v) for k, v in self.filters.items()})


class CollectionCreate(Public):
    model_config = ConfigDict(extra="forbid")
    slug: str = Slug
    title: str = Field(min_length=1, max_length=500)
    description: str | None = Field(None, max_length=10_000)
    rule: RuleBody = Field(default_factory=RuleBody)
    featured: bool = Field(False, description="shown on the home page (the CDO only)")
    owners: list[str] = Field(
        default_factory=list, description="owner organizations' slugs (default: the key's organization)"
    )


class CollectionChange(Public):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, min_length=1, max_length=500)
    description: str | None = Field(None, max_length=10_000)
    rule: RuleBody | None = None
    featured: bool | None = None
    owners: list[str] | None = Field(None, description="replaces the owner organizations")


class Pick(Public):
    model_config = ConfigDict(extra="forbid")
    pick: Literal["include", "exclude"] = Field(
        description="include the dataset whatever the rule says, or leave it out"
    )


class CollectionPublic(Public):
    slug: str
    title: str
    description: str | None
    rule: RuleBody
    featured: bool
    owners: list[str]
    included: list[str] = Field(description="datasets included by hand")
    excluded: list[str] = Field(description="datasets left out by hand even when the rule matches")
    datasets: int = Field(description="how many datasets the collection holds now")
    html_url: str
    api_url: str
    search_url: str = Field(description="the collection's datasets in the search API (all its filters apply)")
    data_json_url: str
    dcat_url: str = Field(description="the collection as its own dcat:Catalog (Turtle; .rdf, .jsonld, .nt too)")


class CollectionDetail(CollectionPublic):
    members: SearchResponse = Field(description="a page of the collection's datasets (newest first)")


def collection_public(settings: Settings, row: CollectionRow, count: int) -> CollectionPublic:
    base = settings.base_url
    return CollectionPublic(
        slug=row.slug,
        title=row.title,
        description=row.description,
        rule=RuleBody(q=row.rule.q, filters={k: list(v) for k, v in row.rule.filters.items()}),
        featured=row.featured,
        owners=list(row.owners),
        included=list(row.included),
        excluded=list(row.excluded),
        datasets=count,
        html_url=f"{base}/collections/{row.slug}",
        api_url=f"{base}/api/v1/collections/{row.slug}",
        search_url=f"{base}/api/v1/datasets?collection={row.slug}",
        data_json_url=f"{base}/collections/{row.slug}/data.json",
        dcat_url=f"{base}/collections/{row.slug}/catalog.ttl",
    )
