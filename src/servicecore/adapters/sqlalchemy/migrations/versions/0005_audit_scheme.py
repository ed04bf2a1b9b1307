"""Each audit entry records the scheme that hashed it.

Revision ID: 0005_audit_scheme
Revises: 0004_audit_no_insert_over
Create Date: 2026-12-07

New entries are hashed with their tenant, and with the host's audit key when it has one
(:class:`~servicecore.model.audit.AuditScheme`); entries written before keep the plain hash
they were made with, so the column's default for them is the plain scheme (1). Adding a
column fires no trigger: the append-only trail is not rewritten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from servicecore.adapters.sqlalchemy.naming import current_naming

revision = "0005_audit_scheme"
down_revision = "0004_audit_no_insert_over"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``scheme`` (1, the plain hash, for every entry already there)."""
    n = current_naming()
    op.add_column(
        n.name("audit_entries"),
        sa.Column("scheme", sa.Integer(), nullable=False, server_default=sa.text("1")),
        schema=n.schema,
    )


def downgrade() -> None:
    """Drop ``scheme`` (entries hashed with the tenant or a key no longer verify then)."""
    n = current_naming()
    # Not a batch (a copied table): SQLite would drop the append-only triggers with the original.
    op.drop_column(n.name("audit_entries"), "scheme", schema=n.schema)
