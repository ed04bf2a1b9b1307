"""The outbox jobs: hand committed events to the host at least once, and the parked ones.

An event the host's publisher refuses is retried later with a growing delay while the tenant's
later events pass it; after the retry policy's last attempt it is parked (dead letter) with
its error, to be listed (:func:`list_parked_events`) and retried by hand
(:func:`retry_parked_events`) once the cause is fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import attrs

from servicecore.errors import ValidationError
from servicecore.events import DEFAULT_RETRY, DomainEvent, ParkedEvent, RetryPolicy, describe_error
from servicecore.ports import Publisher
from servicecore.services.context import JobContext, job

__all__ = ["DeliveryRun", "deliver_outbox", "list_parked_events", "retry_parked_events"]

_log = logging.getLogger("servicecore.services.outbox")


@attrs.frozen
class DeliveryRun:
    """What one run of :func:`deliver_outbox` did.

    Attributes:
        delivered: Ids of the events handed over and acknowledged, oldest first.
        failed: The publisher's first error of the run, or ``None`` when it refused nothing.
        retrying: Ids of the events it refused, due again later.
        parked: Ids of the events it refused for the last time, now parked.
    """

    delivered: tuple[str, ...]
    failed: str | None = None
    retrying: tuple[str, ...] = ()
    parked: tuple[str, ...] = ()


def _check_batch(batch: object) -> int:
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValidationError.single("batch", batch, "must be a positive int")
    return batch


@job("deliver_outbox")
def deliver_outbox(
    jx: JobContext,
    /,
    publisher: Publisher,
    *,
    batch: int = 100,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> DeliveryRun:
    """Hand the tenant's due events to ``publisher`` in batches and acknowledge each batch.

    Events are committed to the outbox with the change that raised them; the storage hands them
    to its own publisher after commit, and what that publisher refused stays pending. This job
    offers what is pending and due again. When the publisher refuses a batch, its events are
    offered one by one, so that only the ones it refuses wait: each of those is due again after
    the ``retry`` policy's delay, and parked after its last attempt; later events are not held
    back. Delivery is at least once, and an event that failed may be delivered after later
    ones: consumers deduplicate by event id.

    Raises:
        PermissionDenied: The actor may not deliver the outbox (``deliver_outbox``).
        ValidationError: ``batch`` is not a positive int, or ``retry`` not a RetryPolicy.
    """
    _check_batch(batch)
    if not isinstance(retry, RetryPolicy):
        raise ValidationError.single("retry", retry, "must be a RetryPolicy")
    now = jx.clock.now()
    run = _Run()
    seen: set[str] = set()
    while True:
        due = jx.storage.pending_events(jx.tenant, batch + len(seen), due=now)
        pending = [e for e in due if e.id not in seen][:batch]
        if not pending:
            return run.result()
        seen.update(e.id for e in pending)
        try:
            publisher(jx.tenant, pending)
        except Exception as exc:  # the host's handler: find which events it refuses
            if len(pending) == 1:
                _failed(jx, pending[0], exc, retry, run)
            else:
                for event in pending:
                    _deliver_one(jx, publisher, event, retry, run)
            continue
        jx.storage.acknowledge(jx.tenant, [e.id for e in pending])
        run.delivered.extend(e.id for e in pending)


@attrs.define
class _Run:
    delivered: list[str] = attrs.Factory(list)
    retrying: list[str] = attrs.Factory(list)
    parked: list[str] = attrs.Factory(list)
    failed: str | None = None

    def result(self) -> DeliveryRun:
        return DeliveryRun(
            tuple(self.delivered), self.failed, tuple(self.retrying), tuple(self.parked)
        )


def _deliver_one(
    jx: JobContext, publisher: Publisher, event: DomainEvent, retry: RetryPolicy, run: _Run
) -> None:
    """Offer one event; on refusal record the failure."""
    try:
        publisher(jx.tenant, [event])
    except Exception as exc:  # the host's handler refused this event: it waits, others pass
        _failed(jx, event, exc, retry, run)
        return
    jx.storage.acknowledge(jx.tenant, [event.id])
    run.delivered.append(event.id)


def _failed(
    jx: JobContext, event: DomainEvent, exc: Exception, retry: RetryPolicy, run: _Run
) -> None:
    """Record a refused delivery: the event is due again later, or parked after the last try."""
    retry_at = jx.storage.record_delivery_failure(jx.tenant, event.id, exc, jx.clock.now(), retry)
    run.failed = run.failed or describe_error(exc)
    fields = {"tenant": jx.tenant, "command": "deliver_outbox", "event_id": event.id}
    if retry_at is None:
        run.parked.append(event.id)
        _log.error(
            "event %s parked after its last failed delivery: %r", event.id, exc, extra=fields
        )
    else:
        run.retrying.append(event.id)
        when = retry_at.isoformat()
        _log.warning(
            "event %s not delivered; due again at %s: %r", event.id, when, exc, extra=fields
        )


@job("view_outbox")
def list_parked_events(jx: JobContext, /, *, limit: int = 100) -> tuple[ParkedEvent, ...]:
    """Return the tenant's parked events (dead letters), oldest first, with their errors.

    Raises:
        PermissionDenied: The actor may not look into the outbox (``view_outbox``).
        ValidationError: ``limit`` is not a positive int.
    """
    return tuple(jx.storage.parked_events(jx.tenant, limit))


@job("retry_outbox")
def retry_parked_events(jx: JobContext, /, event_ids: Sequence[str]) -> int:
    """Make parked events pending and due now, their failures forgotten; return how many.

    The next :func:`deliver_outbox` run offers them again. Ids that are unknown or not parked
    are ignored.

    Raises:
        PermissionDenied: The actor may not retry parked events (``retry_outbox``).
        ValidationError: ``event_ids`` is not a list of ids.
    """
    retried = jx.storage.retry_parked(jx.tenant, event_ids)
    _log.info(
        "%d parked event(s) made due again",
        retried,
        extra={"tenant": jx.tenant, "command": "retry_parked_events", "events": retried},
    )
    return retried
