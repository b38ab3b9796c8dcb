"""The search answer cache: repeated searches are answered from memory, but never after the index
changed (in this process or another one), never for errors, and one search however its parameters are
ordered."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.response_cache import canonical
from catalog_api.services import Services, build_services
from catalog_api.settings import Settings
from tests.conftest import harvest_file, make_settings
from tests.support.httpserver import LoopbackServer


def test_parameter_order_is_one_search() -> None:
    assert canonical(b"q=water&keyword=b&keyword=a") == canonical(b"keyword=a&q=water&keyword=b")
    assert canonical(b"q=water") != canonical(b"q=Water")


def test_an_answer_is_reused_until_the_index_changes(
    client: TestClient, services: Services, http_server: LoopbackServer
) -> None:
    calls = 0
    search = services.index.search

    def counting(query):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return search(query)

    harvest_file(services, http_server, "datajson/gsa-harvester-dcatus_with_none.json", name="one")
    services.index.search = counting  # type: ignore[method-assign]  (after the harvest: it keeps the day's quality)
    first = client.get("/api/v1/datasets", params={"q": "police", "per_page": 5})
    again = client.get("/api/v1/datasets", params={"per_page": 5, "q": "police"})
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert calls == 1, "the second, identical search was answered from memory"
    harvest_file(services, http_server, "datajson/cdc.gov.data.json", name="two")
    calls = 0  # the harvest searched the index for the day's quality averages
    assert client.get("/api/v1/datasets", params={"q": "police", "per_page": 5}).status_code == 200
    assert calls == 1, "a harvest changed the index: the search ran again"
    assert client.get("/api/v1/datasets").json()["total"] > 402


def test_errors_are_never_cached(client: TestClient, services: Services) -> None:
    assert client.get("/api/v1/datasets", params={"per_page": 0}).status_code == 400
    assert client.get("/api/v1/datasets", params={"per_page": 0}).status_code == 400
    assert client.get("/api/v1/datasets", params={"freshnes": "stale"}).status_code == 400


def test_another_process_writing_the_index_empties_the_cache(tmp_path: Path, http_server: LoopbackServer) -> None:
    """The server and a harvest are two processes on one index file: the server sees the harvest's commits."""
    settings = make_settings(database_url=f"sqlite:///{tmp_path}/nutmeg.db", index_path=None)
    server_side, harvester = build_services(settings), build_services(settings)
    try:
        with TestClient(create_app(settings, server_side)) as client:
            assert client.get("/api/v1/datasets").json()["total"] == 0
            assert client.get("/api/v1/datasets").json()["total"] == 0
            harvest_file(harvester, http_server, "datajson/gsa-harvester-dcatus_with_none.json")
            assert client.get("/api/v1/datasets").json()["total"] == 402
    finally:
        server_side.close()
        harvester.close()


def test_the_cache_can_be_turned_off(http_server: LoopbackServer) -> None:
    settings = make_settings(search_cache_entries=0)
    services = build_services(settings)
    try:
        app = create_app(settings, services)
        assert not any(m.cls.__name__ == "ResponseCache" for m in app.user_middleware)  # type: ignore[attr-defined]
        with TestClient(app) as client:
            assert client.get("/api/v1/datasets").status_code == 200
    finally:
        services.close()


def test_answers_asked_of_another_host_are_not_shared(tmp_path: Path, http_server: LoopbackServer) -> None:
    """Without NUTMEG_BASE_URL an answer's links follow the host it was asked of, so the cache keeps the hosts
    apart: a search asked of one name never hands out links to another."""
    given = make_settings(database_url=f"sqlite:///{tmp_path}/nutmeg.db", index_path=None)
    settings = Settings(**given.model_dump(exclude={"base_url"}))
    assert not settings.base_url_fixed
    services = build_services(settings)
    try:
        harvest_file(services, http_server, "datajson/gsa-harvester-dcatus_with_none.json", name="one")
        with TestClient(create_app(settings, services)) as client:
            urls = {
                host: client.get("/api/v1/datasets", params={"per_page": 1}, headers={"Host": host}).json()
                for host in ("catalog.example:8000", "portal.example", "catalog.example:8000")
            }
        assert urls["catalog.example:8000"]["results"][0]["html_url"].startswith("http://catalog.example:8000/")
        assert urls["portal.example"]["results"][0]["html_url"].startswith("http://portal.example/")
    finally:
        services.close()
