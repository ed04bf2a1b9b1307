"""The SQL unit of work: changes kept in memory, written in one transaction at commit.

Like the memory adapter, a unit of work checks what it can at once (ids, versions, technician
slots, audit chains) against the committed state, and checks again, in the database, when it
commits: inserts fail on an existing key, updates carry ``WHERE version = <loaded version>``,
audit entries are unique per ``(entity, seq)`` and slot claims are refused by an exclusion
constraint (PostgreSQL) or by a check inside the serialised write transaction (SQLite). A failed
commit writes nothing and drops the unit of work's changes, as a rollback does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import sqlalchemy as sa

from servicecore.adapters.sqlalchemy import tables
from servicecore.adapters.sqlalchemy.engine import BEGIN_OPTION
from servicecore.adapters.sqlalchemy.errors import translate
from servicecore.adapters.sqlalchemy.repository import (
    SQLAlchemyAudit,
    SQLAlchemyRepository,
    statements_by_id,
    update_statement,
)
from servicecore.adapters.sqlalchemy.rows import audit_row, entity_row, event_row
from servicecore.catalog import AGGREGATES, SlotClaim, slot_claim, spec_for
from servicecore.errors import (
    ConcurrencyError,
    DoubleBooking,
    DuplicateId,
    ServicecoreError,
    ValidationError,
)
from servicecore.events import DomainEvent

if TYPE_CHECKING:
    from servicecore.adapters.sqlalchemy.storage import SQLAlchemyStorage

__all__ = ["SQLAlchemyUnitOfWork"]

log = logging.getLogger("servicecore.storage")

Key = tuple[str, str]  # (kind, id)

_BY_NAME = {spec.name: spec for spec in AGGREGATES}
_CLAIMING = ("Booking", "DispatchOrder")


def _held_message(claim: SlotClaim, kind: str, id: str, start: Any, end: Any) -> str:
    return (
        f"technician {claim.technician_id} is already held {start.isoformat()} to "
        f"{end.isoformat()} by {kind} {id}"
    )


class SQLAlchemyUnitOfWork:
    """A unit of work on :class:`SQLAlchemyStorage` (see :class:`~servicecore.ports.UnitOfWork`).

    Repositories are attributes named after the aggregates (``uow.requests``...).
    """

    def __init__(self, storage: SQLAlchemyStorage, tenant: str) -> None:
        self.storage = storage
        self.tenant = tenant
        self.pending: dict[Key, Any] = {}
        self.bases: dict[Key, int | None] = {}  # None: added here; int: version it was loaded at
        self.events: list[DomainEvent] = []
        self.audit = SQLAlchemyAudit(self)
        self._repos: dict[str, SQLAlchemyRepository] = {}

    def __getattr__(self, name: str) -> Any:
        # Repositories by aggregate name: uow.requests, uow.dispatches, ...
        spec = _BY_NAME.get(name)
        if spec is None or name.startswith("_"):
            raise AttributeError(name)
        return self.repository(name)

    def repository(self, name: str) -> SQLAlchemyRepository:
        """Return the repository of aggregate ``name`` (``"requests"`` or ``"ServiceRequest"``).

        Raises:
            ValidationError: No such aggregate.
        """
        spec = spec_for(name)
        repo = self._repos.get(spec.name)
        if repo is None:
            repo = self._repos[spec.name] = SQLAlchemyRepository(self, spec)
        return repo

    @contextmanager
    def reading(self, what: str) -> Iterator[sa.Connection]:
        """Lend a connection for one read; driver errors become servicecore errors.

        Raises:
            StorageError: The database failed (``what`` says while doing what).
        """
        try:
            with self.storage.engine.connect() as conn:
                conn.execution_options(**self.storage.read_options)
                yield conn
        except sa.exc.DBAPIError as exc:
            raise translate(exc, what) from exc

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
            StorageError: The database failed.
        """
        claim = slot_claim(entity)
        if claim is None:
            return
        own = (claim.owner_kind, claim.owner_id)
        for key, other in self.pending.items():
            held = slot_claim(other) if key != own else None
            if (
                held is not None
                and held.technician_id == claim.technician_id
                and held.period.overlaps(claim.period)
            ):
                raise DoubleBooking(_held_message(claim, *key, held.period.start, held.period.end))
        with self.reading(f"checking technician {claim.technician_id}'s time") as conn:
            rows = conn.execute(self._overlapping(claim)).all()
        for kind, id, start, end in rows:
            if (kind, id) != own and (kind, id) not in self.pending:
                raise DoubleBooking(_held_message(claim, kind, id, start, end))

    def _overlapping(self, claim: SlotClaim) -> sa.Select[Any]:
        slots = tables.slots
        return sa.select(
            slots.c.owner_kind, slots.c.owner_id, slots.c.period_start, slots.c.period_end
        ).where(
            slots.c.tenant == self.tenant,
            slots.c.technician_id == claim.technician_id,
            slots.c.period_start < claim.period.end,
            slots.c.period_end > claim.period.start,
        )

    def commit(self) -> Sequence[DomainEvent]:
        """Write every change and event in one transaction; see the port's promises.

        Returns:
            The events committed (also handed to the storage's publisher).

        Raises:
            ConcurrencyError: An updated entity or its audit trail changed since it was loaded,
                or the database refused a concurrent transaction; nothing committed.
            DuplicateId: An added entity or event id exists; nothing committed.
            DoubleBooking: Two claims on a technician's time overlap; nothing committed.
            StorageError: The database failed; nothing committed.
        """
        events = tuple(self.events)
        if self.pending or self.audit.pending or events:
            try:
                with self.storage.engine.connect() as conn:
                    conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
                    with conn.begin():
                        self._write(conn, events)
            except ServicecoreError:
                self.rollback()
                raise
            except sa.exc.DBAPIError as exc:
                self.rollback()
                raise translate(exc, f"committing for tenant {self.tenant}") from exc
        self._clear()
        self._publish(events)
        return events

    def _execute(
        self,
        conn: sa.Connection,
        statement: sa.Executable,
        params: Any,
        what: str,
        on_unique: type[ServicecoreError] | None = None,
        message: str = "",
    ) -> sa.CursorResult[Any]:
        try:
            return conn.execute(statement, params)
        except sa.exc.DBAPIError as exc:
            unique = None if on_unique is None else (lambda: on_unique(message))
            raise translate(exc, what, unique) from exc

    def _write(self, conn: sa.Connection, events: tuple[DomainEvent, ...]) -> None:
        tenant = self.tenant
        for key, base in self.bases.items():
            kind, id = key
            table = tables.AGGREGATE_TABLES[kind]
            row = entity_row(tenant, spec_for(kind), self.pending[key])
            what = f"writing {kind} {id}"
            if base is None:
                message = f"{kind} {id!r} exists for tenant {tenant}"
                self._execute(conn, table.insert(), row, what, DuplicateId, message)
                continue
            del row["tenant"], row["id"]
            row.update(b_tenant=tenant, b_id=id, b_version=base)
            if self._execute(conn, update_statement(kind), row, what).rowcount != 1:
                versions = statements_by_id(kind)[1]
                now = conn.execute(versions, {"tenant": tenant, "id": id}).scalar_one_or_none()
                raise ConcurrencyError(
                    f"{kind} {id}: loaded at version {base}, now {'gone' if now is None else now}"
                )
        for (kind, id), entries in self.audit.pending.items():
            self._execute(
                conn,
                tables.audit.insert(),
                [audit_row(tenant, e) for e in entries],
                f"appending to the audit trail of {kind} {id}",
                ConcurrencyError,
                f"{kind} {id}: its audit trail moved on",
            )
        self._write_claims(conn)
        for event in events:
            self._execute(
                conn,
                tables.outbox.insert(),
                event_row(tenant, event),
                f"writing event {event.id}",
                DuplicateId,
                f"event {event.id!r} exists for tenant {tenant}",
            )

    def _write_claims(self, conn: sa.Connection) -> None:
        slots = tables.slots
        owners: dict[str, list[str]] = {}
        for kind, id in self.pending:
            if kind in _CLAIMING:
                owners.setdefault(kind, []).append(id)
        for kind, ids in owners.items():
            conn.execute(
                slots.delete().where(
                    slots.c.tenant == self.tenant,
                    slots.c.owner_kind == kind,
                    slots.c.owner_id.in_(ids),
                )
            )
        for entity in self.pending.values():
            claim = slot_claim(entity)
            if claim is None:
                continue
            # SQLite: this runs inside BEGIN IMMEDIATE, so no other writer can slip in between
            # the check and the insert. PostgreSQL: the exclusion constraint is the final word.
            clash = conn.execute(self._overlapping(claim)).first()
            if clash is not None:
                raise DoubleBooking(_held_message(claim, *clash))
            self._execute(
                conn,
                slots.insert(),
                {
                    "tenant": self.tenant,
                    "owner_kind": claim.owner_kind,
                    "owner_id": claim.owner_id,
                    "technician_id": claim.technician_id,
                    "period_start": claim.period.start,
                    "period_end": claim.period.end,
                },
                f"claiming technician {claim.technician_id}'s time for "
                f"{claim.owner_kind} {claim.owner_id}",
            )

    def _publish(self, events: tuple[DomainEvent, ...]) -> None:
        publisher = self.storage.publisher
        if not events or publisher is None:
            return
        try:
            publisher(self.tenant, events)
        except Exception:
            log.exception(
                "publishing %d event(s) of tenant %s failed; they stay pending",
                len(events),
                self.tenant,
            )
            return
        try:
            self.storage.acknowledge(self.tenant, [e.id for e in events])
        except ServicecoreError:
            # The change is committed; the events stay pending and are delivered again.
            log.exception("acknowledging %d event(s) of tenant %s failed", len(events), self.tenant)

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
