"""Problems counted truthfully and grouped by kind: Seattle's 2013 data.json (169 datasets, POD v1.0) carries
a thousand problems that its second, unchanged harvest logs none of; the source page says what the live
records carry ("keyword missing — 33 datasets"), the job view groups a job's errors by kind, the public
dataset page shows a score and a plain summary instead of schema messages, and the full list is on the
publisher's edit page (signed in)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from catalog_api.app import create_app
from catalog_api.reports import problem_tally, record_problems
from catalog_api.services import Services, build_services
from index.governance import NewOrganization, add_organization, create_key, set_source_organization
from mappings.problems import Tally, kind_of
from tests.catalog_api.governance.conftest import NOW, Gov
from tests.catalog_api.governance.test_web_forms import BROWSER, sign_in
from tests.conftest import DATA, add_source, make_settings
from tests.support.html import parse
from tests.support.httpserver import LoopbackServer, Route

SEATTLE = "datajson/socrata-v1.0-2013-data.seattle.gov.json"


Harvested = tuple[Services, TestClient, LoopbackServer]


@pytest.fixture(scope="module")
def harvested() -> Iterator[Harvested]:
    with LoopbackServer() as server:
        services = build_services(make_settings())
        add_organization(services.store, NewOrganization("seattle", "City of Seattle"), NOW)
        add_source(services, "seattle", server.route("/s.json", Route(body=DATA / SEATTLE)))
        set_source_organization(services.store, "seattle", 1)
        assert services.runner.harvest("seattle").status == "succeeded"
        assert services.runner.harvest("seattle").status == "unchanged"
        with TestClient(create_app(services.settings, services)) as client:
            yield services, client, server
        services.close()


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_unchanged_job_logged_nothing_but_the_records_carry_problems(
    harvested: Harvested,
) -> None:
    services, _, _ = harvested
    source = services.store.get_source("seattle")
    last = services.store.list_jobs(source.id, limit=1)[0]
    assert services.store.list_errors(job_id=last.id, limit=0)[0] == 0
    tally = problem_tally(services, source_id=source.id)
    assert tally.problems > 1000
    keyword = next(g for g in tally.sorted() if g.label == "keyword missing")
    assert len(keyword.records) == 33
    assert not keyword.repaired


def test_source_page_counts_what_is_true(harvested: Harvested) -> None:
    services, client, _ = harvested
    tally = problem_tally(services, source_id=services.store.get_source("seattle").id)
    page = client.get("/source/seattle", headers=BROWSER)
    text = _text(page.text)
    assert f"{tally.problems:,} metadata problems in {len(tally.records):,} datasets" in text
    live = services.store.live_count(services.store.get_source("seattle").id)
    assert f"{len(tally.records)} datasets of {live} carry {tally.problems:,} problems" in text
    rows = parse(page.text).find("table", class_="problems").find_all("tr")
    kinds = [" ".join(r.find("th").text().split()) for r in rows[1:]]
    assert "keyword missing" in kinds
    assert len(kinds) == len(set(kinds))  # one row a kind, not a row a problem
    assert len(kinds) == len(tally.groups)


def test_job_view_groups_by_kind(harvested: Harvested) -> None:
    services, client, _ = harvested
    first = services.store.list_jobs(services.store.get_source("seattle").id)[-1]
    page = client.get(f"/source/seattle?job={first.id}", headers=BROWSER)
    assert "By kind" in page.text
    _, rows = services.store.list_errors(job_id=first.id, limit=10_000)
    kinds = {kind_of({"path": r.path, "message": r.message, "code": r.code}).label for r in rows}
    grouped = parse(page.text).find_all("table", class_="problems")[-1]
    assert len(grouped.find_all("tr")) - 1 == len(kinds)


def test_organization_page_says_problems_not_one_error(harvested: Harvested) -> None:
    services, client, _ = harvested
    tally = problem_tally(services, source_id=services.store.get_source("seattle").id)
    page = client.get("/organization/seattle", headers=BROWSER)
    text = _text(page.text)
    assert "Record errors" not in text
    assert f"{tally.problems + tally.repairs:,} problems in" in text
    assert "Against how often they should be updated" in text
    assert "The organization's report" in text


def test_public_dataset_page_has_a_score_and_a_summary_not_schema_errors(
    harvested: Harvested,
) -> None:
    services, client, _ = harvested
    row = next(r for r in services.store.iter_records(live=True) if r.issues)
    page = client.get(f"/dataset/{row.id}", headers=BROWSER, follow_redirects=True)
    text = _text(page.text)
    assert re.search(r"Metadata quality \d+/100 \((excellent|good|sufficient|poor)\)", text)
    assert "The publisher has the full list" in text
    for issue in row.issues:
        assert issue["message"] not in page.text  # no raw schema message to the public
    assert "Freshness unknown" in text or "Up to date" in text or "Out of date" in text or "Update due" in text


def test_the_publisher_sees_every_problem_when_signed_in(
    harvested: Harvested,
) -> None:
    services, client, server = harvested
    key_row, secret = create_key(services.store, "seattle", "publisher", "editor", NOW)
    gov = Gov(services, client, server, keys={"editor": secret})
    row = next(r for r in services.store.iter_records(live=True) if len(r.issues) > 3)
    assert client.get(f"/manage/datasets/{row.id}/edit", headers=BROWSER, follow_redirects=False).status_code == 303
    sign_in(gov, "editor")
    page = client.get(f"/manage/datasets/{row.id}/edit", headers=BROWSER)
    assert page.status_code == 200
    listed = record_problems(services, row)
    items = parse(page.text).find("ul", class_="issues").find_all("li")
    assert len(items) == len(listed) >= 3
    assert "What the score missed" in page.text
    manage = client.get("/manage", headers=BROWSER)
    assert "keyword missing" in manage.text
    assert "Lowest quality scores" in manage.text
    assert key_row.id


def test_repaired_values_are_counted_apart() -> None:
    tally = Tally()
    tally.add("a", [{"path": "keyword", "message": "required field is missing", "severity": "error"}])
    tally.add("b", [{"path": "keyword", "message": "required field is missing", "severity": "error"}], repaired=True)
    tally.add("c", [{"path": "publisher", "message": "no publisher", "severity": "info", "code": "default"}])
    groups = tally.sorted()
    assert [(g.label, g.repaired, len(g.records)) for g in groups] == [
        ("keyword missing", False, 1),
        ("keyword missing", True, 1),
        ("publisher filled from the source", True, 1),
    ]
    assert tally.problems == 1
    assert tally.repairs == 2
    assert tally.summary(3) == "1 dataset of 3 carry 1 problem of 1 kind; 2 values in 2 datasets were repaired."
