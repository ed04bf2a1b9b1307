"""A live product archive is unique per tenant, product code and serial number.

Revision ID: 0003_live_archive_serial
Revises: 0002_request_holds
Create Date: 2026-12-07

Two units of work registering one serial at once could both commit: each found the serial free
before the other wrote. A partial unique index over the archives' ``tenant``, ``product_code``
and ``serial_number`` where ``status`` is live (draft or registered) makes the database refuse
the second; an invalidated archive holds nothing, so its serial can be taken again. Upgrading a
database that already holds two live archives of one serial stops, naming them: which one is
the real unit is for its owner to decide (invalidate the other), not for a migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from servicecore.adapters.sqlalchemy.naming import current_naming
from servicecore.errors import ValidationError

revision = "0003_live_archive_serial"
down_revision = "0002_request_holds"
branch_labels = None
depends_on = None

_LIVE = ("draft", "registered")
_KEY = ["tenant", "product_code", "serial_number"]


def _names() -> tuple[str, str, str | None]:
    n = current_naming()
    table = n.name("archives")
    return table, f"uq_{table}_live_serial", n.schema


def upgrade() -> None:
    """Create the partial unique index, after checking no serial is live twice.

    Raises:
        ValidationError: Two live archives hold one product code and serial number (named
            ``serial_number``, listing them).
    """
    table, index, schema = _names()
    archives = sa.table(
        table,
        sa.column("tenant"),
        sa.column("product_code"),
        sa.column("serial_number"),
        sa.column("status"),
        schema=schema,
    )
    keys = [archives.c[name] for name in _KEY]
    twins = op.get_bind().execute(
        sa.select(*keys)
        .where(archives.c.status.in_(_LIVE), archives.c.serial_number.is_not(None))
        .group_by(*keys)
        .having(sa.func.count() > 1)
        .limit(20)
    )
    found = [tuple(row) for row in twins]
    if found:
        raise ValidationError.single(
            "serial_number",
            found,
            "live archives share these (tenant, product code, serial number): invalidate all "
            "but one of each, then upgrade again",
        )
    live = sa.column("status").in_(_LIVE)
    op.create_index(
        index,
        table,
        _KEY,
        unique=True,
        schema=schema,
        sqlite_where=live,
        postgresql_where=live,
    )


def downgrade() -> None:
    """Drop the partial unique index."""
    table, index, schema = _names()
    op.drop_index(index, table_name=table, schema=schema)
