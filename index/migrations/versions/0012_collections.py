"""Collections: curated subject collections with owner organizations, a saved-search rule and
datasets included or excluded by hand.

Revision ID: 0012
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.tables import UTCDateTime

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(100), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("rule", sa.JSON, nullable=False),
        sa.Column("featured", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "collection_owners",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "organization_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    op.create_table(
        "collection_picks",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("record_id", sa.String(32), primary_key=True),
        sa.Column("included", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("collection_picks")
    op.drop_table("collection_owners")
    op.drop_table("collections")
