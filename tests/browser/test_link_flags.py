"""Broken and moved links, as a person sees them in Chromium: flagged under the dataset's download, counted
and listed on its source's page, and both pages still clean for axe-core."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from catalog_api.app import create_app
from catalog_api.linkcheck.runner import run_link_checks
from catalog_api.services import build_services
from index.ids import record_id, slug_path
from tests.browser.conftest import LiveSite, watch
from tests.conftest import add_source, make_settings, serve_json
from tests.support.httpserver import LoopbackServer, Route
from tests.support.site import SiteCatalog

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _dataset(identifier: str, title: str, url: str) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "title": title,
        "description": "Inspections of the city's playgrounds.",
        "keyword": ["parks"],
        "modified": "2026-01-01",
        "publisher": {"name": "Parks Department"},
        "contactPoint": {"fn": "Data team", "hasEmail": "mailto:data@example.gov"},
        "accessLevel": "public",
        "distribution": [{"downloadURL": url, "mediaType": "text/csv", "title": f"{title} (CSV)"}],
    }


@pytest.fixture(scope="module")
def link_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    import uvicorn

    folder: Path = tmp_path_factory.mktemp("links-site")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(
        database_url=f"sqlite:///{folder}/nutmeg.db", index_path=None, base_url=base, link_check_host_delay=0.0
    )
    services = build_services(settings)
    with LoopbackServer() as files:
        new = files.route("/new/inspections.csv", Route(body=b"a,b\n", content_type="text/csv"))
        gone = files.route("/gone.csv", Route(status=404))
        old = files.route("/old.csv", Route(redirect_to=new, status=301))
        catalog = {
            "dataset": [
                _dataset("gone", "Playground inspections 2019", gone),
                _dataset("moved", "Playground inspections 2020", old),
            ]
        }
        add_source(services, "parks", serve_json(files, "/data.json", catalog), title="Parks Department catalog")
        services.runner.harvest("parks")
        run_link_checks(services.store, settings)
        server = uvicorn.Server(uvicorn.Config(create_app(settings, services), log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        try:
            yield LiveSite(base, services, SiteCatalog(datetime.now(UTC)), files)
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()
            services.close()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_broken_and_a_moved_link_are_flagged_and_listed(viewport: str, browser: Any, link_site: LiveSite) -> None:
    options = {"is_mobile": True, "has_touch": True} if viewport == "phone" else {}
    context, watched = watch(browser, link_site, viewport, **options)
    try:
        page = watched.page
        gone = slug_path("Playground inspections 2019", record_id("parks", "gone"))
        watched.goto(f"/dataset/{gone}")
        flag = page.locator('[data-link-status="broken"]')
        assert flag.is_visible()
        assert "did not work when last checked (HTTP 404)" in flag.inner_text()
        watched.shot(f"link-flag-dataset-{viewport}")
        assert watched.axe(f"link-flag-dataset-{viewport}") == []

        moved = slug_path("Playground inspections 2020", record_id("parks", "moved"))
        watched.goto(f"/dataset/{moved}")
        assert "has moved (HTTP 301): it now leads to" in page.locator('[data-link-status="redirected"]').inner_text()

        watched.goto("/source/parks")
        assert page.get_by_role("link", name="1 broken link").is_visible()
        rows = page.locator("#links tbody tr")
        assert rows.count() == 2
        assert page.locator("#links").get_by_role("link", name="Playground inspections 2019").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
        watched.shot(f"link-flags-source-{viewport}")
        assert watched.axe(f"link-flags-source-{viewport}") == []
        watched.assert_clean()
    finally:
        context.close()
