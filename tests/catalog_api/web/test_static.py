"""Static files come from the app itself, with cache headers that let browsers keep them."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from catalog_api.web.static import IMMUTABLE, SHORT, Assets, static_folder


def test_every_static_file_has_a_fingerprinted_url() -> None:
    assets = Assets(static_folder())
    assert {"app.css", "app.js", "favicon.svg"} <= set(assets.versions)
    digest = hashlib.sha256((static_folder() / "app.css").read_bytes()).hexdigest()[:12]
    assert assets.url("app.css") == f"/static/app.css?v={digest}"


def test_the_current_version_is_immutable_others_revalidate(client: TestClient) -> None:
    url = Assets(static_folder()).url("app.css")
    fresh = client.get(url)
    assert fresh.status_code == 200
    assert fresh.headers["content-type"].startswith("text/css")
    assert fresh.headers["cache-control"] == IMMUTABLE
    assert fresh.headers["x-content-type-options"] == "nosniff"
    stale = client.get("/static/app.css?v=0123456789ab")
    assert stale.headers["cache-control"] == SHORT
    again = client.get(url, headers={"If-None-Match": fresh.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == IMMUTABLE


def test_pages_link_the_fingerprinted_files(client: TestClient) -> None:
    assets = Assets(static_folder())
    html = client.get("/").text
    for name in ("app.css", "app.js", "favicon.svg"):
        assert assets.url(name) in html


def test_a_missing_file_is_a_json_404(client: TestClient) -> None:
    response = client.get("/static/nope.css", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_no_path_escapes_the_folder(client: TestClient) -> None:
    response = client.get("/static/../settings.py")
    assert response.status_code == 404
    assert "BaseSettings" not in response.text
