"""Entities, audit entries and events to rows and back.

An entity's row holds its indexed fields (for queries) beside ``data``, the entity unstructured
by :mod:`servicecore.serialization`; only ``data`` is read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servicecore.adapters.sqlalchemy.loading import loader_for
from servicecore.catalog import AggregateSpec
from servicecore.errors import StorageError, ValidationError
from servicecore.events import DomainEvent
from servicecore.model.audit import AuditEntry
from servicecore.serialization import unstructure

__all__ = [
    "audit_row",
    "entity_from_data",
    "entity_row",
    "event_from_row",
    "event_row",
    "row_audit_entry",
]

_AUDIT_FIELDS = (
    "entity_kind",
    "entity_id",
    "seq",
    "trigger",
    "from_state",
    "to_state",
    "actor_id",
    "at",
    "reason",
    "payload_digest",
    "prev_hash",
    "hash",
    "scheme",
)


def entity_row(tenant: str, spec: AggregateSpec, entity: Any) -> dict[str, Any]:
    """Return the row that stores ``entity`` (its ``version`` as it will be stored)."""
    row: dict[str, Any] = {name: f.read(entity) for name, f in spec.fields.items()}
    row["tenant"] = tenant
    row["id"] = entity.id
    row["version"] = entity.version
    row["data"] = unstructure(entity)
    return row


def entity_from_data(spec: AggregateSpec, data: Mapping[str, Any]) -> Any:
    """Rebuild an entity from its stored ``data`` (written by this adapter).

    Raises:
        StorageError: The stored data is not what this adapter writes (edited or corrupted in
            the database: a decimal that is not one, a missing field...), naming the record.
    """
    try:
        return loader_for(spec.cls)(data)
    except (ValidationError, ArithmeticError, KeyError, TypeError, ValueError) as exc:
        id = data.get("id") if isinstance(data, Mapping) else None
        raise StorageError(f"stored {spec.kind} {id} is corrupt: {exc}") from exc


def audit_row(tenant: str, entry: AuditEntry) -> dict[str, Any]:
    """Return the row that stores ``entry``."""
    row = {name: getattr(entry, name) for name in _AUDIT_FIELDS}
    row["tenant"] = tenant
    row["scheme"] = int(entry.scheme)
    row["payload"] = entry.payload_json or None
    return row


def row_audit_entry(row: Mapping[Any, Any]) -> AuditEntry:
    """Rebuild an audit entry from its row (an entry from before payloads were kept has none)."""
    return AuditEntry(
        tenant=row["tenant"],
        payload_json=row.get("payload") or "",
        **{name: row[name] for name in _AUDIT_FIELDS},
    )


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def event_row(tenant: str, event: DomainEvent) -> dict[str, Any]:
    """Return the outbox row that stores ``event``."""
    return {
        "tenant": tenant,
        "event_id": event.id,
        "name": event.name,
        "entity_kind": event.entity_kind,
        "entity_id": event.entity_id,
        "occurred_at": event.occurred_at,
        "payload": _plain(event.payload),
        "delivered_at": None,
    }


def event_from_row(row: Mapping[Any, Any]) -> DomainEvent:
    """Rebuild a domain event from its outbox row."""
    return DomainEvent(
        id=row["event_id"],
        name=row["name"],
        entity_kind=row["entity_kind"],
        entity_id=row["entity_id"],
        occurred_at=row["occurred_at"],
        payload=row["payload"],
    )
