"""Browser tests: the app served by uvicorn on a loopback port, on a catalog harvested over loopback, and
Debian's Chromium driven by Playwright.

Locally, without Chromium or Playwright, these tests skip with the reason; in CI (``CI=true``) they fail
instead, so a missing browser is never mistaken for a pass. The browser may only talk to loopback
addresses: any other request is aborted and fails the test. Screenshots and axe reports are written under
``test-artifacts/browser/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from tests.conftest import make_settings
from tests.support.httpserver import LoopbackServer
from tests.support.site import SiteCatalog, build_site_catalog

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
AXE = Path(__file__).resolve().parents[1] / "support" / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("NUTMEG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
AXE_PATH = "/__test-only/axe.min.js"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package 'playwright' is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set NUTMEG_CHROMIUM)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class LiveSite:
    base: str
    services: Services
    catalog: SiteCatalog
    files: LoopbackServer

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="session")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """The whole app under uvicorn on a free loopback port, on a file-backed store and index."""
    import uvicorn

    folder = tmp_path_factory.mktemp("site")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(database_url=f"sqlite:///{folder}/nutmeg.db", index_path=None, base_url=base)
    services = build_services(settings)
    with LoopbackServer() as files:
        catalog = build_site_catalog(services, files, datetime.now(UTC))
        config = uvicorn.Config(create_app(settings, services), log_level="warning", ws="none", lifespan="off")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        try:
            yield LiveSite(base, services, catalog, files)
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()
            services.close()


@dataclass
class Watched:
    """A page whose console errors, failed requests and off-machine requests are recorded."""

    page: Page
    site: LiveSite
    problems: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def goto(self, path: str, status: int = 200) -> None:
        response = self.page.goto(self.site.url(path))
        assert response is not None
        assert response.status == status, (path, response.status)

    def assert_clean(self) -> None:
        assert not self.blocked, f"requests left the machine: {self.blocked}"
        assert not self.problems, f"errors in the page: {self.problems}"

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self, name: str) -> list[dict[str, Any]]:
        """Run axe-core in the page; write its report; return the violations.

        axe is loaded as a same-origin script file (answered by the browser's request guard, never by the app)
        because the pages' Content-Security-Policy refuses the inline script ``add_script_tag(path=...)`` makes.
        """
        self.page.add_script_tag(url=self.site.url(AXE_PATH))
        violations: list[dict[str, Any]] = self.page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ["violations"]});
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
                }));
            }"""
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"{name}.axe.json").write_text(json.dumps(violations, indent=2))
        return violations


def watch(browser: Browser, site: LiveSite, viewport: str = "desktop", **options: Any) -> tuple[Any, Watched]:
    context = browser.new_context(viewport=VIEWPORTS[viewport], **options)  # type: ignore[arg-type]
    page = context.new_page()
    watched = Watched(page, site)

    def guard(route: Route, request: Request) -> None:
        host = urlsplit(request.url).hostname or ""
        if request.url == site.url(AXE_PATH):
            route.fulfill(path=str(AXE), content_type="text/javascript")
        elif request.url.startswith(("data:", "blob:")) or host in LOOPBACK or host.startswith("127."):
            route.continue_()
        else:
            watched.blocked.append(request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.problems.append(f"console: {message.text}")

    context.route("**/*", guard)
    page.on("console", console)
    page.on("pageerror", lambda error: watched.problems.append(f"page error: {error}"))
    return context, watched


@pytest.fixture
def desktop(browser: Browser, live_site: LiveSite) -> Iterator[Watched]:
    context, watched = watch(browser, live_site, "desktop")
    yield watched
    context.close()


@pytest.fixture
def phone(browser: Browser, live_site: LiveSite) -> Iterator[Watched]:
    context, watched = watch(browser, live_site, "phone", is_mobile=True, has_touch=True)
    yield watched
    context.close()
