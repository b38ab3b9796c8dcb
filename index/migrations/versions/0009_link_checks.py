"""Link checks: every distribution's downloadURL and accessURL, its state, validators, the records that
use it, a bounded history of checks, and the checker's runs.

Revision ID: 0009
Revises: 0011
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.tables import UTCDateTime

revision = "0009"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_targets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("allow_private", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("checked_at", UTCDateTime),
        sa.Column("final_url", sa.Text),
        sa.Column("message", sa.Text),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
    )
    op.create_index("ix_link_targets_checked_at", "link_targets", ["checked_at"])
    op.create_table(
        "link_uses",
        sa.Column("record_id", sa.String(32), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("field", sa.String(12), primary_key=True),
        sa.Column("target_id", sa.Integer, sa.ForeignKey("link_targets.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_link_uses_target", "link_uses", ["target_id"])
    op.create_table(
        "link_records",
        sa.Column("record_id", sa.String(32), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "link_checks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("target_id", sa.Integer, sa.ForeignKey("link_targets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("checked_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("method", sa.String(8)),
        sa.Column("final_url", sa.Text),
        sa.Column("redirects", sa.JSON, nullable=False),
        sa.Column("not_modified", sa.Boolean, nullable=False),
        sa.Column("message", sa.Text),
        sa.Column("elapsed_ms", sa.Integer),
    )
    op.create_index("ix_link_checks_target", "link_checks", ["target_id", "id"])
    op.create_table(
        "link_check_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("scope", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("heartbeat_at", UTCDateTime),
        sa.Column("running", sa.Boolean, unique=True),
    )


def downgrade() -> None:
    for table in ("link_check_runs", "link_checks", "link_records", "link_uses", "link_targets"):
        op.drop_table(table)
