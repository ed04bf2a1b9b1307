"""Memory storage: the storage kernel over dictionaries in this process's memory.

Thread-safe: reads take a lock for the moment they copy what they need; a commit's batch is
checked and applied under the same lock, so it is atomic and its checks are final. Entities go
in and come out as copies, so a caller's object never aliases stored state.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import attrs

from servicecore.catalog import AggregateSpec, SlotClaim
from servicecore.events import DomainEvent, ParkedEvent
from servicecore.model.audit import AuditEntry, AuditKey
from servicecore.model.common import TimeRange
from servicecore.ports import Publisher, Query
from servicecore.storage.kernel import KernelStorage, KernelUnitOfWork
from servicecore.storage.query import matches, select

__all__ = ["MemoryBackend", "MemoryStorage", "MemoryUnitOfWork"]

Key = tuple[str, str]  # (kind, id)
MemoryUnitOfWork = KernelUnitOfWork
"""A unit of work on :class:`MemoryStorage` (the kernel's)."""


class _Tenant:
    def __init__(self) -> None:
        self.records: dict[Key, Any] = {}
        self.audit: dict[Key, list[AuditEntry]] = {}
        self.claims: dict[Key, SlotClaim] = {}
        self.outbox: dict[str, DomainEvent] = {}  # insertion order = commit order
        self.delivered: set[str] = set()
        self.failures: dict[str, _Failures] = {}


@attrs.define
class _Failures:
    """An event's failed deliveries: how many, the last error, when due again or parked."""

    attempts: int
    error: str
    retry_at: datetime | None
    parked_at: datetime | None


def _overlapping(
    claims: Collection[SlotClaim], technician_id: str, period: TimeRange
) -> list[SlotClaim]:
    return [c for c in claims if c.technician_id == technician_id and c.period.overlaps(period)]


class _Batch:
    """One commit's writes, checked against the committed state and applied at the end."""

    def __init__(self, state: _Tenant) -> None:
        self.state = state
        self.refusal: BaseException | None = None
        self.records: dict[Key, Any] = {}
        self.audit: dict[Key, list[AuditEntry]] = {}
        self.claimed: dict[Key, SlotClaim | None] = {}
        self.events: dict[str, DomainEvent] = {}

    def save(self, spec: AggregateSpec, entity: Any, expected: int | None) -> bool:
        key = (spec.kind, entity.id)
        now = self.state.records.get(key)
        if (now is not None) if expected is None else (now is None or now.version != expected):
            return False
        self.records[key] = copy.copy(entity)
        return True

    def claims(self, technician_id: str, period: TimeRange) -> Sequence[SlotClaim]:
        merged = self.state.claims | self.claimed
        return _overlapping([c for c in merged.values() if c is not None], technician_id, period)

    def claim(self, owner_kind: str, owner_id: str, claim: SlotClaim | None) -> None:
        self.claimed[(owner_kind, owner_id)] = claim

    def append(self, entries: Sequence[AuditEntry]) -> bool:
        key = (entries[0].entity_kind, entries[0].entity_id)
        if len(self.state.audit.get(key, ())) != entries[0].seq - 1:
            return False
        self.audit[key] = list(entries)
        return True

    def enqueue(self, events: Sequence[DomainEvent]) -> bool:
        for event in events:
            if event.id in self.state.outbox or event.id in self.events:
                return False
            self.events[event.id] = event
        return True

    def apply(self) -> None:
        state = self.state
        state.records.update(self.records)
        for key, entries in self.audit.items():
            state.audit.setdefault(key, []).extend(entries)
        for key, claim in self.claimed.items():
            if claim is None:
                state.claims.pop(key, None)
            else:
                state.claims[key] = claim
        state.outbox.update(self.events)


class MemoryBackend:
    """The :class:`~servicecore.storage.backend.Backend` over a :class:`MemoryStorage`'s data."""

    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage

    def _tenant(self, tenant: str) -> _Tenant:
        return self._storage._tenants.setdefault(tenant, _Tenant())

    def load(self, tenant: str, spec: AggregateSpec, id: str) -> Any | None:
        """Return a copy of the stored entity, or ``None``."""
        with self._storage._lock:
            found = self._tenant(tenant).records.get((spec.kind, id))
        return None if found is None else copy.copy(found)

    def version(self, tenant: str, spec: AggregateSpec, id: str) -> int | None:
        """Return the stored version, or ``None``."""
        with self._storage._lock:
            found = self._tenant(tenant).records.get((spec.kind, id))
        return None if found is None else int(found.version)

    def _of(self, tenant: str, spec: AggregateSpec, exclude: Collection[str]) -> list[Any]:
        skip = set(exclude)
        with self._storage._lock:
            records = self._tenant(tenant).records
            return [e for (k, i), e in records.items() if k == spec.kind and i not in skip]

    def select(
        self, tenant: str, spec: AggregateSpec, query: Query, exclude: Collection[str]
    ) -> Sequence[Any]:
        """Return copies of the matching entities (see the protocol)."""
        found = select(query, spec, self._of(tenant, spec, exclude))
        return [copy.copy(e) for _, e in found]

    def count(
        self, tenant: str, spec: AggregateSpec, query: Query, exclude: Collection[str]
    ) -> int:
        """Return how many stored entities match."""
        return sum(1 for e in self._of(tenant, spec, exclude) if matches(query, spec, e))

    def audit(self, tenant: str, kind: str, id: str, last: bool = False) -> Sequence[AuditEntry]:
        """Return the entity's stored audit entries (or only the newest)."""
        with self._storage._lock:
            chain = self._tenant(tenant).audit.get((kind, id), [])
            return chain[-1:] if last else list(chain)

    def claims(self, tenant: str, technician_id: str, period: TimeRange) -> Sequence[SlotClaim]:
        """Return the stored claims overlapping ``period``."""
        with self._storage._lock:
            held = list(self._tenant(tenant).claims.values())
        return _overlapping(held, technician_id, period)

    @contextmanager
    def transaction(self, tenant: str) -> Iterator[_Batch]:
        """Hold the lock, collect the batch, apply it if the block ends without an exception."""
        with self._storage._lock:
            batch = _Batch(self._tenant(tenant))
            yield batch
            batch.apply()

    def pending(
        self, tenant: str, limit: int, due: datetime | None = None
    ) -> Sequence[DomainEvent]:
        """Return up to ``limit`` unacknowledged events not parked (and due), oldest first."""
        with self._storage._lock:
            state = self._tenant(tenant)
            found = [
                e
                for i, e in state.outbox.items()
                if i not in state.delivered and _waiting(state.failures.get(i), due)
            ]
        return found[:limit]

    def acknowledge(self, tenant: str, event_ids: Sequence[str]) -> None:
        """Mark events handled; unknown ids are ignored."""
        with self._storage._lock:
            state = self._tenant(tenant)
            state.delivered.update(i for i in event_ids if i in state.outbox)

    def attempts(self, tenant: str, event_id: str) -> int:
        """Return how many deliveries of the event failed."""
        with self._storage._lock:
            found = self._tenant(tenant).failures.get(event_id)
        return 0 if found is None else found.attempts

    def record_failure(
        self, tenant: str, event_id: str, error: str, at: datetime, retry_at: datetime | None
    ) -> None:
        """Count one more failed delivery; ``retry_at`` ``None`` parks the event."""
        with self._storage._lock:
            state = self._tenant(tenant)
            if event_id not in state.outbox or event_id in state.delivered:
                return
            before = state.failures.get(event_id)
            attempts = 1 if before is None else before.attempts + 1
            parked = at if retry_at is None else None
            state.failures[event_id] = _Failures(attempts, error, retry_at, parked)

    def parked(self, tenant: str, limit: int) -> Sequence[ParkedEvent]:
        """Return up to ``limit`` parked events, oldest first."""
        with self._storage._lock:
            state = self._tenant(tenant)
            found = []
            for i, event in state.outbox.items():
                failed = state.failures.get(i)
                if failed is not None and failed.parked_at is not None and i not in state.delivered:
                    found.append(
                        ParkedEvent(
                            event=event,
                            attempts=failed.attempts,
                            error=failed.error,
                            parked_at=failed.parked_at,
                        )
                    )
        return found[:limit]

    def unpark(self, tenant: str, event_ids: Sequence[str]) -> int:
        """Make parked events pending again; return how many were parked."""
        with self._storage._lock:
            failures = self._tenant(tenant).failures
            parked = [i for i in event_ids if i in failures and failures[i].parked_at is not None]
            for i in parked:
                del failures[i]
        return len(parked)


def _waiting(failed: _Failures | None, due: datetime | None) -> bool:
    """Whether an unacknowledged event is pending: not parked, and due if ``due`` is given."""
    if failed is None:
        return True
    if failed.parked_at is not None:
        return False
    return due is None or failed.retry_at is None or failed.retry_at <= due


class MemoryStorage(KernelStorage):
    """Everything in this process's memory; the reference the other storages are held to.

    Args:
        publisher: Called as ``publisher(tenant, events)`` after each commit that has events;
            if it returns, the events are acknowledged, if it raises they stay pending (see
            :meth:`pending_events`).
        audit_key: The host's secret for audit hashes (see
            :class:`~servicecore.storage.KernelStorage`); never stored or logged.

    Raises:
        ValidationError: ``audit_key`` is not an :class:`~servicecore.model.audit.AuditKey`.
    """

    def __init__(
        self, publisher: Publisher | None = None, *, audit_key: AuditKey | None = None
    ) -> None:
        # The data and its lock are attributes of the storage, so that several storages (each
        # with its own publisher) can share one memory, as processes share a database.
        self._lock = threading.RLock()
        self._tenants: dict[str, _Tenant] = {}
        super().__init__(MemoryBackend(self), publisher, audit_key=audit_key)
