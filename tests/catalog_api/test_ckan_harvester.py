"""CKAN's own harvester (ckanext-harvest's CKAN harvester) federates this catalog: its exact request sequence
(``tests/support/ckanharvest.py``) over real HTTP gets every dataset exactly once — a full run, an
incremental run, and each organization filter (include and exclude) — on the embedded index and on a real
OpenSearch node (whose result window is lowered so the walk goes past it).

The catalog: real agency catalogs (Philadelphia's, with 30-odd publishers, and Chicago's 2013 Socrata
export), plus a source whose publisher differs from Chicago's only in case: two organizations that must
never merge.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from index.ids import record_id
from index.search.engine import EngineIndex
from tests.conftest import DATA, add_source, make_settings
from tests.index.conftest import drop_indexes
from tests.support.ckanharvest import Gathered, fq_terms, gather, since_term
from tests.support.httpserver import LoopbackServer, Route
from tests.support.liveserver import LiveServer

pytestmark = pytest.mark.slow
_aliases = itertools.count()

PHILLY = "datajson/gsa-harvester-dcatus_with_none.json"
CHICAGO = "datajson/socrata-v1.0-2013-data.cityofchicago.org.json"
CHANGED = 25  # datasets of Philadelphia's catalog retitled before the second harvest
ADDED = 5  # and new ones
UPPER = 100  # Chicago's datasets again, from a publisher whose name differs only in case


@dataclass
class Site:
    url: str
    services: Services
    first_done: datetime  # when the first harvests had ended
    changed_ids: set[str]  # what the second harvest changed or added

    def live_ids(self) -> set[str]:
        return {r.id for r in self.services.store.iter_records(live=True)}


def _document(relative: str) -> Any:
    return json.loads((DATA / relative).read_bytes())


def _upper_chicago() -> list[dict[str, Any]]:
    """Datasets shaped like Chicago's from another source publishing as "CITY OF CHICAGO"."""
    entries = [d for d in _document(CHICAGO) if d.get("identifier")][1 : UPPER + 1]
    # other datasets, not Chicago's listed again (those would be one dataset: duplicates are merged)
    shared = ("accessURL", "downloadURL", "webService", "landingPage", "distribution")  # links name a dataset
    return [
        {
            **{k: v for k, v in d.items() if k not in shared},
            "identifier": f"upper-{d['identifier']}",
            "title": f"Cook County register {n}",
            "landingPage": f"https://registers.example.gov/{n}",
        }
        for n, d in enumerate(entries)
    ]


def _second_philly() -> tuple[dict[str, Any], set[str]]:
    document = _document(PHILLY)
    datasets = document["dataset"]
    touched = set()
    for dataset in datasets[:CHANGED]:
        dataset["title"] = f"{dataset['title']} (revised)"
        touched.add(dataset["identifier"])
    for number in range(ADDED):
        extra = {**datasets[-1], "identifier": f"new-philly-{number}", "title": f"New Philadelphia dataset {number}"}
        datasets.append(extra)
        touched.add(extra["identifier"])
    return document, touched


@pytest.fixture(scope="module", params=["embedded", pytest.param("opensearch", marks=pytest.mark.engine)])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    node_url = None
    window = {"max_result_window": 300}  # the JSON API's page limit does not bound CKAN's start
    if request.param == "opensearch":
        node_url = request.getfixturevalue("opensearch_node").url
        alias = f"nutmeg-ckan-harvester-{next(_aliases)}"
        settings = make_settings(search_url=node_url, search_index=alias, **window)
    else:
        settings = make_settings(**window)
    services = build_services(settings)
    if isinstance(services.index, EngineIndex):
        services.index.result_window = 250  # the walk must go past the engine's result window
    with LoopbackServer() as sources:
        philly = sources.route("/philly.json", Route(body=(DATA / PHILLY).read_bytes(), conditional=False))
        add_source(services, "philly", philly)
        chicago = sources.route("/chicago.json", Route(body=(DATA / CHICAGO).read_bytes()))
        add_source(services, "chicago", chicago, publisher="City of Chicago")
        upper = sources.route("/upper.json", Route(body=json.dumps(_upper_chicago()).encode()))
        add_source(services, "chicago-upper", upper, publisher="CITY OF CHICAGO")
        for name in ("philly", "chicago", "chicago-upper"):
            assert services.runner.harvest(name).status == "succeeded"
        first_done = datetime.now(UTC)
        time.sleep(0.01)
        document, touched = _second_philly()
        sources.route("/philly.json", Route(body=json.dumps(document).encode(), conditional=False))
        report = services.runner.harvest("philly")
        assert (report.new, report.updated) == (ADDED, CHANGED)
    with LiveServer(create_app(services.settings, services)) as server:
        yield Site(server.url, services, first_done, {record_id("philly", i) for i in touched})
    services.close()
    if node_url is not None:
        drop_indexes(node_url, alias)


