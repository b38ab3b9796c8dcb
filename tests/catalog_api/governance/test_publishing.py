"""Publishing through the API: direct and reviewed organizations, what is visible where (search,
pages, CKAN API, DCAT, data.json), field errors, the audit log, and overrides that survive harvests."""

from __future__ import annotations

from typing import Any

from index.ids import slug_path
from tests.catalog_api.governance.conftest import Gov, dataset, snapshot
from tests.conftest import load, serve_json

BROWSER = {"Accept": "text/html"}


def visible(gov: Gov, rid: str, identifier: str, title: str) -> dict[str, bool]:
    """Where a dataset shows: search, its page, the JSON API, CKAN, DCAT and data.json."""
    client = gov.client
    ckan = client.get("/api/3/action/package_search", params={"q": title, "rows": 100}).json()["result"]["results"]
    datajson = client.get("/data.json").json()["dataset"]
    catalog = client.get("/catalog.nt").text
    page = client.get(f"/dataset/{slug_path(title, rid)}", headers=BROWSER)
    return {
        "search": rid in gov.search_ids(q=title),
        "page": page.status_code == 200,
        "api": client.get(f"/api/v1/datasets/{rid}").status_code == 200,
        "ckan": any(p["id"] == rid for p in ckan),
        "dcat": f"/dataset/{slug_path(title, rid)}" in catalog,
        "datajson": any(d["identifier"] == identifier for d in datajson),
    }


EVERYWHERE = {"search": True, "page": True, "api": True, "ckan": True, "dcat": True, "datajson": True}
NOWHERE = dict.fromkeys(EVERYWHERE, False)


def test_direct_publish_is_live_everywhere(gov: Gov) -> None:
    title = "Road incidents"
    assert visible(gov, gov.published, "dot-incidents", title) == EVERYWHERE
    stored = gov.services.store.get_record(gov.published)
    assert stored.source == "api.dot"
    assert stored.dataset["publisher"]["name"] == "Department of Transportation"  # filled from the organization
    facets = gov.client.get("/api/v1/datasets", params={"q": title}).json()["facets"]["publisher"]
    assert {"value": "Department of Transportation", "count": 1} in facets


def test_a_reviewed_organizations_new_dataset_waits_for_approval(gov: Gov) -> None:
    made = gov.call("POST", "/api/v1/datasets", "health-publisher", json=dataset("measles", "Measles cases"))
    assert made.status_code == 202
    draft = made.json()["draft"]
    assert made.headers["Location"] == draft["url"]
    assert draft["status"] == "pending"
    rid = _id_of(gov, "api.health", "measles")
    assert visible(gov, rid, "measles", "Measles cases") == NOWHERE
    approved = gov.call("POST", f"/api/v1/drafts/{draft['id']}/approve", "health-reviewer")
    assert approved.status_code == 200, approved.text
    assert approved.json()["id"] == rid
    assert visible(gov, rid, "measles", "Measles cases") == EVERYWHERE
    again = gov.call("POST", f"/api/v1/drafts/{draft['id']}/approve", "health-reviewer")
    assert again.status_code == 409


def _id_of(gov: Gov, source: str, identifier: str) -> str:
    from index.ids import record_id

    return record_id(source, identifier)


def test_a_reviewed_edit_stays_invisible_until_approved(gov: Gov) -> None:
    first = gov.call("POST", f"/api/v1/drafts/{gov.draft}/approve", "cdo")  # the CDO approves anywhere
    rid = first.json()["id"]
    edit = gov.call("PATCH", f"/api/v1/datasets/{rid}", "health-publisher", json={"title": "Influenza cases"})
    assert edit.status_code == 202
    assert visible(gov, rid, "flu", "Influenza cases")["search"] is False
    assert gov.client.get(f"/api/v1/datasets/{rid}").json()["dataset"]["title"] == "Flu cases"
    assert "Influenza" not in gov.client.get("/data.json").text
    draft_id = edit.json()["draft"]["id"]
    assert gov.call("POST", f"/api/v1/drafts/{draft_id}/approve", "health-reviewer").status_code == 200
    assert visible(gov, rid, "flu", "Influenza cases") == EVERYWHERE
    assert "Flu cases" not in gov.client.get("/data.json").text


def test_a_rejection_carries_a_comment_the_publisher_sees(gov: Gov) -> None:
    refused = gov.call(
        "POST", f"/api/v1/drafts/{gov.draft}/reject", "health-reviewer", json={"comment": "Add a licence"}
    )
    assert refused.status_code == 200
    seen = gov.call("GET", f"/api/v1/drafts/{gov.draft}", "health-publisher").json()
    assert (seen["status"], seen["comment"]) == ("rejected", "Add a licence")
    assert gov.call("GET", "/api/v1/drafts?organization=health", "health-publisher").json()["total"] == 0
    assert gov.call("POST", f"/api/v1/drafts/{gov.draft}/approve", "health-reviewer").status_code == 409
    assert visible(gov, _id_of(gov, "api.health", "flu"), "flu", "Flu cases") == NOWHERE
    no_comment = gov.call("POST", f"/api/v1/drafts/{gov.draft}/reject", "health-reviewer", json={})
    assert no_comment.status_code == 400


