"""Delivering notifications after commit: a publisher that hands them to a Notifier."""

from __future__ import annotations

from collections.abc import Sequence

from servicecore.events import DomainEvent
from servicecore.ports import Notification, Notifier, Publisher
from servicecore.serialization import structure
from servicecore.services.common import NOTIFICATION_EVENT

__all__ = ["NotifyingPublisher"]


class NotifyingPublisher:
    """A storage publisher that sends requested notifications, then passes every event on.

    Give it to the storage (``MemoryStorage(publisher=NotifyingPublisher(notifier))``). If the
    notifier raises, the publisher raises: the events stay pending and are offered again by
    ``storage.pending_events`` (at-least-once; notifications carry a ``key`` to deduplicate).

    Args:
        notifier: Where notifications go.
        then: The host's own publisher for all events, called after the notifications.
    """

    def __init__(self, notifier: Notifier, then: Publisher | None = None) -> None:
        self.notifier = notifier
        self.then = then

    def __call__(self, tenant: str, events: Sequence[DomainEvent]) -> None:
        """Send the notifications among ``events``, then hand all of them to ``then``.

        Raises:
            ServicecoreError: The notifier failed (the events stay pending).
        """
        for item in events:
            if item.name == NOTIFICATION_EVENT:
                self.notifier.send(structure(dict(item.payload), Notification))
        if self.then is not None:
            self.then(tenant, events)
