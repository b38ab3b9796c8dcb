"""Every response carries the security headers; no page, API doc or stylesheet loads anything from another
host; and nothing in a page needs ``unsafe-inline`` (no inline script, style or event handler)."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from lxml import html

from catalog_api.app import create_app
from catalog_api.security import CONTENT_SECURITY_POLICY
from tests.catalog_api.routes.conftest import BROWSER, Site

HOST = "testserver"
PAGES = [
    "/",
    "/?q=health&format=CSV",
    "/organization",
    "/organization/city-of-philadelphia",
    "/source",
    "/source/invalid",
    "/dashboard",
    "/docs",
    "/redoc",
    "/no/such/page",
]
# elements and attributes through which a browser fetches something while showing the page
LOADS = [
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("iframe", "src"),
    ("frame", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("source", "src"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("track", "src"),
    ("input", "src"),
]
FETCHING_RELS = {
    "stylesheet",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "preload",
    "prefetch",
    "modulepreload",
    "manifest",
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""")
CSS_IMPORT = re.compile(r"""@import\s+['"]([^'"]+)""")


def paths(site: Site) -> list[str]:
    dataset = str(site.api("/api/v1/datasets", per_page=1)["results"][0]["html_url"])  # type: ignore[index]
    return [*PAGES, urlsplit(dataset).path]


def loaded_urls(page_url: str, text: str) -> list[str]:
    tree = html.fromstring(text)
    found = [el.get(attr) for tag, attr in LOADS for el in tree.iter(tag) if el.get(attr)]
    for link in tree.iter("link"):
        if FETCHING_RELS & set((link.get("rel") or "").lower().split()) and link.get("href"):
            found.append(link.get("href"))
    candidates: list[str] = []
    for value in found:
        candidates += [part.strip().split(" ")[0] for part in str(value).split(",")] if "," in str(value) else [value]
    for style in tree.iter("style"):
        candidates += CSS_URL.findall(style.text or "") + CSS_IMPORT.findall(style.text or "")
    return [urljoin(page_url, c) for c in candidates]


def off_host(urls: list[str]) -> list[str]:
    return [u for u in urls if not u.startswith("data:") and urlsplit(u).hostname not in (HOST, None)]


def test_no_page_or_doc_loads_from_another_host(site: Site) -> None:
    stylesheets: set[str] = set()
    for path in paths(site):
        response = site.client.get(path, headers={"Accept": BROWSER})
        assert response.headers["content-type"].startswith("text/html"), path
        urls = loaded_urls(f"http://{HOST}{path}", response.text)
        assert urls, path  # every page loads its stylesheet and script at least
        assert off_host(urls) == [], path
        stylesheets |= {u for u in urls if urlsplit(u).path.endswith(".css")}
    assert len(stylesheets) >= 3  # the app's, the docs bar's, Swagger UI's
    for url in stylesheets:
        css = site.client.get(url).text
        referenced = [urljoin(url, u) for u in CSS_URL.findall(css) + CSS_IMPORT.findall(css)]
        assert off_host(referenced) == [], url


def test_the_docs_load_their_scripts_from_this_app(site: Site) -> None:
    for path, script in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        urls = loaded_urls(f"http://{HOST}{path}", site.client.get(path).text)
        vendored = [u for u in urls if script in u]
        assert vendored, path
        response = site.client.get(vendored[0])
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(("text/javascript", "application/javascript"))
        assert "immutable" in response.headers["cache-control"]
        assert "fonts.googleapis.com" not in site.client.get(path).text
    assert site.client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_no_unsafe_inline(site: Site, path: str) -> None:
    tree = html.fromstring(site.client.get(path, headers={"Accept": BROWSER}).text)
    for script in tree.iter("script"):
        assert script.get("src") or script.get("type") == "application/ld+json", html.tostring(script)[:200]
    assert list(tree.iter("style")) == []
    for element in tree.iter():
        if isinstance(element.tag, str):
            assert "style" not in element.attrib, (path, html.tostring(element)[:200])
            assert not [a for a in element.attrib if a.lower().startswith("on")], (path, element.tag)
            for attr in ("href", "src", "action"):
                assert not (element.get(attr) or "").strip().lower().startswith("javascript:"), path


def test_every_kind_of_response_carries_the_security_headers(site: Site) -> None:
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    responses = {
        "page": site.client.get("/", headers={"Accept": BROWSER}),
        "docs": site.client.get("/docs"),
        "api": site.client.get("/api/v1/datasets"),
        "api error": site.client.get("/api/v1/datasets", params={"per_page": "many"}),
        "page error": site.client.get("/no/such/page", headers={"Accept": BROWSER}),
        "static": site.client.get("/static/app.css"),
        "vendored": site.client.get(loaded_urls("http://testserver/docs", site.client.get("/docs").text)[0]),
        "data.json": site.client.get("/data.json"),
        "data.json HEAD": site.client.head("/data.json"),
        "feed": site.client.get("/search.atom"),
        "ckan": site.client.get("/api/3/action/package_list"),
        "method not allowed": site.client.delete("/api/v1/datasets"),
    }
    for name, response in responses.items():
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin", name
        policy = headers["content-security-policy"]
        assert "unsafe-inline" not in policy, name
        assert "frame-ancestors 'none'" in policy, name
        assert "script-src 'self';" in policy, name
        assert "strict-transport-security" not in headers, name  # plain http


def test_hsts_only_over_https(site: Site) -> None:
    app = create_app(site.services.settings, site.services)
    with TestClient(app, base_url="https://catalog.example") as secure:
        assert secure.get("/api/v1/datasets").headers["strict-transport-security"].startswith("max-age=")
        assert "strict-transport-security" in secure.get("/no/such/page").headers
