"""Technical documents: the table of the TechnicalDocument aggregate.

Revision ID: 0008_technical_documents
Revises: 0007_supplier_claims
Create Date: 2026-12-07

Manuals, drawings and procedures attached to products and units (seed 001) are an aggregate of
their own, stored like every other: tenant, id, version, the indexed fields (kind, product
code, archive, time added) and the JSON document.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicecore.adapters.sqlalchemy.naming import current_naming
from servicecore.adapters.sqlalchemy.types import UTCDateTime

revision = "0008_technical_documents"
down_revision = "0007_supplier_claims"
branch_labels = None
depends_on = None

_TEXT = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_FIELDS = (
    ("kind", _TEXT),
    ("product_code", _TEXT),
    ("archive_id", _TEXT),
    ("added_at", UTCDateTime()),
)


def upgrade() -> None:
    """Create the documents table and its indexes."""
    n = current_naming()
    table = n.name("documents")
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
    """Drop the documents table (and with it every document)."""
    n = current_naming()
    op.drop_table(n.name("documents"), schema=n.schema)
