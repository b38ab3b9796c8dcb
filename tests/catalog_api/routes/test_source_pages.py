"""``/source``: each source's harvest health; ``/source/{name}``: its history and searchable errors."""

from __future__ import annotations

from typing import Any

from tests.catalog_api.routes.conftest import BROWSER, Site
from tests.support.html import Node, parse


def _rows(table: Node) -> list[list[Node]]:
    return [[c for c in tr.children if isinstance(c, Node)] for tr in table.find("tbody").find_all("tr")]


def _number(node: Node) -> int:
    return int(node.text().replace(",", ""))


def test_the_list_shows_every_source_and_its_health(site: Site) -> None:
    page = site.page("/source")
    sources: Any = site.api("/api/v1/sources")
    rows = {r[0].find("a").get("href"): r for r in _rows(page.find("table"))}
    assert set(rows) == {f"/source/{s['name']}" for s in sources["results"]}
    for source in sources["results"]:
        row = rows[f"/source/{source['name']}"]
        assert _number(row[2]) == source["datasets"]
        jobs: Any = site.api(f"/api/v1/sources/{source['name']}/jobs")
        flag = f" failing ({source['consecutive_failures']} in a row)" if source["failing"] else ""
        assert row[3].text() == jobs["results"][0]["status"].capitalize() + flag
    assert rows["/source/healthdata"][6].text() == "every 6 hours"
    assert rows["/source/seattle"][7].text() == "on demand"
    assert "failing (3 in a row)" in rows["/source/broken"][3].text()  # three failed runs in a row


def test_the_history_has_every_job_with_its_counts(site: Site) -> None:
    page = site.page("/source/philadelphia")
    jobs: Any = site.api("/api/v1/sources/philadelphia/jobs")
    rows = _rows(page.find("table", class_="jobs"))
    assert len(rows) == jobs["total"] == 3
    keys = ["listed", "new", "updated", "unchanged", "withdrawn", "failed", "skipped"]
    for row, job in zip(rows, jobs["results"], strict=True):
        assert row[0].text() == f"#{job['id']}"
        assert row[2].text() == job["status"].capitalize()
        assert [_number(cell) for cell in row[4:11]] == [job[k] for k in keys]
    assert [row[2].text() for row in rows] == ["Unchanged", "Unchanged", "Succeeded"]


def test_the_page_says_when_and_why_the_last_harvest_failed(site: Site) -> None:
    page = site.page("/source/broken")
    notice = page.find("p", class_="notice-bad").text()
    jobs: Any = site.api("/api/v1/sources/broken/jobs")
    assert notice == f"The last harvest failed: {jobs['results'][0]['message']}"
    facts = page.find("dl").text()
    assert "Next run due now" in facts
    assert "Last success never" in facts


def test_record_errors_are_searchable(site: Site) -> None:
    jobs: Any = site.api("/api/v1/sources/invalid/jobs")
    job = jobs["results"][0]["id"]
    page = site.page("/source/invalid")
    assert page.find("h2", id="errors-heading").text() == f"Record errors in job #{job}"
    errors: Any = site.api(f"/api/v1/jobs/{job}/errors")
    rows = _rows(page.find("table", class_="errors"))
    assert [(r[1].text(), r[2].text()) for r in rows] == [(e["path"], e["message"]) for e in errors["results"]]
    assert rows[0][0].find("a").get("href").startswith("/dataset/")  # the record is in the catalog
    found = site.page(f"/source/invalid?job={job}&q=LICENSE")
    matching: Any = site.api(f"/api/v1/jobs/{job}/errors", q="LICENSE")
    assert 0 < matching["total"] < errors["total"]  # the text narrows the list
    shown = [(r[1].text(), r[2].text()) for r in _rows(found.find("table", class_="errors"))]
    assert shown == [(e["path"], e["message"]) for e in matching["results"]]
    assert ("license", next(e["message"] for e in errors["results"] if e["path"] == "license")) in shown
    assert all("license" in f"{path} {message}".lower() for path, message in shown)
    assert found.find("input", id="error-q").get("value") == "LICENSE"
    count = f"{matching['total']} error{'s' if matching['total'] != 1 else ''} matching “LICENSE”."
    assert count in found.find("p", role="status").text()


def test_many_errors_are_paged(site: Site) -> None:
    jobs: Any = site.api("/api/v1/sources/seattle/jobs")
    first = jobs["results"][-1]["id"]  # 2013's Socrata records miss many required fields
    errors: Any = site.api(f"/api/v1/jobs/{first}/errors", per_page=1)
    assert errors["total"] > 100
    page = site.page(f"/source/seattle?job={first}")
    assert f"{errors['total']:,} errors." in page.find("p", role="status").text()
    assert len(_rows(page.find("table", class_="errors"))) == 50
    next_href = page.find("nav", **{"aria-label": "Pages of record errors"}).find("a", rel="next").get("href")
    second = site.page(next_href.split("#")[0])
    expected: Any = site.api(f"/api/v1/jobs/{first}/errors", per_page=50, page=2)
    assert [r[2].text() for r in _rows(second.find("table", class_="errors"))] == [
        e["message"] for e in expected["results"]
    ]
    chosen = second.find("table", class_="jobs").find("tr", class_="chosen")
    assert chosen.get("data-job") == str(first)


def test_a_job_of_another_source_is_not_found(site: Site) -> None:
    other: Any = site.api("/api/v1/sources/invalid/jobs")
    response = site.client.get(f"/source/philadelphia?job={other['results'][0]['id']}", headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert "is not a job of source 'philadelphia'" in parse(response.text).find("main").text()
    assert site.client.get("/source/philadelphia?jobs_page=x", headers={"Accept": BROWSER}).status_code == 400
