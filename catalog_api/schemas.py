"""The API's public shapes (pydantic): what clients can rely on (see docs/api.md for the promise)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from mappings.model import Dataset, Distribution, RecordIssue

T = TypeVar("T")
Freshness = Literal["fresh", "due", "stale", "unknown"]


class Public(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class FacetValue(Public):
    value: str
    count: int


class Provenance(Public):
    """One source that lists the dataset (several when the same dataset was harvested from several)."""

    source: str
    original_identifier: str
    first_seen: datetime
    last_seen: datetime
    winner: bool = Field(description="this source's record is the one shown (its id, and the fields it wins)")


class QualityReason(Public):
    dimension: str = Field(
        description="findability, accessibility, interoperability, reusability, contextuality, validity"
    )
    indicator: str
    message: str
    lost: int = Field(description="points this cost, of the 405 the score is scaled from")


class DimensionPoints(Public):
    points: int
    max: int


class Quality(Public):
    """A metadata quality score modelled on data.europa.eu's MQA (docs/search.md)."""

    score: int = Field(ge=0, le=100)
    reasons: list[QualityReason] = Field(default_factory=list)
    dimensions: dict[str, DimensionPoints] = Field(default_factory=dict)


class DatasetSummary(Public):
    """One search result."""

    id: str
    identifier: str
    title: str
    description: str = ""
    publisher: str | None = None
    keyword: list[str] = Field(default_factory=list)
    theme: list[str] = Field(default_factory=list)
    format: list[str] = Field(default_factory=list)
    license: str | None = None
    accessLevel: str | None = None
    modified: str | None = None
    source: str
    landingPage: str | None = None
    html_url: str
    api_url: str
    score: float | None = None
    provenance: list[Provenance] = Field(default_factory=list, description="every source that lists it")
    freshness: Freshness = Field("unknown", description="fresh, due, stale or unknown (against accrualPeriodicity)")
    quality: Quality | None = None


class SearchResponse(Public):
    total: int
    page: int
    per_page: int
    results: list[DatasetSummary]
    facets: dict[str, list[FacetValue]]
    next: str | None = Field(None, description="opaque cursor for the next page (pass as ?cursor=)")


class CatalogInfo(Public):
    """What the catalog knows about a record besides its metadata."""

    source: str
    original_identifier: str
    first_seen: datetime
    last_changed: datetime
    last_seen: datetime
    content_hash: str
    withdrawn: bool
    withdrawn_at: datetime | None = None
    issues: list[RecordIssue] = Field(default_factory=list)
    organization: str | None = Field(None, description="the organization the dataset belongs to (its title)")
    overrides: list[LocalEdit] = Field(
        default_factory=list, description="fields a publisher changed in this catalog (kept across harvests)"
    )


class LocalEdit(Public):
    field: str
    value: Any = None
    by: str
    at: datetime | None = None


class UsageFigures(Public):
    """One kind of use: the last 30 days (today included, UTC) and all time."""

    last_30_days: int = 0
    all_time: int = 0


class UsagePublic(Public):
    """How often the dataset was used (docs/usage.md: what counts, and what does not)."""

    views: UsageFigures = UsageFigures()
    api: UsageFigures = UsageFigures()
    downloads: UsageFigures = UsageFigures()


class OrganizationRef(Public):
    slug: str
    title: str
    url: str


class CorePublic(Public):
    """A core dataset: marked by an admin, with the organizations that rely on it."""

    core: bool = True
    note: str | None = None
    marked_by: str
    marked_at: datetime
    used_by: list[OrganizationRef] = []


# -- link checks (catalog_api/linkcheck) -------------------------------------------------------------


