"""The outbox keeps failed deliveries: attempts, when an event is due again, and parked events.

Revision ID: 0006_outbox_dead_letter
Revises: 0005_audit_scheme
Create Date: 2026-12-07

One undeliverable event held back every later event of its tenant. Now a failed delivery is
counted (``attempts``, ``last_error``), the event waits until ``retry_at`` while later events
pass, and after the retry policy's last attempt it is parked (``parked_at``) until retried by
hand. Events already in the outbox start with no failures.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from servicecore.adapters.sqlalchemy.naming import current_naming
from servicecore.adapters.sqlalchemy.types import TEXT, UTCDateTime

revision = "0006_outbox_dead_letter"
down_revision = "0005_audit_scheme"
branch_labels = None
depends_on = None

_COLUMNS = ("attempts", "retry_at", "parked_at", "last_error")


def upgrade() -> None:
    """Add the delivery failure columns (no failures for the events already there)."""
    n = current_naming()
    table = n.name("outbox")
    op.add_column(
        table,
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        schema=n.schema,
    )
    op.add_column(table, sa.Column("retry_at", UTCDateTime(), nullable=True), schema=n.schema)
    op.add_column(table, sa.Column("parked_at", UTCDateTime(), nullable=True), schema=n.schema)
    op.add_column(table, sa.Column("last_error", TEXT, nullable=True), schema=n.schema)


def downgrade() -> None:
    """Drop them (parked events become pending again)."""
    n = current_naming()
    for column in reversed(_COLUMNS):
        op.drop_column(n.name("outbox"), column, schema=n.schema)
