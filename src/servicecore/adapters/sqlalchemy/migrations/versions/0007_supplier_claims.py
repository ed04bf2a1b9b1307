"""Supplier claims: the table of the SupplierClaim aggregate.

Revision ID: 0007_supplier_claims
Revises: 0006_outbox_dead_letter
Create Date: 2026-12-07

Returned parts claimed from suppliers under their warranty (seed 000) are an aggregate of their
own, stored like every other: tenant, id, version, the indexed fields (status, supplier,
creation time) and the JSON document.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicecore.adapters.sqlalchemy.naming import current_naming
from servicecore.adapters.sqlalchemy.types import UTCDateTime

revision = "0007_supplier_claims"
down_revision = "0006_outbox_dead_letter"
branch_labels = None
depends_on = None

_TEXT = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_FIELDS = (("status", _TEXT), ("supplier_id", _TEXT), ("created_at", UTCDateTime()))


def upgrade() -> None:
    """Create the claims table and its indexes."""
    n = current_naming()
    table = n.name("claims")
    op.create_table(
        table,
        sa.Column("tenant", _TEXT, nullable=False),
        sa.Column("id", _TEXT, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *(sa.Column(name, kind, nullable=True) for name, kind in _FIELDS),
        sa.Column("data", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id"),
        schema=n.schema,
    )
    for name, _kind in _FIELDS:
        op.create_index(f"ix_{table}_{name}", table, ["tenant", name, "id"], schema=n.schema)


def downgrade() -> None:
    """Drop the claims table (and with it every claim)."""
    n = current_naming()
    op.drop_table(n.name("claims"), schema=n.schema)
