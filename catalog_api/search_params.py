"""The search parameters of ``/api/v1/datasets``, as one FastAPI dependency, so every search surface (the
JSON API, the Atom and RSS feeds) takes exactly the same parameters with the same meaning."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

from fastapi import Depends, Query
from pydantic import BeforeValidator

from catalog_api.deps import PageNumber
from catalog_api.search import SearchParams

Values = Annotated[list[str], Query()]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_only(value: object) -> object:
    """Dates and datetimes in ISO 8601 only: pydantic would also take a number as a Unix time."""
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("use an ISO 8601 date or datetime, e.g. 2024-01-31 or 2024-01-31T12:00:00Z")
    return value


Moment = Annotated[datetime | date | None, BeforeValidator(_iso_only), Query(description="ISO 8601 date or datetime")]


async def search_params(
    q: Annotated[str | None, Query(max_length=500, description="words to search for")] = None,
    publisher: Values = [],  # noqa: B006 - FastAPI copies defaults
    keyword: Values = [],  # noqa: B006
    theme: Values = [],  # noqa: B006
    format: Values = [],  # noqa: B006
    license: Values = [],  # noqa: B006
    accessLevel: Values = [],  # noqa: B006
    source: Values = [],  # noqa: B006
    modified_since: Moment = None,
    modified_before: Moment = None,
    sort: Annotated[Literal["relevance", "modified", "title"] | None, Query()] = None,
    page: PageNumber = 1,
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
        sort=sort,
        page=page,
        per_page=per_page,
        cursor=cursor_,
    )


def moment(value: datetime | date | None) -> datetime | None:
    """A date or datetime parameter as a UTC-aware datetime (a date is its midnight, UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return datetime.combine(value, time.min, tzinfo=UTC)


SearchParamsDep = Annotated[SearchParams, Depends(search_params)]
