"""An index for "what was added when": records by (withdrawn, first_seen, id).

The dashboard counts live records first seen per day and lists the newest ones; without this index both
read every row of ``records`` (hundreds of milliseconds at 20,000 datasets, the rows being wide).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_records_withdrawn_first_seen", "records", ["withdrawn", "first_seen", "id"])


def downgrade() -> None:
    op.drop_index("ix_records_withdrawn_first_seen", table_name="records")
