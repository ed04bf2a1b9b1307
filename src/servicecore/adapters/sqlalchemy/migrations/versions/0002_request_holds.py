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

from servicecore.adapters.sqlalchemy.naming import current_naming
from servicecore.adapters.sqlalchemy.types import UTCDateTime

revision = "0002_request_holds"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _requests() -> sa.TableClause:
    n = current_naming()
    return sa.table(
        n.name("requests"),
        sa.column("tenant"),
        sa.column("id"),
        sa.column("data", _JSON),
        schema=n.schema,
    )


def _holds_from_audit(connection: sa.Connection) -> dict[tuple[str, str], list[dict[str, str]]]:
    n = current_naming()
    audit = sa.table(
        n.name("audit_entries"),
        sa.column("tenant"),
        sa.column("entity_kind"),
        sa.column("entity_id"),
        sa.column("seq"),
        sa.column("trigger"),
        sa.column("at", UTCDateTime()),
        schema=n.schema,
    )
    found: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    running: dict[tuple[str, str], datetime] = {}
    rows = connection.execute(
        sa.select(audit.c.tenant, audit.c.entity_id, audit.c.trigger, audit.c.at)
        .where(audit.c.entity_kind == "ServiceRequest")
        .where(audit.c.trigger.in_(("hold", "resume")))
        .order_by(audit.c.tenant, audit.c.entity_id, audit.c.seq)
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
    requests = _requests()
    holds = _holds_from_audit(connection)
    for tenant, request_id, data in connection.execute(
        sa.select(requests.c.tenant, requests.c.id, requests.c.data)
    ).all():
        if "holds" in data and "on_hold_total" not in data:
            continue  # written by this version already
        document = {k: v for k, v in data.items() if k != "on_hold_total"}
        document["holds"] = holds.get((tenant, request_id), [])
        connection.execute(
            sa.update(requests)
            .where(requests.c.tenant == tenant, requests.c.id == request_id)
            .values(data=document)
        )


def downgrade() -> None:
    """Write the total on hold back (in seconds) and drop the periods."""
    connection = op.get_bind()
    requests = _requests()
    for tenant, request_id, data in connection.execute(
        sa.select(requests.c.tenant, requests.c.id, requests.c.data)
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
            sa.update(requests)
            .where(requests.c.tenant == tenant, requests.c.id == request_id)
            .values(data=document)
        )
