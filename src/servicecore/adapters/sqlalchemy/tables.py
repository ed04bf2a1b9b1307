"""The SQLAlchemy Core tables: one per aggregate, the audit trail, the outbox and slot claims.

The migrations in ``migrations/versions`` create exactly these tables (a test compares them);
this module is what the adapter's statements are built from.

Every table's key starts with ``tenant``: a unit of work's statements always filter on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeEngine

from servicecore.adapters.sqlalchemy.types import JSON_DATA, TEXT, UTCDateTime
from servicecore.catalog import AGGREGATES, AggregateSpec

__all__ = ["AGGREGATE_TABLES", "audit", "metadata", "outbox", "slots"]

metadata = sa.MetaData()


def _column_type(field_type: type) -> TypeEngine[Any]:
    if field_type is datetime:
        return UTCDateTime()
    if field_type is date:
        return sa.Date()
    if field_type is bool:
        return sa.Boolean()
    return TEXT


def _aggregate_table(spec: AggregateSpec) -> sa.Table:
    columns = [
        sa.Column(name, _column_type(f.type), nullable=True) for name, f in spec.fields.items()
    ]
    indexes = [sa.Index(f"ix_{spec.name}_{name}", "tenant", name, "id") for name in spec.fields]
    return sa.Table(
        spec.name,
        metadata,
        sa.Column("tenant", TEXT, primary_key=True),
        sa.Column("id", TEXT, primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *columns,
        sa.Column("data", JSON_DATA, nullable=False),
        *indexes,
    )


AGGREGATE_TABLES: Mapping[str, sa.Table] = {
    spec.kind: _aggregate_table(spec) for spec in AGGREGATES
}
"""The table of each aggregate, by kind (``"ServiceRequest"``)."""

audit = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("tenant", TEXT, primary_key=True),
    sa.Column("entity_kind", TEXT, primary_key=True),
    sa.Column("entity_id", TEXT, primary_key=True),
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("trigger", TEXT, nullable=False),
    sa.Column("from_state", TEXT, nullable=False),
    sa.Column("to_state", TEXT, nullable=False),
    sa.Column("actor_id", TEXT, nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("reason", TEXT, nullable=False),
    sa.Column("payload_digest", TEXT, nullable=False),
    sa.Column("prev_hash", TEXT, nullable=False),
    sa.Column("hash", TEXT, nullable=False),
)
"""The audit trail: append-only (the database refuses UPDATE and DELETE)."""

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("tenant", TEXT, nullable=False),
    sa.Column("event_id", TEXT, nullable=False),
    sa.Column("name", TEXT, nullable=False),
    sa.Column("entity_kind", TEXT, nullable=False),
    sa.Column("entity_id", TEXT, nullable=False),
    sa.Column("occurred_at", UTCDateTime(), nullable=False),
    sa.Column("payload", JSON_DATA, nullable=False),
    sa.Column("delivered_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("tenant", "event_id", name="uq_outbox_tenant_event"),
    sa.Index("ix_outbox_pending", "tenant", "delivered_at", "seq"),
)
"""Domain events, written with the change that raised them; ``delivered_at`` once handled."""

slots = sa.Table(
    "technician_slots",
    metadata,
    sa.Column("tenant", TEXT, primary_key=True),
    sa.Column("owner_kind", TEXT, primary_key=True),
    sa.Column("owner_id", TEXT, primary_key=True),
    sa.Column("technician_id", TEXT, nullable=False),
    sa.Column("period_start", UTCDateTime(), nullable=False),
    sa.Column("period_end", UTCDateTime(), nullable=False),
    sa.CheckConstraint("period_end > period_start", name="ck_technician_slots_period"),
    sa.Index("ix_technician_slots_technician", "tenant", "technician_id", "period_start"),
)
"""Technician time held by bookings and dispatch orders (:func:`servicecore.catalog.slot_claim`).

On PostgreSQL an exclusion constraint refuses two overlapping claims of one technician.
"""
