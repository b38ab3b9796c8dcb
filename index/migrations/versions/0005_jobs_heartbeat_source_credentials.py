"""Jobs say who runs them and when they last showed life; sources keep their credentials apart.

``harvest_jobs.owner`` (node and process id) and ``heartbeat_at`` (updated while the job runs) let the
next harvest or worker start tell a job whose process is gone from a live one, instead of keeping its
source locked for hours. ``sources.credentials`` holds the headers and basic auth a source needs, out
of its URL, so the URL can be shown anywhere.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("harvest_jobs") as batch:
        batch.add_column(sa.Column("owner", sa.String(200)))
        batch.add_column(sa.Column("heartbeat_at", UTCDateTime))
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("credentials", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("credentials")
    with op.batch_alter_table("harvest_jobs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("owner")