@pytest.fixture(scope="module")
def http(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def full(site: Site, http: httpx.Client) -> Gathered:
    return gather(http, site.url)


def _previous_gather_started(site: Site) -> datetime:
    """The remote harvester's last error-free job began (its clock, naive UTC) an hour after our first
    harvests ended: it asks for what changed since then, less the hour it allows for clock skew."""
    return (site.first_done + timedelta(hours=1)).replace(tzinfo=None)


def _orgs(packages: list[dict[str, Any]]) -> dict[str | None, set[str]]:
    by_org: dict[str | None, set[str]] = {}
    for package in packages:
        name = package["organization"]["name"] if package["organization"] else None
        by_org.setdefault(name, set()).add(package["id"])
    return by_org


def _once(gathered: Gathered) -> set[str]:
    assert set(gathered.statuses) == {200}, gathered.urls[gathered.statuses.index(max(gathered.statuses))]
    assert gathered.duplicates == []
    assert len(gathered.ids) == len(set(gathered.ids))
    return set(gathered.ids)


def test_the_full_run_gets_every_dataset_once(site: Site, full: Gathered) -> None:
    every = site.live_ids()
    assert len(every) == 402 + ADDED + 513 + UPPER
    assert _once(full) == every
    assert full.ids == sorted(full.ids)  # sort=id asc
    assert len(full.urls) == len(every) // 100 + 2  # full pages, the last partial one, then the empty one
    assert full.urls[0].endswith("/api/3/action/package_search?rows=100&start=0&sort=id+asc")
    assert full.urls[-1].endswith(f"start={(len(full.urls) - 1) * 100}&sort=id+asc")


def test_the_incremental_run_gets_what_changed(site: Site, http: httpx.Client) -> None:
    since = _previous_gather_started(site)
    incremental = gather(http, site.url, last_gather_started=since)
    assert "&fq=metadata_modified%3A%5B" in incremental.urls[0]
    assert incremental.urls[0].endswith("Z+TO+%2A%5D")
    assert _once(incremental) == site.changed_ids
    assert len(site.changed_ids) == CHANGED + ADDED
    nothing = gather(http, site.url, last_gather_started=since + timedelta(hours=2))
    assert nothing.ids == []
    assert nothing.statuses == [200]


def test_organizations_differing_in_case_stay_apart(full: Gathered) -> None:
    by_org = _orgs(full.packages)
    titles = Counter(p["organization"]["title"] for p in full.packages if p["organization"])
    assert titles["City of Chicago"] == 513
    assert titles["CITY OF CHICAGO"] == UPPER
    names = {p["organization"]["title"]: p["organization"]["name"] for p in full.packages if p["organization"]}
    assert names["City of Chicago"] != names["CITY OF CHICAGO"]
    assert len(by_org[names["City of Chicago"]]) == 513
    assert len(by_org[names["CITY OF CHICAGO"]]) == UPPER


def test_each_organization_filter_gets_exactly_its_datasets(site: Site, http: httpx.Client, full: Gathered) -> None:
    by_org = _orgs(full.packages)
    every = set(full.ids)
    named = sorted(name for name in by_org if name is not None)
    assert len(named) > 20
    for name in named:
        included = gather(http, site.url, {"organizations_filter_include": [name]})
        assert _once(included) == by_org[name], name
    # excluding one walks nearly the whole catalog: the largest three, the smallest and a middle one
    by_size = sorted(named, key=lambda n: (-len(by_org[n]), n))
    for name in [*by_size[:3], by_size[len(by_size) // 2], by_size[-1]]:
        excluded = gather(http, site.url, {"organizations_filter_exclude": [name]})
        assert _once(excluded) == every - by_org[name], name
    pair = [named[0], named[-1]]
    assert fq_terms({"organizations_filter_include": pair}) == [f"organization:{pair[0]} OR organization:{pair[1]}"]
    both = gather(http, site.url, {"organizations_filter_include": pair})
    assert _once(both) == by_org[pair[0]] | by_org[pair[1]]
    neither = gather(http, site.url, {"organizations_filter_exclude": pair})
    assert _once(neither) == every - by_org[pair[0]] - by_org[pair[1]]


def test_incremental_runs_with_organization_filters(site: Site, http: httpx.Client, full: Gathered) -> None:
    by_org = _orgs(full.packages)
    philadelphia = next(p["organization"]["name"] for p in full.packages if p["id"] in site.changed_ids)
    others = sorted(name for name in by_org if name not in (None, philadelphia))[:2]
    since = _previous_gather_started(site)
    config = {"organizations_filter_include": [others[0], philadelphia]}
    included = gather(http, site.url, config, last_gather_started=since)
    assert fq_terms(config)[0] + " " + since_term(since) in [httpx.URL(u).params["fq"] for u in included.urls]
    assert _once(included) == site.changed_ids & (by_org[others[0]] | by_org[philadelphia])
    assert included.ids
    excluded = gather(http, site.url, {"organizations_filter_exclude": [philadelphia]}, last_gather_started=since)
    assert _once(excluded) == site.changed_ids - by_org[philadelphia]


def test_rows_are_clamped_and_a_start_past_the_end_is_an_empty_page(site: Site, http: httpx.Client) -> None:
    url = f"{site.url}/api/3/action/package_search"
    clamped = http.get(url, params={"rows": 5000, "sort": "id asc"}).json()["result"]
    assert len(clamped["results"]) == 1000
    assert clamped["count"] == len(site.live_ids())
    past = http.get(url, params={"rows": 100, "start": 100_000}).json()
    assert past["success"] is True
    assert past["result"]["results"] == []
    assert past["result"]["count"] == len(site.live_ids())
