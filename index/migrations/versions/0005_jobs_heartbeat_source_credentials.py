"""Jobs say who runs them and when they last showed life; sources keep their credentials apart; records
say where in their source they were read.

``harvest_jobs.owner`` (node and process id) and ``heartbeat_at`` (updated while the job runs) let the
next harvest or worker start tell a job whose process is gone from a live one, instead of keeping its
source locked for hours. ``sources.credentials`` holds the headers and basic auth a source needs, out
of its URL, so the URL can be shown anywhere. ``records.locator`` is the WAF file a record was read from,
so a file that cannot be read this time keeps its earlier record (filled in from the landing page, which
is that file for WAF records).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

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
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("locator", sa.Text))
    _move_credentials_out_of_urls()
    _locate_waf_records()


def _locate_waf_records() -> None:
    """A WAF record was read from the file its landing page names."""
    sources = sa.table("sources", sa.column("id", sa.Integer), sa.column("kind", sa.String))
    records = sa.table(
        "records", sa.column("id", sa.String), sa.column("source_id", sa.Integer), sa.column("dataset", sa.JSON)
    )
    located = sa.table("records", sa.column("id", sa.String), sa.column("locator", sa.Text))
    connection = op.get_bind()
    waf = sa.select(sources.c.id).where(sources.c.kind == "iso")
    query = sa.select(records.c.id, records.c.dataset).where(records.c.source_id.in_(waf))
    for id_, dataset in connection.execute(query).all():
        value = json.loads(dataset) if isinstance(dataset, str) else dataset
        page = (value or {}).get("landingPage")
        if page:
            connection.execute(located.update().where(located.c.id == id_).values(locator=page))


def _move_credentials_out_of_urls() -> None:
    """Sources registered with ``user:password@`` or a Socrata ``$$app_token`` in their URL get them as
    credentials instead (basic auth; an ``X-App-Token`` header, which Socrata reads the same way)."""
    sources = sa.table(
        "sources", sa.column("id", sa.Integer), sa.column("url", sa.Text), sa.column("credentials", sa.JSON)
    )
    connection = op.get_bind()
    for id_, url in connection.execute(sa.select(sources.c.id, sources.c.url)).all():
        moved = _split(url)
        if moved is not None:
            connection.execute(sources.update().where(sources.c.id == id_).values(url=moved[0], credentials=moved[1]))


def _split(url: str) -> tuple[str, dict[str, Any]] | None:
    parts = urlsplit(url)
    auth = None
    netloc = parts.netloc
    if parts.username is not None:
        auth = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        netloc = netloc.rpartition("@")[2]
    headers: dict[str, str] = {}
    kept = []
    for pair in parts.query.split("&") if parts.query else []:
        name, _, value = pair.partition("=")
        if unquote(name).lower() in ("$$app_token", "app_token") and value:
            headers["X-App-Token"] = unquote(value)
        else:
            kept.append(pair)
    if auth is None and not headers:
        return None
    return parts._replace(netloc=netloc, query="&".join(kept)).geturl(), {"headers": headers, "auth": auth}


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("locator")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("credentials")
    with op.batch_alter_table("harvest_jobs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("owner")
