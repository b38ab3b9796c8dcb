"""The publishing pages through the app (the browser tests drive the same forms in Chromium): signing
in with a key, CSRF-protected posts, publishing, editing, review and signing out."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from catalog_api.app import create_app
from index.governance import list_drafts
from tests.catalog_api.governance.conftest import Gov, snapshot
from tests.support.html import parse

BROWSER = {"Accept": "text/html"}


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, name
    return found.group(1)


def sign_in(gov: Gov, who: str) -> str:
    """Sign the test client in as ``who``; returns the session's CSRF token (from the admin view)."""
    form = gov.client.get("/signin", headers=BROWSER)
    done = gov.client.post(
        "/signin",
        data={"key": gov.keys[who], "csrf": _hidden(form.text, "csrf"), "next": "/manage"},
        headers=BROWSER,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/manage"
    return _hidden(gov.client.get("/manage", headers=BROWSER).text, "csrf")


def test_sign_in_sets_a_safe_session_cookie(gov: Gov) -> None:
    assert (
        gov.client.get("/manage", headers=BROWSER, follow_redirects=False).headers["location"] == "/signin?next=/manage"
    )
    form = gov.client.get("/signin", headers=BROWSER)
    signin_cookie = form.headers["set-cookie"]
    assert "HttpOnly" in signin_cookie
    assert "SameSite=lax" in signin_cookie
    response = gov.client.post(
        "/signin",
        data={"key": gov.keys["dot-admin"], "csrf": _hidden(form.text, "csrf")},
        headers=BROWSER,
        follow_redirects=False,
    )
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("nutmeg_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # served over plain http in this test
    assert gov.keys["dot-admin"] not in cookie
    page = parse(gov.client.get("/manage", headers=BROWSER).text)
    assert page.find("h1").text() == "Department of Transportation"
    assert page.find("section", **{"aria-labelledby": "keys-heading"}) is not None  # an admin sees the keys


def test_secure_cookie_over_https(gov: Gov) -> None:
    app = create_app(gov.services.settings.model_copy(update={"base_url": "https://catalog.test"}), gov.services)
    with TestClient(app, base_url="https://catalog.test") as client:
        form = client.get("/signin", headers=BROWSER)
        response = client.post(
            "/signin",
            data={"key": gov.keys["dot-admin"], "csrf": _hidden(form.text, "csrf")},
            headers=BROWSER,
            follow_redirects=False,
        )
        assert any(c.startswith("nutmeg_session=") and "Secure" in c for c in response.headers.get_list("set-cookie"))


def test_a_bad_key_and_a_forged_signin_are_refused(gov: Gov) -> None:
    form = gov.client.get("/signin", headers=BROWSER)
    bad = gov.client.post("/signin", data={"key": "nope", "csrf": _hidden(form.text, "csrf")}, headers=BROWSER)
    assert bad.status_code == 401
    assert "That key is not valid" in bad.text
    gov.client.cookies.clear()
    forged = gov.client.post("/signin", data={"key": gov.keys["dot-admin"], "csrf": "x"}, headers=BROWSER)
    assert forged.status_code == 403
    assert "nutmeg_session" not in gov.client.cookies


def test_signin_attempts_are_limited(gov: Gov) -> None:
    from catalog_api.governance.ratelimit import RateLimiter

    gov.client.get("/signin", headers=BROWSER)  # makes the limiters
    gov.client.app.state.signin_limiter = RateLimiter(2)  # type: ignore[attr-defined]
    codes = []
    for _ in range(3):
        form = gov.client.get("/signin", headers=BROWSER)
        codes.append(gov.client.post("/signin", data={"key": "guess", "csrf": _hidden(form.text, "csrf")}).status_code)
    assert codes == [401, 401, 429]


def test_a_post_without_the_csrf_token_changes_nothing(gov: Gov) -> None:
    sign_in(gov, "dot-publisher")
    before = snapshot(gov.services)
    for path, data in [
        ("/manage/datasets/new", {"identifier": "x", "title": "X", "description": "d"}),
        (f"/manage/datasets/{gov.published}/edit", {"title": "Forged"}),
        ("/manage/sources/new", {"name": "forged", "url": "http://127.0.0.1:9/x", "no_check": "1"}),
        (f"/manage/drafts/{gov.draft}/reject", {"comment": "forged"}),
    ]:
        for token in ({}, {"csrf": "wrong"}):
            response = gov.client.post(path, data={**data, **token}, headers=BROWSER)
            assert response.status_code == 403, path
            assert "not sent from this catalog" in response.text
    assert snapshot(gov.services) == before


def test_publish_edit_review_and_sign_out(gov: Gov) -> None:
    csrf = sign_in(gov, "dot-publisher")
    made = gov.client.post(
        "/manage/datasets/new",
        data={
            "csrf": csrf,
            "identifier": "bridges",
            "title": "Bridge inspections",
            "description": "Every bridge inspection since 2010.",
            "keyword": "bridges, inspections",
            "accessLevel": "public",
            "contact_name": "Bridge office",
            "contact_email": "bridges@example.gov",
            "download_url": "https://data.example.gov/bridges.csv",
            "media_type": "text/csv",
        },
        headers=BROWSER,
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page = gov.client.get(made.headers["location"], headers=BROWSER)
    assert "Bridge inspections" in page.text
    rid = made.headers["location"].rsplit("-", 1)[1]
    stored = gov.services.store.get_record(rid).dataset
    assert stored["keyword"] == ["bridges", "inspections"]
    assert stored["contactPoint"] == {"fn": "Bridge office", "hasEmail": "mailto:bridges@example.gov"}
    # a field error is shown beside its field, with what was typed kept
    bad = gov.client.post(
        "/manage/datasets/new", data={"csrf": csrf, "identifier": "x", "title": "", "description": "d"}, headers=BROWSER
    )
    assert bad.status_code == 400
    # editing a harvested record through the form overrides just the changed field
    edit = gov.client.get(f"/manage/datasets/{gov.harvested}/edit", headers=BROWSER)
    values = {m.group(1): m.group(2) for m in re.finditer(r'name="([^"]+)" type="[a-z]+" value="([^"]*)"', edit.text)}
    values.update({"csrf": csrf, "title": "Edited in the form"})
    current = gov.services.store.get_record(gov.harvested).dataset
    values["description"] = current.get("description", "")  # the textarea and the select, as a browser sends them
    values["accessLevel"] = current.get("accessLevel", "")
    saved = gov.client.post(
        f"/manage/datasets/{gov.harvested}/edit", data=values, headers=BROWSER, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    assert set(gov.services.store.get_record(gov.harvested).overrides or {}) == {"title"}
    # a reviewed organization: the publisher's dataset waits, the reviewer approves it in the queue
    gov.client.cookies.clear()
    csrf = sign_in(gov, "health-reviewer")
    queue = gov.client.get("/manage/review", headers=BROWSER)
    assert f"Draft {gov.draft}: create" in queue.text
    approved = gov.client.post(
        f"/manage/drafts/{gov.draft}/approve", data={"csrf": csrf}, headers=BROWSER, follow_redirects=False
    )
    assert approved.status_code == 303
    assert [d.status for d in list_drafts(gov.services.store, status=None)] == ["approved"]
    assert gov.client.get("/api/v1/datasets", params={"q": "Flu cases"}).json()["total"] == 1
    # signing out ends the session on the server too
    out = gov.client.post("/signout", data={"csrf": csrf}, headers=BROWSER, follow_redirects=False)
    assert out.status_code == 303
    assert gov.client.get("/manage", headers=BROWSER, follow_redirects=False).status_code == 303


def test_revoking_a_key_ends_its_sessions(gov: Gov) -> None:
    sign_in(gov, "dot-admin")
    assert gov.client.get("/manage", headers=BROWSER, follow_redirects=False).status_code == 200
    gov.call("DELETE", f"/api/v1/keys/{gov.key_ids['dot-admin']}", "cdo")
    assert gov.client.get("/manage", headers=BROWSER, follow_redirects=False).status_code == 303


def test_registering_a_feed_in_one_form(gov: Gov) -> None:
    from tests.catalog_api.governance.test_sources import MASSDOT
    from tests.support.httpserver import Route

    csrf = sign_in(gov, "dot-publisher")
    url = gov.server.route("/incidents.xml", Route(body=MASSDOT.read_bytes(), content_type="application/xml"))
    wrong = gov.client.post(
        "/manage/sources/new", data={"csrf": csrf, "name": "dot-feed", "url": url, "kind": "html"}, headers=BROWSER
    )
    assert wrong.status_code == 400
    assert "did you mean kind feed?" in wrong.text
    made = gov.client.post(
        "/manage/sources/new",
        data={
            "csrf": csrf,
            "name": "dot-feed",
            "url": url,
            "kind": "feed",
            "title": "Highway incidents",
            "description": "Events on state highways.",
            "keywords": "traffic, incidents",
            "frequency": "R/PT5M",
        },
        headers=BROWSER,
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    source = gov.services.store.get_source("dot-feed")
    assert (source.title, source.options["keywords"], source.organization_id) == (
        "Highway incidents",
        ["traffic", "incidents"],
        gov.services.store.get_source("cftc").organization_id,
    )
