"""Metadata quality: the daily average quality score of the catalog, each publisher and each source.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_daily",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("scope", sa.String(300), primary_key=True),
        sa.Column("average", sa.Float, nullable=False),
        sa.Column("datasets", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("quality_daily")
