"""Schedules the worker plans and several workers share: each source's next run, its failures in a row
and the lease of the worker that claimed it; at most one running job per source; the worker's other
periodic tasks.

``uq_harvest_jobs_running`` is a partial unique index (SQLite and PostgreSQL both have them): a second
job of a source cannot be opened while one runs, whichever process or machine tries. Sources that held
more than one running job before it (a race the index now rules out) keep the newest; the others are
ended as failed.

Revision ID: 0007
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from index.tables import UTCDateTime

revision = "0007"
down_revision = "0008"
branch_labels = None
depends_on = None

RUNNING = "status = 'running'"


def upgrade() -> None:
    op.add_column("sources", sa.Column("next_run_at", UTCDateTime))
    op.add_column("sources", sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"))
    op.add_column("sources", sa.Column("lease_owner", sa.String(200)))
    op.add_column("sources", sa.Column("lease_until", UTCDateTime))
    _end_duplicate_running_jobs()
    op.create_index(
        "uq_harvest_jobs_running",
        "harvest_jobs",
        ["source_id"],
        unique=True,
        sqlite_where=sa.text(RUNNING),
        postgresql_where=sa.text(RUNNING),
    )
    op.create_table(
        "worker_tasks",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("next_run_at", UTCDateTime),
        sa.Column("lease_owner", sa.String(200)),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("last_started_at", UTCDateTime),
        sa.Column("last_finished_at", UTCDateTime),
        sa.Column("last_message", sa.Text),
    )


def _end_duplicate_running_jobs() -> None:
    jobs = sa.table(
        "harvest_jobs",
        sa.column("id", sa.Integer),
        sa.column("source_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("message", sa.Text),
        sa.column("finished_at", UTCDateTime),
    )
    connection = op.get_bind()
    newest = (
        sa.select(sa.func.max(jobs.c.id)).where(jobs.c.status == "running").group_by(jobs.c.source_id).scalar_subquery()
    )
    connection.execute(
        jobs.update()
        .where(jobs.c.status == "running", jobs.c.id.not_in(newest))
        .values(
            status="failed",
            message="ended by the 0007 migration: another job of the source was running; nothing was withdrawn",
            finished_at=datetime.now(UTC),
        )
    )


def downgrade() -> None:
    op.drop_table("worker_tasks")
    op.drop_index("uq_harvest_jobs_running", "harvest_jobs")
    with op.batch_alter_table("sources") as batch:
        for name in ("lease_until", "lease_owner", "consecutive_failures", "next_run_at"):
            batch.drop_column(name)
