"""The memory adapter: the reference implementation of every storage port.

Thread-safe: a unit of work keeps its changes to itself and applies them all at once, under one
lock, at commit, after checking versions, ids and technician slots against what is committed; a
rollback (or a failed commit) leaves the committed state exactly as it was. Entities go in and
come out as copies, so a caller's object never aliases stored state.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from servicecore.adapters.outbox import hand_over
from servicecore.adapters.query import iterate_pages, run_query, unpaged
from servicecore.catalog import AGGREGATES, AggregateSpec, SlotClaim, slot_claim, spec_for
from servicecore.errors import (
    AuditChainError,
    ConcurrencyError,
    DoubleBooking,
    DuplicateId,
    NotFound,
    ValidationError,
)
from servicecore.events import DomainEvent
from servicecore.model import _validate as v
from servicecore.model.audit import GENESIS, AuditEntry
from servicecore.ports import Page, Publisher, Query, Storage, UnitOfWork

__all__ = ["MemoryStorage", "MemoryUnitOfWork"]

Key = tuple[str, str]  # (kind, id)


def _check_tenant(tenant: object) -> str:
    if not isinstance(tenant, str):
        raise ValidationError.single("tenant", tenant, "must be an id")
    try:
        v.identifier(None, _TENANT_FIELD, tenant)
    except ValidationError:
        raise ValidationError.single("tenant", tenant, "must be an id") from None
    return tenant


class _Field:
    name = "tenant"


_TENANT_FIELD: Any = _Field()


class _Tenant:
    def __init__(self) -> None:
        self.records: dict[Key, Any] = {}
        self.audit: dict[Key, list[AuditEntry]] = {}
        self.outbox: dict[str, DomainEvent] = {}  # insertion order = commit order
        self.delivered: set[str] = set()


def _overlap(claim: SlotClaim, other: SlotClaim) -> bool:
    return claim.technician_id == other.technician_id and claim.period.overlaps(other.period)


class MemoryStorage:
    """Everything in this process's memory; the reference the other adapters are held to.

    Args:
        publisher: Called as ``publisher(tenant, events)`` after each commit that has events;
            if it returns, the events are acknowledged, if it raises they stay pending (see
            :meth:`pending_events`).
    """

    def __init__(self, publisher: Publisher | None = None) -> None:
        self._lock = threading.RLock()
        self._tenants: dict[str, _Tenant] = {}
        self.publisher = publisher

    def _tenant(self, tenant: str) -> _Tenant:
        return self._tenants.setdefault(tenant, _Tenant())

    def unit_of_work(self, tenant: str) -> MemoryUnitOfWork:
        """Open a unit of work for ``tenant``.

        Raises:
            ValidationError: ``tenant`` is not an id.
        """
        return MemoryUnitOfWork(self, _check_tenant(tenant))

    def pending_events(self, tenant: str, limit: int = 100) -> Sequence[DomainEvent]:
        """Return committed, unacknowledged events of ``tenant``, oldest first."""
        with self._lock:
            state = self._tenant(_check_tenant(tenant))
            pending = [e for i, e in state.outbox.items() if i not in state.delivered]
            return tuple(pending[:limit])

    def acknowledge(self, tenant: str, event_ids: Sequence[str]) -> None:
        """Mark events handled; unknown ids are ignored."""
        with self._lock:
            state = self._tenant(_check_tenant(tenant))
            state.delivered.update(i for i in event_ids if i in state.outbox)

    def publish_pending(self, tenant: str) -> int:
        """Hand pending events of ``tenant`` to the publisher again; return how many were handled.

        Raises:
            Exception: Whatever the publisher raises (the events stay pending).
        """
        events = self.pending_events(tenant, limit=10_000)
        if events and self.publisher is not None:
            self.publisher(tenant, events)
            self.acknowledge(tenant, [e.id for e in events])
        return len(events) if self.publisher is not None else 0


class _MemoryAudit:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow
        self.pending: dict[Key, list[AuditEntry]] = {}

    def _committed(self, key: Key) -> list[AuditEntry]:
        with self._uow.storage._lock:
            return list(self._uow.state.audit.get(key, ()))

    def head(self, entity_kind: str, entity_id: str) -> AuditEntry | None:
        key = (entity_kind, entity_id)
        mine = self.pending.get(key)
        if mine:
            return mine[-1]
        committed = self._committed(key)
        return committed[-1] if committed else None

    def append(self, entry: AuditEntry) -> None:
        head = self.head(entry.entity_kind, entry.entity_id)
        expected = GENESIS if head is None else head.hash
        seq = 1 if head is None else head.seq + 1
        if entry.prev_hash != expected or entry.seq != seq:
            raise AuditChainError(
                f"{entry.entity_kind} {entry.entity_id}: entry seq {entry.seq} does not follow "
                f"the current head (seq {seq - 1})"
            )
        self.pending.setdefault((entry.entity_kind, entry.entity_id), []).append(entry)

    def entries(self, entity_kind: str, entity_id: str) -> tuple[AuditEntry, ...]:
        key = (entity_kind, entity_id)
        return tuple(self._committed(key) + self.pending.get(key, []))


class _MemoryRepository:
    def __init__(self, uow: MemoryUnitOfWork, spec: AggregateSpec) -> None:
        self._uow = uow
        self.spec = spec

    def _key(self, id: str) -> Key:
        return (self.spec.kind, id)

    def _check_type(self, entity: object) -> None:
        if not isinstance(entity, self.spec.cls):
            raise ValidationError.single(
                "entity", type(entity).__name__, f"this repository stores {self.spec.kind}"
            )

    def _current(self, id: str) -> Any | None:
        key = self._key(id)
        if key in self._uow.pending:
            return self._uow.pending[key]
        with self._uow.storage._lock:
            return self._uow.state.records.get(key)

    def get(self, id: str) -> Any:
        found = self.find(id)
        if found is None:
            raise NotFound(self.spec.kind, id)
        return found

    def find(self, id: str) -> Any | None:
        current = self._current(id)
        return None if current is None else copy.copy(current)

    def add(self, entity: Any) -> None:
        self._check_type(entity)
        if entity.version != 0:
            raise ValidationError.single(
                "version", entity.version, "a new entity has version 0 (use update to change one)"
            )
        if self._current(entity.id) is not None:
            raise DuplicateId(
                f"{self.spec.kind} {entity.id!r} exists for tenant {self._uow.tenant}"
            )
        stored = copy.copy(entity)
        stored.version = 1
        self._uow.check_claim(stored)
        self._uow.pending[self._key(entity.id)] = stored
        self._uow.bases.setdefault(self._key(entity.id), None)
        entity.version = 1

    def update(self, entity: Any) -> None:
        self._check_type(entity)
        key = self._key(entity.id)
        current = self._current(entity.id)
        if current is None:
            raise NotFound(self.spec.kind, entity.id)
        if key in self._uow.pending:
            if entity.version != current.version:
                raise ConcurrencyError(
                    f"{self.spec.kind} {entity.id}: version {entity.version} is stale "
                    f"(this unit of work holds {current.version})"
                )
            stored = copy.copy(entity)
        else:
            if entity.version != current.version:
                raise ConcurrencyError(
                    f"{self.spec.kind} {entity.id}: loaded at version {entity.version}, "
                    f"stored version is {current.version}"
                )
            self._uow.bases[key] = current.version
            stored = copy.copy(entity)
            stored.version = current.version + 1
        self._uow.check_claim(stored)
        self._uow.pending[key] = stored
        entity.version = stored.version

    def _visible(self) -> list[Any]:
        kind = self.spec.kind
        with self._uow.storage._lock:
            merged = {k: e for k, e in self._uow.state.records.items() if k[0] == kind}
        merged.update({k: e for k, e in self._uow.pending.items() if k[0] == kind})
        return list(merged.values())

    def query(self, query: Query | None = None) -> Page[Any]:
        query = query or Query()
        query.check(self.spec)
        page = run_query(query, self.spec, self._visible())
        return Page(tuple(copy.copy(e) for e in page.items), page.next)

    def count(self, query: Query | None = None) -> int:
        query = query or Query()
        query.check(self.spec)
        return len(run_query(unpaged(query), self.spec, self._visible()))

    def iterate(self, query: Query | None = None, page_size: int = 1000) -> Iterator[Any]:
        return iterate_pages(self.query, query, page_size)


class MemoryUnitOfWork:
    """A unit of work on :class:`MemoryStorage` (see :class:`~servicecore.ports.UnitOfWork`)."""

    def __init__(self, storage: MemoryStorage, tenant: str) -> None:
        self.storage = storage
        self.tenant = tenant
        with storage._lock:
            self.state = storage._tenant(tenant)
        self.pending: dict[Key, Any] = {}
        self.bases: dict[Key, int | None] = {}  # None: added here; int: version it was loaded at
        self.events: list[DomainEvent] = []
        self.audit = _MemoryAudit(self)
        self._repos: dict[str, _MemoryRepository] = {}
        for spec in AGGREGATES:
            self._repos[spec.name] = _MemoryRepository(self, spec)

    def __getattr__(self, name: str) -> Any:
        # Repositories by aggregate name: uow.requests, uow.dispatches, ...
        repos = self.__dict__.get("_repos", {})
        if name in repos:
            return repos[name]
        raise AttributeError(name)

    def repository(self, name: str) -> _MemoryRepository:
        """Return the repository of aggregate ``name`` (``"requests"`` or ``"ServiceRequest"``).

        Raises:
            ValidationError: No such aggregate.
        """
        return self._repos[spec_for(name).name]

    def collect(self, event: DomainEvent) -> None:
        """Queue ``event`` for the outbox.

        Raises:
            ValidationError: ``event`` is not a DomainEvent.
        """
        if not isinstance(event, DomainEvent):
            raise ValidationError.single("event", event, "must be a DomainEvent")
        self.events.append(event)

    def _claims(self, records: dict[Key, Any]) -> list[SlotClaim]:
        return [c for e in records.values() if (c := slot_claim(e)) is not None]

    def check_claim(self, entity: Any, committed: dict[Key, Any] | None = None) -> None:
        """Raise DoubleBooking if ``entity`` claims technician time someone else holds."""
        claim = slot_claim(entity)
        if claim is None:
            return
        if committed is None:
            with self.storage._lock:
                committed = dict(self.state.records)
        merged = committed | self.pending
        merged[(type(entity).__name__, entity.id)] = entity
        for key, other in merged.items():
            if key == (claim.owner_kind, claim.owner_id):
                continue
            held = slot_claim(other)
            if held is not None and _overlap(claim, held):
                raise DoubleBooking(
                    f"technician {claim.technician_id} is already held "
                    f"{held.period.start.isoformat()} to {held.period.end.isoformat()} "
                    f"by {held.owner_kind} {held.owner_id}"
                )

    def commit(self) -> Sequence[DomainEvent]:
        """Apply every change at once; see :meth:`servicecore.ports.UnitOfWork.commit`."""
        events = tuple(self.events)
        with self.storage._lock:
            records = self.state.records
            for key, base in self.bases.items():
                now = records.get(key)
                if base is None and now is not None:
                    self.rollback()
                    raise DuplicateId(f"{key[0]} {key[1]!r} exists for tenant {self.tenant}")
                if base is not None and (now is None or now.version != base):
                    self.rollback()
                    raise ConcurrencyError(
                        f"{key[0]} {key[1]}: loaded at version {base}, now "
                        f"{'gone' if now is None else now.version}"
                    )
            for key, entries in self.audit.pending.items():
                chain = self.state.audit.get(key, [])
                expected = chain[-1].hash if chain else GENESIS
                if entries[0].prev_hash != expected:
                    self.rollback()
                    raise ConcurrencyError(f"{key[0]} {key[1]}: its audit trail moved on")
            for entity in self.pending.values():
                try:
                    self.check_claim(entity, committed=dict(records))
                except DoubleBooking:
                    self.rollback()
                    raise
            for event in events:
                if event.id in self.state.outbox:
                    self.rollback()
                    raise DuplicateId(f"event {event.id!r} exists for tenant {self.tenant}")
            records.update({k: copy.copy(e) for k, e in self.pending.items()})
            for key, entries in self.audit.pending.items():
                self.state.audit.setdefault(key, []).extend(entries)
            for event in events:
                self.state.outbox[event.id] = event
        self._clear()
        hand_over(self.storage.publisher, self.storage.acknowledge, self.tenant, events)
        return events

    def _clear(self) -> None:
        self.pending.clear()
        self.bases.clear()
        self.events.clear()
        self.audit.pending.clear()

    def rollback(self) -> None:
        """Drop every change and event of this unit of work."""
        self._clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()


if TYPE_CHECKING:  # the type checker proves the adapter meets the ports
    _storage: Storage = MemoryStorage()
    _uow: UnitOfWork = MemoryStorage().unit_of_work("t")
