"""Deterministic synthetic DCAT-US 1.1 catalogs shaped like the real fixtures (for benchmarks).

``python -m benchmarks.synth 100000 out.json`` writes a data.json of 100,000 datasets: agencies and
cities as publishers, tags and themes drawn from real catalogs' vocabularies, 1–4 distributions each,
about 2 KB a dataset, ~3 % with a schema problem (as real catalogs have). The same seed gives the same
bytes, so runs are comparable.

The messy parts real catalogs have are there too, at fixed strides (see :func:`messy`): records missing
optional fields (~1 %), identifiers repeated from an earlier record (~0.5 %, skipped as duplicates),
records with no title (~0.2 %, skipped) and huge descriptions of ~100 KB (~0.1 %, over the field cap,
kept truncated).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

AGENCIES = [
    "Department of Health",
    "Department of Transportation",
    "Department of Education",
    "Department of Environmental Protection",
    "Department of Labor",
    "Department of Revenue",
    "State Police",
    "Department of Corrections",
    "Department of Agriculture",
    "Office of the Treasurer",
    "Department of Public Utilities",
    "Department of Housing",
    "Department of Energy Resources",
    "Department of Fish and Game",
    "Department of Conservation and Recreation",
    "Secretary of State",
    "Office of Budget and Management",
    "Department of Veterans Services",
    "Department of Children and Families",
    "Department of Mental Health",
    "Registry of Motor Vehicles",
    "Department of Public Health",
    "Executive Office of Elder Affairs",
    "Department of Workforce Development",
    "Office of Tourism",
    "City of Springfield",
    "City of Riverside",
    "City of Lakeside",
    "City of Fairview",
    "City of Georgetown",
    "County of Franklin",
    "County of Madison",
    "County of Clinton",
    "City of Salem",
    "City of Bristol",
    "Water Resources Authority",
    "Port Authority",
    "Transit Authority",
    "Housing Finance Agency",
    "Office of Emergency Management",
    "Department of Insurance",
    "Department of Banking",
    "Gaming Commission",
    "Cannabis Control Commission",
    "Department of Elementary and Secondary Education",
    "Board of Higher Education",
    "Office of the Attorney General",
    "Department of Youth Services",
    "Office of Economic Development",
    "Department of Fire Services",
]
TOPICS = [
    "crime",
    "traffic",
    "crashes",
    "budget",
    "spending",
    "payroll",
    "contracts",
    "permits",
    "inspections",
    "restaurants",
    "water quality",
    "air quality",
    "emissions",
    "energy",
    "electricity",
    "schools",
    "enrollment",
    "graduation",
    "test scores",
    "hospitals",
    "covid-19",
    "vaccination",
    "influenza",
    "opioids",
    "overdose",
    "mortality",
    "births",
    "population",
    "census",
    "housing",
    "evictions",
    "rent",
    "zoning",
    "parcels",
    "property tax",
    "assessments",
    "transit",
    "ridership",
    "bus",
    "rail",
    "bicycles",
    "parking",
    "roads",
    "bridges",
    "pavement",
    "snow",
    "weather",
    "flooding",
    "wetlands",
    "parks",
    "recreation",
    "libraries",
    "elections",
    "voters",
    "campaign finance",
    "lobbying",
    "licenses",
    "businesses",
    "unemployment",
    "wages",
    "jobs",
    "tourism",
    "fishing",
    "hunting",
    "wildlife",
    "forests",
    "agriculture",
    "farms",
    "food safety",
    "drinking water",
    "wastewater",
    "recycling",
    "solid waste",
    "fire",
    "ems",
    "911 calls",
    "police",
    "arrests",
    "courts",
    "corrections",
    "veterans",
    "elderly",
    "children",
    "foster care",
    "mental health",
    "medicaid",
    "insurance",
    "banking",
    "gaming",
    "cannabis",
    "broadband",
    "geospatial",
    "boundaries",
    "addresses",
    "streets",
    "trees",
    "noise",
    "rodents",
]
THEMES = [
    "Health",
    "Transportation",
    "Education",
    "Environment",
    "Public Safety",
    "Finance",
    "Economy",
    "Housing",
    "Government",
    "Recreation",
    "Energy",
    "Agriculture",
    "Demographics",
    "Infrastructure",
]
NOUNS = [
    "Report",
    "Statistics",
    "Inventory",
    "Locations",
    "Counts",
    "Survey",
    "Register",
    "Dashboard Data",
    "Annual Summary",
    "Monthly Data",
    "Daily Log",
    "Listing",
    "Index",
    "Map Layer",
]
FORMATS = [
    ("text/csv", "CSV", "csv"),
    ("application/json", "JSON", "json"),
    ("application/xml", "XML", "xml"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX", "xlsx"),
    ("application/pdf", "PDF", "pdf"),
    ("application/zip", "ZIP", "zip"),
    ("application/vnd.geo+json", "GeoJSON", "geojson"),
    ("application/vnd.google-earth.kml+xml", "KML", "kml"),
]
LICENSES = [
    "http://creativecommons.org/publicdomain/zero/1.0/",
    "https://creativecommons.org/licenses/by/4.0/",
    "http://opendatacommons.org/licenses/odbl/1.0/",
    "https://www.usa.gov/government-works",
]
WORDS = (
    "data records information annual quarterly monthly reported collected state agency public "
    "program service services residents county city region district total number rate rates percent "
    "change year years including across based available updated source sources measures measure "
    "indicators indicator level levels by for of the and in on with from to each per this these "
    "includes provides shows "
).split()
FREQUENCIES = ["R/P1D", "R/P1W", "R/P1M", "R/P3M", "R/P1Y", "irregular"]


def dataset(i: int, rng: random.Random) -> dict[str, Any]:
    agency = AGENCIES[int(rng.paretovariate(1.2)) % len(AGENCIES)]
    topics = rng.sample(TOPICS, rng.randint(2, 6))
    title = f"{topics[0].title()} {rng.choice(NOUNS)} {2005 + i % 20}"
    if i % 7 == 0:
        title += f" - {agency}"
    modified = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3900))
    record: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "title": title,
        "description": _description(rng, topics),
        "keyword": topics,
        "modified": modified.isoformat() if i % 5 else f"{modified.isoformat()}T{rng.randint(0, 23):02d}:15:00Z",
        "publisher": {"@type": "org:Organization", "name": agency},
        "contactPoint": {
            "@type": "vcard:Contact",
            "fn": f"{agency} Data Team",
            "hasEmail": f"mailto:data{i % 40}@example.gov",
        },
        "identifier": f"https://data.example.gov/d/{i:06x}-{rng.randint(0, 1 << 30):08x}",
        "accessLevel": "public" if i % 50 else "restricted public",
        "license": rng.choice(LICENSES),
        "theme": rng.sample(THEMES, rng.randint(1, 2)),
        "landingPage": f"https://data.example.gov/datasets/{i:06x}",
        "issued": (modified - timedelta(days=rng.randint(30, 2000))).isoformat(),
        "accrualPeriodicity": rng.choice(FREQUENCIES),
        "distribution": _distributions(i, rng),
    }
    if i % 3 == 0:
        record["spatial"] = (
            f"{-73.5 - rng.random():.4f},{41.2 + rng.random():.4f},{-70.0 + rng.random():.4f},{42.9:.4f}"
        )
    if i % 4 == 0:
        record["temporal"] = f"{2000 + i % 15}-01-01/{2016 + i % 8}-12-31"
    if i % 33 == 0:
        del record["contactPoint"]["hasEmail"]
        record["accessLevel"] = "Public"  # a schema problem, as real catalogs have
    return record


MISSING_EVERY = 97  # optional fields left out
DUPLICATE_EVERY = 211  # the identifier of the record before (the harvester keeps the first)
UNTITLED_EVERY = 499  # no title (skipped with an error)
HUGE_EVERY = 1009  # a ~100 KB description (over the 64 KB field cap: kept truncated, with a warning)


def messy(i: int, record: dict[str, Any], previous: str | None) -> dict[str, Any]:
    """The record ``i`` with the faults real catalogs have, at fixed strides (deterministic)."""
    if i % MISSING_EVERY == 0:
        for key in ("keyword", "theme", "distribution", "landingPage", "issued", "accrualPeriodicity", "license"):
            record.pop(key, None)
    if i % DUPLICATE_EVERY == 0 and previous is not None:
        record["identifier"] = previous
    if i % UNTITLED_EVERY == 0:
        record.pop("title")
    if i % HUGE_EVERY == 0:
        record["description"] = " ".join([record["description"]] * (100_000 // max(len(record["description"]), 1) + 1))
    return record


def _description(rng: random.Random, topics: list[str]) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(25, 120))]
    for topic in topics:
        words.insert(rng.randint(0, len(words)), topic)
    return " ".join(words).capitalize() + "."


def _distributions(i: int, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for media, label, extension in rng.sample(FORMATS, rng.randint(1, 4)):
        out.append(
            {
                "@type": "dcat:Distribution",
                "downloadURL": f"https://data.example.gov/api/views/{i:06x}/rows.{extension}",
                "mediaType": media,
                "format": label,
                "title": f"{label} download",
            }
        )
    return out


def datasets(count: int, seed: int = 20261126) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    previous: str | None = None
    for i in range(count):
        record = messy(i, dataset(i, rng), previous)
        previous = record["identifier"]
        yield record


def write_catalog(path: Path, count: int, seed: int = 20261126) -> Path:
    """Write the catalog to ``path`` (streamed, one dataset per line)."""
    with path.open("wb") as out:
        out.write(
            b'{"@context":"https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld","@type":"dcat:Catalog",'
            b'"conformsTo":"https://project-open-data.cio.gov/v1.1/schema",'
            b'"describedBy":"https://project-open-data.cio.gov/v1.1/schema/catalog.json","dataset":[\n'
        )
        for n, record in enumerate(datasets(count, seed)):
            out.write((b",\n" if n else b"") + orjson.dumps(record))
        out.write(b"\n]}\n")
    return path


if __name__ == "__main__":
    write_catalog(Path(sys.argv[2]), int(sys.argv[1]))
