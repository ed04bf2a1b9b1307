"""What every command shares: contexts, events and defaults."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from servicecore.basics import UuidIdGenerator
from servicecore.events import DomainEvent
from servicecore.lifecycle import Lifecycle, TransitionContext
from servicecore.model.actor import Actor
from servicecore.ports import Clock, IdGenerator, Notification, UnitOfWork
from servicecore.serialization import unstructure
from servicecore.services.permissions import Policy

__all__ = ["DEFAULT_IDS", "NOTIFICATION_EVENT", "context", "event", "move", "notify"]

DEFAULT_IDS: IdGenerator = UuidIdGenerator()
"""Ids for new records and events unless a command is given another generator."""

NOTIFICATION_EVENT = "NotificationRequested"

E = TypeVar("E")
"""The name of events that ask for a notification to be sent after commit."""


def context(
    actor: Actor,
    clock: Clock,
    *,
    reason: str = "",
    payload: Mapping[str, object] | None = None,
    facts: Mapping[str, object] | None = None,
) -> TransitionContext:
    """Return a transition context for ``actor`` at the clock's now."""
    return TransitionContext(
        actor=actor, at=clock.now(), reason=reason, payload=payload, facts=facts
    )


def event(
    uow: UnitOfWork,
    ids: IdGenerator,
    clock: Clock,
    name: str,
    entity: Any,
    payload: Mapping[str, Any] | None = None,
) -> DomainEvent:
    """Collect a domain event about ``entity`` on ``uow`` and return it.

    The payload is made JSON-safe with :func:`~servicecore.serialization.unstructure`.
    """
    found = DomainEvent(
        id=ids.new_id("event"),
        name=name,
        entity_kind=type(entity).__name__,
        entity_id=entity.id,
        occurred_at=clock.now(),
        payload=unstructure(dict(payload or {})),
    )
    uow.collect(found)
    return found


def notify(
    uow: UnitOfWork, ids: IdGenerator, clock: Clock, entity: Any, notification: Notification
) -> DomainEvent:
    """Ask for ``notification`` to be sent once the unit of work commits.

    The request travels in the outbox (event :data:`NOTIFICATION_EVENT`), so it is sent only if
    the change commits, and again after a crash if it was not sent;
    :class:`~servicecore.services.notifications.NotifyingPublisher` delivers it.
    """
    return event(uow, ids, clock, NOTIFICATION_EVENT, entity, unstructure(notification))


def move(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    lifecycle: Lifecycle[Any, Any],
    entity_id: str,
    trigger: str,
    *,
    command: str,
    policy: Policy,
    ids: IdGenerator,
    event_name: str,
    reason: str = "",
    facts: Mapping[str, object] | None = None,
    payload: Mapping[str, object] | None = None,
    event_payload: Callable[[Any], Mapping[str, Any]] | None = None,
) -> Any:
    """The shape of most commands: load, check the policy, fire, store, tell.

    Loads the entity of ``lifecycle``'s aggregate, asks ``policy`` whether ``actor`` may run
    ``command`` on it, fires ``trigger``, updates it and collects event ``event_name`` (its
    payload built from the changed entity by ``event_payload``).

    Returns:
        The changed entity.

    Raises:
        NotFound: No such entity.
        PermissionDenied: The policy refuses.
        InvalidTransition, TransitionRefused: The lifecycle refuses (nothing changes).
    """
    repository = uow.repository(lifecycle.kind)
    entity = repository.get(entity_id)
    policy.check(actor, command, entity)
    ctx = context(actor, clock, reason=reason, facts=facts, payload=payload)
    lifecycle.fire(entity, trigger, ctx, uow.audit)
    repository.update(entity)
    event(uow, ids, clock, event_name, entity, event_payload(entity) if event_payload else None)
    return entity
