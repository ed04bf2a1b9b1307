"""The storage kernel: every promise of the storage ports, written once above a :class:`Backend`.

A unit of work keeps its changes to itself (copies, so that a caller's object never aliases
stored state), checks what it can at once against the committed state (ids, versions, the audit
chain, technician slots), and at commit hands the backend one atomic batch in which the same
checks are made final: inserts refuse existing ids, updates carry the version they were loaded
at, audit entries refuse a taken ``seq``, slot claims and unique keys
(:class:`~servicecore.catalog.UniqueKey`) are checked inside the batch, event ids are unique. A
failed commit writes nothing and drops the unit of work's changes, as a rollback does. After a
commit the events are handed to the storage's publisher.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import attrs

from servicecore.catalog import (
    AGGREGATES,
    AggregateSpec,
    SlotClaim,
    UniqueKey,
    slot_claim,
    spec_for,
    unique_values,
)
from servicecore.errors import (
    AuditChainError,
    ConcurrencyError,
    DoubleBooking,
    DuplicateId,
    NotFound,
    ValidationError,
)
from servicecore.events import DEFAULT_RETRY, DomainEvent, ParkedEvent, RetryPolicy, describe_error
from servicecore.model import _validate as v
from servicecore.model.audit import GENESIS, AuditEntry, AuditKey
from servicecore.ports import Page, Publisher, Query, Storage, UnitOfWork
from servicecore.storage.backend import Backend, Transaction
from servicecore.storage.outbox import hand_over
from servicecore.storage.query import iterate_pages, matches, order_key, select, unpaged

if TYPE_CHECKING:
    from servicecore.reports.port import ReportingBackend

__all__ = ["KernelStorage", "KernelUnitOfWork", "check_tenant"]

Key = tuple[str, str]  # (kind, id)

_BY_NAME = {spec.name: spec for spec in AGGREGATES}
_CLAIMING = frozenset({"Booking", "DispatchOrder"})  # the kinds slot_claim may return a claim for


_UNSEEN = object()  # an entity this unit of work did not load (its head is not known)


class _TenantField:
    name = "tenant"


def check_tenant(tenant: object) -> str:
    """Return ``tenant`` if it is an id.

    Raises:
        ValidationError: It is not (the field is named ``tenant``).
    """
    if not isinstance(tenant, str):
        raise ValidationError.single("tenant", tenant, "must be an id")
    try:
        v.identifier(None, _TenantField(), tenant)  # type: ignore[arg-type]
    except ValidationError:
        raise ValidationError.single("tenant", tenant, "must be an id") from None
    return tenant


def _check_id(path: str, value: object) -> None:
    """Refuse an id that is not text every database stores, before any lookup reaches one.

    Raises:
        ValidationError: It is not a string, or holds a NUL or a lone surrogate (naming
            ``path`` and the value).
    """
    if not isinstance(value, str):
        raise ValidationError.single(path, value, "must be a string")
    v.storable_text(path, value)


def _event_ids(values: object) -> list[str]:
    """Return the event ids of ``values`` once each, in order.

    Raises:
        ValidationError: ``values`` is not a list of strings, or one holds text
            :func:`_check_id` refuses (naming ``event_ids[i]``).
    """
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError.single("event_ids", values, "must be a list of event ids")
    ids = list(values)
    if not all(isinstance(i, str) for i in ids):
        raise ValidationError.single("event_ids", ids, "must be a list of event ids")
    for index, value in enumerate(ids):
        _check_id(f"event_ids[{index}]", value)
    return list(dict.fromkeys(ids))


def _held(claim: SlotClaim, held: SlotClaim) -> DoubleBooking:
    return DoubleBooking(
        f"technician {claim.technician_id} is already held {held.period.start.isoformat()} to "
        f"{held.period.end.isoformat()} by {held.owner_kind} {held.owner_id}"
    )


class KernelStorage:
    """A storage whose rules are the kernel's and whose records are a :class:`Backend`'s.

    Memory, SQLAlchemy and an integrator's storage are this class over their own backend.

    Args:
        backend: Where the records live.
        publisher: Called as ``publisher(tenant, events)`` after each commit that has events;
            if it returns, the events are acknowledged, if it raises they stay pending (see
            :meth:`pending_events`).
        audit_key: The host's secret for audit hashes: new entries are sealed with it
            (HMAC-SHA256 over the entry and the tenant); without one they are sealed with the
            tenant only. Kept in memory: never stored or logged.

    Raises:
        ValidationError: ``audit_key`` is not an :class:`~servicecore.model.audit.AuditKey`.
    """

    def __init__(
        self,
        backend: Backend,
        publisher: Publisher | None = None,
        *,
        audit_key: AuditKey | None = None,
    ) -> None:
        if audit_key is not None and not isinstance(audit_key, AuditKey):
            raise ValidationError.single("audit_key", "<hidden>", "must be an AuditKey")
        self.backend = backend
        self.publisher = publisher
        self.audit_key = audit_key

    def unit_of_work(self, tenant: str) -> KernelUnitOfWork:
        """Open a unit of work for ``tenant``.

        Raises:
            ValidationError: ``tenant`` is not an id.
        """
        return KernelUnitOfWork(self, check_tenant(tenant), self.backend)

    def pending_events(
        self, tenant: str, limit: int = 100, *, due: datetime | None = None
    ) -> Sequence[DomainEvent]:
        """Return committed, unacknowledged events of ``tenant`` that are not parked, oldest first.

        Args:
            tenant: Whose events.
            limit: At most this many.
            due: Leave out events whose failed delivery set a retry time after this instant.

        Raises:
            ValidationError: ``tenant`` is not an id, ``limit`` not an int >= 1, or ``due`` not
                a timezone-aware datetime.
            StorageError: The backend failed.
        """
        _check_limit(limit)
        if due is not None and not (isinstance(due, datetime) and due.tzinfo is not None):
            raise ValidationError.single("due", due, "must be a timezone-aware datetime")
        return tuple(self.backend.pending(check_tenant(tenant), limit, due))

    def record_delivery_failure(
        self,
        tenant: str,
        event_id: str,
        error: BaseException,
        at: datetime,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> datetime | None:
        """Count a failed delivery of an event: due again later, or parked after the last try.

        Returns:
            When the event is due again, or ``None`` when it is now parked.

        Raises:
            ValidationError: ``tenant`` or ``event_id`` is not an id.
            StorageError: The backend failed.
        """
        tenant = check_tenant(tenant)
        _check_id("event_id", event_id)
        attempts = self.backend.attempts(tenant, event_id) + 1
        retry_at = retry.retry_at(attempts, at)
        self.backend.record_failure(tenant, event_id, describe_error(error), at, retry_at)
        return retry_at

    def parked_events(self, tenant: str, limit: int = 100) -> Sequence[ParkedEvent]:
        """Return the events of ``tenant`` parked after their last failed delivery, oldest first.

        Raises:
            ValidationError: ``tenant`` is not an id, or ``limit`` not an int >= 1.
            StorageError: The backend failed.
        """
        _check_limit(limit)
        return tuple(self.backend.parked(check_tenant(tenant), limit))

    def retry_parked(self, tenant: str, event_ids: Sequence[str]) -> int:
        """Make parked events pending and due now, their failures forgotten; return how many.

        Ids that are unknown or not parked are ignored.

        Raises:
            ValidationError: ``tenant`` is not an id, or ``event_ids`` is not a list of ids.
            StorageError: The backend failed.
        """
        tenant = check_tenant(tenant)
        ids = _event_ids(event_ids)
        return self.backend.unpark(tenant, ids) if ids else 0

    def acknowledge(self, tenant: str, event_ids: Sequence[str]) -> None:
        """Mark events handled; unknown ids are ignored.

        Raises:
            ValidationError: ``tenant`` is not an id, or ``event_ids`` is not a list of ids.
            StorageError: The backend failed.
        """
        ids = _event_ids(event_ids)
        if ids:
            self.backend.acknowledge(check_tenant(tenant), ids)

    def publish_pending(self, tenant: str) -> int:
        """Hand pending events of ``tenant`` to the publisher again; return how many were handled.

        Raises:
            Exception: Whatever the publisher raises (the events stay pending).
            StorageError: The backend failed.
        """
        events = self.pending_events(tenant, limit=10_000)
        if events and self.publisher is not None:
            self.publisher(tenant, events)
            self.acknowledge(tenant, [e.id for e in events])
        return len(events) if self.publisher is not None else 0

    def reporting(self) -> ReportingBackend:
        """Return the reporting backend over this storage (counts in Python over its records).

        Storages that can count in their database (SQLAlchemy) return their own.
        """
        from servicecore.reports.python import PythonReporting

        return PythonReporting(self)


class KernelAudit:
    """The audit trail of a unit of work's tenant.

    See :class:`servicecore.ports.AuditRepository` for the promises; this class keeps them.
    """

    def __init__(self, uow: KernelUnitOfWork) -> None:
        self._uow = uow
        self.pending: dict[Key, list[AuditEntry]] = {}
        # The committed head as this unit of work first read it: a chain extended by another
        # writer afterwards is found at commit (a ConcurrencyError), never in between.
        self.heads: dict[Key, AuditEntry | None] = {}

    def head(self, entity_kind: str, entity_id: str) -> AuditEntry | None:
        """Return the entity's newest entry (this unit of work's included), or ``None``.

        The committed head is read once per unit of work (again after the entity is loaded
        again), so that it stays the head of the entity as this unit of work loaded it.

        Raises:
            ValidationError: ``entity_kind`` or ``entity_id`` is not an id.
            ConcurrencyError: The entity was loaded by this unit of work and another one has
                committed a change of it (and its trail) since.
            StorageError: The backend failed.
        """
        _check_id("entity_kind", entity_kind)
        _check_id("entity_id", entity_id)
        key = (entity_kind, entity_id)
        mine = self.pending.get(key)
        if mine:
            return mine[-1]
        if key in self.heads:
            return self.heads[key]
        uow = self._uow
        found = uow.backend.audit(uow.tenant, entity_kind, entity_id, last=True)
        head = found[-1] if found else None
        self._check_fresh(key, head)
        self.heads[key] = head
        return head

    def _check_fresh(self, key: Key, head: AuditEntry | None) -> None:
        """Tell a race from tampering when the trail's head is not the loaded entity's.

        Raises:
            ConcurrencyError: The entity's stored version moved on since it was loaded: its
                trail moved with it (not tampering: the entity in hand is stale).
        """
        uow = self._uow
        named = uow.loaded_heads.get(key, _UNSEEN)
        if named is _UNSEEN or named == (None if head is None else head.hash):
            return
        kind, id = key
        now = uow.backend.version(uow.tenant, spec_for(kind), id)
        loaded = uow.loaded[key]
        if now != loaded:
            raise ConcurrencyError(
                f"{kind} {id}: loaded at version {loaded}, stored version is "
                f"{'gone' if now is None else now} (changed by another unit of work)"
            )

    def append(self, entry: AuditEntry) -> AuditEntry:
        """Stage ``entry`` after the entity's current head, sealed for the tenant.

        Returns:
            The entry as it will be stored: hashed with the tenant, and with the storage's
            audit key if it has one (:meth:`~servicecore.model.audit.AuditEntry.sealed`).

        Raises:
            DuplicateId: It starts a trail (``seq`` 1) and the entity has entries here (the
                commit refuses one it has in the backend).
            AuditChainError: It does not follow the head.
            StorageError: The backend failed.
        """
        key = (entry.entity_kind, entry.entity_id)
        if entry.seq == 1 and key not in self.pending and key not in self.heads:
            # The first entry of a new entity's trail: the commit's insert refuses it if the
            # trail exists (keyed on its sequence number), so the head is not read for it.
            _check_id("entity_kind", entry.entity_kind)
            _check_id("entity_id", entry.entity_id)
            self.heads[key] = None
        head = self.head(entry.entity_kind, entry.entity_id)
        if head is not None and entry.seq == 1:
            raise DuplicateId(f"{entry.entity_kind} {entry.entity_id} has been created before")
        expected = GENESIS if head is None else head.hash
        seq = 1 if head is None else head.seq + 1
        # An entry built after the head as its caller held it (before sealing) follows it too.
        if (
            head is not None
            and entry.prev_hash not in (expected, GENESIS)
            and (entry.prev_hash == head.unsealed_hash())
        ):
            entry = attrs.evolve(entry, prev_hash=expected)
        if entry.prev_hash != expected or entry.seq != seq:
            raise AuditChainError(
                f"{entry.entity_kind} {entry.entity_id}: entry seq {entry.seq} does not follow "
                f"the current head (seq {seq - 1})"
            )
        sealed = entry.sealed(self._uow.tenant, self._uow.storage.audit_key)
        self.pending.setdefault((entry.entity_kind, entry.entity_id), []).append(sealed)
        return sealed

    def entries(self, entity_kind: str, entity_id: str) -> tuple[AuditEntry, ...]:
        """Return the entity's entries, oldest first (this unit of work's last).

        Raises:
            ValidationError: ``entity_kind`` or ``entity_id`` is not an id.
            StorageError: The backend failed.
        """
        _check_id("entity_kind", entity_kind)
        _check_id("entity_id", entity_id)
        stored = self._uow.backend.audit(self._uow.tenant, entity_kind, entity_id)
        return (*stored, *self.pending.get((entity_kind, entity_id), ()))


class KernelRepository:
    """The stored entities of one aggregate for the unit of work's tenant.

    See :class:`servicecore.ports.Repository` for the promises; this class keeps them.
    """

    def __init__(self, uow: KernelUnitOfWork, spec: AggregateSpec) -> None:
        self._uow = uow
        self.spec = spec

    def _check_type(self, entity: object) -> None:
        if not isinstance(entity, self.spec.cls):
            raise ValidationError.single(
                "entity", type(entity).__name__, f"this repository stores {self.spec.kind}"
            )

    def get(self, id: str) -> Any:
        """Return the entity with ``id``.

        Raises:
            ValidationError: ``id`` is not a string, or holds text no database stores.
            NotFound: No such entity for this tenant.
            StorageError: The backend failed.
        """
        found = self.find(id)
        if found is None:
            raise NotFound(self.spec.kind, id)
        return found

    def find(self, id: str) -> Any | None:
        """Return the entity with ``id``, or ``None``.

        Raises:
            ValidationError: ``id`` is not a string, or holds text no database stores.
            StorageError: The backend failed.
        """
        _check_id("id", id)
        uow = self._uow
        key = (self.spec.kind, id)
        pending = uow.pending.get(key)
        if pending is not None:
            return copy.copy(pending)
        found = uow.backend.load(uow.tenant, self.spec, id)
        if found is not None:
            uow.loaded[key] = found.version
            if hasattr(found, "audit_head"):
                uow.loaded_heads[key] = found.audit_head
                uow.audit.heads.pop(key, None)
        return found

    def add(self, entity: Any) -> None:
        """Stage a new entity (``version`` 0) for commit; sets its ``version`` to 1.

        Raises:
            ValidationError: ``entity`` is not of this repository's type or has a version.
            DuplicateId: An entity with this id exists for this tenant.
            DoubleBooking: It holds technician time another booking or dispatch holds.
            StorageError: The backend failed.
        """
        self._check_type(entity)
        if entity.version != 0:
            raise ValidationError.single(
                "version", entity.version, "a new entity has version 0 (use update to change one)"
            )
        uow = self._uow
        key = (self.spec.kind, entity.id)
        if key in uow.pending or (
            # A trail this unit of work started (a lifecycle's creation) or read empty: the
            # entity is new or the commit's inserts refuse it (an entity and its trail are
            # committed together and never deleted), so its version is not read.
            uow.audit.heads.get(key, _UNSEEN) is not None
            and uow.backend.version(uow.tenant, self.spec, entity.id) is not None
        ):
            raise DuplicateId(f"{self.spec.kind} {entity.id!r} exists for tenant {uow.tenant}")
        stored = copy.copy(entity)
        stored.version = 1
        uow.check_claim(stored)
        uow.pending[key] = stored
        uow.bases.setdefault(key, None)
        entity.version = 1

    def update(self, entity: Any) -> None:
        """Stage a changed entity loaded at ``entity.version``; increments ``version``.

        Raises:
            ValidationError: ``entity`` is not of this repository's type.
            NotFound: The entity was never stored.
            ConcurrencyError: Someone committed a newer version first (found now or at commit).
            DoubleBooking: It now holds technician time another booking or dispatch holds.
            StorageError: The backend failed.
        """
        self._check_type(entity)
        uow = self._uow
        key = (self.spec.kind, entity.id)
        pending = uow.pending.get(key)
        if pending is not None:
            if entity.version != pending.version:
                raise ConcurrencyError(
                    f"{self.spec.kind} {entity.id}: version {entity.version} is stale "
                    f"(this unit of work holds {pending.version})"
                )
            stored = copy.copy(entity)
        else:
            # Loaded by this unit of work at this version: the commit's version check decides.
            if uow.loaded.get(key) != entity.version:
                current = uow.backend.version(uow.tenant, self.spec, entity.id)
                if current is None:
                    raise NotFound(self.spec.kind, entity.id)
                if entity.version != current:
                    raise ConcurrencyError(
                        f"{self.spec.kind} {entity.id}: loaded at version {entity.version}, "
                        f"stored version is {current}"
                    )
            stored = copy.copy(entity)
            stored.version = entity.version + 1
        uow.check_claim(stored)
        uow.bases.setdefault(key, stored.version - 1)
        uow.pending[key] = stored
        entity.version = stored.version

    def _pending(self) -> list[Any]:
        kind = self.spec.kind
        return [e for (k, _), e in self._uow.pending.items() if k == kind]

    def query(self, query: Query | None = None) -> Page[Any]:
        """Return the entities matching ``query`` (all, by id, without one).

        Raises:
            ValidationError: The query names a field that is not indexed, or a bad value.
            StorageError: The backend failed.
        """
        query = query or Query()
        query.check(self.spec)
        uow = self._uow
        limit = query.limit
        fetch = query if limit is None else attrs.evolve(query, limit=limit + 1)
        mine = self._pending()
        stored = uow.backend.select(uow.tenant, self.spec, fetch, [e.id for e in mine])
        found: list[Any]
        if mine:
            extra = [copy.copy(e) for e in mine if matches(query, self.spec, e)]
            found = [e for _, e in select(fetch, self.spec, [*stored, *extra])]
        else:
            found = list(stored)
        if limit is not None and len(found) > limit:
            found = found[:limit]
            return Page(tuple(found), order_key(query, self.spec, found[-1]))
        return Page(tuple(found))

    def count(self, query: Query | None = None) -> int:
        """Return how many entities match (``limit`` and ``after`` are ignored).

        Raises:
            ValidationError: As for :meth:`query`.
            StorageError: The backend failed.
        """
        query = unpaged(query or Query())
        query.check(self.spec)
        mine = self._pending()
        uow = self._uow
        kind = self.spec.kind
        # Only entities stored before are counted as pending instead of as stored: a new one
        # has no stored row to leave out (or its commit fails), so the plain count applies.
        changed = [e.id for e in mine if uow.bases.get((kind, e.id)) is not None]
        stored = uow.backend.count(uow.tenant, self.spec, query, changed)
        return stored + sum(1 for e in mine if matches(query, self.spec, e))

    def iterate(self, query: Query | None = None, page_size: int = 1000) -> Iterator[Any]:
        """Yield every matching entity, fetching ``page_size`` at a time.

        Raises:
            ValidationError: As for :meth:`query`, or ``page_size`` < 1.
            StorageError: The backend failed.
        """
        return iterate_pages(self.query, query, page_size)


class KernelUnitOfWork:
    """A unit of work of a :class:`KernelStorage` (see :class:`~servicecore.ports.UnitOfWork`).

    Repositories are attributes named after the aggregates (``uow.requests``...).

    Args:
        storage: The storage it belongs to (its publisher gets the events).
        tenant: Whose records (already checked).
        backend: Where to read and write (the storage's, or one joined to a host transaction).
        deliver: Hand the events to the publisher after commit; ``False`` when the commit is
            not final (a host transaction commits it later).
        release: Called when the unit of work ends and after each commit, to give back what
            its backend holds for it (a database connection).
    """

    def __init__(
        self,
        storage: KernelStorage,
        tenant: str,
        backend: Backend,
        *,
        deliver: bool = True,
        release: Callable[[], None] | None = None,
    ) -> None:
        self.storage = storage
        self.tenant = tenant
        self.backend = backend
        self.deliver = deliver
        self._release = release
        self.pending: dict[Key, Any] = {}
        self.bases: dict[Key, int | None] = {}  # None: added here; int: version it was loaded at
        self.loaded: dict[Key, int] = {}  # versions this unit of work read
        self.loaded_heads: dict[Key, str | None] = {}  # and the audit heads they named
        self.events: list[DomainEvent] = []
        self.audit = KernelAudit(self)
        self._repos: dict[str, KernelRepository] = {}

    def __getattr__(self, name: str) -> Any:
        # Repositories by aggregate name: uow.requests, uow.dispatches, ...
        if name.startswith("_") or name not in _BY_NAME:
            raise AttributeError(name)
        return self.repository(name)

    def repository(self, name: str) -> KernelRepository:
        """Return the repository of aggregate ``name`` (``"requests"`` or ``"ServiceRequest"``).

        Raises:
            ValidationError: No such aggregate.
        """
        spec = spec_for(name)
        repo = self._repos.get(spec.name)
        if repo is None:
            repo = self._repos[spec.name] = KernelRepository(self, spec)
        return repo

    def collect(self, event: DomainEvent) -> None:
        """Queue ``event`` for the outbox; it is written with the changes at commit.

        Raises:
            ValidationError: ``event`` is not a DomainEvent.
        """
        if not isinstance(event, DomainEvent):
            raise ValidationError.single("event", event, "must be a DomainEvent")
        self.events.append(event)

    def check_claim(self, entity: Any) -> None:
        """Refuse ``entity`` if it claims technician time someone else holds.

        Raises:
            DoubleBooking: Another booking or dispatch order, committed or pending here, holds
                an overlapping range of the same technician.
            StorageError: The backend failed.
        """
        claim = slot_claim(entity)
        if claim is None:
            return
        own = (claim.owner_kind, claim.owner_id)
        for key, other in self.pending.items():
            held = slot_claim(other) if key != own else None
            if held is not None and _overlap(claim, held):
                raise _held(claim, held)
        for held in self.backend.claims(self.tenant, claim.technician_id, claim.period):
            key = (held.owner_kind, held.owner_id)
            if key != own and key not in self.pending:
                raise _held(claim, held)

    def commit(self) -> Sequence[DomainEvent]:
        """Write every change and event in one atomic batch; see the port's promises.

        Returns:
            The events committed (also handed to the storage's publisher).

        Raises:
            ConcurrencyError: An updated entity or its audit trail changed since it was loaded,
                or the backend refused a concurrent transaction; nothing committed.
            DuplicateId: An added entity or event id exists; nothing committed.
            DoubleBooking: Two claims on a technician's time overlap; nothing committed.
            ValidationError: Two live entities would hold one unique key (two live archives of
                one product code and serial number), naming the key's field
                (``serial_number``); nothing committed.
            StorageError: The backend failed; nothing committed.
        """
        events = tuple(self.events)
        try:
            if self.pending or self.audit.pending or events:
                with self.backend.transaction(self.tenant) as tx:
                    self._write(tx, events)
        finally:
            self.rollback()
            if self._release is not None:
                self._release()
        if self.deliver:
            hand_over(self.storage.publisher, self.storage.acknowledge, self.tenant, events)
        return events

    def _write(self, tx: Transaction, events: tuple[DomainEvent, ...]) -> None:
        tenant = self.tenant
        self._check_unique()
        for key, base in self.bases.items():
            kind, id = key
            if not tx.save(spec_for(kind), self.pending[key], base):
                if base is None:
                    raise DuplicateId(f"{kind} {id!r} exists for tenant {tenant}") from tx.refusal
                now = self.backend.version(tenant, spec_for(kind), id)
                raise ConcurrencyError(
                    f"{kind} {id}: loaded at version {base}, now {'gone' if now is None else now}"
                ) from tx.refusal
        for (kind, id), entries in self.audit.pending.items():
            if not tx.append(entries):
                if entries[0].seq == 1:
                    message = f"{kind} {id} has been created before"
                    raise DuplicateId(message) from tx.refusal
                raise ConcurrencyError(f"{kind} {id}: its audit trail moved on") from tx.refusal
        self._write_claims(tx)
        if events and not tx.enqueue(events):
            ids = ", ".join(repr(e.id) for e in events)
            message = f"an event of {ids} exists for tenant {tenant}"
            raise DuplicateId(message) from tx.refusal

    def _check_unique(self) -> None:
        """Refuse two live entities holding one unique key (inside the batch: final there).

        Raises:
            ValidationError: This unit of work's entity holds a key another one holds, pending
                here or committed (and not changed here), naming the key's field.
        """
        held: dict[tuple[str, str, tuple[object, ...]], str] = {}
        for (kind, id), entity in self.pending.items():
            spec = spec_for(kind)
            for key in spec.unique:
                values = unique_values(spec, key, entity)
                if values is None:
                    continue
                first = held.setdefault((kind, key.name, values), id)
                other = self._holder(spec, key, values) if first == id else first
                if other is not None:
                    raise _taken(spec, key, values, other)

    def _holder(
        self, spec: AggregateSpec, key: UniqueKey, values: tuple[object, ...]
    ) -> str | None:
        """Return the id of a committed entity holding ``values`` that this unit of work keeps."""
        mine = [id for (kind, id) in self.pending if kind == spec.kind]
        query = Query(equals=dict(zip(key.fields, values, strict=True)))
        for other in self.backend.select(self.tenant, spec, query, mine):
            if unique_values(spec, key, other) == values:
                return str(other.id)
        return None

    def _write_claims(self, tx: Transaction) -> None:
        claiming = [(key, e) for key, e in self.pending.items() if key[0] in _CLAIMING]
        # Release first, so that entities of this unit of work may swap their slots (a new
        # entity holds nothing yet: its claim replaces nothing).
        for (kind, id), _ in claiming:
            if self.bases[(kind, id)] is not None:
                tx.claim(kind, id, None)
        for (kind, id), entity in claiming:
            claim = slot_claim(entity)
            if claim is None:
                continue
            for held in tx.claims(claim.technician_id, claim.period):
                if (held.owner_kind, held.owner_id) != (kind, id):
                    raise _held(claim, held)
            tx.claim(kind, id, claim)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo what the block staged if it raises; keep it if it returns.

        Changes, audit entries and events staged before the block are kept either way, so
        that a command that fails inside a caller's unit of work leaves nothing behind for the
        caller's next commit (its audit entry above all).
        """
        pending, bases = dict(self.pending), dict(self.bases)
        loaded, heads = dict(self.loaded), dict(self.loaded_heads)
        events = list(self.events)
        audit = {key: list(entries) for key, entries in self.audit.pending.items()}
        read = dict(self.audit.heads)
        try:
            yield
        except BaseException:
            self.pending, self.bases = pending, bases
            self.loaded, self.loaded_heads = loaded, heads
            self.events = events
            self.audit.pending, self.audit.heads = audit, read
            raise

    def rollback(self) -> None:
        """Drop every change and event of this unit of work."""
        self.pending.clear()
        self.bases.clear()
        self.loaded.clear()
        self.loaded_heads.clear()
        self.events.clear()
        self.audit.pending.clear()
        self.audit.heads.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        if self._release is not None:
            self._release()


def _check_limit(limit: object) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValidationError.single("limit", limit, "must be an int >= 1")


def _taken(
    spec: AggregateSpec, key: UniqueKey, values: tuple[object, ...], holder: str
) -> ValidationError:
    named = dict(zip(key.fields, values, strict=True))
    held = ", ".join(f"{name} {value}" for name, value in named.items())
    return ValidationError.single(
        key.named, named[key.named], f"{held} is already {spec.kind} {holder}"
    )


def _overlap(claim: SlotClaim, other: SlotClaim) -> bool:
    return claim.technician_id == other.technician_id and claim.period.overlaps(other.period)


if TYPE_CHECKING:  # the type checker proves the kernel meets the ports
    _storage: Storage = KernelStorage(Any)  # type: ignore[arg-type]
    _uow: UnitOfWork = KernelStorage(Any).unit_of_work("t")  # type: ignore[arg-type]
