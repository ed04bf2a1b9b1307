"""The outbox delivery job: hand committed events to the host, oldest first, at least once."""

from __future__ import annotations

import logging

import attrs

from servicecore.errors import ValidationError
from servicecore.ports import Publisher
from servicecore.services.context import JobContext, job

__all__ = ["DeliveryRun", "deliver_outbox"]

_log = logging.getLogger("servicecore.services.outbox")


@attrs.frozen
class DeliveryRun:
    """What one run of :func:`deliver_outbox` did.

    Attributes:
        delivered: Ids of the events handed over and acknowledged, oldest first.
        failed: Why delivery stopped early (the publisher's error), or ``None`` when nothing is
            left pending.
    """

    delivered: tuple[str, ...]
    failed: str | None = None


@job("deliver_outbox")
def deliver_outbox(jx: JobContext, /, publisher: Publisher, *, batch: int = 100) -> DeliveryRun:
    """Hand the tenant's pending events to ``publisher`` in batches and acknowledge each batch.

    Events are committed to the outbox with the change that raised them; the storage hands them
    to its own publisher after commit, and what that publisher refused stays pending. This job
    offers what is pending again (after a crash or an outage of the host's handler). A batch the
    publisher raises on stays pending and the run stops there, reporting why; running the job
    again retries it. Delivery is at least once: consumers deduplicate by event id.

    Raises:
        PermissionDenied: The actor may not deliver the outbox (``deliver_outbox``).
        ValidationError: ``batch`` is not a positive int.
    """
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValidationError.single("batch", batch, "must be a positive int")
    delivered: list[str] = []
    seen: set[str] = set()
    while True:
        pending = [e for e in jx.storage.pending_events(jx.tenant, batch) if e.id not in seen]
        if not pending:
            return DeliveryRun(tuple(delivered))
        try:
            publisher(jx.tenant, pending)
        except Exception as exc:  # the host's handler: its error is reported, the batch waits
            _log.warning(
                "outbox delivery of %d events failed; they stay pending: %r",
                len(pending),
                exc,
                extra={"tenant": jx.tenant, "command": "deliver_outbox", "events": len(pending)},
            )
            return DeliveryRun(tuple(delivered), f"{type(exc).__name__}: {exc}")
        ids = [e.id for e in pending]
        jx.storage.acknowledge(jx.tenant, ids)
        seen.update(ids)
        delivered.extend(ids)
