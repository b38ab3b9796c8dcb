"""A small but real catalog for page and browser tests: fixture catalogs from ``tests/data/datajson``
harvested over loopback HTTP, at several moments in the past, so the pages have publishers, themes,
formats, record errors, a failed source and a harvest history spread over days.

One catalog (catalog.data.gov's test harvest source) is served with its distribution URLs pointed at the
loopback server, which also serves those files, so a browser can follow a download link without leaving
the machine. The fixture files themselves are never changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from catalog_api.harvesting import HarvestReport, HarvestRunner
from catalog_api.services import Services
from harvesters.http import HttpClient
from index.collections import NewCollection, Rule, add_collection
from index.store import NewSource
from tests.conftest import DATA
from tests.support.httpserver import LoopbackServer, Route


@dataclass(frozen=True)
class SiteSource:
    name: str
    file: str
    title: str
    publisher: str | None = None
    schedule: str | None = None
    days_ago: tuple[float, ...] = (1.0,)  # when it was harvested (each a job), oldest first
    folder: str = "datajson"  # under tests/data


SOURCES: tuple[SiteSource, ...] = (
    SiteSource("philadelphia", "gsa-harvester-dcatus_with_none.json", "City of Philadelphia", None, "P1D", (20, 9, 2)),
    SiteSource("healthdata", "healthdata.gov-dkan-2020.data.json", "HealthData.gov (2020)", None, "PT6H", (12, 0.2)),
    SiteSource("seattle", "socrata-v1.0-2013-data.seattle.gov.json", "City of Seattle (2013)", None, None, (6,)),
    SiteSource("datagov", "catalog.data.gov-harvest-source.data.json", "Data.gov test source", None, "P1W", (4,)),
    SiteSource("new-york", "ckanext-datajson-ny.data.json", "State of New York", "State of New York", None, (3,)),
    SiteSource("arm", "ckanext-datajson-arm.data.json", "ARM Data Center", None, None, (3,)),
    SiteSource(
        "invalid", "gsa-harvester-dcatus_multiple_invalid.json", "A catalog with invalid records", None, None, (1,)
    ),
    # three failed runs in a row: flagged failing (NUTMEG_SCHEDULE_FLAG_AFTER)
    SiteSource("broken", "pod-dashboard-baddata.json", "A broken catalog", "Widget Services", "PT1H", (5, 2, 0.5)),
    # a web page where a catalog should be: its job's note quotes the page's first lines
    SiteSource("agency-page", "extruct-CreativeWork.001.html", "An agency's web page", None, None, (2,), "html"),
)
LINKED = "datagov"  # the source whose distribution links point at the loopback server
FILE_BODY = b"day,sessions\n2016-08-01,1234\n2016-08-02,1302\n"


@dataclass
class SiteCatalog:
    """What the tests need to know about the catalog they run against."""

    now: datetime
    reports: dict[str, list[HarvestReport]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # loopback URL of each distribution → original URL

    def last(self, name: str) -> HarvestReport:
        return self.reports[name][-1]


def build_site_catalog(services: Services, server: LoopbackServer, now: datetime) -> SiteCatalog:
    """Register and harvest :data:`SOURCES`, each job at its moment in the past."""
    site = SiteCatalog(now)
    runs: list[tuple[float, SiteSource]] = []
    for source in SOURCES:
        url = _serve_linked(server, source, site) if source.name == LINKED else _serve(server, source)
        new = NewSource(
            source.name, "datajson", url, title=source.title, publisher=source.publisher, schedule=source.schedule
        )
        services.store.add_source(new, now - timedelta(days=30))
        runs += [(days, source) for days in source.days_ago]
    for days, source in sorted(runs, key=lambda run: -run[0]):
        report = runner_at(services, now - timedelta(days=days)).harvest(source.name)
        site.reports.setdefault(source.name, []).append(report)
    for collection in COLLECTIONS:
        add_collection(services.store, collection, now)
    _preview_linked(services)
    return site


def _preview_linked(services: Services) -> None:
    """Data previews of the linked source's files (on loopback: allowed for these tests only)."""
    from catalog_api.previews import run_previews

    allowed = services.settings.model_copy(update={"preview_allow_private": True})
    run_previews(services.store, allowed, source=LINKED)


# featured on the home page, so the pages tests cover /collections, /collections/{slug} and the home section
COLLECTIONS = (
    NewCollection(
        "health-and-human-services",
        "Health and Human Services",
        "What the Health and Human Services working group shares: public health, hospitals and food safety.",
        Rule("health"),
        featured=True,
    ),
    NewCollection("transportation", "Transportation", "Parking, streets and traffic.", Rule("parking"), featured=True),
)


def _serve(server: LoopbackServer, source: SiteSource) -> str:
    return server.route(f"/catalogs/{source.file}", Route(body=DATA / source.folder / source.file))


def _serve_linked(server: LoopbackServer, source: SiteSource, site: SiteCatalog) -> str:
    """Serve the catalog with each distribution URL moved to the loopback server, and serve those files."""
    catalog = json.loads((DATA / "datajson" / source.file).read_bytes())
    for dataset in catalog["dataset"]:
        for dist in dataset.get("distribution", []):
            for key in ("downloadURL", "accessURL"):
                if dist.get(key):
                    original = dist[key]
                    dist[key] = server.route(
                        f"/files/{key}{urlsplit(original).path}",
                        Route(body=FILE_BODY, content_type="text/csv", headers={"Content-Disposition": "attachment"}),
                    )
                    site.files[dist[key]] = original
    return server.route(f"/catalogs/{source.file}", Route(body=json.dumps(catalog).encode()))


def runner_at(services: Services, moment: datetime) -> HarvestRunner:
    """The app's harvest runner, but with its clock stopped at ``moment``."""
    settings = services.settings

    def http_factory(allow_private: bool) -> HttpClient:
        return HttpClient(settings.http_policy(allow_private=allow_private))

    return HarvestRunner(services.store, services.index, settings, http_factory, clock=lambda: moment)
