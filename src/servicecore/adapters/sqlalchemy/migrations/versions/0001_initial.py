"""The initial schema: aggregates, audit trail, outbox, technician slots.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26

The aggregate tables are written out here (not read from ``tables.py``) so that this revision
keeps meaning the same schema when the tables change in later revisions.

Every name is put under the host's chosen prefix and schema
(:class:`~servicecore.adapters.sqlalchemy.naming.Naming`); without them the names are those this
revision has always created.

PostgreSQL also gets: the ``btree_gist`` extension and an exclusion constraint that refuses two
overlapping slot claims of one technician, and triggers refusing UPDATE, DELETE and TRUNCATE on
the audit trail. SQLite gets the UPDATE and DELETE triggers; its slot check runs in the adapter,
inside the serialised write transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicecore.adapters.sqlalchemy.naming import current_naming
from servicecore.adapters.sqlalchemy.types import UTCDateTime

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

_TEXT = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_S, _DT, _D, _B = "str", "datetime", "date", "bool"

_AGGREGATES: dict[str, list[tuple[str, str]]] = {
    "archives": [
        ("status", _S),
        ("customer_id", _S),
        ("serial_number", _S),
        ("product_code", _S),
        ("site_id", _S),
        ("warranty_end", _D),
        ("service_expiry", _D),
    ],
    "contracts": [("status", _S), ("customer_id", _S), ("start", _D), ("end", _D)],
    "bookings": [
        ("status", _S),
        ("customer_id", _S),
        ("technician_id", _S),
        ("reference", _S),
        ("service_type", _S),
        ("channel", _S),
        ("slot_start", _DT),
        ("slot_end", _DT),
        ("booked_at", _DT),
    ],
    "requests": [
        ("status", _S),
        ("customer_id", _S),
        ("archive_id", _S),
        ("contract_id", _S),
        ("booking_id", _S),
        ("service_type", _S),
        ("priority", _S),
        ("reported_at", _DT),
        ("response_due", _DT),
        ("resolution_due", _DT),
    ],
    "dispatches": [
        ("status", _S),
        ("request_id", _S),
        ("technician_id", _S),
        ("planned_start", _DT),
        ("planned_end", _DT),
    ],
    "processing": [("status", _S), ("request_id", _S), ("dispatch_id", _S)],
    "quotes": [("status", _S), ("customer_id", _S), ("request_id", _S), ("valid_until", _DT)],
    "care_plans": [
        ("status", _S),
        ("customer_category", _S),
        ("method", _S),
        ("schedule_start", _DT),
    ],
    "technicians": [("active", _B)],
    "knowledge": [("product_code", _S), ("source_request_id", _S), ("created_at", _DT)],
    "evidence": [("request_id", _S), ("kind", _S), ("taken_at", _DT)],
    "spare_part_plans": [("status", _S), ("period_start", _D)],
    "transfers": [
        ("status", _S),
        ("from_warehouse", _S),
        ("to_warehouse", _S),
        ("requested_at", _DT),
    ],
    "requisitions": [("status", _S), ("request_id", _S)],
    "surveys": [("request_id", _S), ("technician_id", _S), ("answered_at", _DT)],
}


def _type(name: str) -> sa.types.TypeEngine[Any]:
    if name == _DT:
        return UTCDateTime()
    if name == _D:
        return sa.Date()
    if name == _B:
        return sa.Boolean()
    return _TEXT


_REFUSE_FUNCTION = """
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{table} is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    """Create every table, index, constraint and trigger of the initial schema."""
    postgres = op.get_bind().dialect.name == "postgresql"
    n = current_naming()
    schema = n.schema
    for base, fields in _AGGREGATES.items():
        table = n.name(base)
        op.create_table(
            table,
            sa.Column("tenant", _TEXT, nullable=False),
            sa.Column("id", _TEXT, nullable=False),
            sa.Column("version", sa.Integer(), nullable=False),
            *(sa.Column(name, _type(kind), nullable=True) for name, kind in fields),
            sa.Column("data", _JSON, nullable=False),
            sa.PrimaryKeyConstraint("tenant", "id"),
            schema=schema,
        )
        for name, _kind in fields:
            op.create_index(f"ix_{table}_{name}", table, ["tenant", name, "id"], schema=schema)

    op.create_table(
        n.name("audit_entries"),
        sa.Column("tenant", _TEXT, nullable=False),
        sa.Column("entity_kind", _TEXT, nullable=False),
        sa.Column("entity_id", _TEXT, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("trigger", _TEXT, nullable=False),
        sa.Column("from_state", _TEXT, nullable=False),
        sa.Column("to_state", _TEXT, nullable=False),
        sa.Column("actor_id", _TEXT, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("reason", _TEXT, nullable=False),
        sa.Column("payload_digest", _TEXT, nullable=False),
        sa.Column("prev_hash", _TEXT, nullable=False),
        sa.Column("hash", _TEXT, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "entity_kind", "entity_id", "seq"),
        schema=schema,
    )
    op.create_table(
        n.name("outbox"),
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant", _TEXT, nullable=False),
        sa.Column("event_id", _TEXT, nullable=False),
        sa.Column("name", _TEXT, nullable=False),
        sa.Column("entity_kind", _TEXT, nullable=False),
        sa.Column("entity_id", _TEXT, nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("tenant", "event_id", name=n.name("uq_outbox_tenant_event")),
        schema=schema,
    )
    op.create_index(
        n.name("ix_outbox_pending"),
        n.name("outbox"),
        ["tenant", "delivered_at", "seq"],
        schema=schema,
    )
    op.create_table(
        n.name("technician_slots"),
        sa.Column("tenant", _TEXT, nullable=False),
        sa.Column("owner_kind", _TEXT, nullable=False),
        sa.Column("owner_id", _TEXT, nullable=False),
        sa.Column("technician_id", _TEXT, nullable=False),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("period_end", UTCDateTime(), nullable=False),
        sa.CheckConstraint("period_end > period_start", name=n.name("ck_technician_slots_period")),
        sa.PrimaryKeyConstraint("tenant", "owner_kind", "owner_id"),
        schema=schema,
    )
    op.create_index(
        n.name("ix_technician_slots_technician"),
        n.name("technician_slots"),
        ["tenant", "technician_id", "period_start"],
        schema=schema,
    )
    slots, audit = n.qualified("technician_slots"), n.qualified("audit_entries")
    function = n.qualified("servicecore_audit_append_only")

    if postgres:
        # In public, so that dropping a schema never drops the extension other schemas use.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
        op.execute(
            f"ALTER TABLE {slots} ADD CONSTRAINT {n.name('ex_technician_slots_overlap')} "
            "EXCLUDE USING gist (tenant WITH =, technician_id WITH =, "
            "tstzrange(period_start, period_end, '[)') WITH &&)"
        )
        op.execute(_REFUSE_FUNCTION.format(function=function, table=n.name("audit_entries")))
        op.execute(
            f"CREATE TRIGGER {n.name('audit_entries_append_only')} BEFORE UPDATE OR DELETE "
            f"ON {audit} FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
        op.execute(
            f"CREATE TRIGGER {n.name('audit_entries_no_truncate')} BEFORE TRUNCATE ON {audit} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {n.name('audit_entries_no_' + action.lower())} BEFORE {action} "
                f"ON {audit} BEGIN SELECT RAISE(ABORT, "
                f"'{n.name('audit_entries')} is append-only: {action} refused'); END"
            )


def downgrade() -> None:
    """Drop everything :func:`upgrade` created (the extension stays: others may use it)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    n = current_naming()
    for base in ("technician_slots", "outbox", "audit_entries"):
        op.drop_table(n.name(base), schema=n.schema)
    if postgres:
        op.execute(f"DROP FUNCTION {n.qualified('servicecore_audit_append_only')}()")
    for base in reversed(_AGGREGATES):
        op.drop_table(n.name(base), schema=n.schema)
