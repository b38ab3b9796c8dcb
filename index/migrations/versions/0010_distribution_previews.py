"""Data previews: each previewable distribution's profile (columns, types, row count, encoding, errors) and
first rows, with the validators that let a later check skip an unchanged file.

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.tables import UTCDateTime

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "distribution_previews",
        sa.Column("record_id", sa.String(32), sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("message", sa.Text),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("sha256", sa.String(64)),
        sa.Column("bytes", sa.Integer),
        sa.Column("truncated", sa.Boolean, nullable=False),
        sa.Column("encoding", sa.String(40)),
        sa.Column("row_count", sa.Integer),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("rows", sa.JSON, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("error_count", sa.Integer, nullable=False),
        sa.Column("fetched_at", UTCDateTime),
        sa.Column("checked_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("distribution_previews")
