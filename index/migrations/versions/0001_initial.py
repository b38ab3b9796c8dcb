"""The initial store: sources, harvest jobs, records and per-record errors.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("description", sa.Text()),
        sa.Column("publisher", sa.Text()),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("federal", sa.Boolean(), nullable=False),
        sa.Column("allow_private", sa.Boolean(), nullable=False),
        sa.Column("schedule", sa.String(40)),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("bookmark", sa.Text()),
        sa.Column("last_success_at", UTCDateTime()),
        sa.Column("last_full_harvest_at", UTCDateTime()),
        sa.Column("last_job_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("name", name="uq_sources_name"),
    )
    op.create_table(
        "harvest_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text()),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_harvest_jobs"),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_harvest_jobs_source_id_sources", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_harvest_jobs_source_started", "harvest_jobs", ["source_id", "started_at"])
    op.create_table(
        "records",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("original_identifier", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_record", sa.LargeBinary(), nullable=False),
        sa.Column("dataset", sa.JSON(), nullable=False),
        sa.Column("datajson", sa.LargeBinary(), nullable=False),
        sa.Column("export_problems", sa.JSON(), nullable=False),
        sa.Column("issues", sa.JSON(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("modified_at", UTCDateTime()),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_changed", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime()),
        sa.Column("indexed_hash", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name="fk_records_source_id_sources", ondelete="CASCADE"),
        sa.UniqueConstraint("source_id", "original_identifier", name="uq_records_source_identifier"),
    )
    op.create_index("ix_records_source_withdrawn", "records", ["source_id", "withdrawn"])
    op.create_index("ix_records_withdrawn_id", "records", ["withdrawn", "id"])
    op.create_table(
        "record_errors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(32)),
        sa.Column("original_identifier", sa.Text()),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_record_errors"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["harvest_jobs.id"], name="fk_record_errors_job_id_harvest_jobs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_record_errors_source_id_sources", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_record_errors_job", "record_errors", ["job_id"])
    op.create_index("ix_record_errors_record", "record_errors", ["record_id"])


def downgrade() -> None:
    op.drop_table("record_errors")
    op.drop_table("records")
    op.drop_table("harvest_jobs")
    op.drop_table("sources")
