"""A judged query set over real catalogs, and nDCG@10, for the relevance conformance test and
``python -m benchmarks.relevance``.

The corpus is three fixture catalogs (City of Philadelphia, data.seattle.gov in 2013, data.gov's test
harvest source), harvested over loopback HTTP through the real pipeline. Each query lists the datasets a
person typing it wants, by ``identifier``: grade 2 is what the words name, grade 1 is related; anything
else is 0. Judged by reading the titles and descriptions, before looking at either backend's answers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from catalog_api.services import build_services
from index.documents import doc_from_row
from index.search.base import SearchBackend, SearchDoc, SearchQuery
from tests.conftest import DATA, add_source, make_settings
from tests.support.httpserver import LoopbackServer, Route

CATALOGS = {
    "philadelphia": "datajson/gsa-harvester-dcatus_with_none.json",
    "seattle": "datajson/socrata-v1.0-2013-data.seattle.gov.json",
    "datagov": "datajson/catalog.data.gov-harvest-source.data.json",
}
K = 10

SEATTLE_BUDGETS = (
    "55z8-f4gi", "emai-dima", "ig47-2vs9", "q87s-9jj6", "rqqh-kfrc", "mwxw-7pct", "pjx6-rnig", "nrfc-hypb",
)  # fmt: skip
SEATTLE_WAGES = ("k9m8-nhz3", "cf52-s8er", "j379-aghh", "5jqs-k4qf", "24tp-6m99", "k3hs-aykd", "tptv-57gf")
SEATTLE_EVENTS = (
    "r9tf-vftw", "8ia9-etqi", "tta6-nr36", "mmhs-cjev", "adee-kbwa", "kjgy-var8", "pa7z-i6ib", "fva2-7c82",
    "t5mx-wchj", "7m6y-k25v", "cprz-jsz8", "8pec-7ugc",
)  # fmt: skip
COVID = (
    "covid-19-test-sites", "covid-19-vaccinations", "covid-cumulative-historical-snapshots", "covid-deaths",
    "covid-hospitalizations", "covid-tests-and-cases",
)  # fmt: skip


def _grades(best: Sequence[str], related: Sequence[str] = ()) -> dict[str, int]:
    return {**{i: 1 for i in related}, **{i: 2 for i in best}}


JUDGMENTS: dict[str, dict[str, int]] = {
    "parking": _grades(
        [
            "parking-meter-kiosk-inventory",
            "parking-violations",
            "parking-locator",
            "residential-parking-permit-blocks",
            "active-residential-parking-permits-by-district",
            "archived-valet-parking-locations",
            "ge96-bmdn",
            "it8u-sznv",
            "erv6-k5zv",
            "3neb-8edu",
            "wgsf-sgyz",
            "gspn-3xwz",
        ],
        ["erpr-ahe5", "vuq6-yfmf"],
    ),
    "parking meter": _grades(["parking-meter-kiosk-inventory"], ["erpr-ahe5", "parking-violations"]),
    "e3zj-s4zh": _grades(["e3zj-s4zh"]),
    "it8u-sznv": _grades(["it8u-sznv"]),
    "crime": _grades(
        ["crime-incidents", "crime-visualizations-in-philadelphia-county", "e3zj-s4zh", "3xqu-vnum"],
        ["shooting-victims", "m2gk-mysw", "7ais-f98f"],
    ),
    "police districts": _grades(
        ["police-districts"],
        ["police-divisions", "police-service-areas", "center-city-district-police-boundary", "nnxn-434b"],
    ),
    "budget": _grades(["city-operating-budget", *SEATTLE_BUDGETS], ["52uk-pbhi"]),
    "bike": _grades(
        ["bike-network", "bike-network-supporting-datasets", "indego-bike-share-stations", "indego-bike-share-trips"],
        ["vncn-umqp", "65hx-g4ms", "65db-xm6k", "dyyz-c89u"],
    ),
    "trees": _grades(
        ["philadelphia-tree-inventory", "xg4t-j322", "tiq5-syif", "cqsd-e672"],
        ["pa-high-resolution-tree-canopy", "ppr-tree-canopy"],
    ),
    "tree canopy": _grades(["pa-high-resolution-tree-canopy", "ppr-tree-canopy"], ["philadelphia-tree-inventory"]),
    "zoning": _grades(
        ["zoning-base-districts", "zoning-overlays", "zoning-steep-slope-protected-area", "2hat-teay", "r6xd-5qab"],
        ["historic-philadelphia-zoning", "licenses-and-inspections-building-and-zoning-permits"],
    ),
    "septa gtfs": _grades(["septa-gtfs", "septa-gtfs-alerts-updates"], ["patco-gtfs"]),
    "covid": _grades(COVID),
    "covid vaccinations": _grades(["covid-19-vaccinations"], [c for c in COVID if c != "covid-19-vaccinations"]),
    "swimming pools": _grades(["ppr-swimming-pools"], ["ppr-spraygrounds"]),
    "traffic cameras": _grades(["q8vp-zcvj", "65fc-btcc"], ["red-light-cameras"]),
    "building permits": _grades(
        ["mags-97de", "47eb-r92t", "licenses-and-inspections-building-and-zoning-permits"],
        ["uvnd-ak3d", "raim-ay5x", "haa3-t6c2", "txjd-pq99", "w3y2-x633", "uyyd-8gak"],
    ),
    "census tracts": _grades(
        ["census-tracts", "8t5t-75fx", "54jz-7gsk", "fcy7-ecid"], ["heat-vulnerability-by-census-tract", "e3zj-s4zh"]
    ),
    "flood": _grades(["fema-flood-plain", "flood-hazard-zone-lines", "mtus-f3kr"]),
    "hospitals": _grades(["pa-hospitals", "philadelphia-hospitals"]),
    "farmers market": _grades(["farmers-markets-locations"], ["buy-fresh-buy-local-pa", "neighborhood-food-retail"]),
    "election results": _grades(["election-results"], ["voter-turnout", "candidates-for-elected-office"]),
    "polling places": _grades(["polling-places"]),
    "business licenses": _grades(
        ["licenses-and-inspections-business-licenses", "evxh-x3jp", "c3ri-wwcn", "qmtq-5rpt"],
        ["licenses-and-inspections-commercial-activity-licenses"],
    ),
    "wages by gender": _grades(SEATTLE_WAGES, ["city-employee-earnings"]),
    "fire": _grades(["fire-department-facilities", "kzjm-xkqj"]),
    "911 calls": _grades(["kzjm-xkqj", "3k2p-39jp"]),
    "trash bins": _grades(
        ["big-belly-waste-baskets-trash-bins", "wire-waste-baskets-trash-bins", "big-belly-trash-bin-usage"]
    ),
    "recycling": _grades(["recycling-diversion-rate", "recycling-donations-resources", "recyclebank-participation"]),
    "neighborhoods": _grades(["philadelphia-neighborhoods", "2mbt-aqqx"], ["q7ue-prx8"]),
    "school performance": _grades(
        ["school-performance", "school-progress-report-data"], ["pssa-keystone-performance", "school-information"]
    ),
    "lead": _grades(["philadelphia-child-blood-lead-levels", "lead-paint-certs"]),
    "street centerlines": _grades(
        ["street-centerlines"], ["street-centerlines-for-vision-zero-high-injury-network-2017", "afip-2mzr"]
    ),
    "traffic counts": _grades(["pa-dot-traffic-counts", "7svg-ds5z", "dvrpc-traffic-count-viewer"]),
    "events": _grades(SEATTLE_EVENTS),
    "landmarks": _grades(["city-landmarks", "7nqc-eijt"]),
}


@contextmanager
def judged_corpus() -> Iterator[list[SearchDoc]]:
    """The search documents of the three catalogs, harvested over loopback through the real pipeline."""
    with LoopbackServer() as server:
        services = build_services(make_settings())
        try:
            for name, path in CATALOGS.items():
                add_source(services, name, server.route(f"/{name}.json", Route(body=DATA / path)))
                assert services.runner.harvest(name).status == "succeeded", name
            yield [doc_from_row(row) for row in services.store.iter_records(live=True)]
        finally:
            services.close()


def ranked_identifiers(backend: SearchBackend, query: str, k: int = K) -> list[str]:
    hits = backend.search(SearchQuery(text=query, limit=k, facets=())).hits
    return [str(h.summary.get("identifier")) for h in hits]


def ndcg(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    """nDCG@k with gains 2^grade - 1 and a log2 discount (Järvelin & Kekäläinen)."""
    gain = sum((2 ** grades.get(i, 0) - 1) / math.log2(rank + 2) for rank, i in enumerate(ranked[:k]))
    ideal_grades = sorted(grades.values(), reverse=True)[:k]
    ideal = sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(ideal_grades))
    return gain / ideal if ideal else 0.0


def evaluate(backend: SearchBackend) -> dict[str, float]:
    """nDCG@10 of every judged query on a loaded backend."""
    return {query: ndcg(ranked_identifiers(backend, query), grades) for query, grades in JUDGMENTS.items()}
