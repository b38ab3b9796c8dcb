"""Unchanged bodies: the digest of each source's last complete harvest's body (issue 16).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "harvest_baselines",
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("harvest_jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("live", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("harvest_baselines")
