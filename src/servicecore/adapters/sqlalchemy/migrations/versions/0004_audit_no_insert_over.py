"""SQLite: an audit entry cannot be written over by ``INSERT OR REPLACE``.

Revision ID: 0004_audit_no_insert_over
Revises: 0003_live_archive_serial
Create Date: 2026-12-07

SQLite resolves ``INSERT OR REPLACE`` by deleting the row in the way without firing the
``BEFORE DELETE`` trigger (delete triggers run on replace only with recursive triggers on), so
the append-only triggers of the initial schema let a trail be rewritten in place. A
``BEFORE INSERT`` trigger refuses an entry whose key is taken, whatever the conflict clause.
PostgreSQL needs nothing: ``INSERT ... ON CONFLICT DO UPDATE`` fires its ``BEFORE UPDATE``
trigger, which refuses.
"""

from __future__ import annotations

from alembic import op

from servicecore.adapters.sqlalchemy.naming import current_naming

revision = "0004_audit_no_insert_over"
down_revision = "0003_live_archive_serial"
branch_labels = None
depends_on = None

TAKEN = "audit entry exists"
"""Part of the trigger's message; the adapter reads it as a taken ``seq``."""


def upgrade() -> None:
    """Create the SQLite trigger refusing an insert over an existing audit entry."""
    if op.get_bind().dialect.name != "sqlite":
        return
    n = current_naming()
    audit = n.qualified("audit_entries")
    op.execute(
        f"CREATE TRIGGER {n.name('audit_entries_no_insert_over')} BEFORE INSERT ON {audit} "
        f"WHEN EXISTS (SELECT 1 FROM {audit} WHERE tenant = NEW.tenant "
        "AND entity_kind = NEW.entity_kind AND entity_id = NEW.entity_id AND seq = NEW.seq) "
        f"BEGIN SELECT RAISE(ABORT, '{n.name('audit_entries')} is append-only: {TAKEN}'); END"
    )


def downgrade() -> None:
    """Drop the trigger."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"DROP TRIGGER {current_naming().name('audit_entries_no_insert_over')}")
