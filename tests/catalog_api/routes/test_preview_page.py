"""The data preview on a dataset's page: a captioned table of the first rows with typed column headers,
in a scrollable region, its figures and a link to the same preview as JSON; folded for later ones."""

from __future__ import annotations

from typing import Any

from tests.catalog_api.routes.conftest import Site
from tests.support.site import FILE_BODY


def _daily_sessions(site: Site) -> tuple[str, str]:
    api: Any = site.api("/api/v1/datasets", q="Data.gov Daily Sessions", source="datagov", per_page=1)
    result = api["results"][0]
    return result["id"], "/" + result["html_url"].split("/", 3)[3]


def test_the_first_rows_as_a_table(site: Site) -> None:
    record_id, path = _daily_sessions(site)
    page = site.page(path)
    resources = page.find("ul", class_="resources").find_all("li", class_="resource")
    first, second = (item.find("details", class_="preview") for item in resources)
    assert "open" in first.attrs  # the first preview is open, the others folded
    assert "open" not in second.attrs
    region = first.find("div", role="region")
    table = region.find("table")
    caption = table.find("caption")
    assert region.get("aria-labelledby") == caption.get("id")
    assert region.get("tabindex") == "0"  # a keyboard can scroll it
    lines = FILE_BODY.decode().splitlines()
    assert caption.text() == f"All {len(lines) - 1} rows of Data.gov Daily Sessions"
    headers = [th.text() for th in table.find("thead").find_all("th")]
    assert headers == ["day date", "sessions integer"]
    assert all(th.get("scope") == "col" for th in table.find("thead").find_all("th"))
    cells = [[td.text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]
    assert cells == [line.split(",") for line in lines[1:]]
    assert "2 rows · 2 columns · CSV, UTF-8" in first.find("summary").text()
    link = first.find("a", type="application/json")
    assert link.get("href") == f"/api/v1/datasets/{record_id}/distributions/0/preview"
    assert site.api(link.get("href"))["rows"] == [[d, int(n)] for d, n in (line.split(",") for line in lines[1:])]


def test_a_dataset_without_previews_shows_none(site: Site) -> None:
    api: Any = site.api("/api/v1/datasets", q="Concur", source="datagov", per_page=1)
    page = site.page("/" + api["results"][0]["html_url"].split("/", 3)[3])
    assert page.find_all("details", class_="preview") == []
