"""Duplicates across sources: blocking keys of every record, members of merged datasets, admins' splits.

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.tables import UTCDateTime

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duplicate_keys",
        sa.Column("record_id", sa.String(32), sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("source_id", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_duplicate_keys_key", "duplicate_keys", ["key"])
    op.create_table(
        "duplicate_members",
        sa.Column("record_id", sa.String(32), sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("dataset_id", sa.String(32), nullable=False),
        sa.Column("source_id", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("merged", sa.JSON),
        sa.Column("winners", sa.JSON),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_duplicate_members_dataset", "duplicate_members", ["dataset_id"])
    op.create_table(
        "duplicate_splits",
        sa.Column("record_a", sa.String(32), primary_key=True),
        sa.Column("record_b", sa.String(32), primary_key=True),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_duplicate_splits_b", "duplicate_splits", ["record_b"])


def downgrade() -> None:
    op.drop_table("duplicate_splits")
    op.drop_table("duplicate_members")
    op.drop_table("duplicate_keys")
