"""The store's schema (SQLAlchemy Core). Alembic migrations in ``index/migrations`` create it.

Portable SQL only (SQLite and PostgreSQL): JSON columns, UTC timestamps, no dialect-specific types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

organizations = Table(
    "organizations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(100), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("parent_id", Integer, ForeignKey("organizations.id", ondelete="SET NULL")),
    Column("mode", String(20), nullable=False, default="direct"),
    Column("publisher_names", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("url", Text, nullable=False),
    Column("title", Text),
    Column("description", Text),
    Column("publisher", Text),
    Column("options", JSON, nullable=False),
    Column("federal", Boolean, nullable=False, default=False),
    Column("allow_private", Boolean, nullable=False, default=False),
    Column("schedule", String(40)),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("bookmark", Text),
    Column("last_success_at", UTCDateTime),
    Column("last_full_harvest_at", UTCDateTime),
    Column("last_job_at", UTCDateTime),
    Column("credentials", JSON),  # headers / basic auth sent to the source's own host; never shown
    Column("organization_id", Integer),  # organizations.id, checked by the store (no table rebuild on SQLite)
    # -- the worker's plan (issue 13; index/schedules.py) --
    Column("next_run_at", UTCDateTime),  # when the worker harvests it next (planned as each job ends)
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),  # failed runs in a row
    Column("lease_owner", String(200)),  # the worker that claimed its due run (node/pid)
    Column("lease_until", UTCDateTime),  # … until then; another worker may claim it after
)

harvest_jobs = Table(
    "harvest_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("status", String(20), nullable=False),
    Column("listed", Integer, nullable=False, default=0),
    Column("new", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("withdrawn", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("message", Text),
    Column("stats", JSON, nullable=False),
    Column("owner", String(200)),  # node/pid of the process running it
    Column("heartbeat_at", UTCDateTime),  # last sign of life while running
    Index("ix_harvest_jobs_source_started", "source_id", "started_at"),
    # one running job per source, whoever starts it (workers on other machines, `nutmeg harvest`, the API)
    Index(
        "uq_harvest_jobs_running",
        "source_id",
        unique=True,
        sqlite_where=text("status = 'running'"),
        postgresql_where=text("status = 'running'"),
    ),
)

records = Table(
    "records",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("original_identifier", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("source_record", LargeBinary, nullable=False),
    Column("dataset", JSON, nullable=False),
    Column("datajson", LargeBinary, nullable=False),
    Column("export_problems", JSON, nullable=False),
    Column("issues", JSON, nullable=False),
    Column("title", Text, nullable=False),
    Column("modified_at", UTCDateTime),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_changed", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("withdrawn", Boolean, nullable=False, default=False),
    Column("withdrawn_at", UTCDateTime),
    Column("indexed_hash", String(64)),
    Column("locator", Text),  # where in the source the record was read (a WAF's file), to keep it if that fails
    Column("organization_id", Integer),  # organizations.id: the owner (the source's or the matched publisher's)
    Column("overrides", JSON),  # field -> {value, by, at}: a publisher's local edits of a harvested record
    UniqueConstraint("source_id", "original_identifier", name="uq_records_source_identifier"),
    Index("ix_records_source_withdrawn", "source_id", "withdrawn"),
    Index("ix_records_withdrawn_id", "withdrawn", "id"),
    Index("ix_records_withdrawn_first_seen", "withdrawn", "first_seen", "id"),
    Index("ix_records_withdrawn_id_changed", "withdrawn", "id", "last_changed"),
    Index("ix_records_withdrawn_indexed", "withdrawn", "indexed_hash"),
)

record_errors = Table(
    "record_errors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", Integer, ForeignKey("harvest_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("record_id", String(32)),
    Column("original_identifier", Text),
    Column("path", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("severity", String(10), nullable=False),
    Column("code", String(40), nullable=False),
    Index("ix_record_errors_job", "job_id"),
    Index("ix_record_errors_record", "record_id"),
)

# -- data previews (index/previews.py) ----------------------------------------------------------------
# One row per previewable distribution (position ``n`` in the record's distribution list): the profile
# frictionless made of the file, its first rows, and what is needed to fetch it again only when it changed.
distribution_previews = Table(
    "distribution_previews",
    metadata,
    Column("record_id", String(32), ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("url", Text, nullable=False),
    Column("kind", String(10), nullable=False),  # csv, tsv, xlsx, json, geojson (what the content turned out to be)
    Column("status", String(10), nullable=False),  # ok | failed (could not be fetched or read; see message)
    Column("message", Text),  # why it failed, or why the last check could not refresh a good preview
    Column("etag", Text),
    Column("last_modified", Text),
    Column("sha256", String(64)),
    Column("bytes", Integer),
    Column("truncated", Boolean, nullable=False, default=False),
    Column("encoding", String(40)),
    Column("row_count", Integer),
    Column("columns", JSON, nullable=False),  # [{"name", "type"}]
    Column("rows", JSON, nullable=False),  # the first rows, each a list aligned with columns
    Column("errors", JSON, nullable=False),  # the first problems: [{"type", "message", "row", "field"}]
    Column("error_count", Integer, nullable=False, default=0),
    Column("fetched_at", UTCDateTime),  # when the body was last downloaded
    Column("checked_at", UTCDateTime, nullable=False),  # when it was last looked at
)


api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organization_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(20), nullable=False),
    Column("name", Text),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organization_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("record_id", String(32)),
    Column("action", String(10), nullable=False),
    Column("dataset", JSON),
    Column("status", String(10), nullable=False),
    Column("comment", Text),
    Column("created_by", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_by", Integer),
    Column("decided_at", UTCDateTime),
    Index("ix_drafts_organization_status", "organization_id", "status"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("key_id", Integer),
    Column("organization_id", Integer),
    Column("actor", Text, nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", Text, nullable=False),
    Column("record_id", String(32)),
    Column("changes", JSON, nullable=False),
    Index("ix_audit_log_record", "record_id", "id"),
    Index("ix_audit_log_organization", "organization_id", "id"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("key_id", Integer, ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# -- link checks (index/linkchecks.py) ----------------------------------------------------------------
# One row per distinct downloadURL/accessURL, its latest state and validators; which records use it; a
# bounded history of checks per URL; and the checker's runs.

link_targets = Table(
    "link_targets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url_hash", String(64), nullable=False, unique=True),  # sha256 of url: URLs are too long to index
    Column("url", Text, nullable=False),
    Column("host", String(255), nullable=False),
    Column("allow_private", Boolean, nullable=False, default=False),  # a source using it may reach private hosts
    Column("status", String(12), nullable=False, default="unchecked"),
    Column("http_status", Integer),
    Column("checked_at", UTCDateTime),
    Column("final_url", Text),
    Column("message", Text),
    Column("etag", Text),
    Column("last_modified", Text),
    Index("ix_link_targets_checked_at", "checked_at"),
)

link_uses = Table(
    "link_uses",
    metadata,
    Column("record_id", String(32), primary_key=True),
    Column("position", Integer, primary_key=True),  # the distribution's place in the dataset, from 0
    Column("field", String(12), primary_key=True),  # downloadURL or accessURL
    Column("target_id", Integer, ForeignKey("link_targets.id", ondelete="CASCADE"), nullable=False),
    Index("ix_link_uses_target", "target_id"),
)

link_records = Table(  # the content hash of each record whose links are in link_uses (what a sync compares)
    "link_records",
    metadata,
    Column("record_id", String(32), primary_key=True),
    Column("content_hash", String(64), nullable=False),
)

link_checks = Table(
    "link_checks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("target_id", Integer, ForeignKey("link_targets.id", ondelete="CASCADE"), nullable=False),
    Column("checked_at", UTCDateTime, nullable=False),
    Column("status", String(12), nullable=False),
    Column("http_status", Integer),
    Column("method", String(8)),
    Column("final_url", Text),
    Column("redirects", JSON, nullable=False),  # [{"status", "url"}] hop by hop
    Column("not_modified", Boolean, nullable=False, default=False),
    Column("message", Text),
    Column("elapsed_ms", Integer),
    Index("ix_link_checks_target", "target_id", "id"),
)

link_check_runs = Table(
    "link_check_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("scope", Text),  # a source's name, or null for every link
    Column("status", String(20), nullable=False),
    Column("counts", JSON, nullable=False),
    Column("heartbeat_at", UTCDateTime),  # a running pass's last sign of life (each batch written)
    Column("running", Boolean, unique=True),  # true while under way, else null: one pass at a time, everywhere
)

# -- duplicates across sources (index/duplicates.py; migration 0011) ------------------------------------

duplicate_keys = Table(
    "duplicate_keys",
    metadata,
    Column("record_id", String(32), ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),  # i:identifier, u:url, t:publisher|title tokens (blocking)
    Column("source_id", Integer, nullable=False),
    Column("detail", Text),  # t: keys: the normalized title the fuzzy comparison reads
    Index("ix_duplicate_keys_key", "key"),
)

duplicate_members = Table(
    "duplicate_members",
    metadata,
    Column("record_id", String(32), ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("dataset_id", String(32), nullable=False),  # the merged dataset's id: its winning record's id
    Column("source_id", Integer, nullable=False),
    Column("reason", String(20), nullable=False),  # identifier, url or title: the strongest link that holds it
    Column("merged", JSON),  # on the winner's row: the merged dataset (DCAT-US JSON), fields by precedence
    Column("winners", JSON),  # on the winner's row: field -> id of the record that supplied it
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_duplicate_members_dataset", "dataset_id"),
)

duplicate_splits = Table(
    "duplicate_splits",
    metadata,
    Column("record_a", String(32), primary_key=True),  # the smaller id of the pair (no foreign key: a split
    Column("record_b", String(32), primary_key=True),  # outlives its source's removal and re-adding)
    Column("by", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_duplicate_splits_b", "record_b"),
)

# the worker's periodic tasks other than harvests (link checks, previews, …): one row each, claimed by one
# worker at a time like a source's run (index/schedules.py)
worker_tasks = Table(
    "worker_tasks",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("next_run_at", UTCDateTime),
    Column("lease_owner", String(200)),
    Column("lease_until", UTCDateTime),
    Column("last_started_at", UTCDateTime),
    Column("last_finished_at", UTCDateTime),
    Column("last_message", Text),
)

# -- collections (index/collections.py) ------------------------------------------------------------
# A curated subject collection: members by rule (a saved search, evaluated against the live index
# whenever asked, so it follows every harvest) and by hand (ids included or excluded).

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(100), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("rule", JSON, nullable=False),  # {"q": str | null, "filters": {facet: [values]}}
    Column("featured", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

collection_owners = Table(
    "collection_owners",
    metadata,
    Column("collection_id", Integer, ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)

collection_picks = Table(
    "collection_picks",
    metadata,
    Column("collection_id", Integer, ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    Column("record_id", String(32), primary_key=True),
    Column("included", Boolean, nullable=False),  # False: excluded even when the rule matches
)

# -- metadata quality (issue 13; index/quality.py) ----------------------------------------------------
quality_daily = Table(
    "quality_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("scope", String(300), primary_key=True),  # catalog, publisher:<title> or source:<name>
    Column("average", Float, nullable=False),
    Column("datasets", Integer, nullable=False),
)

# -- usage and core datasets (migration 0013) -------------------------------------------------------
# Usage is counted per dataset, per UTC day and per kind ("view", "api", "download"): no address, user
# agent, cookie or time of day is ever kept (index/usage.py). Plain columns without foreign keys: a
# withdrawn or removed dataset keeps its history, and counting never waits on the records table.
usage_daily = Table(
    "usage_daily",
    metadata,
    Column("dataset_id", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("kind", String(10), primary_key=True),
    Column("count", Integer, nullable=False),
    Index("ix_usage_daily_day", "day"),
)

core_datasets = Table(
    "core_datasets",
    metadata,
    Column("dataset_id", String(32), primary_key=True),
    Column("note", Text),
    Column("marked_by", Text, nullable=False),
    Column("marked_at", UTCDateTime, nullable=False),
)

core_users = Table(
    "core_users",
    metadata,
    Column("dataset_id", String(32), ForeignKey("core_datasets.dataset_id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_core_users_organization", "organization_id"),
)

# -- unchanged bodies (issue 16; index/baselines.py) ---------------------------------------------------
# The digest of the body of each source's last complete harvest, the job that read it and how many live
# records it left: a later full fetch of the same bytes ends as that job did, without reading them.
harvest_baselines = Table(
    "harvest_baselines",
    metadata,
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    Column("job_id", Integer, ForeignKey("harvest_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("live", Integer, nullable=False),  # the source's live records when the job ended
)
