"""DCAT catalogs as RDF: Turtle, RDF/XML, JSON-LD, N-Triples (by content negotiation or extension).

Hydra-paged collections (``hydra:next`` on a ``PartialCollectionView``, or the older ``hydra:nextPage``
of a ``PagedCollection``) are followed to the end, refusing to loop. Every dcat:Dataset becomes a
record; its description is read through the DCAT-US ↔ DCAT tables, which also know the DCAT-AP forms
(EU frequency, language and access-right IRIs, file-type formats). A dataset without dct:identifier
takes its IRI. A single-page catalog is fetched conditionally (ETag / Last-Modified).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import urljoin

from rdflib import Graph

from harvesters.base import Harvester, HarvestItem, HarvestRun, HarvestState, OptionSpec, SkippedRecord
from harvesters.bodydigest import BodyCheck, same_body
from harvesters.errors import ParseError
from harvesters.http import Validators
from harvesters.paging import Paginator
from harvesters.rdfsource import RDF_ACCEPT, harvested, parse_rdf, rdf_format, rdf_records
from mappings.model import RecordIssue
from mappings.vocab import HYDRA

NEXT_PAGE = (HYDRA.next, HYDRA.nextPage)
FORMATS = ("turtle", "xml", "json-ld", "nt", "n3", "trig")


class DcatHarvester(Harvester):
    kind: ClassVar[str] = "dcat"
    title: ClassVar[str] = "DCAT RDF catalog"
    summary: ClassVar[str] = "A DCAT / DCAT-AP / DCAT-US catalog in any RDF syntax; Hydra paging followed."
    option_specs: ClassVar[tuple[OptionSpec, ...]] = (
        OptionSpec("format", f"the RDF syntax when the server's Content-Type is wrong ({', '.join(FORMATS)})"),
        OptionSpec("max_pages", "stop with an error after this many Hydra pages (default 10000)"),
    )
    parallel_safe: ClassVar[bool] = True

    def records(self, state: HarvestState, run: HarvestRun) -> Iterator[HarvestItem]:
        pages = Paginator(self.source.url, max_pages=int(self.source.options.get("max_pages", 10_000)))
        seen: set[str] = set()
        first_validators: Validators | None = None
        while not pages.finished:
            conditional = state.validators if pages.pages == 1 else None
            loaded = self._page(pages.current, conditional, run, state.body if pages.pages == 1 else None)
            if loaded is None:
                return
            graph, validators, notes = loaded
            first_validators = first_validators or validators
            issues = tuple(RecordIssue(path="@context", message=n, severity="warning", code="unmapped") for n in notes)
            for found in rdf_records(graph, pages.current, seen, self.source.caps):
                run.listed += 1
                yield found if isinstance(found, SkippedRecord) else harvested(found, issues)
            pages.advance(next_page(graph, pages.current))
        run.stats["pages"] = pages.pages
        run.validators = first_validators if pages.pages == 1 else None
        run.body_digest = run.body_digest if pages.pages == 1 else None  # one body only
        run.complete = True

    def _page(
        self, url: str, validators: Validators | None, run: HarvestRun, check: BodyCheck | None
    ) -> tuple[Graph, Validators, list[str]] | None:
        """The page as a graph; None after a 304 or for the same body as the last complete harvest's."""
        fetched, body = self.http.get_bytes(url, headers={"Accept": RDF_ACCEPT}, validators=validators)
        if fetched.not_modified:
            run.not_modified = True
            return None
        if same_body(check, fetched, body, run):  # only a one-page catalog leaves a digest to compare with
            return None
        fmt = self.source.options.get("format") or rdf_format(fetched.content_type, fetched.url, body[:512])
        if fmt not in FORMATS:
            raise ParseError(f"option format={fmt!r} is not one of {', '.join(FORMATS)}")
        run.stats["format"] = fmt
        notes: list[str] = []
        graph = parse_rdf(body, fmt, base=fetched.url, notes=notes)
        run.notes.extend(n for n in notes if n not in run.notes)
        return graph, fetched.validators, notes


def next_page(graph: Graph, current: str) -> str | None:
    """The Hydra next page named anywhere in the page (absolute), or None on the last page."""
    found = sorted({str(o) for p in NEXT_PAGE for o in graph.objects(None, p)})
    return urljoin(current, found[0]) if found else None
