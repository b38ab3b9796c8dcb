"""Without NUTMEG_BASE_URL, every published link uses the address the request was sent to — and, behind a
proxy listed in NUTMEG_TRUSTED_PROXIES, the forwarded scheme and host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from catalog_api.settings import Settings
from tests.conftest import harvest_file
from tests.support.httpserver import LoopbackServer

SERVED = "http://catalog.example:9000"


def unset_base_settings(**values: Any) -> Settings:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="sqlite://",
        index_path=":memory:",
        harvest_allow_private=True,
        harvest_workers=1,
        **values,
    )
    assert not settings.base_url_fixed
    return settings


@pytest.fixture
def harvested(http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.delenv("NUTMEG_BASE_URL", raising=False)
    built = build_services(unset_base_settings(trusted_proxies=["10.1.2.3"]))
    assert harvest_file(built, http_server, "datajson/gsa-harvester-dcatus.json").ok
    yield built
    built.close()


def links_of(client: TestClient) -> dict[str, str]:
    """Every published output that carries absolute links, as text."""
    found = client.get("/api/v1/datasets", params={"per_page": 2}).json()
    return {
        "api": str([r["html_url"] for r in found["results"]] + [r["api_url"] for r in found["results"]]),
        "data.json": client.get("/data.json").text[:2000],
        "sitemap": client.get("/sitemap.xml").text,
        "sitemap file": client.get("/sitemaps/datasets-1.xml").text[:2000],
        "robots": client.get("/robots.txt").text,
        "atom": client.get("/search.atom").text[:4000],
        "rss": client.get("/search.rss").text[:4000],
        "opensearch": client.get("/opensearch.xml").text,
        "catalog": client.get("/catalog.ttl").text[:20000],
        "ckan": str(client.get("/api/3/action/status_show").json()),
    }


def test_links_follow_the_address_served(harvested: Services) -> None:
    with TestClient(create_app(harvested.settings, harvested), base_url=SERVED) as client:
        for output, body in links_of(client).items():
            assert f"{SERVED}/" in body, output
            assert "127.0.0.1:8000" not in body, output
            assert "testserver" not in body, output


def test_a_configured_base_url_wins(harvested: Services) -> None:
    fixed = harvested.settings.model_copy(update={"base_url": "https://data.state.example"})
    assert fixed.base_url_fixed
    services = Services(fixed, harvested.store, harvested.index, harvested.runner)
    with TestClient(create_app(fixed, services), base_url=SERVED) as client:
        for output, body in links_of(client).items():
            assert "https://data.state.example/" in body, output
            assert "catalog.example" not in body, output


def test_forwarded_scheme_and_host_only_from_a_trusted_proxy(harvested: Services) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "data.state.example", "X-Forwarded-For": "8.8.8.8"}
    app = create_app(harvested.settings, harvested)
    with TestClient(app, base_url=SERVED, client=("10.1.2.3", 4000)) as via_proxy:
        body = via_proxy.get("/robots.txt", headers=forwarded).text
        assert "Sitemap: https://data.state.example/sitemap.xml" in body
        html_url = via_proxy.get("/api/v1/datasets", headers=forwarded).json()["results"][0]["html_url"]
        assert html_url.startswith("https://data.state.example/dataset/")
    with TestClient(app, base_url=SERVED, client=("203.0.113.9", 4000)) as direct:
        assert f"Sitemap: {SERVED}/sitemap.xml" in direct.get("/robots.txt", headers=forwarded).text


def test_a_hostile_host_header_never_reaches_a_link(harvested: Services) -> None:
    app = create_app(harvested.settings, harvested)
    with TestClient(app, base_url=SERVED) as client:
        for host in ('evil.example/"><script>', "a b", "x" * 300):
            body = client.get("/robots.txt", headers={"Host": host}).text
            assert "script" not in body
            assert f"Sitemap: {SERVED}/sitemap.xml" in body  # the server's own address instead
            assert host not in body


def test_trusted_proxies_are_validated() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        unset_base_settings(trusted_proxies="10.0.0.1,proxy.internal")
    assert unset_base_settings(trusted_proxies="10.0.0.0/8, *").trusted_proxies == ["10.0.0.0/8", "*"]
