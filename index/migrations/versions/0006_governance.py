"""Governance: organizations, API keys, drafts awaiting review and the append-only audit log.

Sources and records gain the organization they belong to; records gain the local overrides a
publisher made to a harvested record (kept across harvests).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(100), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="SET NULL")),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("publisher_names", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    # plain columns (no foreign key) so SQLite adds them in place instead of rebuilding the big tables
    op.add_column("sources", sa.Column("organization_id", sa.Integer))
    op.add_column("records", sa.Column("organization_id", sa.Integer))
    op.add_column("records", sa.Column("overrides", sa.JSON))
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("organization_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
        sa.Column("last_used_at", UTCDateTime),
    )
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("organization_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("record_id", sa.String(32)),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("dataset", sa.JSON),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("created_by", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("decided_by", sa.Integer),
        sa.Column("decided_at", UTCDateTime),
    )
    op.create_index("ix_drafts_organization_status", "drafts", ["organization_id", "status"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("key_id", sa.Integer),
        sa.Column("organization_id", sa.Integer),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("record_id", sa.String(32)),
        sa.Column("changes", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_log_record", "audit_log", ["record_id", "id"])
    op.create_index("ix_audit_log_organization", "audit_log", ["organization_id", "id"])
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.Integer, sa.ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("web_sessions")
    op.drop_table("audit_log")
    op.drop_table("drafts")
    op.drop_table("api_keys")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("overrides")
        batch.drop_column("organization_id")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("organization_id")
    op.drop_table("organizations")
