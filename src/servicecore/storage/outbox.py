"""Handing committed events to the host: the part of the outbox every storage shares.

Events the publisher refuses stay pending; the delivery job retries them and parks the ones
that keep failing (:class:`~servicecore.events.RetryPolicy`,
:class:`~servicecore.events.ParkedEvent`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from servicecore.errors import ServicecoreError
from servicecore.events import DomainEvent
from servicecore.ports import Publisher

__all__ = ["hand_over"]

log = logging.getLogger("servicecore.storage")


def hand_over(
    publisher: Publisher | None,
    acknowledge: Callable[[str, Sequence[str]], None],
    tenant: str,
    events: Sequence[DomainEvent],
) -> bool:
    """Give committed ``events`` to ``publisher`` and acknowledge them if it returns.

    Call it after the commit. If the publisher raises, the error is logged and the events stay
    pending (the commit stands; ``pending_events`` finds them again); so do they if
    acknowledging fails (they are delivered again: publishers must be idempotent).

    Returns:
        Whether the events were handed over and acknowledged (``False`` if there were none, no
        publisher, or it or the acknowledgement raised).
    """
    if not events or publisher is None:
        return False
    try:
        publisher(tenant, events)
    except Exception:
        # A delivery failure is a WARNING (the observability rule): nothing is lost, the events
        # stay pending and the next delivery retries them.
        log.warning(
            "publishing %d event(s) of tenant %s failed; they stay pending",
            len(events),
            tenant,
            exc_info=True,
            extra={"tenant": tenant, "events": len(events)},
        )
        return False
    try:
        acknowledge(tenant, [e.id for e in events])
    except ServicecoreError:
        log.warning(
            "acknowledging %d event(s) of tenant %s failed; they will be delivered again",
            len(events),
            tenant,
            exc_info=True,
            extra={"tenant": tenant, "events": len(events)},
        )
        return False
    return True
