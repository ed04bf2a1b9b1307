"""Requests keep their finished hold periods (``holds``) instead of their total on hold.

Revision ID: 0002_request_holds
Revises: 0001_initial
Create Date: 2026-12-07

The SLA clock stops in working time, so which part of a hold was working time depends on when
the hold was: the periods, not their total, are what the SLA needs. Until now they were rebuilt
from the audit trail on every SLA computation. This revision writes each stored request's
finished holds into its document, read once from its audit trail (``hold`` to ``resume``), and
drops the stored total (it is now computed from the periods). Downgrading writes the total back.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicecore.adapters.sqlalchemy.types import UTCDateTime

revision = "0002_request_holds"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_REQUESTS = sa.table("requests", sa.column("tenant"), sa.column("id"), sa.column("data", _JSON))
_AUDIT = sa.table(
    "audit_entries",
    sa.column("tenant"),
    sa.column("entity_kind"),
    sa.column("entity_id"),
    sa.column("seq"),
    sa.column("trigger"),
    sa.column("at", UTCDateTime()),
)


def _holds_from_audit(connection: sa.Connection) -> dict[tuple[str, str], list[dict[str, str]]]:
    found: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    running: dict[tuple[str, str], datetime] = {}
    rows = connection.execute(
        sa.select(_AUDIT.c.tenant, _AUDIT.c.entity_id, _AUDIT.c.trigger, _AUDIT.c.at)
        .where(_AUDIT.c.entity_kind == "ServiceRequest")
        .where(_AUDIT.c.trigger.in_(("hold", "resume")))
        .order_by(_AUDIT.c.tenant, _AUDIT.c.entity_id, _AUDIT.c.seq)
    )
    for tenant, entity_id, trigger, at in rows:
        key = (tenant, entity_id)
        if trigger == "hold":
            running[key] = at
        elif key in running:
            start = running.pop(key)
            if at > start:
                found[key].append({"start": start.isoformat(), "end": at.isoformat()})
    return found


def upgrade() -> None:
    """Write every request's finished holds into its document; drop the stored total."""
    connection = op.get_bind()
    holds = _holds_from_audit(connection)
    for tenant, request_id, data in connection.execute(
        sa.select(_REQUESTS.c.tenant, _REQUESTS.c.id, _REQUESTS.c.data)
    ).all():
        if "holds" in data and "on_hold_total" not in data:
            continue  # written by this version already
        document = {k: v for k, v in data.items() if k != "on_hold_total"}
        document["holds"] = holds.get((tenant, request_id), [])
        connection.execute(
            sa.update(_REQUESTS)
            .where(_REQUESTS.c.tenant == tenant, _REQUESTS.c.id == request_id)
            .values(data=document)
        )


def downgrade() -> None:
    """Write the total on hold back (in seconds) and drop the periods."""
    connection = op.get_bind()
    for tenant, request_id, data in connection.execute(
        sa.select(_REQUESTS.c.tenant, _REQUESTS.c.id, _REQUESTS.c.data)
    ).all():
        periods = data.get("holds", [])
        total = sum(
            (
                datetime.fromisoformat(p["end"]) - datetime.fromisoformat(p["start"])
                for p in periods
            ),
            timedelta(0),
        )
        document = {k: v for k, v in data.items() if k != "holds"}
        document["on_hold_total"] = total.total_seconds()
        connection.execute(
            sa.update(_REQUESTS)
            .where(_REQUESTS.c.tenant == tenant, _REQUESTS.c.id == request_id)
            .values(data=document)
        )
