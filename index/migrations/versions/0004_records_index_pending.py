"""An index for "what does the search index still lack?", asked at the end of every harvest job.

Writing a record now clears its ``indexed_hash`` (indexing sets it), so records waiting for the index
are ``withdrawn = false AND indexed_hash IS NULL`` and records waiting to leave it are ``withdrawn =
true AND indexed_hash IS NOT NULL``: both one seek on (withdrawn, indexed_hash) instead of a scan of
every record (half a second at 100,000, paid even by a 304).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    records = sa.table(
        "records",
        sa.column("indexed_hash", sa.String),
        sa.column("content_hash", sa.String),
        sa.column("withdrawn", sa.Boolean),
    )
    # live records indexed at an older version are pending in the new scheme too
    op.execute(
        records.update()
        .where(records.c.withdrawn.is_(False), records.c.indexed_hash != records.c.content_hash)
        .values(indexed_hash=None)
    )
    op.create_index("ix_records_withdrawn_indexed", "records", ["withdrawn", "indexed_hash"])


def downgrade() -> None:
    op.drop_index("ix_records_withdrawn_indexed", table_name="records")
