"""Per-kind harvest throughput: records/s for a synthetic 10,000-record source served over loopback.

    python -m benchmarks.kinds                # every kind, 10,000 records each
    python -m benchmarks.kinds --count 2000 --kinds ckan,dcat

Each kind's source is generated in its own format (a DCAT Turtle catalog, CKAN package_search pages,
Socrata Discovery pages, an RSS feed, a page of schema.org JSON-LD, a WAF of ISO 19139 files, CSW pages)
and harvested through the real job runner into a fresh SQLite store and embedded index. The figure is
records stored per second of the whole job (fetch, parse, map, store, index); the machine is shared,
so figures are noisy.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalog_api.services import build_services
from catalog_api.settings import Settings
from index.store import NewSource
from tests.support.httpserver import LoopbackServer, Route, Seen


def _title(i: int) -> str:
    return f"Synthetic dataset {i} about road crashes and water quality"


def dcat(server: LoopbackServer, n: int) -> str:
    parts = ["@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> ."]
    for i in range(n):
        parts.append(
            f'<https://data.example/ds/{i}> a dcat:Dataset ; dct:title "{_title(i)}" ; dct:identifier "ds-{i}" ; '
            f'dct:description "Rows {i}" ; dcat:keyword "roads", "k{i % 50}" ; dct:modified "2024-01-02" ; '
            f'dct:publisher [ a <http://xmlns.com/foaf/0.1/Organization> ; <http://xmlns.com/foaf/0.1/name> "DOT" ] ; '
            f"dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <https://data.example/ds/{i}.csv> ] ."
        )
    return server.route("/catalog.ttl", Route(body="\n".join(parts).encode(), content_type="text/turtle"))


def ckan(server: LoopbackServer, n: int) -> str:
    packages = [
        {
            "id": f"pkg-{i}",
            "name": f"pkg-{i}",
            "title": _title(i),
            "notes": f"Rows {i}",
            "metadata_modified": f"2024-01-02T00:00:{i % 60:02d}.000000",
            "organization": {"title": "Department of Transportation"},
            "tags": [{"name": "roads"}, {"name": f"k{i % 50}"}],
            "resources": [{"url": f"https://data.example/{i}.csv", "format": "CSV"}],
        }
        for i in range(n)
    ]

    def answer(seen: Seen) -> Route:
        rows, start = int(seen.param("rows") or 100), int(seen.param("start") or 0)
        body = {"success": True, "result": {"count": n, "results": packages[start : start + rows]}}
        return Route(body=json.dumps(body).encode(), conditional=False)

    server.respond("/api/3/action/package_search", answer)
    return server.url("/")


def socrata(server: LoopbackServer, n: int) -> str:
    results = [
        {
            "resource": {"id": f"{i:04d}-abcd", "name": _title(i), "type": "dataset", "attribution": "DOT"},
            "classification": {"domain_category": "Transportation", "domain_tags": ["roads"]},
            "metadata": {"domain": "data.example.gov", "license": "Public Domain"},
            "permalink": f"https://data.example.gov/d/{i:04d}-abcd",
        }
        for i in range(n)
    ]

    def answer(seen: Seen) -> Route:
        limit, offset = int(seen.param("limit") or 100), int(seen.param("offset") or 0)
        body = {"results": results[offset : offset + limit], "resultSetSize": n}
        return Route(body=json.dumps(body).encode(), conditional=False)

    server.respond("/api/catalog/v1", answer)
    return server.url("/api/catalog/v1?domains=data.example.gov")


def rss(server: LoopbackServer, n: int) -> str:
    items = "".join(
        f"<item><title>{_title(i)}</title><link>https://data.example/ds/{i}</link><guid>ds-{i}</guid>"
        f"<description>Rows {i}</description><pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate>"
        f"<category>roads</category></item>"
        for i in range(n)
    )
    body = f'<rss version="2.0"><channel><title>New datasets</title>{items}</channel></rss>'.encode()
    return server.route("/new.rss", Route(body=body, content_type="application/rss+xml"))


def html(server: LoopbackServer, n: int) -> str:
    graph = [
        {
            "@type": "Dataset",
            "@id": f"https://data.example/ds/{i}",
            "name": _title(i),
            "description": f"Rows {i}",
            "keywords": "roads, safety",
            "distribution": {"@type": "DataDownload", "contentUrl": f"https://data.example/{i}.csv"},
        }
        for i in range(n)
    ]
    script = json.dumps({"@context": "https://schema.org/", "@graph": graph})
    body = f'<html><head><title>Datasets</title><script type="application/ld+json">{script}</script></head></html>'
    return server.route("/datasets.html", Route(body=body.encode(), content_type="text/html"))


ISO = """<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco">
<gmd:fileIdentifier><gco:CharacterString>iso-{i}</gco:CharacterString></gmd:fileIdentifier>
<gmd:dateStamp><gco:Date>2024-01-02</gco:Date></gmd:dateStamp>
<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation><gmd:CI_Citation><gmd:title>
<gco:CharacterString>{title}</gco:CharacterString></gmd:title></gmd:CI_Citation></gmd:citation>
<gmd:abstract><gco:CharacterString>Rows {i}</gco:CharacterString></gmd:abstract>
<gmd:extent><gmd:EX_Extent><gmd:geographicElement><gmd:EX_GeographicBoundingBox>
<gmd:westBoundLongitude><gco:Decimal>-73.5</gco:Decimal></gmd:westBoundLongitude>
<gmd:eastBoundLongitude><gco:Decimal>-71.8</gco:Decimal></gmd:eastBoundLongitude>
<gmd:southBoundLatitude><gco:Decimal>41.0</gco:Decimal></gmd:southBoundLatitude>
<gmd:northBoundLatitude><gco:Decimal>42.0</gco:Decimal></gmd:northBoundLatitude>
</gmd:EX_GeographicBoundingBox></gmd:geographicElement></gmd:EX_Extent></gmd:extent>
</gmd:MD_DataIdentification></gmd:identificationInfo></gmd:MD_Metadata>"""


def iso(server: LoopbackServer, n: int) -> str:
    links = "".join(f'<a href="r{i}.xml">r{i}.xml</a>\n' for i in range(n))
    server.route("/waf/", Route(body=f"<html><body>{links}</body></html>".encode(), content_type="text/html"))
    for i in range(n):
        body = ISO.format(i=i, title=_title(i)).encode()
        server.route(f"/waf/r{i}.xml", Route(body=body, content_type="application/xml"))
    return server.url("/waf/")


def csw(server: LoopbackServer, n: int) -> str:
    records = [ISO.format(i=i, title=_title(i)) for i in range(n)]

    def answer(seen: Seen) -> Route:
        text = seen.body.decode()
        start = int(text.split('startPosition="')[1].split('"')[0])
        size = int(text.split('maxRecords="')[1].split('"')[0])
        page = records[start - 1 : start - 1 + size]
        following = start + len(page) if start - 1 + size < n else 0
        body = (
            '<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">'
            f'<csw:SearchResults numberOfRecordsMatched="{n}" nextRecord="{following}">{"".join(page)}'
            "</csw:SearchResults></csw:GetRecordsResponse>"
        )
        return Route(body=body.encode(), conditional=False)

    server.respond("/csw", answer)
    return server.url("/csw")


KINDS: dict[str, tuple[Callable[[LoopbackServer, int], str], dict[str, Any]]] = {
    "dcat": (dcat, {}),
    "ckan": (ckan, {"rows": 1000}),
    "socrata": (socrata, {"limit": 1000}),
    "rss": (rss, {}),
    "html": (html, {}),
    "iso": (iso, {}),
    "csw": (csw, {"page_size": 500}),
}


def run(kind: str, count: int) -> tuple[float, int, str]:
    make, options = KINDS[kind]
    with tempfile.TemporaryDirectory() as folder, LoopbackServer() as server:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            harvest_allow_private=True,
            harvest_host_concurrency=4,
        )
        services = build_services(settings)
        try:
            url = make(server, count)
            services.store.add_source(NewSource(name=kind, kind=kind, url=url, options=options), datetime.now(UTC))
            started = time.perf_counter()
            report = services.runner.harvest(kind)
            seconds = time.perf_counter() - started
        finally:
            services.close()
    return seconds, report.new, report.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--kinds", default=",".join(KINDS))
    args = parser.parse_args()
    print(f"{'kind':<8} {'records':>8} {'seconds':>8} {'records/s':>10}  status")
    for kind in args.kinds.split(","):
        seconds, stored, status = run(kind, args.count)
        print(f"{kind:<8} {stored:>8} {seconds:>8.2f} {stored / seconds:>10,.0f}  {status}", flush=True)


if __name__ == "__main__":
    main()
