"""Usage counted from real HTTP requests to a server on loopback (uvicorn, a store and index on disk):
page views, API requests and download clicks; crawlers and prefetches left out; the counting redirect
goes only where the record says; sort=popular; the CSV export; and no client address or user agent kept
anywhere on disk.

The client connects from its own loopback address (127.0.0.77), so a stored address would be found.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from index.ids import slug_path
from mappings.model import Dataset
from tests.conftest import harvest_file, make_settings
from tests.support.httpserver import LoopbackServer
from tests.support.live import serve

CLIENT_ADDRESS = "127.0.0.77"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) NutmegUsageTest/1.0 Chrome/120.0"
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CATALOG = "datajson/catalog.data.gov-harvest-source.data.json"


@dataclass
class Live:
    base: str
    services: Services
    folder: Path
    client: httpx.Client

    def ids_by_title(self) -> dict[str, str]:
        return {r.title: r.id for r in self.services.store.iter_records(live=True)}

    def page(self, id_: str) -> str:
        return "/dataset/" + slug_path(self.services.store.get_record(id_).title, id_)

    def csv_rows(self, **params: Any) -> list[dict[str, str]]:
        response = self.client.get("/api/v1/usage.csv", params=params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(response.text)))


@pytest.fixture
def live(tmp_path: Path, http_server: LoopbackServer, request: pytest.FixtureRequest) -> Iterator[Live]:
    """SQLite and the embedded index on disk; with the parameter "production", PostgreSQL and OpenSearch."""
    where: dict[str, Any] = {"database_url": f"sqlite:///{tmp_path}/nutmeg.db", "index_path": None}
    if getattr(request, "param", "embedded") == "production":
        node = request.getfixturevalue("opensearch_node")
        where = {"database_url": request.getfixturevalue("postgres_url"), "search_url": node.url}
        where["search_index"] = f"usage-{time.monotonic_ns()}"
    settings = make_settings(**where, usage_flush_seconds=0.1)
    services = build_services(settings)
    assert harvest_file(services, http_server, CATALOG).ok
    transport = httpx.HTTPTransport(local_address=CLIENT_ADDRESS)
    try:
        with (
            serve(create_app(settings, services)) as base,
            httpx.Client(base_url=base, transport=transport, headers={"User-Agent": BROWSER}, timeout=30) as client,
        ):
            yield Live(base, services, tmp_path, client)
    finally:
        services.close()


def wait_for(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def totals(live: Live, id_: str) -> tuple[int, int, int]:
    """(views, api, downloads) of ``id_`` as the CSV export has them (reading it counts nothing)."""
    rows = [r for r in live.csv_rows(dataset=id_)]
    return tuple(sum(int(r[k]) for r in rows) for k in ("views", "api", "downloads"))  # type: ignore[return-value]


def test_views_api_requests_and_downloads_are_counted(live: Live) -> None:
    ids = live.ids_by_title()
    sessions = ids["Data.gov Daily Sessions"]
    links = [
        d.download_url for d in Dataset.model_validate(live.services.store.get_record(sessions).dataset).distribution
    ]
    for _ in range(3):
        assert live.client.get(live.page(sessions)).status_code == 200
    live.client.get(live.page(sessions), headers={"User-Agent": CRAWLER})  # a crawler
    live.client.get(live.page(sessions), headers={"User-Agent": ""})  # no user agent at all
    live.client.get(live.page(sessions), headers={"Sec-Purpose": "prefetch"})  # the browser guessing
    for _ in range(2):
        assert live.client.get(f"/api/v1/datasets/{sessions}").status_code == 200
    assert live.client.get(live.page(sessions) + ".jsonld").status_code == 200  # an RDF form: an API request
    download = live.client.get(f"/datasets/{sessions}/distributions/0/download")
    assert download.status_code == 303
    assert download.headers["location"] == links[0]
    second = live.client.get(f"/datasets/{sessions}/distributions/1/download")
    assert second.headers["location"] == links[1]
    wait_for(lambda: totals(live, sessions) == (3, 3, 2), "the counts to be stored")
    usage = live.client.get(f"/api/v1/datasets/{sessions}").json()["usage"]
    assert usage == {
        "views": {"last_30_days": 3, "all_time": 3},
        "api": {"last_30_days": 3, "all_time": 3},  # this request is counted after it answered
        "downloads": {"last_30_days": 2, "all_time": 2},
    }
    wait_for(lambda: totals(live, sessions) == (3, 4, 2), "the last API request to be stored")
    page = live.client.get(live.page(sessions)).text
    assert '<span class="views-30">3</span>' in page
    assert f'href="/datasets/{sessions}/distributions/0/download"' in page


def test_the_download_redirect_goes_only_where_the_record_says(live: Live) -> None:
    ids = live.ids_by_title()
    without = ids["Concur Travel Parent"]  # no distributions
    assert live.client.get(f"/datasets/{without}/distributions/0/download").status_code == 404
    sessions = ids["Data.gov Daily Sessions"]
    for path in (
        f"/datasets/{sessions}/distributions/9/download",
        f"/datasets/{sessions}/distributions/-1/download",
        "/datasets/0000000000000000/distributions/0/download",
    ):
        response = live.client.get(path)
        assert response.status_code in (400, 404), path
        assert "location" not in response.headers
    asked = live.client.get(f"/datasets/{sessions}/distributions/0/download", params={"url": "https://evil.example/"})
    record = live.services.store.get_record(sessions)
    assert asked.headers["location"] == Dataset.model_validate(record.dataset).distribution[0].download_url
    wait_for(lambda: totals(live, sessions) == (0, 0, 1), "only the one redirect to be counted")


@pytest.mark.parametrize(
    "live", ["embedded", pytest.param("production", marks=[pytest.mark.engine, pytest.mark.postgres])], indirect=True
)
def test_sort_popular_follows_views_and_downloads_on_every_surface(live: Live) -> None:
    ids = live.ids_by_title()
    first, second, third = (
        ids["Concur Travel Parent"],
        ids["Data.gov Statistics Parent"],
        ids["Data.gov Daily Sessions"],
    )
    for id_, views in ((first, 4), (second, 2), (third, 1)):
        for _ in range(views):
            live.client.get(live.page(id_))
    live.client.get(f"/datasets/{third}/distributions/0/download")
    live.client.get(f"/datasets/{third}/distributions/0/download")  # 1 view + 2 downloads = 3
    for _ in range(10):
        live.client.get(f"/api/v1/datasets/{second}")  # API requests do not rank
    expected = [first, third, second]

    def api_order() -> list[str]:
        found = live.client.get("/api/v1/datasets", params={"sort": "popular", "per_page": 3}).json()
        return [r["id"] for r in found["results"]]

    wait_for(lambda: api_order() == expected, "the index to order by popularity")
    everything = live.client.get("/api/v1/datasets", params={"sort": "popular", "per_page": 100}).json()
    assert [r["id"] for r in everything["results"]][:3] == expected
    walked: list[str] = []
    params: dict[str, Any] = {"sort": "popular", "per_page": 2}
    while True:  # the cursor walks in the same order
        found = live.client.get("/api/v1/datasets", params=params).json()
        walked += [r["id"] for r in found["results"]]
        if not found["next"]:
            break
        params = {"sort": "popular", "per_page": 2, "cursor": found["next"]}
    assert walked == [r["id"] for r in everything["results"]]
    ckan = live.client.get("/api/3/action/package_search", params={"sort": "views_recent desc", "rows": 3}).json()
    assert [p["id"] for p in ckan["result"]["results"]] == expected
    rss = live.client.get("/search.rss", params={"sort": "popular", "per_page": 3}).text
    titles = [live.services.store.get_record(i).title for i in expected]
    assert rss.index(titles[0]) < rss.index(titles[1]) < rss.index(titles[2])
    html = live.client.get("/", params={"sort": "popular"}).text
    assert html.index(titles[0]) < html.index(titles[1]) < html.index(titles[2])
    dashboard = live.client.get("/dashboard").text
    assert dashboard.index(titles[0]) < dashboard.index(titles[1])


def test_csv_export_per_dataset_per_day(live: Live) -> None:
    ids = live.ids_by_title()
    sessions, parent = ids["Data.gov Daily Sessions"], ids["Concur Travel Parent"]
    live.client.get(live.page(sessions))
    live.client.get(f"/api/v1/datasets/{parent}")
    live.client.get(f"/datasets/{sessions}/distributions/0/download")
    today = datetime.now(UTC).date().isoformat()
    expected = sorted(
        [
            (today, sessions, "Data.gov Daily Sessions", "1", "0", "1"),
            (today, parent, "Concur Travel Parent", "0", "1", "0"),
        ]
    )

    def rows() -> list[tuple[str, ...]]:
        found = live.csv_rows()
        return sorted((r["day"], r["dataset_id"], r["title"], r["views"], r["api"], r["downloads"]) for r in found)

    wait_for(lambda: rows() == expected, "the three uses to be stored")  # they may span two flushes
    response = live.client.get("/api/v1/usage.csv")
    assert response.text.splitlines()[0] == "day,dataset_id,title,views,api,downloads"
    assert live.csv_rows(since="2000-01-01", until="2000-12-31") == []
    assert (
        live.client.get("/api/v1/usage.csv", params={"since": "2026-02-01", "until": "2026-01-01"}).status_code == 400
    )
    assert live.client.get("/api/v1/usage.csv", params={"since": "yesterday"}).status_code in (400, 422)
    assert live.client.get("/api/v1/usage.csv", params={"dataset": "nope"}).status_code == 404


def test_no_address_or_user_agent_is_kept_on_disk(live: Live) -> None:
    ids = live.ids_by_title()
    for id_ in list(ids.values())[:3]:
        live.client.get(live.page(id_))
        live.client.get(f"/api/v1/datasets/{id_}")
        live.client.get(f"/datasets/{id_}/distributions/0/download")
    live.client.get(live.page(next(iter(ids.values()))), headers={"User-Agent": CRAWLER})
    wait_for(lambda: len(live.csv_rows()) >= 3, "the counts to be stored")
    live.services.store.engine.dispose()
    stored = b"".join(p.read_bytes() for p in live.folder.iterdir() if p.is_file())
    assert b"nutmeg.db" in b"".join(p.name.encode() for p in live.folder.iterdir())
    for needle in (CLIENT_ADDRESS, "NutmegUsageTest", "Googlebot", "X11; Linux"):
        assert needle.encode() not in stored, needle
        assert needle.encode("utf-16-le") not in stored, needle