def test_field_errors_are_listed(gov: Gov) -> None:
    before = snapshot(gov.services)
    bad: dict[str, Any] = {"title": 5, "keyword": "x", "distribution": [{"downloadURL": []}], "colour": "red"}
    response = gov.call("POST", "/api/v1/datasets", "dot-publisher", json=bad)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_dataset"
    fields = {f["field"] for f in error["fields"]}
    assert {"identifier", "title", "keyword", "distribution.0.downloadURL", "colour"} <= fields
    assert all(f["message"] for f in error["fields"])
    not_object = gov.call("POST", "/api/v1/datasets", "dot-publisher", json=[1])
    assert not_object.json()["error"]["code"] == "invalid_dataset"
    assert snapshot(gov.services) == before


def test_a_second_dataset_with_the_same_identifier_is_a_conflict(gov: Gov) -> None:
    again = gov.call("POST", "/api/v1/datasets", "dot-publisher", json=dataset("dot-incidents"))
    assert again.status_code == 409
    assert f"/api/v1/datasets/{gov.published}" in again.json()["error"]["message"]


def test_the_audit_log_records_each_change_with_its_diff(gov: Gov) -> None:
    path = f"/api/v1/datasets/{gov.published}"
    gov.call("PATCH", path, "dot-publisher", json={"title": "Road incidents (live)", "keyword": None})
    history = gov.client.get(f"{path}/history").json()["results"]
    assert [h["action"] for h in history] == ["dataset.update", "dataset.create"]
    update = history[0]
    assert update["key_id"] == gov.key_ids["dot-publisher"]
    assert update["organization"] == "dot"
    assert {"field": "title", "before": "Road incidents", "after": "Road incidents (live)"} in update["changes"]
    assert {"field": "keyword", "before": ["traffic", "incidents"], "after": []} in update["changes"]
    assert {c["field"] for c in update["changes"]} == {"title", "keyword"}
    gov.call("DELETE", path, "dot-admin")
    assert gov.client.get(f"{path}/history").json()["results"][0]["action"] == "dataset.delete"
    log = gov.call("GET", "/api/v1/audit?organization=dot", "dot-publisher").json()["results"]
    assert [e["action"] for e in log][:3] == ["dataset.delete", "dataset.update", "dataset.create"]
    assert gov.client.get(path).json()["catalog"]["withdrawn"] is True
    assert gov.published not in gov.search_ids()


def test_a_harvested_record_edit_is_an_override_that_survives_reharvest(gov: Gov) -> None:
    rid = gov.harvested
    original = gov.services.store.get_record(rid).dataset
    response = gov.call("PATCH", f"/api/v1/datasets/{rid}", "dot-publisher", json={"title": "Better title"})
    assert response.status_code == 200, response.text
    stored = gov.services.store.get_record(rid)
    assert stored.dataset["title"] == "Better title"
    assert stored.overrides is not None
    assert stored.overrides["title"]["value"] == "Better title"
    assert "key" in stored.overrides["title"]["by"]
    assert gov.client.get("/api/v1/datasets", params={"q": "Better title"}).json()["total"] == 1
    catalog = load("datajson/gsa-harvester-dcatus.json")
    for item in catalog["dataset"]:
        if item["identifier"] == original["identifier"]:
            item["description"] = "Changed at the source"
    serve_json(gov.server, "/datajson/gsa-harvester-dcatus.json", catalog)
    report = gov.services.runner.harvest("cftc", full=True)
    assert (report.status, report.updated) == ("succeeded", 1)
    after = gov.services.store.get_record(rid)
    assert after.dataset["title"] == "Better title"  # the override survived
    assert after.dataset["description"] == "Changed at the source"  # the rest follows the source
    assert after.overrides == stored.overrides
    assert gov.client.get("/api/v1/datasets", params={"q": "Better title"}).json()["total"] == 1
    assert "Better title" in gov.client.get("/data.json").text
    history = gov.client.get(f"/api/v1/datasets/{rid}/history").json()["results"]
    assert history[0]["action"] == "dataset.override"
    assert history[0]["changes"] == [{"field": "title", "before": original["title"], "after": "Better title"}]
    deleting = gov.call("DELETE", f"/api/v1/datasets/{rid}", "dot-publisher")
    assert deleting.status_code == 409
    assert deleting.json()["error"]["code"] == "harvested"


def test_the_dataset_page_shows_local_edits_and_history_to_everyone(gov: Gov) -> None:
    from tests.support.html import parse

    rid = gov.harvested
    gov.call("PATCH", f"/api/v1/datasets/{rid}", "dot-publisher", json={"title": "Better title", "keyword": ["a", "b"]})
    api = gov.client.get(f"/api/v1/datasets/{rid}").json()["catalog"]
    assert api["organization"] == "Department of Transportation"
    assert {(o["field"], str(o["value"])) for o in api["overrides"]} == {
        ("title", "Better title"),
        ("keyword", "['a', 'b']"),
    }
    assert all(o["by"].startswith(f"key {gov.key_ids['dot-publisher']} (publisher, dot)") for o in api["overrides"])
    page = parse(gov.client.get(f"/dataset/{slug_path('Better title', rid)}", headers=BROWSER).text)
    edits = page.find("table", **{"aria-labelledby": "edits-heading"}).find("tbody").find_all("tr")
    assert [(r.find("th").text(), r.find_all("td")[0].text()) for r in edits] == [
        ("keyword", "a, b"),
        ("title", "Better title"),
    ]
    history = page.find("section", id="history").find_all("li")
    assert len(history) == 1
    assert "override by key" in history[0].text()
    assert "title" in history[0].text()
    published = parse(gov.client.get(f"/dataset/{slug_path('Road incidents', gov.published)}", headers=BROWSER).text)
    facts = published.find("section", **{"aria-labelledby": "provenance-heading"}).text()
    assert "through the catalog's publishing API" in facts
    assert "Department of Transportation" in facts
