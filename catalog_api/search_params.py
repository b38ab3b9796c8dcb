"""The search parameters of ``/api/v1/datasets``, as one FastAPI dependency, so every search surface (the
JSON API, the Atom and RSS feeds) takes exactly the same parameters with the same meaning.

A parameter sent empty (``page=&per_page=``, as an OpenSearch client fills an optional template parameter it
has no value for) is not given. Ranges (``page``, ``per_page`` at least 1) are checked by
:func:`catalog_api.search.run_search`, so the feeds can clamp instead of refusing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

from fastapi import Depends, Query
from pydantic import BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

from catalog_api.errors import DATE_HINT
from catalog_api.search import SearchParams, parse_bbox_param


def blank_is_none(value: object) -> object:
    """An optional parameter sent empty is a parameter not sent (OpenSearch 1.1, "optional parameters")."""
    return None if isinstance(value, str) and not value.strip() else value


def iso_only(value: object) -> object:
    """Dates and datetimes in ISO 8601 only: pydantic would also take a number as a Unix time."""
    if isinstance(value, str) and value.strip() and not _ISO_DATE.match(value):  # blank: not given
        raise PydanticCustomError("date_format", DATE_HINT)  # a "date…" type: said in words (errors._describe)
    return value


Values = Annotated[list[str], Query()]
Given = BeforeValidator(blank_is_none)
Iso = BeforeValidator(iso_only)
# the length bound on the text itself: on the optional parameter it would also be applied to the None an
# empty value becomes (a 500 schemathesis found)
BboxText = Annotated[str, StringConstraints(max_length=200)]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


async def search_params(
    q: Annotated[str | None, Query(max_length=500, description="words to search for")] = None,
    publisher: Values = [],  # noqa: B006 - FastAPI copies defaults
    keyword: Values = [],  # noqa: B006
    theme: Values = [],  # noqa: B006
    format: Values = [],  # noqa: B006
    license: Values = [],  # noqa: B006
    accessLevel: Values = [],  # noqa: B006
    source: Values = [],  # noqa: B006
    collection: Annotated[list[str], Query(description="a collection's slug (/api/v1/collections)")] = [],  # noqa: B006
    modified_since: Annotated[datetime | date | None, Given, Iso, Query(description="ISO date or datetime")] = None,
    modified_before: Annotated[datetime | date | None, Given, Iso, Query(description="ISO date or datetime")] = None,
    bbox: Annotated[
        BboxText | None,
        Given,
        Query(description="west,south,east,north (degrees), or a U.S. state, county or country"),
    ] = None,
    temporal_from: Annotated[
        datetime | date | None, Given, Iso, Query(description="coverage overlapping from this ISO date or datetime")
    ] = None,
    temporal_to: Annotated[
        datetime | date | None,
        Given,
        Iso,
        Query(description="coverage overlapping up to this ISO date (inclusive) or datetime"),
    ] = None,
    freshness: Annotated[
        list[str],
        Query(description="datasets in any of these freshness states: fresh, due, stale, unknown"),
    ] = [],  # noqa: B006
    quality_min: Annotated[  # 0 to 100, checked by run_search (a bound here would also apply to a blank's None)
        int | None, Given, Query(description="datasets with a metadata quality score at least this (0 to 100)")
    ] = None,
    sort: Annotated[
        Literal["relevance", "modified", "title", "quality", "popular"] | None,
        Given,
        Query(description="popular: most page views and downloads in the last 30 days first"),
    ] = None,
    core: Annotated[bool | None, Given, Query(description="true: core datasets only; false: the others")] = None,
    page: Annotated[int | None, Given, Query(description="page number, from 1")] = None,
    per_page: Annotated[int | None, Given, Query(description="results a page, from 1")] = None,
    cursor_: Annotated[str | None, Given, Query(alias="cursor")] = None,
) -> SearchParams:
    filters = {
        "publisher": publisher,
        "keyword": keyword,
        "theme": theme,
        "format": format,
        "license": license,
        "accessLevel": accessLevel,
        "source": source,
        "collection": collection,
    }
    return SearchParams(
        q=q,
        filters={k: tuple(x for x in v if x.strip()) for k, v in filters.items() if any(x.strip() for x in v)},
        modified_since=moment(modified_since),
        modified_before=moment(modified_before),
        bbox=parse_bbox_param(bbox),
        temporal_from=moment(temporal_from),
        temporal_to=moment(temporal_to, end_of_day=True),
        sort=sort,
        freshness=tuple(dict.fromkeys(f.strip() for f in freshness if f.strip())),
        quality_min=quality_min,
        page=1 if page is None else page,
        per_page=20 if per_page is None else per_page,
        cursor=cursor_,
        core=core,
    )


def moment(value: datetime | date | None, *, end_of_day: bool = False) -> datetime | None:
    """A date or datetime parameter as a UTC-aware datetime (a date is its midnight, UTC; with
    ``end_of_day``, its last moment: ``temporal_to=2015-12-31`` includes that day)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return datetime.combine(value, time.max if end_of_day else time.min, tzinfo=UTC)


SearchParamsDep = Annotated[SearchParams, Depends(search_params)]
