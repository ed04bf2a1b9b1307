"""Each audit entry keeps its payload.

Revision ID: 0009_audit_payload
Revises: 0008_technical_documents
Create Date: 2026-12-07

An entry's payload (a re-grade's old and new values, the parts recorded...) is kept as the
canonical JSON text its digest was computed from, so the trail tells what changed and a kept
payload is checked against its sealed digest. Text, not JSON: the exact characters digested
are kept. Entries written before have none (``NULL``); adding a column fires no trigger: the
append-only trail is not rewritten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicecore.adapters.sqlalchemy.naming import current_naming

revision = "0009_audit_payload"
down_revision = "0008_technical_documents"
branch_labels = None
depends_on = None

_TEXT = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")


def upgrade() -> None:
    """Add ``payload`` (``NULL`` for every entry already there)."""
    n = current_naming()
    op.add_column(
        n.name("audit_entries"), sa.Column("payload", _TEXT, nullable=True), schema=n.schema
    )


def downgrade() -> None:
    """Drop ``payload`` (the entries' digests stay; the payloads behind them are lost)."""
    n = current_naming()
    # Not a batch (a copied table): SQLite would drop the append-only triggers with the original.
    op.drop_column(n.name("audit_entries"), "payload", schema=n.schema)
