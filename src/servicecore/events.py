"""Domain events: what a use case tells the host after its change committed.

A use case collects :class:`DomainEvent` s on its unit of work; the storage writes them to an
outbox in the same transaction as the change and hands them to the host's publisher after the
commit. A host that crashes before handling them finds them again (at-least-once delivery); the
event ``id`` lets it drop duplicates. An event the publisher refuses is retried later with a
growing delay (:class:`RetryPolicy`) and, after the last attempt, parked with its error
(:class:`ParkedEvent`, a dead letter) until retried by hand: one message that cannot be
delivered never holds back the tenant's later events.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v

__all__ = ["DEFAULT_RETRY", "DomainEvent", "ParkedEvent", "RetryPolicy", "describe_error"]


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


MAX_ERROR_CHARS = 2000
"""How much of a publisher's error is kept with a failed event."""


def _positive_int(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError.single(attribute.name, value, "must be an int >= 1")


def _positive_delay(_: object, attribute: attrs.Attribute[timedelta], value: object) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValidationError.single(attribute.name, value, "must be a positive timedelta")


def _factor(_: object, attribute: attrs.Attribute[float], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 100:
        raise ValidationError.single(attribute.name, value, "must be a number from 1 to 100")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When an event the publisher refused is offered again, and when it is parked.

    The ``n``-th failure (1, 2, ...) of an event waits ``first_delay * factor ** (n - 1)``,
    at most ``max_delay``, before the event is due again; the ``max_attempts``-th failure parks
    it instead.

    Attributes:
        max_attempts: Failed deliveries before the event is parked.
        first_delay: The wait after the first failure.
        factor: How much longer each further wait is.
        max_delay: The longest wait.

    Raises:
        ValidationError: A field is out of range (naming it).
    """

    max_attempts: int = attrs.field(default=5, validator=_positive_int)
    first_delay: timedelta = attrs.field(default=timedelta(minutes=1), validator=_positive_delay)
    factor: float = attrs.field(default=4.0, validator=_factor)
    max_delay: timedelta = attrs.field(default=timedelta(hours=6), validator=_positive_delay)

    def retry_at(self, attempts: int, at: datetime) -> datetime | None:
        """Return when an event that has now failed ``attempts`` times is due again.

        Returns:
            ``None`` when it is to be parked (``attempts`` reached ``max_attempts``).
        """
        if attempts >= self.max_attempts:
            return None
        seconds = self.first_delay.total_seconds() * self.factor ** (attempts - 1)
        return at + min(timedelta(seconds=min(seconds, 1e9)), self.max_delay)


DEFAULT_RETRY = RetryPolicy()
"""Five attempts: again after 1, 4, 16 and 64 minutes, then parked."""


@attrs.frozen(kw_only=True)
class ParkedEvent:
    """An event parked after its last failed delivery (dead letter).

    Attributes:
        event: The event.
        attempts: How many deliveries failed.
        error: The publisher's last error (type and message, cut to 2,000 characters).
        parked_at: When it was parked.
    """

    event: DomainEvent
    attempts: int
    error: str
    parked_at: datetime


def describe_error(exc: BaseException) -> str:
    """Return ``exc`` as kept with a failed event: type and message, cut to a bounded size."""
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
