"""Being found: the OpenSearch description, Atom and RSS search feeds (read by feedparser and, strictly, by
lxml), suggestions, sitemaps (validated against the sitemaps.org XSDs) and robots.txt."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit
from urllib.robotparser import RobotFileParser

import feedparser
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from catalog_api.app import create_app
from catalog_api.services import Services, build_services
from mappings.derive import parse_modified
from tests.conftest import DATA, add_source, harvest_file, make_settings, serve_json
from tests.support.httpserver import LoopbackServer
from tests.support.opensearch_spec import description_problems, response_problems

BASE = "http://catalog.test"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "os": "http://a9.com/-/spec/opensearch/1.1/",
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
}
STRICT = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)


def _xml(body: bytes) -> Any:
    return etree.fromstring(body, STRICT)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def catalog(services: Services, client: TestClient, http_server: LoopbackServer) -> TestClient:
    harvest_file(services, http_server, "datajson/ckanext-datajson-collection-1-parent-2-children.data.json", "a")
    harvest_file(services, http_server, "datajson/gsa-harvester-dcatus.json", "b")
    harvest_file(services, http_server, "datajson/socrata-v1.0-2013-data.consumerfinance.gov.json", "c")
    return client


# -- OpenSearch ------------------------------------------------------------------------------------


def test_opensearch_description(catalog: TestClient) -> None:
    response = catalog.get("/opensearch.xml")
    assert response.headers["content-type"].startswith("application/opensearchdescription+xml")
    root = _xml(response.content)
    assert root.tag == f"{{{NS['os']}}}OpenSearchDescription"
    assert 0 < len(root.findtext("os:ShortName", namespaces=NS)) <= 16
    assert len(root.findtext("os:Description", namespaces=NS)) <= 1024
    templates = {u.get("type"): u.get("template") for u in root.findall("os:Url", NS) if u.get("rel") != "self"}
    assert set(templates) == {
        "text/html",
        "application/atom+xml",
        "application/rss+xml",
        "application/json",
        "application/x-suggestions+json",
    }
    assert templates["text/html"].startswith(f"{BASE}/?q={{searchTerms}}")
    assert all("{searchTerms}" in t for t in templates.values())
    example = root.find("os:Query[@role='example']", NS).get("searchTerms")
    # every template, filled in as a client would, answers in its own media type with results
    for media, template in templates.items():
        if media == "text/html":
            continue  # the search page is the web pages' (issue #6)
        url = template.replace("{searchTerms}", example).replace("{startPage?}", "1").replace("{count?}", "5")
        answer = catalog.get(_path(url))
        assert answer.status_code == 200, (media, answer.text)
        assert answer.headers["content-type"].startswith(media)
    hits = catalog.get("/api/v1/datasets", params={"q": example}).json()["total"]
    assert hits > 0


def test_the_description_follows_the_opensearch_spec(catalog: TestClient) -> None:
    root = _xml(catalog.get("/opensearch.xml").content)
    assert description_problems(root) == []
    suggestions = root.find("os:Url[@type='application/x-suggestions+json']", NS)
    assert suggestions.get("rel") == "suggestions"
    assert all(set(u.attrib) <= {"type", "template", "rel"} for u in root.findall("os:Url", NS))


def test_the_spec_checker_finds_what_a_real_description_breaks() -> None:
    pycsw = etree.fromstring((DATA / "opensearch" / "pycsw-opensearch-description.xml").read_bytes(), STRICT)
    problems = description_problems(pycsw)
    assert "Url has attribute 'method' the spec does not define" in problems
    assert "ShortName is 26 characters, more than 16" in problems
    assert "Context is not an OpenSearch 1.1 element" in problems
    assert len(problems) == 3  # its geo:, time: and eo: template parameters are declared extensions


def _templates(catalog: TestClient) -> dict[str, str]:
    root = _xml(catalog.get("/opensearch.xml").content)
    return {u.get("type"): u.get("template") for u in root.findall("os:Url", NS) if u.get("rel") is None}


def test_empty_optional_parameters_mean_not_given(catalog: TestClient) -> None:
    """OpenSearch 1.1: a client may send an optional template parameter it has no value for empty."""
    default = catalog.get("/api/v1/datasets", params={"q": "data"}).json()
    for media, template in _templates(catalog).items():
        url = template.replace("{searchTerms}", "data").replace("{startPage?}", "").replace("{count?}", "")
        answer = catalog.get(_path(url))
        assert answer.status_code == 200, (media, answer.text)
        if media == "text/html":
            continue
        assert "page=&per_page=" in url
        if media == "application/json":
            assert (answer.json()["page"], answer.json()["per_page"]) == (1, 20)
            assert answer.json()["total"] == default["total"]
            continue
        feed = feedparser.parse(answer.content)
        assert not feed.bozo, feed.get("bozo_exception")
        assert int(feed.feed["opensearch_totalresults"]) == default["total"]
        assert int(feed.feed["opensearch_startindex"]) == 1
        assert int(feed.feed["opensearch_itemsperpage"]) == 20
        assert [e.link for e in feed.entries] == [r["html_url"] for r in default["results"]]
        assert response_problems(_xml(answer.content)) == []
    blanks = {"keyword": "", "sort": "", "modified_since": "", "cursor": "", "q": ""}
    for path in ("/api/v1/datasets", "/search.atom", "/search.rss"):
        assert catalog.get(path, params=blanks).status_code == 200, path
    every = catalog.get("/api/v1/datasets", params=blanks).json()
    assert every["total"] == catalog.get("/api/v1/datasets").json()["total"] > 0


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_feeds_clamp_count_and_start_page(catalog: TestClient, services: Services, kind: str) -> None:
    settings = services.settings
    total = catalog.get("/api/v1/datasets").json()["total"]
    for params, (count, start_page) in [
        ({"per_page": 100_000}, (settings.max_per_page, 1)),
        ({"per_page": 0, "page": 0}, (1, 1)),
        ({"per_page": -3, "page": -1}, (1, 1)),
        ({"per_page": 5, "page": 10**9}, (5, settings.max_result_window // 5)),
    ]:
        response = catalog.get(f"/search.{kind}", params=params)
        assert response.status_code == 200, response.text
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.get("bozo_exception")
        assert int(feed.feed["opensearch_itemsperpage"]) == count
        assert int(feed.feed["opensearch_startindex"]) == (start_page - 1) * count + 1
        query = _xml(response.content).find(".//os:Query", NS)
        assert (int(query.get("count")), int(query.get("startPage"))) == (count, start_page)
        assert len(feed.entries) == max(0, min(count, total - (start_page - 1) * count))
        assert response_problems(_xml(response.content)) == []
        links = {link.rel: link.href for link in feed.feed.links}
        assert parse_qs(urlsplit(links["first"]).query)["per_page"] == [str(count)]
    # the JSON API keeps answering out-of-range paging with its error (it is a stable interface)
    for params in ({"per_page": 100_000}, {"per_page": 0}, {"page": 0}):
        refused = catalog.get("/api/v1/datasets", params=params)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "bad_parameter"


# -- feeds -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"q": "data"}, {"keyword": "cotton"}, {"q": "report", "sort": "title"}])
def test_atom_feed_matches_the_search_api(catalog: TestClient, params: dict[str, str]) -> None:
    api = catalog.get("/api/v1/datasets", params={**params, "per_page": 5}).json()
    response = catalog.get("/search.atom", params={**params, "per_page": 5})
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert int(feed.feed["opensearch_totalresults"]) == api["total"]
    assert int(feed.feed["opensearch_startindex"]) == 1
    assert int(feed.feed["opensearch_itemsperpage"]) == 5
    assert [e.title for e in feed.entries] == [r["title"] for r in api["results"]]
    assert [e.link for e in feed.entries] == [r["html_url"] for r in api["results"]]
    assert [e.id for e in feed.entries] == [r["html_url"] for r in api["results"]]
    root = _xml(response.content)
    assert root.tag == f"{{{NS['atom']}}}feed"
    for required in ("atom:id", "atom:title", "atom:updated", "atom:author/atom:name"):
        assert root.find(required, NS) is not None
    for entry in root.findall("atom:entry", NS):
        for required in ("atom:id", "atom:title", "atom:updated", "atom:link[@rel='alternate'][@type='text/html']"):
            assert entry.find(required, NS) is not None
    query = root.find("os:Query", NS)
    assert query.get("role") == "request"
    assert query.get("searchTerms") == params.get("q", "")


def test_rss_feed_matches_the_search_api(catalog: TestClient) -> None:
    api = catalog.get("/api/v1/datasets", params={"q": "data", "per_page": 4}).json()
    response = catalog.get("/search.rss", params={"q": "data", "per_page": 4})
    assert response.headers["content-type"].startswith("application/rss+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert int(feed.feed["opensearch_totalresults"]) == api["total"]
    assert [e.link for e in feed.entries] == [r["html_url"] for r in api["results"]]
    assert all(e.id == e.link for e in feed.entries)  # guid isPermaLink
    assert all(e.published_parsed for e in feed.entries)
    root = _xml(response.content)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    channel = root.find("channel")
    for required in ("title", "link", "description"):
        assert channel.findtext(required)
    for item in channel.findall("item"):
        assert item.findtext("title")
        assert item.findtext("link")


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_following_next_walks_every_result(catalog: TestClient, kind: str) -> None:
    everything = catalog.get("/api/v1/datasets", params={"per_page": 100, "sort": "title"}).json()
    url: str | None = f"/search.{kind}?sort=title&per_page=3"
    seen: list[str] = []
    pages = 0
    while url:
        feed = feedparser.parse(catalog.get(url).content)
        assert not feed.bozo
        seen += [e.link for e in feed.entries]
        links = {link.rel: link.href for link in feed.feed.links}
        assert links["first"].endswith("page=1")
        assert parse_qs(urlsplit(links["last"]).query)["page"] == [str(math.ceil(everything["total"] / 3))]
        assert ("previous" in links) == (pages > 0)
        url = _path(links["next"]) if "next" in links else None
        pages += 1
    assert seen == [r["html_url"] for r in everything["results"]]
    assert pages == math.ceil(everything["total"] / 3)


def test_feeds_take_the_search_apis_parameters_and_errors(catalog: TestClient) -> None:
    for kind in ("atom", "rss"):
        bad_date = catalog.get(f"/search.{kind}", params={"modified_since": "yesterday"})
        assert bad_date.status_code == 400
        assert bad_date.json()["error"]["code"] == "bad_parameter"
        since = catalog.get(f"/search.{kind}", params={"modified_since": "2014-01-01", "per_page": 50})
        api = catalog.get("/api/v1/datasets", params={"modified_since": "2014-01-01", "per_page": 50}).json()
        assert int(feedparser.parse(since.content).feed["opensearch_totalresults"]) == api["total"]


def test_feeds_stay_well_formed_whatever_the_source_wrote(
    services: Services, client: TestClient, http_server: LoopbackServer
) -> None:
    nasty = "Bell \x07, vertical tab \x0b, NUL \x00, <b>tags</b> & ]]> \ufffe and 🦀"
    record = {
        "title": f"Hostile {nasty}",
        "description": nasty,
        "identifier": "hostile-1",
        "keyword": [nasty],
        "publisher": {"name": nasty},
        "modified": "not a date",
        "accessLevel": "public",
    }
    catalog = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [record]}
    add_source(services, "hostile", serve_json(http_server, "/hostile.json", catalog))
    assert services.runner.harvest("hostile").new == 1
    for kind in ("atom", "rss"):
        body = client.get(f"/search.{kind}").content
        root = _xml(body)  # strict: raises on any character XML 1.0 forbids
        assert "<b>tags</b> &" in etree.tostring(root, encoding="unicode", method="text")
        assert not feedparser.parse(body).bozo


# -- suggestions -----------------------------------------------------------------------------------


def test_suggestions(catalog: TestClient) -> None:
    response = catalog.get("/api/v1/suggest", params={"q": "cot"})
    assert response.headers["content-type"].startswith("application/x-suggestions+json")
    query, completions = json.loads(response.content)
    assert query == "cot"
    assert completions
    assert all(c.lower().startswith("cot") or " cot" in c.lower() for c in completions)
    assert json.loads(catalog.get("/api/v1/suggest", params={"q": ""}).content) == ["", []]
    assert len(json.loads(catalog.get("/api/v1/suggest", params={"q": "c", "limit": 1}).content)[1]) <= 1
    assert catalog.get("/api/v1/suggest", params={"q": "x", "limit": 100}).status_code == 400


# -- sitemaps and robots.txt -----------------------------------------------------------------------


@pytest.fixture
def small_sitemaps(http_server: LoopbackServer) -> Iterator[TestClient]:
    services = build_services(make_settings(sitemap_size=3))
    harvest_file(services, http_server, "datajson/gsa-harvester-dcatus.json")  # 7 datasets: 3 + 3 + 1
    with TestClient(create_app(services.settings, services)) as client:
        yield client
    services.close()


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(DATA / "sitemaps" / f"sitemaps.org-{name}.xsd"), STRICT))


def test_sitemap_index_and_files(small_sitemaps: TestClient) -> None:
    index = small_sitemaps.get("/sitemap.xml")
    assert index.headers["content-type"].startswith("application/xml")
    root = _xml(index.content)
    _schema("siteindex").assertValid(root)
    locations = [s.findtext("sm:loc", namespaces=NS) for s in root.findall("sm:sitemap", NS)]
    assert locations == [f"{BASE}/sitemaps/pages.xml"] + [f"{BASE}/sitemaps/datasets-{n}.xml" for n in (1, 2, 3)]
    assert all(s.findtext("sm:lastmod", namespaces=NS) for s in root.findall("sm:sitemap", NS))
    urlset = _schema("sitemap")
    pages: list[str] = []
    for location in locations:
        document = _xml(small_sitemaps.get(_path(location)).content)
        urlset.assertValid(document)
        urls = document.findall("sm:url", NS)
        assert 1 <= len(urls) <= 3
        assert all(u.findtext("sm:lastmod", namespaces=NS) for u in urls)
        pages += [u.findtext("sm:loc", namespaces=NS) for u in urls]
    every = small_sitemaps.get("/api/v1/datasets", params={"per_page": 100}).json()["results"]
    assert pages[0] == f"{BASE}/"
    assert sorted(pages[1:]) == sorted(r["html_url"] for r in every)
    for page in pages[1:]:  # every URL is a live page, at its canonical address
        assert small_sitemaps.get(_path(page), follow_redirects=False).status_code == 200
    # a dataset's lastmod is its own modified date where it has one
    lastmods = {
        u.findtext("sm:loc", namespaces=NS): u.findtext("sm:lastmod", namespaces=NS)
        for location in locations[1:]
        for u in _xml(small_sitemaps.get(_path(location)).content).findall("sm:url", NS)
    }
    dated = 0
    for record in every:
        modified = parse_modified(record.get("modified"))
        if modified is not None:
            assert lastmods[record["html_url"]] == modified.isoformat(timespec="seconds")
            dated += 1
    assert dated > 0
    missing = small_sitemaps.get("/sitemaps/datasets-4.xml")
    assert missing.status_code == 404
    assert "3 dataset sitemap file(s)" in missing.json()["error"]["message"]


def test_sitemaps_answer_conditional_gets(small_sitemaps: TestClient) -> None:
    for path in ("/sitemap.xml", "/sitemaps/datasets-1.xml"):
        first = small_sitemaps.get(path)
        assert first.headers["last-modified"]
        again = small_sitemaps.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        head = small_sitemaps.head(path)
        assert head.status_code == 200
        assert head.headers["etag"] == first.headers["etag"]


def test_an_empty_catalog_still_has_a_valid_sitemap(client: TestClient) -> None:
    root = _xml(client.get("/sitemap.xml").content)
    _schema("siteindex").assertValid(root)
    assert [s.findtext("sm:loc", namespaces=NS) for s in root.findall("sm:sitemap", NS)] == [
        f"{BASE}/sitemaps/pages.xml"
    ]
    _schema("sitemap").assertValid(_xml(client.get("/sitemaps/pages.xml").content))
    assert client.get("/sitemaps/datasets-1.xml").status_code == 404


def test_robots_txt_points_at_the_sitemap(catalog: TestClient) -> None:
    response = catalog.get("/robots.txt")
    assert response.headers["content-type"].startswith("text/plain")
    robots = RobotFileParser()
    robots.parse(response.text.splitlines())
    assert robots.site_maps() == [f"{BASE}/sitemap.xml"]
    page = catalog.get("/api/v1/datasets").json()["results"][0]["html_url"]
    assert robots.can_fetch("Googlebot", page)
    assert robots.can_fetch("Googlebot", f"{BASE}/")
    assert robots.can_fetch("Googlebot", f"{BASE}/sitemap.xml")
    assert not robots.can_fetch("Googlebot", f"{BASE}/api/v1/datasets?q=x")
    assert not robots.can_fetch("Googlebot", f"{BASE}/search.atom?q=x")


def test_pages_advertise_the_opensearch_description(client: TestClient) -> None:
    """Browsers and search appliances find the description from any page."""
    page = client.get("/", headers={"Accept": "text/html"}).text
    assert '<link rel="search" type="application/opensearchdescription+xml" href="/opensearch.xml"' in page
