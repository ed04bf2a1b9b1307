"""The narrow protocol a storage backend implements; the kernel keeps every promise above it.

A backend only reads committed state and writes a batch of changes atomically. Staging,
copies, version bookkeeping, merging pending changes into queries, the slot-claim rule, the
audit chain rule and handing events over are the kernel's (:mod:`servicecore.storage.kernel`),
written once for every backend.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from servicecore.catalog import AggregateSpec, SlotClaim
from servicecore.events import DomainEvent, ParkedEvent
from servicecore.model.audit import AuditEntry
from servicecore.model.common import TimeRange
from servicecore.ports import Query

__all__ = ["Backend", "Transaction"]


class Transaction(Protocol):
    """One atomic batch of writes for one tenant (see :meth:`Backend.transaction`).

    Everything written through it becomes visible at once when the ``with`` block ends without
    an exception, and not at all otherwise. Checks made inside it must be final: no other writer
    may slip in between a check and the write that relies on it (serialise writers, or let a
    constraint refuse the loser).

    Attributes:
        refusal: The driver error behind the last refused write, if there was one: the kernel
            chains the servicecore error it raises to it (``raise ... from refusal``).
    """

    refusal: BaseException | None

    def save(self, spec: AggregateSpec, entity: Any, expected: int | None) -> bool:
        """Write ``entity`` (its ``version`` is the one to store).

        Args:
            spec: Its aggregate.
            entity: The entity; the backend must not keep a reference it later changes.
            expected: ``None``: insert it, refusing an existing id; else update it only if the
                stored version is still ``expected``.

        Returns:
            ``False`` when refused (the id exists, or the stored version is not ``expected``
            or the entity is gone); the kernel then raises and the transaction rolls back.

        Raises:
            ValidationError: The backend's own constraint refused a unique key of the
                aggregate (:class:`~servicecore.catalog.UniqueKey`: a concurrent writer won the
                race the kernel's check cannot see), naming the key's field. A backend that
                serialises writers never needs to: the kernel's check inside the batch is final.
        """
        ...

    def claims(self, technician_id: str, period: TimeRange) -> Sequence[SlotClaim]:
        """Return the claims on ``technician_id``'s time overlapping ``period``.

        This batch's own claims and releases are included.
        """
        ...

    def claim(self, owner_kind: str, owner_id: str, claim: SlotClaim | None) -> None:
        """Set (or with ``None`` release) the time claimed by a booking or dispatch order.

        Raises:
            DoubleBooking: The backend's own constraint refused an overlap (a concurrent writer
                won the race the kernel's check cannot see).
        """
        ...

    def append(self, entries: Sequence[AuditEntry]) -> bool:
        """Append one entity's new audit entries (consecutive ``seq``).

        Returns:
            ``False`` when one of their ``seq`` is taken (another writer extended the chain).
        """
        ...

    def enqueue(self, events: Sequence[DomainEvent]) -> bool:
        """Write ``events`` to the outbox in their order, after every event already there.

        Returns:
            ``False`` when the tenant's outbox already holds an event with one of their ids
            (or two of them share one).
        """
        ...


class Backend(Protocol):
    """Where a storage's records live: committed reads, and atomic batches of writes.

    Every method takes the tenant and sees or changes that tenant's records only. Reads see
    committed state; entities returned are new objects the caller may change. Driver errors
    leave as :class:`~servicecore.errors.StorageError` (or the more precise servicecore error),
    chained with ``from``.
    """

    def load(self, tenant: str, spec: AggregateSpec, id: str) -> Any | None:
        """Return the stored entity ``id`` of ``spec``'s aggregate, or ``None``."""
        ...

    def version(self, tenant: str, spec: AggregateSpec, id: str) -> int | None:
        """Return the stored version of entity ``id``, or ``None`` when there is none."""
        ...

    def select(
        self, tenant: str, spec: AggregateSpec, query: Query, exclude: Collection[str]
    ) -> Sequence[Any]:
        """Return the stored entities matching ``query``, in its order, after its cursor.

        At most ``query.limit`` entities (all when ``None``); entities without the order field
        and those whose id is in ``exclude`` are left out. The query is already checked.
        :func:`servicecore.storage.query.select` does all this in Python.
        """
        ...

    def count(
        self, tenant: str, spec: AggregateSpec, query: Query, exclude: Collection[str]
    ) -> int:
        """Return how many stored entities match ``query``'s conditions, leaving out ``exclude``."""
        ...

    def audit(self, tenant: str, kind: str, id: str, last: bool = False) -> Sequence[AuditEntry]:
        """Return an entity's stored audit entries, oldest first (only the newest if ``last``)."""
        ...

    def claims(self, tenant: str, technician_id: str, period: TimeRange) -> Sequence[SlotClaim]:
        """Return the stored claims on ``technician_id``'s time overlapping ``period``."""
        ...

    def transaction(self, tenant: str) -> AbstractContextManager[Transaction]:
        """Open an atomic batch of writes (see :class:`Transaction`)."""
        ...

    def pending(
        self, tenant: str, limit: int, due: datetime | None = None
    ) -> Sequence[DomainEvent]:
        """Return up to ``limit`` unacknowledged events that are not parked, oldest first.

        With ``due``, events whose failed delivery set a retry time later than ``due`` are
        left out too.
        """
        ...

    def acknowledge(self, tenant: str, event_ids: Sequence[str]) -> None:
        """Mark events handled; unknown and already handled ids are ignored."""
        ...

    def attempts(self, tenant: str, event_id: str) -> int:
        """Return how many deliveries of the event failed (0 for an unknown id)."""
        ...

    def record_failure(
        self, tenant: str, event_id: str, error: str, at: datetime, retry_at: datetime | None
    ) -> None:
        """Count one more failed delivery of the event, keeping ``error``.

        Args:
            tenant: Whose event.
            event_id: Which (an unknown or handled id is ignored).
            error: Why it failed.
            at: When it failed.
            retry_at: When it is due again; ``None`` parks it (as of ``at``).
        """
        ...

    def parked(self, tenant: str, limit: int) -> Sequence[ParkedEvent]:
        """Return up to ``limit`` parked events, oldest first."""
        ...

    def unpark(self, tenant: str, event_ids: Sequence[str]) -> int:
        """Make parked events pending and due again, their failures forgotten.

        Returns:
            How many were parked (unknown and not parked ids are ignored).
        """
        ...