class LinkStatusPublic(Public):
    """What the link checker last found at a distribution's links: the worst of its downloadURL and
    accessURL (broken, then redirected, then unchecked, then ok)."""

    status: Literal["ok", "redirected", "broken", "unchecked"] = Field(
        description="ok: answers; redirected: moved permanently (301/308), publish the new address; "
        "broken: 4xx, 5xx, no answer or not a URL; unchecked: not checked (yet, or robots.txt forbids it)"
    )
    checked_at: datetime | None = Field(None, description="when it was last checked (UTC)")
    http_status: int | None = Field(
        None, description="the answer that decided the state (the 301/308 of a moved link); null: none"
    )
    url: str | None = Field(None, description="which of the distribution's links this describes")
    final_url: str | None = Field(None, description="where its redirects end, if it is redirected")


class DistributionPublic(Distribution):
    link_status: LinkStatusPublic = Field(alias="link_status")


class DatasetDetail(Dataset):
    """The dataset's DCAT-US fields, each distribution with its ``link_status``."""

    distribution: list[DistributionPublic] = Field(default_factory=list)  # type: ignore[assignment]  # narrower


# ---------------------------------------------------------------------------------------------------


class DatasetPublic(Public):
    id: str
    html_url: str
    api_url: str
    dataset: DatasetDetail
    catalog: CatalogInfo
    usage: UsagePublic = UsagePublic()
    core: CorePublic | None = None  # null: not a core dataset
    provenance: list[Provenance] = Field(default_factory=list, description="every source that lists it")
    collections: list[str] = Field(default_factory=list, description="slugs of the collections it is in now")
    freshness: Freshness = "unknown"
    quality: Quality | None = None


class SourcePublic(Public):
    name: str
    kind: str
    url: str
    title: str | None = None
    description: str | None = None
    publisher: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    schedule: str | None = Field(None, description="cron (UTC) or ISO 8601; null: harvested only when asked")
    enabled: bool
    created_at: datetime
    last_success_at: datetime | None = None
    last_job_at: datetime | None = None
    datasets: int = 0
    next_run_at: datetime | None = Field(None, description="when the worker harvests it next (null: not planned)")
    consecutive_failures: int = Field(0, description="its harvests that failed in a row, latest first")
    failing: bool = Field(False, description="failed NUTMEG_SCHEDULE_FLAG_AFTER times in a row: the worker backs off")


class JobPublic(Public):
    id: int
    source: str
    started_at: datetime
    finished_at: datetime | None = None
    status: str
    listed: int
    new: int
    updated: int
    unchanged: int
    withdrawn: int
    failed: int
    skipped: int
    message: str | None = None
    stats: dict[str, Any] = Field(default_factory=dict)


class RecordErrorPublic(Public):
    record_id: str | None = None
    original_identifier: str | None = None
    path: str
    message: str
    severity: str
    code: str


class Page(Public, Generic[T]):
    """A list envelope: ``results``, ``total`` and the URL of the ``next`` page."""

    results: list[T]
    total: int
    next: str | None = None


class ExcludedRecord(Public):
    id: str
    title: str
    source: str
    problems: list[RecordIssue]


class Adjusted(Public):
    """How many exported records had ``field`` normalized, shortened, dropped (invalid) or filled
    (missing), and where a filled value came from (``issued``, ``theme``, ``catalog default``...)."""

    action: str
    field: str
    source: str = ""
    records: int


class ExportReport(Public):
    profile: str
    version: str = "1.1"  # the DCAT-US version reported on
    exported: int
    excluded: list[ExcludedRecord]
    adjusted: list[Adjusted] = Field(default_factory=list)


class HealthStatus(Public):
    status: str
    database: dict[str, Any]
    search: dict[str, Any]


class ErrorDetail(Public):
    code: str = Field(description="a stable machine-readable code, e.g. bad_parameter, not_found, too_large")
    message: str = Field(description="what was wrong, where, and what to do next")


class ErrorResponse(Public):
    """The one shape of every error of the catalog's own interfaces."""

    error: ErrorDetail


class CkanErrorDetail(Public):
    type: str = Field(alias="__type", description="CKAN's error type (Not Found Error, Validation Error, ...)")
    message: str
    code: str = Field(description="this catalog's error code")


class CkanErrorResponse(Public):
    """An error of the CKAN-compatible API, in CKAN's envelope."""

    help: str
    success: bool
    error: CkanErrorDetail
