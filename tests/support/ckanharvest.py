"""The requests ckanext-harvest's CKAN harvester sends to a remote CKAN in its gather stage, reproduced as it
makes them (``ckanext/harvest/harvesters/ckanharvester.py``: ``gather_stage`` builds the ``fq`` terms,
``_search_for_datasets`` pages; checked against ckanext-harvest master of 2026-06).

- ``fq`` terms: ``organizations_filter_include`` → one term ``organization:a OR organization:b``;
  otherwise ``organizations_filter_exclude`` → one term ``-organization:a`` per organization (groups the
  same way); an incremental run (there was an error-free job before) adds
  ``metadata_modified:[<that job's gather_started - 1 hour, naive UTC isoformat()>Z TO *]``.
- paging: GET ``<base>/api/3/action/package_search?`` + ``urlencode(params)`` with ``params`` a dict in the
  order ``rows=100``, ``start=0``, ``sort=id asc``, then ``fq`` = the terms joined with one space;
  ``start`` grows by ``rows`` until a page has no results; a page whose body equals the previous one is
  an error ("The paging doesn't seem to work"); an id already seen on an earlier page is dropped.

What the harvester would silently drop (duplicates) is reported here, so a test can insist there are none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx


class HarvestSearchError(Exception):
    """What the harvester's ``SearchError`` would be: the gather stage gives up."""


@dataclass
class Gathered:
    packages: list[dict[str, Any]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [p["id"] for p in self.packages]


def fq_terms(config: Mapping[str, Sequence[str]]) -> list[str]:
    terms: list[str] = []
    for kind, field_name in (("organizations", "organization"), ("groups", "groups")):
        include = config.get(f"{kind}_filter_include", [])
        exclude = config.get(f"{kind}_filter_exclude", [])
        if include:
            terms.append(" OR ".join(f"{field_name}:{name}" for name in include))
        elif exclude:
            terms.extend(f"-{field_name}:{name}" for name in exclude)
    return terms


def since_term(last_gather_started: datetime) -> str:
    """The incremental term; ``gather_started`` is a naive UTC datetime in CKAN's database."""
    since = (last_gather_started - timedelta(hours=1)).isoformat()
    return f"metadata_modified:[{since}Z TO *]"


def search_for_datasets(client: httpx.Client, base_url: str, terms: Sequence[str]) -> Gathered:
    search_url = base_url.rstrip("/") + "/api/3/action/package_search"
    params = {"rows": "100", "start": "0", "sort": "id asc"}
    if terms:
        params["fq"] = " ".join(terms)
    gathered = Gathered()
    seen: set[str] = set()
    previous: str | None = None
    while True:
        url = search_url + "?" + urlencode(params)
        gathered.urls.append(url)
        response = client.get(url)
        gathered.statuses.append(response.status_code)
        content = response.text
        if previous and content == previous:
            raise HarvestSearchError(f"The paging doesn't seem to work. URL: {url}")
        previous = content
        try:
            page = response.json().get("result", {}).get("results", [])
        except ValueError as exc:
            raise HarvestSearchError(f"Response from remote CKAN was not JSON: {content[:200]!r}") from exc
        ids = [p["id"] for p in page]
        gathered.duplicates += [i for i in ids if i in seen]
        gathered.packages += [p for p in page if p["id"] not in seen]
        seen.update(ids)
        if not page:
            return gathered
        params["start"] = str(int(params["start"]) + int(params["rows"]))


def gather(
    client: httpx.Client,
    base_url: str,
    config: Mapping[str, Sequence[str]] | None = None,
    last_gather_started: datetime | None = None,
) -> Gathered:
    """The gather stage's searches: incremental when there was an earlier error-free job."""
    terms = fq_terms(config or {})
    if last_gather_started is not None:
        return search_for_datasets(client, base_url, [*terms, since_term(last_gather_started)])
    return search_for_datasets(client, base_url, terms)
