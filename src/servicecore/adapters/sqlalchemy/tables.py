"""The SQLAlchemy Core tables: one per aggregate, the audit trail, the outbox and slot claims.

The migrations in ``migrations/versions`` create exactly these tables (a test compares them);
this module is what the adapter's statements are built from. :func:`tables_for` builds the set
for a :class:`~servicecore.adapters.sqlalchemy.naming.Naming` (prefix and schema); the module
attributes are the set without prefix or schema.

Every table's key starts with ``tenant``: a unit of work's statements always filter on it. A
:class:`~servicecore.catalog.UniqueKey` of an aggregate is a partial unique index over
``tenant`` and the key's columns, on the rows whose ``status`` holds the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeEngine

from servicecore.adapters.sqlalchemy.naming import Naming
from servicecore.adapters.sqlalchemy.types import JSON_DATA, TEXT, UTCDateTime
from servicecore.catalog import AGGREGATES, AggregateSpec, UniqueKey

__all__ = [
    "AGGREGATE_TABLES",
    "Tables",
    "audit",
    "metadata",
    "outbox",
    "slots",
    "tables_for",
    "unique_index_name",
]


def _column_type(field_type: type) -> TypeEngine[Any]:
    if field_type is datetime:
        return UTCDateTime()
    if field_type is date:
        return sa.Date()
    if field_type is bool:
        return sa.Boolean()
    return TEXT


class Tables:
    """servicecore's tables under one naming.

    Attributes:
        naming: Their prefix and schema.
        metadata: The metadata holding them.
        aggregates: The table of each aggregate, by kind (``"ServiceRequest"``).
        audit: The audit trail: append-only (the database refuses UPDATE and DELETE); each
            entry's ``scheme`` says how its hash was made
            (:class:`~servicecore.model.audit.AuditScheme`) and ``payload`` keeps the canonical
            JSON text its ``payload_digest`` was computed from (``NULL`` before payloads were
            kept).
        outbox: Domain events, written with the change that raised them; ``delivered_at`` once
            handled; ``attempts``, ``retry_at`` and ``last_error`` after failed deliveries,
            ``parked_at`` once parked (dead letter).
        slots: Technician time held by bookings and dispatch orders
            (:func:`servicecore.catalog.slot_claim`); on PostgreSQL an exclusion constraint
            refuses two overlapping claims of one technician.
    """

    def __init__(self, naming: Naming) -> None:
        self.naming = naming
        self.metadata = sa.MetaData(schema=naming.schema)
        n = naming.name
        self.aggregates: Mapping[str, sa.Table] = {
            spec.kind: self._aggregate(spec) for spec in AGGREGATES
        }
        self.audit = sa.Table(
            n("audit_entries"),
            self.metadata,
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
            sa.Column("scheme", sa.Integer(), nullable=False, server_default=sa.text("1")),
            sa.Column("payload", TEXT, nullable=True),
        )
        self.outbox = sa.Table(
            n("outbox"),
            self.metadata,
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
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
            sa.Column("retry_at", UTCDateTime(), nullable=True),
            sa.Column("parked_at", UTCDateTime(), nullable=True),
            sa.Column("last_error", TEXT, nullable=True),
            sa.UniqueConstraint("tenant", "event_id", name=n("uq_outbox_tenant_event")),
            sa.Index(n("ix_outbox_pending"), "tenant", "delivered_at", "seq"),
        )
        self.slots = sa.Table(
            n("technician_slots"),
            self.metadata,
            sa.Column("tenant", TEXT, primary_key=True),
            sa.Column("owner_kind", TEXT, primary_key=True),
            sa.Column("owner_id", TEXT, primary_key=True),
            sa.Column("technician_id", TEXT, nullable=False),
            sa.Column("period_start", UTCDateTime(), nullable=False),
            sa.Column("period_end", UTCDateTime(), nullable=False),
            sa.CheckConstraint("period_end > period_start", name=n("ck_technician_slots_period")),
            sa.Index(
                n("ix_technician_slots_technician"), "tenant", "technician_id", "period_start"
            ),
        )

    def _aggregate(self, spec: AggregateSpec) -> sa.Table:
        name = self.naming.name(spec.name)
        columns = [
            sa.Column(field, _column_type(f.type), nullable=True)
            for field, f in spec.fields.items()
        ]
        indexes = [sa.Index(f"ix_{name}_{field}", "tenant", field, "id") for field in spec.fields]
        table = sa.Table(
            name,
            self.metadata,
            sa.Column("tenant", TEXT, primary_key=True),
            sa.Column("id", TEXT, primary_key=True),
            sa.Column("version", sa.Integer(), nullable=False),
            *columns,
            sa.Column("data", JSON_DATA, nullable=False),
            *indexes,
        )
        for key in spec.unique:
            live = table.c.status.in_(key.statuses)
            sa.Index(
                unique_index_name(name, key),
                table.c.tenant,
                *(table.c[field] for field in key.fields),
                unique=True,
                sqlite_where=live,
                postgresql_where=live,
            )
        return table


def unique_index_name(table: str, key: UniqueKey) -> str:
    """Return the name of the partial unique index enforcing ``key`` on ``table`` (its name)."""
    return f"uq_{table}_{key.name}"


@cache
def tables_for(naming: Naming) -> Tables:
    """Return the tables under ``naming`` (one set per naming, built once)."""
    return Tables(naming)


_DEFAULT = tables_for(Naming())
metadata = _DEFAULT.metadata
"""The metadata of the tables without prefix or schema."""
AGGREGATE_TABLES: Mapping[str, sa.Table] = _DEFAULT.aggregates
"""The table of each aggregate, by kind (``"ServiceRequest"``), without prefix or schema."""
audit = _DEFAULT.audit
"""The audit trail table without prefix or schema."""
outbox = _DEFAULT.outbox
"""The outbox table without prefix or schema."""
slots = _DEFAULT.slots
"""The technician slots table without prefix or schema."""
