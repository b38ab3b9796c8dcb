"""The contract every harvester passes, over loopback HTTP against real fixture files.

A harvester's test module subclasses :class:`HarvesterContract` and provides a ``scenario`` fixture: a
:class:`Scenario` that serves a real source (paged where the kind pages) from ``tests/data`` and knows how
to break it (404, 500, garbage, a server that never answers), how to make its paging repeat a token, and
how to change one record. The contract then checks, through the real job runner and store:

* a harvest pages to the end and stores exactly the expected records;
* a repeated page token fails the job with a PagingError and withdraws nothing;
* a second run is idempotent: every record unchanged, nothing rewritten or withdrawn;
* incremental state is honoured: an unchanged source costs nothing (a 304 or a bookmark query), a
  changed record is updated, and an incremental run withdraws nothing;
* on 404 / 500 / garbage / timeout the job fails and every earlier record stays live and searchable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest

from catalog_api.harvesting import HarvestReport
from catalog_api.search import SearchParams, run_search
from catalog_api.services import Services, build_services
from tests.conftest import add_source, make_settings
from tests.support.httpserver import LoopbackServer, Route, Seen

GARBAGE = b"\x00\x9f<<<}{ this is not what the source usually serves \xff\xfe"
FAILURES = ("404", "500", "garbage", "timeout")


class Scenario:
    """A source served by a loopback server; subclasses say what is served and how it changes."""

    kind: ClassVar[str]
    paged: ClassVar[bool] = True
    options: ClassVar[dict[str, Any]] = {}
    content_type: ClassVar[str] = "application/octet-stream"
    # a complete, non-incremental listing read from one body: the same body again ends ``unchanged``
    one_body: ClassVar[bool] = False

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server
        self.mode = "ok"
        self.repeating = False

    # -- what subclasses provide --------------------------------------------------------------------

    def source_url(self) -> str:
        raise NotImplementedError

    def answer(self, seen: Seen) -> Route:
        """The good response to ``seen``."""
        raise NotImplementedError

    def expected(self) -> set[str]:
        """The original identifiers a complete harvest stores."""
        raise NotImplementedError

    def change(self) -> str:
        """Change one record at the source; returns its identifier."""
        raise NotImplementedError

    def repeat(self) -> None:
        """Make the source's paging repeat a page token."""
        self.repeating = True

    def check_incremental(self, unchanged: HarvestReport, changed: HarvestReport, services: Services) -> None:
        """Kind-specific evidence that the second and third runs used the incremental state."""
        assert unchanged.status == "unchanged", unchanged.message
        assert any("If-None-Match" in s.headers or "If-Modified-Since" in s.headers for s in self.server.requests)

    # -- serving ------------------------------------------------------------------------------------

    def mount(self, *paths: str) -> None:
        for path in paths:
            self.server.respond(path, self._respond)

    def _respond(self, seen: Seen) -> Route:
        if self.mode == "404":
            return Route(body=b"not found", status=404, content_type="text/plain")
        if self.mode == "500":
            return Route(body=b"internal error", status=500, content_type="text/plain")
        if self.mode == "garbage":
            return Route(body=GARBAGE, content_type=self.content_type, conditional=False)
        if self.mode == "timeout":
            return Route(body=b"", delay=2.0)
        return self.answer(seen)


class HarvesterContract:
    """Subclass and provide a ``scenario`` fixture (function-scoped, using ``http_server``)."""

    @pytest.fixture
    def services(self) -> Iterator[Services]:
        built = build_services(make_settings(harvest_retries=0, harvest_timeout=0.5))
        yield built
        built.close()

    @pytest.fixture
    def harvest(self, services: Services, scenario: Scenario) -> Callable[..., HarvestReport]:
        add_source(services, "src", scenario.source_url(), kind=scenario.kind, options=dict(scenario.options))

        def run(**kwargs: Any) -> HarvestReport:
            return services.runner.harvest("src", **kwargs)

        return run

    def test_pages_to_the_end(
        self, harvest: Callable[..., HarvestReport], scenario: Scenario, services: Services
    ) -> None:
        report = harvest()
        assert report.status == "succeeded", report.message
        stored = {r.original_identifier for r in services.store.iter_records(live=True)}
        assert stored == scenario.expected()
        assert report.new == len(stored)
        assert report.failed == 0
        assert _searchable(services) == len(stored)
        if scenario.paged:
            assert len(scenario.server.requests) > 1, "a paged scenario should take several pages"

    def test_a_second_run_is_idempotent(
        self, harvest: Callable[..., HarvestReport], scenario: Scenario, services: Services
    ) -> None:
        first = harvest()
        before = {r.id: (r.content_hash, r.last_changed) for r in services.store.iter_records()}
        again = harvest(full=True)
        # the same body as the last complete harvest is not read again (catalog_api/baselines.py)
        assert again.status == ("unchanged" if scenario.one_body else "succeeded"), again.message
        assert (again.new, again.updated, again.withdrawn, again.failed) == (0, 0, 0, 0)
        assert again.unchanged == first.new
        assert {r.id: (r.content_hash, r.last_changed) for r in services.store.iter_records()} == before

    def test_incremental_state_is_honoured(
        self, harvest: Callable[..., HarvestReport], scenario: Scenario, services: Services
    ) -> None:
        first = harvest()
        unchanged = harvest()
        assert (unchanged.new, unchanged.updated, unchanged.withdrawn) == (0, 0, 0)
        identifier = scenario.change()
        changed = harvest()
        assert changed.status == "succeeded", changed.message
        assert (changed.new, changed.updated, changed.withdrawn) == (0, 1, 0)
        updated = [r for r in services.store.iter_records() if r.original_identifier == identifier]
        assert len(updated) == 1
        assert updated[0].last_changed > updated[0].first_seen
        assert services.store.live_count() == first.new
        scenario.check_incremental(unchanged, changed, services)

    @pytest.mark.parametrize("failure", FAILURES)
    def test_a_failing_source_withdraws_nothing(
        self, harvest: Callable[..., HarvestReport], scenario: Scenario, services: Services, failure: str
    ) -> None:
        first = harvest()
        assert first.status == "succeeded", first.message
        scenario.mode = failure
        report = harvest(full=True)
        assert report.status == "failed", report
        assert report.withdrawn == 0
        assert "nothing was withdrawn" in (report.message or "")
        assert services.store.live_count() == first.new
        assert _searchable(services) == first.new


def _searchable(services: Services) -> int:
    return run_search(services, SearchParams(per_page=1)).result.total


class PagedHarvesterContract(HarvesterContract):
    """The contract for kinds that page: also stop with an error on a repeated page token."""

    def test_a_repeated_page_token_fails_the_job(
        self, harvest: Callable[..., HarvestReport], scenario: Scenario, services: Services
    ) -> None:
        assert scenario.paged, "use HarvesterContract for kinds that read one document"
        first = harvest()
        scenario.repeat()
        report = harvest(full=True)
        assert report.status == "failed"
        assert "repeated page token" in (report.message or "")
        assert report.withdrawn == 0
        assert services.store.live_count() == first.new
