"""The search parameters of ``/api/v1/datasets``, as one FastAPI dependency, so every search surface (the
JSON API, the Atom and RSS feeds) takes exactly the same parameters with the same meaning."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

from fastapi import Depends, Query

from catalog_api.search import SearchParams, parse_bbox_param

Values = Annotated[list[str], Query()]


def search_params(
    q: Annotated[str | None, Query(max_length=500, description="words to search for")] = None,
    publisher: Values = [],  # noqa: B006 - FastAPI copies defaults
    keyword: Values = [],  # noqa: B006
    theme: Values = [],  # noqa: B006
    format: Values = [],  # noqa: B006
    license: Values = [],  # noqa: B006
    accessLevel: Values = [],  # noqa: B006
    source: Values = [],  # noqa: B006
    modified_since: Annotated[datetime | date | None, Query(description="ISO date or datetime")] = None,
    modified_before: Annotated[datetime | date | None, Query(description="ISO date or datetime")] = None,
    bbox: Annotated[
        str | None,
        Query(max_length=200, description="west,south,east,north (degrees), or a U.S. state, county or country"),
    ] = None,
    temporal_from: Annotated[
        datetime | date | None, Query(description="coverage overlapping from this ISO date or datetime")
    ] = None,
    temporal_to: Annotated[
        datetime | date | None, Query(description="coverage overlapping up to this ISO date (inclusive) or datetime")
    ] = None,
    sort: Annotated[Literal["relevance", "modified", "title"] | None, Query()] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1)] = 20,
    cursor_: Annotated[str | None, Query(alias="cursor")] = None,
) -> SearchParams:
    filters = {
        "publisher": publisher,
        "keyword": keyword,
        "theme": theme,
        "format": format,
        "license": license,
        "accessLevel": accessLevel,
        "source": source,
    }
    return SearchParams(
        q=q,
        filters={k: tuple(v) for k, v in filters.items() if v},
        modified_since=moment(modified_since),
        modified_before=moment(modified_before),
        bbox=parse_bbox_param(bbox),
        temporal_from=moment(temporal_from),
        temporal_to=moment(temporal_to, end_of_day=True),
        sort=sort,
        page=page,
        per_page=per_page,
        cursor=cursor_,
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
