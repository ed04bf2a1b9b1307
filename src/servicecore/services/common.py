"""What every command shares: events, notifications and the load-check-fire-store shape."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from servicecore.errors import ValidationError
from servicecore.events import DomainEvent
from servicecore.lifecycle import Lifecycle
from servicecore.lifecycle.facts import Facts
from servicecore.ports import Notification
from servicecore.serialization import unstructure
from servicecore.services.context import DEFAULT_IDS, CommandContext

__all__ = ["DEFAULT_IDS", "NOTIFICATION_EVENT", "event", "move", "notify", "time_zone"]

NOTIFICATION_EVENT = "NotificationRequested"
"""The name of events that ask for a notification to be sent after commit."""


def event(
    cx: CommandContext,
    name: str,
    entity: Any,
    payload: Mapping[str, Any] | None = None,
) -> DomainEvent:
    """Collect a domain event about ``entity`` on the context's unit of work and return it.

    The payload is made JSON-safe with :func:`~servicecore.serialization.unstructure`.
    """
    found = DomainEvent(
        id=cx.ids.new_id("event"),
        name=name,
        entity_kind=type(entity).__name__,
        entity_id=entity.id,
        occurred_at=cx.now(),
        payload=unstructure(dict(payload or {})),
    )
    cx.uow.collect(found)
    return found


def notify(cx: CommandContext, entity: Any, notification: Notification) -> DomainEvent:
    """Ask for ``notification`` to be sent once the unit of work commits.

    The request travels in the outbox (event :data:`NOTIFICATION_EVENT`), so it is sent only if
    the change commits, and again after a crash if it was not sent;
    :class:`~servicecore.services.notifications.NotifyingPublisher` delivers it.
    """
    return event(cx, NOTIFICATION_EVENT, entity, unstructure(notification))


def move(
    cx: CommandContext,
    lifecycle: Lifecycle[Any, Any],
    entity_id: str,
    trigger: str,
    *,
    command: str,
    event_name: str,
    reason: str = "",
    given: Facts | None = None,
    payload: Mapping[str, object] | None = None,
    event_payload: Callable[[Any], Mapping[str, Any]] | None = None,
) -> Any:
    """The shape of most commands: load, check the policy, fire, store, tell.

    Loads the entity of ``lifecycle``'s aggregate, asks the policy whether the actor may run
    ``command`` on it, fires ``trigger`` (the inputs of the change in ``given``; the related
    records its guards need are loaded), updates it and collects event ``event_name`` (its
    payload built from the changed entity by ``event_payload``).

    Returns:
        The changed entity.

    Raises:
        NotFound: No such entity.
        PermissionDenied: The policy refuses.
        InvalidTransition, TransitionRefused: The lifecycle refuses (nothing changes).
    """
    repository = cx.uow.repository(lifecycle.kind)
    entity = repository.get(entity_id)
    cx.check(command, entity)
    cx.fire(lifecycle, entity, trigger, reason=reason, payload=payload, given=given)
    repository.update(entity)
    event(cx, event_name, entity, event_payload(entity) if event_payload else None)
    return entity


def time_zone(timezone: str) -> ZoneInfo:
    """Return the IANA time zone named ``timezone`` (e.g. ``"Europe/Berlin"``).

    Raises:
        ValidationError: ``timezone`` is not a known time zone (field ``timezone``).
    """
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):  # unknown key, or not a key (a path, a NUL)
        raise ValidationError.single("timezone", timezone, "is not a known time zone") from None
