"""The one Settings object: every knob, its default and a one-line description; env vars ``NUTMEG_*``.

Validated once at start; a bad value fails with the key and the value named.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from harvesters import DEFAULT_USER_AGENT

if TYPE_CHECKING:  # imported where used: the CLI's light commands load settings without httpx or jsonschema
    from harvesters.http import HttpPolicy, IPNetwork
    from harvesters.linkcheck import LinkPolicy
    from index.duplicates import Policy as DuplicatePolicy
    from mappings.datajson import CatalogDefaults
    from mappings.validation import Profile

ACCESS_LEVELS = ("public", "restricted public", "non-public")


class PrecedenceSetting(BaseModel):
    """Between records of sources ``winner`` and ``loser`` that are one dataset, ``winner``'s values win
    (only for ``fields``, data.json names, when given)."""

    model_config = ConfigDict(extra="forbid")

    winner: str
    loser: str
    fields: list[str] = Field(default_factory=list)


class Settings(BaseSettings):
    """Nutmeg's configuration (environment variables prefixed ``NUTMEG_``, or a ``.env`` file)."""

    model_config = SettingsConfigDict(env_prefix="NUTMEG_", env_file=".env", extra="ignore")

    # storage and search
    database_url: str = Field("sqlite:///nutmeg.db", description="SQLAlchemy URL of the store")
    index_path: str | None = Field(
        None, description="embedded search index file (default: beside an SQLite store, else nutmeg-index.db)"
    )
    search_url: str | None = Field(None, description="Elasticsearch/OpenSearch URL; unset = the embedded index")
    search_index: str = Field("nutmeg-datasets", description="index alias name in Elasticsearch/OpenSearch")

    # the catalog itself
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="public URL of this catalog (links, data.json); unset: the address each request was sent to",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="proxies whose X-Forwarded-Proto/-Host/-For are believed (comma-separated IPs or CIDRs, * = any)",
    )
    catalog_title: str = Field("Nutmeg open data catalog", description="the catalog's name")
    catalog_description: str = Field(
        "Datasets from across the state's agencies, cities and offices, searchable in one place.",
        description="one sentence about the catalog",
    )
    federal: bool = Field(False, description="validate and publish data.json against the federal schema")
    datajson_version: Literal["1.1", "3.0"] = Field(
        "1.1", description="the DCAT-US version /data.json serves (both are also at /dcat-us/1.1/ and /dcat-us/3.0/)"
    )
    default_publisher: str | None = Field(None, description="publisher for records that lack one (data.json)")
    default_contact_name: str | None = Field(None, description="contact name for records that lack one")
    default_contact_email: str | None = Field(None, description="contact email for records that lack one")
    default_access_level: Literal["public", "restricted public", "non-public"] | None = Field(
        None, description="accessLevel for records that lack one"
    )
    default_bureau_code: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="bureauCode for federal records that lack one (comma-separated)"
    )
    default_program_code: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="programCode for federal records that lack one (comma-separated)"
    )

    # harvesting
    harvest_allow_private: bool = Field(False, description="allow harvesting loopback/private addresses")
    harvest_allowed_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="CIDR ranges always allowed (comma-separated), e.g. an intranet"
    )
    harvest_timeout: float = Field(30.0, gt=0, description="seconds to wait for a connection or a read")
    harvest_max_seconds: float = Field(
        3600.0, gt=0, description="seconds one harvest job may take in all (every fetch, header and wait)"
    )
    harvest_max_bytes: int = Field(1 << 30, gt=0, description="largest response body accepted (bytes)")
    harvest_max_parse_bytes: int = Field(
        8 << 20, gt=0, description="largest document read whole by a parser (RDF, XML, HTML, API pages; bytes)"
    )
    harvest_max_records: int = Field(1_000_000, ge=1, description="records one harvest job may list")
    harvest_max_pages: int = Field(
        50_000, ge=1, description="requests one job may make (API pages, Hydra pages, WAF files)"
    )
    harvest_max_field_bytes: int = Field(
        64 << 10, ge=1024, description="longest text field kept whole (longer is truncated and reported; bytes)"
    )
    harvest_max_spatial_bytes: int = Field(
        1 << 20, ge=1024, description="longest spatial field (GeoJSON, WKT) kept whole (bytes)"
    )
    harvest_max_redirects: int = Field(5, ge=0, description="redirects followed per request")
    harvest_retries: int = Field(3, ge=0, description="retries on 429/5xx/network errors")
    harvest_backoff: float = Field(0.5, ge=0, description="first retry delay in seconds (doubles each time)")
    harvest_host_concurrency: int = Field(2, ge=1, description="requests in flight per host")
    harvest_host_delay: float = Field(0.0, ge=0, description="seconds between requests to one host")
    harvest_max_shrink: float = Field(
        0.5, ge=0, le=1, description="withdraw nothing if a catalog shrinks by more than this share"
    )
    harvest_full_every_days: float = Field(
        7.0, gt=0, description="an incremental source gets a full run (finding deletions) at least this often"
    )
    harvest_user_agent: str = Field(DEFAULT_USER_AGENT, description="User-Agent sent to sources")
    harvest_nice: int = Field(
        10, ge=0, le=19, description="CPU niceness `harvest` and `worker` take, so searches come first (0 = off)"
    )
    harvest_batch: int = Field(500, ge=1, description="records written per store/index batch")
    harvest_workers: int = Field(0, ge=0, description="processes mapping records (0 = automatic)")
    job_heartbeat_seconds: float = Field(10.0, gt=0, description="how often a running job records a sign of life")
    job_stale_seconds: float = Field(
        120.0, gt=0, description="a running job silent this long (on another host) is taken as dead and failed"
    )

    # schedules and the worker (issue 13; catalog_api/schedule.py, catalog_api/worker.py)
    schedule_default: str = Field(
        "H H(1-5) * * *",
        description="schedule of a new source given none: cron (UTC; H = from the source's name) or ISO 8601; off",
    )
    schedule_backoff_max_hours: float = Field(
        168.0, gt=0, description="longest a failing source's next run is put off past its schedule (backoff cap)"
    )
    schedule_flag_after: int = Field(3, ge=1, description="failed runs in a row after which a source is flagged")
    worker_poll_seconds: float = Field(30.0, gt=0, description="how often `nutmeg worker` looks for due work")

    # link checks (catalog_api/linkcheck): every downloadURL and accessURL, politely
    link_checks: bool = Field(
        True, description="the worker checks links every link_check_schedule (`nutmeg check links` runs regardless)"
    )
    link_check_schedule: str = Field(
        "PT1H",
        description="how often the worker looks for links due a check (ISO 8601 duration)",
    )
    link_check_interval: str = Field("P3D", description="a link is checked again once this long has passed (ISO 8601)")
    link_check_timeout: float = Field(10.0, gt=0, description="seconds to wait for a link's connection or a read")
    link_check_max_seconds: float = Field(30.0, gt=0, description="seconds one link's check may take in all")
    link_check_max_redirects: int = Field(10, ge=0, description="redirects followed per link (each one recorded)")
    link_check_workers: int = Field(8, ge=1, description="links checked at once (threads), across hosts")
    link_check_host_concurrency: int = Field(2, ge=1, description="links of one host checked at once")
    link_check_host_delay: float = Field(1.0, ge=0, description="seconds between two checks of one host")
    link_check_max_crawl_delay: float = Field(
        60.0, ge=0, description="the longest robots.txt Crawl-delay obeyed (seconds); longer ones are cut to it"
    )
    link_check_history: int = Field(20, ge=1, description="checks kept per link (older ones are dropped)")
    link_check_batch: int = Field(200, ge=1, description="link results written per store transaction")

    # API
    max_per_page: int = Field(100, ge=1, description="largest page size of the search API")
    max_result_window: int = Field(10_000, ge=1, description="deepest page*per_page; use the cursor past it")
    catalog_organization: str = Field(
        "catalog", description="slug of the organization whose admins are the catalog's CDO (admin everywhere)"
    )
    write_rate_limit: int = Field(120, ge=1, description="writes per minute allowed per API key and per client")
    signin_rate_limit: int = Field(10, ge=1, description="web sign-in attempts per minute allowed per client")
    session_hours: float = Field(12.0, gt=0, description="hours a web sign-in lasts")
    demo_root: str | None = Field(None, description="folder of demo catalogs served as file:// (demo only)")
    search_cache_entries: int = Field(
        1024, ge=0, description="search answers kept in memory until the index changes (0 = none)"
    )
    max_body_bytes: int = Field(1 << 20, ge=1, description="largest request body any endpoint accepts (413 past it)")
    secret_key: SecretStr | None = Field(
        None, description="key that signs API cursors; unset: one is generated and kept in secret_key_file"
    )
    secret_key_file: str | None = Field(
        None, description="where a generated secret key is kept (default: beside an SQLite store, else ./)"
    )

    # usage counting (catalog_api/usage.py, docs/usage.md): aggregates per dataset and day, nothing per visitor
    usage_counting: bool = Field(True, description="count dataset page views, API requests and download clicks")
    usage_flush_seconds: float = Field(
        30.0, gt=0, le=3600, description="how often each server process stores its buffered usage counts"
    )

    # published outputs (DCAT catalog pages, sitemaps)
    catalog_page_size: int = Field(1000, ge=1, le=10_000, description="datasets per /catalog.{ttl,rdf,jsonld,nt} page")
    sitemap_size: int = Field(
        50_000, ge=1, le=50_000, description="dataset URLs per sitemap file (protocol max 50,000)"
    )

    # data previews (catalog_api/previews.py): CSV/TSV/XLSX/JSON/GeoJSON distributions profiled with frictionless
    preview_max_bytes: int = Field(
        10 << 20,
        ge=1024,
        description="largest part of a data file read for its preview; CSV/TSV past it is cut (bytes)",
    )
    preview_max_unpacked_bytes: int = Field(
        100 << 20, ge=1024, description="largest size an XLSX workbook may unpack to (zip-bomb guard; bytes)"
    )
    preview_max_seconds: float = Field(60.0, gt=0, description="seconds one file's download and profile may take")
    preview_rows: int = Field(20, ge=1, le=1000, description="first rows of each data file kept and shown")
    preview_workers: int = Field(2, ge=1, le=32, description="data files fetched and profiled at once")
    preview_allow_private: bool = Field(
        False, description="preview files on loopback/private addresses (their rows become public; off by default)"
    )

    # the open-data census (issue 14; catalog_api/census.py)
    census_checklist: str | None = Field(
        None, description="TOML file of the census's critical datasets; unset: the bundled catalog_api/census.toml"
    )

    # duplicates across sources (index/duplicates.py, docs/duplicates.md)
    duplicate_title_similarity: float = Field(
        95.0, ge=50, le=100, description="rapidfuzz ratio (0-100) at which two same-publisher titles are one dataset"
    )
    duplicate_precedence: list[PrecedenceSetting] = Field(
        default_factory=list,
        description='per pair of sources, whose fields win: JSON [{"winner": A, "loser": B, "fields": [...]}]',
    )

    @field_validator("duplicate_precedence")
    @classmethod
    def _precedence_fields(cls, value: list[PrecedenceSetting]) -> list[PrecedenceSetting]:
        if not value:
            return value  # nothing to check: the CLI's light commands start without the dataset model
        from mappings.model import Dataset

        known = {f.alias or name for name, f in Dataset.model_fields.items()}
        for rule in value:
            unknown = sorted(set(rule.fields) - known)
            if unknown:
                raise ValueError(f"unknown dataset field(s) {unknown} in the rule for {rule.winner}/{rule.loser}")
        return value

    def duplicate_policy(self) -> DuplicatePolicy:
        from index.duplicates import Policy, PrecedenceRule

        rules = tuple(PrecedenceRule(r.winner, r.loser, tuple(r.fields)) for r in self.duplicate_precedence)
        return Policy(self.duplicate_title_similarity, rules)

    @field_validator(
        "default_bureau_code", "default_program_code", "harvest_allowed_networks", "trusted_proxies", mode="before"
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("harvest_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not a CIDR network: {exc}") from exc
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: list[str]) -> list[str]:
        for item in value:
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError as exc:
                    raise ValueError(f"{item!r} is not an IP address, a CIDR network or *: {exc}") from exc
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters: python -c 'import secrets; print(secrets.token_hex())'")
        return value

    @field_validator("link_check_schedule", "link_check_interval")
    @classmethod
    def _link_durations(cls, value: str) -> str:
        from catalog_api.schedule import parse_interval

        parse_interval(value)  # a ValueError names the value and the form wanted
        return value

    @field_validator("job_stale_seconds")
    @classmethod
    def _stale_after_beats(cls, value: float, info: ValidationInfo) -> float:
        beat = info.data.get("job_heartbeat_seconds")
        if beat is not None and value < 3 * beat:
            raise ValueError(f"must be at least 3 heartbeats (NUTMEG_JOB_HEARTBEAT_SECONDS={beat:g}), or live jobs die")
        return value

    @field_validator("schedule_default")
    @classmethod
    def _schedule(cls, value: str) -> str:
        from catalog_api.schedule import OFF_WORDS, parse

        if value == cls.model_fields["schedule_default"].default or value.strip().lower() in OFF_WORDS:
            return value  # the default is known good: no croniter import at every CLI start
        parse(value, "example")  # ScheduleError is a ValueError: named with the key like any other
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError(f"{value!r}: use sqlite:///path.db or postgresql+psycopg://user@host/db")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must start with http:// or https://")
        return value.rstrip("/")

    # derived values ---------------------------------------------------------------------------------

    @property
    def base_url_fixed(self) -> bool:
        """Whether ``base_url`` was configured; if not, links use the address each request was sent to."""
        return "base_url" in self.model_fields_set

    @property
    def resolved_index_path(self) -> str:
        """Where the embedded index lives."""
        if self.index_path:
            return self.index_path
        if self.database_url in ("sqlite://", "sqlite:///:memory:"):
            return ":memory:"
        if self.database_url.startswith("sqlite:///"):
            database = Path(self.database_url.removeprefix("sqlite:///"))
            return str(database.with_name(database.stem + "-index.db"))
        return "nutmeg-index.db"

    @property
    def resolved_secret_key_file(self) -> str | None:
        """Where a generated secret key is kept; None for an in-memory store (the key lives as long as it)."""
        if self.secret_key_file:
            return self.secret_key_file
        if self.database_url in ("sqlite://", "sqlite:///:memory:"):
            return None
        if self.database_url.startswith("sqlite:///"):
            database = Path(self.database_url.removeprefix("sqlite:///"))
            return str(database.with_name(database.stem + "-secret.key"))
        return "nutmeg-secret.key"

    @property
    def profile(self) -> Profile:
        from mappings.validation import Profile

        return Profile.FEDERAL if self.federal else Profile.NON_FEDERAL

    def http_policy(self, *, allow_private: bool = False) -> HttpPolicy:
        from harvesters.http import HttpPolicy

        networks: tuple[IPNetwork, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in self.harvest_allowed_networks
        )
        return HttpPolicy(
            timeout=self.harvest_timeout,
            max_seconds=self.harvest_max_seconds,
            max_bytes=self.harvest_max_bytes,
            max_parse_bytes=self.harvest_max_parse_bytes,
            max_requests=self.harvest_max_pages,
            max_redirects=self.harvest_max_redirects,
            retries=self.harvest_retries,
            backoff=self.harvest_backoff,
            allow_private=self.harvest_allow_private or allow_private,
            allowed_networks=networks,
            host_concurrency=self.harvest_host_concurrency,
            host_delay=self.harvest_host_delay,
            user_agent=self.harvest_user_agent,
            file_root=Path(self.demo_root) if self.demo_root else None,
        )

    def link_policy(self) -> LinkPolicy:
        from harvesters.linkcheck import LinkPolicy

        harvest = self.http_policy()
        return LinkPolicy(
            timeout=self.link_check_timeout,
            max_seconds=self.link_check_max_seconds,
            max_redirects=self.link_check_max_redirects,
            workers=self.link_check_workers,
            host_concurrency=self.link_check_host_concurrency,
            host_delay=self.link_check_host_delay,
            max_crawl_delay=self.link_check_max_crawl_delay,
            allow_private=harvest.allow_private,
            allowed_networks=harvest.allowed_networks,
            user_agent=self.harvest_user_agent,
        )

    def catalog_defaults(self) -> CatalogDefaults:
        from mappings.datajson import CatalogDefaults

        return CatalogDefaults(
            publisher=self.default_publisher,
            contact_name=self.default_contact_name,
            contact_email=self.default_contact_email,
            access_level=self.default_access_level,
            bureau_code=tuple(self.default_bureau_code),
            program_code=tuple(self.default_program_code),
        )
