"""Every write endpoint, tried with no key, a malformed key, a revoked key, another organization's key
and too weak a role: 401/403, the one error shape, the key never echoed, and nothing changed in the
store or the search index."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from catalog_api.governance.ratelimit import RateLimited, RateLimiter
from tests.catalog_api.governance.conftest import Gov, dataset, snapshot


@dataclass(frozen=True)
class Write:
    """One write endpoint: how to call it, who owns its target, and which role it needs."""

    name: str
    method: str
    path: Callable[[Gov], str]
    body: Callable[[Gov], Any] | None
    other_org: str  # a key of another organization (with the strongest role there)
    weak: str | None  # a key of the right organization with too weak a role (None: any role of it may)


def _json(value: Any) -> Callable[[Gov], Any]:
    return lambda gov: value


WRITES = [
    Write(
        "create", "POST", lambda g: "/api/v1/datasets?organization=dot", _json(dataset("new-one")), "health-admin", None
    ),
    Write(
        "replace",
        "PUT",
        lambda g: f"/api/v1/datasets/{g.published}",
        _json(dataset("dot-incidents", "Renamed")),
        "health-admin",
        None,
    ),
    Write(
        "patch", "PATCH", lambda g: f"/api/v1/datasets/{g.published}", _json({"title": "Renamed"}), "health-admin", None
    ),
    Write(
        "override",
        "PATCH",
        lambda g: f"/api/v1/datasets/{g.harvested}",
        _json({"title": "Renamed"}),
        "health-admin",
        None,
    ),
    Write("delete", "DELETE", lambda g: f"/api/v1/datasets/{g.published}", None, "health-admin", None),
    Write("approve", "POST", lambda g: f"/api/v1/drafts/{g.draft}/approve", None, "dot-admin", "health-publisher"),
    Write(
        "reject",
        "POST",
        lambda g: f"/api/v1/drafts/{g.draft}/reject",
        _json({"comment": "no"}),
        "dot-admin",
        "health-publisher",
    ),
    Write(
        "add organization",
        "POST",
        lambda g: "/api/v1/organizations",
        _json({"slug": "x", "title": "X"}),
        "dot-admin",
        "catalog-publisher",
    ),
    Write(
        "create key",
        "POST",
        lambda g: "/api/v1/keys?",
        _json({"role": "admin", "organization": "dot"}),
        "health-admin",
        "dot-reviewer",
    ),
    Write(
        "revoke key",
        "DELETE",
        lambda g: f"/api/v1/keys/{g.key_ids['dot-publisher']}",
        None,
        "health-admin",
        "dot-reviewer",
    ),
    Write(
        "change organization",
        "PATCH",
        lambda g: "/api/v1/organizations/dot",
        _json({"description": "Roads and bridges"}),
        "health-admin",
        "dot-reviewer",
    ),
    Write(
        "add source",
        "POST",
        lambda g: "/api/v1/sources",
        lambda g: {
            "name": "new-src",
            "url": g.server.url("/datajson/gsa-harvester-dcatus.json"),
            "organization": "dot",
        },
        "health-admin",
        None,
    ),
    Write(
        "change source", "PATCH", lambda g: "/api/v1/sources/cftc", _json({"title": "Renamed"}), "health-admin", None
    ),
    Write("remove source", "DELETE", lambda g: "/api/v1/sources/cftc", None, "health-admin", "dot-reviewer"),
    Write("harvest source", "POST", lambda g: "/api/v1/sources/cftc/harvest", None, "health-admin", None),
]

REFUSALS = {
    "no key": (None, 401),
    "malformed key": ({"Authorization": "Token abc"}, 401),
    "empty bearer": ({"Authorization": "Bearer "}, 401),
    "unknown key": ({"Authorization": "Bearer nmk_not-a-real-key-at-all"}, 401),
    "revoked key": ("revoked", 401),
    "another organization's key": ("other", 403),
    "too weak a role": ("weak", 403),
}


def _send(gov: Gov, write: Write, refusal: str) -> Any:
    who, _ = REFUSALS[refusal]
    headers: dict[str, str] = {}
    if who == "revoked":
        headers = gov.headers("revoked")
    elif who == "other":
        headers = gov.headers(write.other_org)
    elif who == "weak":
        assert write.weak is not None
        headers = gov.headers(write.weak)
    elif isinstance(who, dict):
        headers = who
    body = write.body(gov) if write.body else None
    return gov.client.request(write.method, write.path(gov), headers=headers, json=body)


CASES = [
    pytest.param(write, refusal, id=f"{write.name}-{refusal}")
    for write in WRITES
    for refusal in REFUSALS
    if not (refusal == "too weak a role" and write.weak is None)  # every role of the organization may do it
]


@pytest.mark.parametrize(("write", "refusal"), CASES)
def test_refused_writes_change_nothing(gov: Gov, write: Write, refusal: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    before = snapshot(gov.services)
    response = _send(gov, write, refusal)
    expected = REFUSALS[refusal][1]
    assert response.status_code == expected, response.text
    error = response.json()["error"]
    assert error["code"] == ("unauthorized" if expected == 401 else "forbidden")
    assert error["message"]
    if expected == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(gov.services) == before
    for secret in gov.keys.values():
        assert secret not in response.text
        assert secret not in caplog.text


def test_the_right_keys_succeed(gov: Gov) -> None:
    """The same calls with the right key do change the catalog (so the refusals above are meaningful)."""
    assert (
        gov.call("PATCH", f"/api/v1/datasets/{gov.published}", "dot-publisher", json={"title": "Renamed"}).status_code
        == 200
    )
    assert gov.call("POST", f"/api/v1/drafts/{gov.draft}/approve", "health-reviewer").status_code == 200
    assert gov.call("POST", "/api/v1/keys", "dot-admin", json={"role": "publisher"}).status_code == 201
    assert gov.call("POST", "/api/v1/organizations", "cdo", json={"slug": "x", "title": "X"}).status_code == 201
    assert gov.call("DELETE", f"/api/v1/keys/{gov.key_ids['dot-publisher']}", "dot-admin").status_code == 200
    changed = gov.call("PATCH", "/api/v1/organizations/dot", "dot-admin", json={"description": "Roads"})
    assert changed.json()["description"] == "Roads"
    mapped = gov.call("PATCH", "/api/v1/organizations/dot", "dot-admin", json={"publisher_names": ["x"]})
    assert mapped.status_code == 403  # only the CDO maps publisher names
    assert gov.call("PATCH", "/api/v1/organizations/dot", "cdo", json={"mode": "reviewed"}).json()["mode"] == "reviewed"


def test_reads_stay_open(gov: Gov) -> None:
    for path in (
        "/api/v1/datasets",
        f"/api/v1/datasets/{gov.published}",
        f"/api/v1/datasets/{gov.published}/history",
        "/api/v1/organizations",
        "/api/v1/organizations/dot",
        "/api/v1/sources",
    ):
        assert gov.client.get(path).status_code == 200, path


def test_drafts_and_audit_need_a_key_of_the_organization(gov: Gov) -> None:
    assert gov.client.get("/api/v1/drafts?organization=health").status_code == 401
    assert gov.call("GET", "/api/v1/drafts?organization=health", "dot-admin").status_code == 403
    assert gov.call("GET", f"/api/v1/drafts/{gov.draft}", "dot-admin").status_code == 403
    assert gov.call("GET", "/api/v1/audit?organization=health", "dot-admin").status_code == 403
    listed = gov.call("GET", "/api/v1/drafts?organization=health", "health-publisher").json()
    assert [d["id"] for d in listed["results"]] == [gov.draft]
    assert gov.call("GET", "/api/v1/drafts", "cdo").json()["total"] == 1


def test_a_key_is_shown_once_and_stored_hashed(gov: Gov) -> None:
    made = gov.call("POST", "/api/v1/keys", "dot-admin", json={"role": "reviewer", "name": "Ann"})
    secret = made.json()["key"]
    assert made.headers["Cache-Control"] == "no-store"
    listed = gov.call("GET", "/api/v1/keys", "dot-admin")
    assert secret not in listed.text
    assert {k["organization"] for k in listed.json()["results"]} == {"dot"}
    with gov.services.store.engine.connect() as connection:
        stored = connection.exec_driver_sql("select key_hash from api_keys").scalars().all()
    assert secret not in stored
    assert (
        gov.client.get("/api/v1/drafts?organization=dot", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )


def test_writes_are_rate_limited_per_key_and_address(gov: Gov) -> None:
    state = gov.client.app.state  # type: ignore[attr-defined]
    state.write_limiter = RateLimiter(3)
    path = f"/api/v1/datasets/{gov.published}"
    codes = [gov.call("PATCH", path, "dot-publisher", json={"title": f"T{i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 200]
    limited = gov.call("PATCH", path, "dot-publisher", json={"title": "again"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "too_many_requests"
    assert gov.services.store.get_record(gov.published).title == "T2"
    state.write_limiter = RateLimiter(3)
    other_key = [gov.call("PATCH", path, "dot-admin", json={"title": f"A{i}"}).status_code for i in range(4)]
    assert other_key == [200, 200, 200, 429]  # the address's limit too (3 per window)


def test_rate_limiter_windows() -> None:
    now = [0.0]
    limiter = RateLimiter(2, window=60, clock=lambda: now[0])
    limiter.hit("a", "writes")
    limiter.hit("a", "writes")
    with pytest.raises(RateLimited) as refused:
        limiter.hit("a", "writes")
    assert refused.value.retry_after == 60
    limiter.hit("b", "writes")  # another name has its own count
    now[0] = 45.5
    with pytest.raises(RateLimited) as refused:
        limiter.hit("a", "writes")
    assert refused.value.retry_after == 15
    now[0] = 60.0
    limiter.hit("a", "writes")
