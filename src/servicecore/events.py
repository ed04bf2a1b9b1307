"""Domain events: what a use case tells the host after its change committed.

A use case collects :class:`DomainEvent` s on its unit of work; the storage writes them to an
outbox in the same transaction as the change and hands them to the host's publisher after the
commit. A host that crashes before handling them finds them again (at-least-once delivery); the
event ``id`` lets it drop duplicates.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from servicecore.model import _validate as v

__all__ = ["DomainEvent"]


def _frozen(value: object) -> Any:
    return types.MappingProxyType(dict(value)) if isinstance(value, Mapping) else value


def _json_safe(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    def ok(item: object) -> bool:
        if item is None or isinstance(item, str | int | float | bool):
            return True
        if isinstance(item, list | tuple):
            return all(ok(i) for i in item)
        if isinstance(item, Mapping):
            return all(isinstance(k, str) and ok(i) for k, i in item.items())
        return False

    if not isinstance(value, Mapping) or not ok(value):
        raise v.fail(attribute, value, "must be a mapping of JSON values (use unstructure())")


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Something that happened, for the host to act on (invoice, stock movement, notification).

    Attributes:
        id: Unique id; the host deduplicates on it (delivery is at least once).
        name: What happened, e.g. ``"RequestCompleted"``.
        entity_kind: The aggregate it is about, e.g. ``"ServiceRequest"``.
        entity_id: Its id.
        occurred_at: When (timezone-aware).
        payload: JSON-safe details (strings, numbers, booleans, lists, mappings).

    Raises:
        ValidationError: A field is malformed or the payload is not JSON-safe.
    """

    id: str = attrs.field(validator=v.identifier)
    name: str = attrs.field(validator=v.identifier)
    entity_kind: str = attrs.field(validator=v.identifier)
    entity_id: str = attrs.field(validator=v.identifier)
    occurred_at: datetime = attrs.field(validator=v.aware_datetime)
    payload: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen, validator=_json_safe)
