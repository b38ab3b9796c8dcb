"""Usage counted per dataset, day and kind (no address, no user agent), and core datasets with the
organizations that rely on them.

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.tables import UTCDateTime

revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_daily",
        sa.Column("dataset_id", sa.String(32), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_index("ix_usage_daily_day", "usage_daily", ["day"])
    op.create_table(
        "core_datasets",
        sa.Column("dataset_id", sa.String(32), primary_key=True),
        sa.Column("note", sa.Text),
        sa.Column("marked_by", sa.Text, nullable=False),
        sa.Column("marked_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "core_users",
        sa.Column(
            "dataset_id",
            sa.String(32),
            sa.ForeignKey("core_datasets.dataset_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "organization_id",
            sa.Integer,
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("ix_core_users_organization", "core_users", ["organization_id"])


def downgrade() -> None:
    op.drop_table("core_users")
    op.drop_table("core_datasets")
    op.drop_table("usage_daily")
