"""The SQL backend of the storage kernel: committed reads and atomic write batches in SQL.

Reads are single statements (one consistent snapshot each: SQLite without ``BEGIN``,
PostgreSQL in autocommit). A batch is one transaction: ``BEGIN IMMEDIATE`` on SQLite (one
writer at a time, so the kernel's slot check inside it is final), a plain transaction on
PostgreSQL (where the exclusion constraint on technician slots is the final word). SQLite
writers first take their turn at the gate (:mod:`servicecore.adapters.sqlalchemy.gate`). Bound
to a host's connection, the backend reads on it and writes each batch in a savepoint of the
host's transaction, which the host commits.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from servicecore.adapters.sqlalchemy.engine import BEGIN_OPTION, read_options, write_options
from servicecore.adapters.sqlalchemy.errors import is_unique_violation, translate, violates_index
from servicecore.adapters.sqlalchemy.gate import turn, writer_gate
from servicecore.adapters.sqlalchemy.rows import (
    audit_row,
    entity_from_data,
    entity_row,
    event_from_row,
    event_row,
    row_audit_entry,
)
from servicecore.adapters.sqlalchemy.tables import Tables, unique_index_name
from servicecore.catalog import AggregateSpec, SlotClaim, index_value
from servicecore.errors import ValidationError
from servicecore.events import DomainEvent, ParkedEvent
from servicecore.model.audit import AuditEntry
from servicecore.model.common import TimeRange
from servicecore.ports import Query

__all__ = ["SqlBackend"]

_MANY = (tuple, list, set, frozenset)
_TAKEN = "is append-only: audit entry exists"  # SQLite's trigger (migration 0004)
_ACK_CHUNK = 500


class _Statements:
    """The statements a backend runs again and again, built once per set of tables.

    Constructing a statement costs more than executing it on a warm cache.
    """

    def __init__(self, tables: Tables) -> None:
        self.by_id: dict[str, tuple[sa.Select[Any], sa.Select[Any], sa.Update]] = {}
        # Built once: a statement built per call is compiled from the cache, but its cache key
        # is worked out again each time.
        self.insert = {kind: table.insert() for kind, table in tables.aggregates.items()}
        self.audit_insert = tables.audit.insert()
        self.outbox_insert = tables.outbox.insert()
        self.slot_insert = tables.slots.insert()
        for kind, table in tables.aggregates.items():
            where = (table.c.tenant == sa.bindparam("tenant"), table.c.id == sa.bindparam("id"))
            update = table.update().where(
                table.c.tenant == sa.bindparam("b_tenant"),
                table.c.id == sa.bindparam("b_id"),
                table.c.version == sa.bindparam("b_version"),
            )
            self.by_id[kind] = (
                sa.select(table.c.data).where(*where),
                sa.select(table.c.version).where(*where),
                update,
            )
        audit = tables.audit
        of = (
            audit.c.tenant == sa.bindparam("tenant"),
            audit.c.entity_kind == sa.bindparam("kind"),
            audit.c.entity_id == sa.bindparam("id"),
        )
        self.audit_head = sa.select(audit).where(*of).order_by(audit.c.seq.desc()).limit(1)
        self.audit_all = sa.select(audit).where(*of).order_by(audit.c.seq)
        slots = tables.slots
        self.overlapping = sa.select(
            slots.c.owner_kind,
            slots.c.owner_id,
            slots.c.technician_id,
            slots.c.period_start,
            slots.c.period_end,
        ).where(
            slots.c.tenant == sa.bindparam("tenant"),
            slots.c.technician_id == sa.bindparam("technician"),
            slots.c.period_start < sa.bindparam("end"),
            slots.c.period_end > sa.bindparam("start"),
        )
        self.release = slots.delete().where(
            slots.c.tenant == sa.bindparam("tenant"),
            slots.c.owner_kind == sa.bindparam("kind"),
            slots.c.owner_id == sa.bindparam("id"),
        )


@cache
def _statements(tables: Tables) -> _Statements:
    return _Statements(tables)


def _conditions(table: sa.Table, query: Query) -> list[sa.ColumnElement[bool]]:
    found: list[sa.ColumnElement[bool]] = []
    for name, wanted in query.equals.items():
        column = table.c[name]
        if isinstance(wanted, _MANY):
            found.append(column.in_([index_value(v) for v in wanted]))
        elif wanted is None:
            found.append(column.is_(None))
        else:
            found.append(column == index_value(wanted))
    for name, bound in query.at_least.items():
        found.append(table.c[name] >= index_value(bound))
    for name, bound in query.later_than.items():
        found.append(table.c[name] > index_value(bound))
    for name, bound in query.before.items():
        found.append(table.c[name] < index_value(bound))
    return found


def _plain_equals(query: Query) -> bool:
    """Whether ``query`` only asks for fields equal to single non-null values."""
    return (
        bool(query.equals)
        and not (query.at_least or query.later_than or query.before)
        and all(w is not None and not isinstance(w, _MANY) for w in query.equals.values())
    )


@cache
def _count_equal(tables: Tables, kind: str, names: tuple[str, ...]) -> sa.Select[Any]:
    """``SELECT count(*)`` of a tenant's ``kind`` whose ``names`` equal bound values."""
    table = tables.aggregates[kind]
    where = [table.c.tenant == sa.bindparam("tenant")]
    where += [table.c[n] == sa.bindparam(f"v_{n}", type_=table.c[n].type) for n in names]
    return sa.select(sa.func.count()).select_from(table).where(*where)


def _claims(rows: Sequence[Any]) -> list[SlotClaim]:
    return [SlotClaim(tech, TimeRange(start, end), kind, id) for kind, id, tech, start, end in rows]


def _window(tenant: str, technician_id: str, period: TimeRange) -> dict[str, Any]:
    return {"tenant": tenant, "technician": technician_id, "start": period.start, "end": period.end}


class _Batch:
    """One transaction's writes (see :class:`~servicecore.storage.backend.Transaction`)."""

    def __init__(self, backend: SqlBackend, conn: sa.Connection, tenant: str) -> None:
        self.tables = backend.tables
        self.statements = backend.statements
        self.conn = conn
        self.tenant = tenant
        self.refusal: BaseException | None = None
        self.doing = f"committing for tenant {tenant}"
        # Owners known to hold no claim row in this transaction (inserted in it, or released
        # in it since their last claim): setting their claim needs no DELETE first.
        self._unclaimed: set[tuple[str, str]] = set()

    def _unique(self, statement: sa.Executable, params: Any) -> bool:
        try:
            self.conn.execute(statement, params)
        except sa.exc.IntegrityError as exc:
            # SQLite's trigger refusing an insert over an audit entry fires before the key does.
            if is_unique_violation(exc) or _TAKEN in str(exc.orig):
                self.refusal = exc
                return False
            raise
        return True

    def save(self, spec: AggregateSpec, entity: Any, expected: int | None) -> bool:
        self.doing = f"writing {spec.kind} {entity.id}"
        row = entity_row(self.tenant, spec, entity)
        table = self.tables.aggregates[spec.kind]
        try:
            if expected is None:
                self.conn.execute(self.statements.insert[spec.kind], row)
                self._unclaimed.add((spec.kind, entity.id))
                return True
            del row["tenant"], row["id"]
            row.update(b_tenant=self.tenant, b_id=entity.id, b_version=expected)
            update = self.statements.by_id[spec.kind][2]
            return bool(self.conn.execute(update, row).rowcount == 1)
        except sa.exc.IntegrityError as exc:
            for key in spec.unique:
                columns = ("tenant", *key.fields)
                if violates_index(exc, unique_index_name(table.name, key), table.name, columns):
                    # A concurrent unit of work committed the key after the kernel's check.
                    raise ValidationError.single(
                        key.named,
                        getattr(entity, key.named),
                        f"is already held by another live {spec.kind} (committed concurrently)",
                    ) from exc
            if expected is None and is_unique_violation(exc):
                self.refusal = exc
                return False
            raise

    def claims(self, technician_id: str, period: TimeRange) -> Sequence[SlotClaim]:
        self.doing = f"checking technician {technician_id}'s time"
        window = _window(self.tenant, technician_id, period)
        return _claims(self.conn.execute(self.statements.overlapping, window).all())

    def claim(self, owner_kind: str, owner_id: str, claim: SlotClaim | None) -> None:
        self.doing = f"claiming technician time for {owner_kind} {owner_id}"
        key = (owner_kind, owner_id)
        if key not in self._unclaimed:
            owner = {"tenant": self.tenant, "kind": owner_kind, "id": owner_id}
            self.conn.execute(self.statements.release, owner)
        if claim is None:
            self._unclaimed.add(key)
        else:
            self._unclaimed.discard(key)
            self.conn.execute(
                self.statements.slot_insert,
                {
                    "tenant": self.tenant,
                    "owner_kind": owner_kind,
                    "owner_id": owner_id,
                    "technician_id": claim.technician_id,
                    "period_start": claim.period.start,
                    "period_end": claim.period.end,
                },
            )

    def append(self, entries: Sequence[AuditEntry]) -> bool:
        self.doing = (
            f"appending to the audit trail of {entries[0].entity_kind} {entries[0].entity_id}"
        )
        rows = [audit_row(self.tenant, e) for e in entries]
        return self._unique(self.statements.audit_insert, rows)

    def enqueue(self, events: Sequence[DomainEvent]) -> bool:
        self.doing = f"writing events {', '.join(e.id for e in events)}"
        rows = [event_row(self.tenant, e) for e in events]
        return self._unique(self.statements.outbox_insert, rows)


class SqlBackend:
    """The :class:`~servicecore.storage.backend.Backend` over servicecore's tables.

    Args:
        engine: The database.
        tables: servicecore's tables in it (prefix and schema).
        connection: A host's connection to read and write on, inside its transaction; each
            batch is a savepoint the host's commit makes durable (``None``: connections of
            ``engine``, one transaction per batch).
        held: Keep one connection of ``engine`` from the first read until :meth:`release`
            (a unit of work's backend): its reads run outside any transaction, as on their
            own connections, and each batch is one transaction on it.
    """

    def __init__(
        self,
        engine: sa.Engine,
        tables: Tables,
        connection: sa.Connection | None = None,
        *,
        held: bool = False,
    ) -> None:
        self.engine = engine
        self.tables = tables
        self.connection = connection
        self.statements = _statements(tables)
        self.read_options = read_options(engine)
        self.gate = writer_gate(engine)
        self.held = held
        self._conn: sa.Connection | None = None

    def for_unit_of_work(self) -> SqlBackend:
        """Return a backend that holds one connection for a unit of work (see ``held``)."""
        # A copy, not a new backend: one unit of work per command, and working out the gate's
        # path and the read options again showed in every command's time. The gate stays the
        # file as this storage named it when it was opened.
        backend = object.__new__(SqlBackend)
        backend.__dict__.update(self.__dict__, connection=None, held=True, _conn=None)
        return backend

    def release(self) -> None:
        """Give the held connection back to the pool (the next read takes one again)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _held(self) -> sa.Connection:
        conn = self._conn
        if conn is None:
            # Checked out once per unit of work instead of once per statement: the checkout,
            # the pool's reset and, on PostgreSQL, the switch to autocommit cost more than
            # most of a command's single-row reads.
            conn = self.engine.connect()
            self._conn = conn
            try:
                conn.execution_options(**self.read_options)
            except BaseException:
                self.release()
                raise
        return conn

    @contextmanager
    def _reading(self, what: str) -> Iterator[sa.Connection]:
        try:
            if self.connection is not None:
                yield self.connection
                return
            if self.held:
                yield self._held()
                return
            with self.engine.connect() as conn:
                conn.execution_options(**self.read_options)
                yield conn
        except sa.exc.DBAPIError as exc:
            if self.held:
                self.release()  # a broken connection is not kept for the next read
            raise translate(exc, what) from exc

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """Yield a connection in one write transaction (``BEGIN IMMEDIATE`` on SQLite)."""
        if not self.held:
            with self.engine.connect() as conn:
                conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
                with turn(self.gate), conn.begin():
                    yield conn
            return
        conn = self._held()
        try:
            # The reads' autobegun transaction issued no BEGIN (SQLite) or ran in autocommit
            # (PostgreSQL): ending it costs nothing, and the options can change only then.
            conn.rollback()
            conn.execution_options(**write_options(conn))
            with turn(self.gate), conn.begin():
                yield conn
        finally:
            # Back to the pool, which resets it, rather than switched back to reading: a unit
            # of work ends with its commit, and a read after it takes a fresh connection.
            self.release()

    def load(self, tenant: str, spec: AggregateSpec, id: str) -> Any | None:
        """Return the stored entity, or ``None``.

        Raises:
            StorageError: The database failed.
        """
        statement = self.statements.by_id[spec.kind][0]
        with self._reading(f"reading {spec.kind} {id}") as conn:
            data = conn.execute(statement, {"tenant": tenant, "id": id}).scalar_one_or_none()
        return None if data is None else entity_from_data(spec, data)

    def version(self, tenant: str, spec: AggregateSpec, id: str) -> int | None:
        """Return the stored version, or ``None``.

        Raises:
            StorageError: The database failed.
        """
        statement = self.statements.by_id[spec.kind][1]
        with self._reading(f"reading {spec.kind} {id}") as conn:
            found = conn.execute(statement, {"tenant": tenant, "id": id}).scalar_one_or_none()
        return None if found is None else int(found)

    def _where(
        self, table: sa.Table, tenant: str, query: Query, exclude: Collection[str]
    ) -> list[sa.ColumnElement[bool]]:
        where = [table.c.tenant == tenant, *_conditions(table, query)]
        if exclude:
            where.append(table.c.id.not_in(list(exclude)))
        return where

    def select(
        self, tenant: str, spec: AggregateSpec, query: Query, exclude: Collection[str]
    ) -> Sequence[Any]:
        """Return the matching entities (see the protocol).

        Raises:
            StorageError: The database failed.
        """
        table = self.tables.aggregates[spec.kind]
        order = query.order_by
        column = table.c[order] if order else table.c.id
        where = self._where(table, tenant, query, exclude)
        if order:
            where.append(column.is_not(None))
        if query.after is not None:
            # Row values, so that the (tenant, field, id) index serves every page as a range.
            value, after_id = index_value(query.after[0]), query.after[1]
            if order:
                mine: Any = sa.tuple_(column, table.c.id)
                bound: Any = sa.tuple_(
                    sa.literal(value, column.type), sa.literal(after_id, table.c.id.type)
                )
            else:
                mine, bound = table.c.id, after_id
            where.append(mine < bound if query.descending else mine > bound)
        ordering = (column.desc(), table.c.id.desc()) if query.descending else (column, table.c.id)
        statement = sa.select(table.c.data).where(*where).order_by(*ordering)
        if query.limit is not None:
            statement = statement.limit(query.limit)
        with self._reading(f"querying {spec.kind}") as conn:
            rows = conn.execute(statement).scalars().all()
        return [entity_from_data(spec, data) for data in rows]

    def count(
        self, tenant: str, spec: AggregateSpec, query: Query, exclude: Collection[str]
    ) -> int:
        """Return how many stored entities match.

        Raises:
            StorageError: The database failed.
        """
        table = self.tables.aggregates[spec.kind]
        params: dict[str, object] = {}
        if _plain_equals(query) and not exclude:
            # The common count (one key's holders: a reference, a serial number): a statement
            # built once with bound values, instead of a new statement tree per call.
            statement = _count_equal(self.tables, spec.kind, tuple(query.equals))
            params = {f"v_{n}": index_value(w) for n, w in query.equals.items()}
            params["tenant"] = tenant
        else:
            where = self._where(table, tenant, query, exclude)
            statement = sa.select(sa.func.count()).select_from(table).where(*where)
        with self._reading(f"counting {spec.kind}") as conn:
            return int(conn.execute(statement, params).scalar_one())

    def audit(self, tenant: str, kind: str, id: str, last: bool = False) -> Sequence[AuditEntry]:
        """Return the entity's stored audit entries (or only the newest).

        Raises:
            StorageError: The database failed.
        """
        statement = self.statements.audit_head if last else self.statements.audit_all
        with self._reading(f"reading the audit trail of {kind} {id}") as conn:
            found = conn.execute(statement, {"tenant": tenant, "kind": kind, "id": id})
            return [row_audit_entry(r) for r in found.mappings()]

    def claims(self, tenant: str, technician_id: str, period: TimeRange) -> Sequence[SlotClaim]:
        """Return the stored claims overlapping ``period``.

        Raises:
            StorageError: The database failed.
        """
        window = _window(tenant, technician_id, period)
        with self._reading(f"checking technician {technician_id}'s time") as conn:
            return _claims(conn.execute(self.statements.overlapping, window).all())

    @contextmanager
    def transaction(self, tenant: str) -> Iterator[_Batch]:
        """Open one transaction (a savepoint on a host's connection) for a batch of writes.

        Raises:
            ConcurrencyError: The database refused a concurrent transaction.
            DoubleBooking: The exclusion constraint refused an overlapping slot.
            StorageError: The database failed; nothing was written.
        """
        batch: _Batch | None = None
        try:
            if self.connection is not None:
                with self.connection.begin_nested():
                    batch = _Batch(self, self.connection, tenant)
                    yield batch
                return
            with self._writing() as conn:
                batch = _Batch(self, conn, tenant)
                yield batch
        except sa.exc.DBAPIError as exc:
            what = f"committing for tenant {tenant}" if batch is None else batch.doing
            raise translate(exc, what) from exc

    def pending(
        self, tenant: str, limit: int, due: datetime | None = None
    ) -> Sequence[DomainEvent]:
        """Return up to ``limit`` unacknowledged events not parked (and due), oldest first.

        Raises:
            StorageError: The database failed.
        """
        outbox = self.tables.outbox
        where = [
            outbox.c.tenant == tenant,
            outbox.c.delivered_at.is_(None),
            outbox.c.parked_at.is_(None),
        ]
        if due is not None:
            where.append(sa.or_(outbox.c.retry_at.is_(None), outbox.c.retry_at <= due))
        statement = sa.select(outbox).where(*where).order_by(outbox.c.seq).limit(limit)
        with self._reading(f"reading pending events of tenant {tenant}") as conn:
            rows = conn.execute(statement).mappings().all()
        return [event_from_row(r) for r in rows]

    def acknowledge(self, tenant: str, event_ids: Sequence[str]) -> None:
        """Mark events handled; unknown ids are ignored.

        Raises:
            StorageError: The database failed.
        """
        outbox = self.tables.outbox
        now = datetime.now(UTC)
        ids = list(event_ids)
        with self.transaction(tenant) as batch:
            for start in range(0, len(ids), _ACK_CHUNK):
                batch.conn.execute(
                    outbox.update()
                    .where(
                        outbox.c.tenant == tenant,
                        outbox.c.event_id.in_(ids[start : start + _ACK_CHUNK]),
                        outbox.c.delivered_at.is_(None),
                    )
                    .values(delivered_at=now)
                )

    def attempts(self, tenant: str, event_id: str) -> int:
        """Return how many deliveries of the event failed.

        Raises:
            StorageError: The database failed.
        """
        outbox = self.tables.outbox
        statement = sa.select(outbox.c.attempts).where(
            outbox.c.tenant == tenant, outbox.c.event_id == event_id
        )
        with self._reading(f"reading event {event_id}") as conn:
            found = conn.execute(statement).scalar_one_or_none()
        return 0 if found is None else int(found)

    def record_failure(
        self, tenant: str, event_id: str, error: str, at: datetime, retry_at: datetime | None
    ) -> None:
        """Count one more failed delivery; ``retry_at`` ``None`` parks the event.

        Raises:
            StorageError: The database failed.
        """
        outbox = self.tables.outbox
        statement = (
            outbox.update()
            .where(
                outbox.c.tenant == tenant,
                outbox.c.event_id == event_id,
                outbox.c.delivered_at.is_(None),
            )
            .values(
                attempts=outbox.c.attempts + 1,
                last_error=error,
                retry_at=retry_at,
                parked_at=at if retry_at is None else None,
            )
        )
        with self.transaction(tenant) as batch:
            batch.doing = f"recording a failed delivery of event {event_id}"
            batch.conn.execute(statement)

    def parked(self, tenant: str, limit: int) -> Sequence[ParkedEvent]:
        """Return up to ``limit`` parked events, oldest first.

        Raises:
            StorageError: The database failed.
        """
        outbox = self.tables.outbox
        statement = (
            sa.select(outbox)
            .where(
                outbox.c.tenant == tenant,
                outbox.c.delivered_at.is_(None),
                outbox.c.parked_at.is_not(None),
            )
            .order_by(outbox.c.seq)
            .limit(limit)
        )
        with self._reading(f"reading parked events of tenant {tenant}") as conn:
            rows = conn.execute(statement).mappings().all()
        return [
            ParkedEvent(
                event=event_from_row(r),
                attempts=int(r["attempts"]),
                error=str(r["last_error"] or ""),
                parked_at=r["parked_at"],
            )
            for r in rows
        ]

    def unpark(self, tenant: str, event_ids: Sequence[str]) -> int:
        """Make parked events pending again; return how many were parked.

        Raises:
            StorageError: The database failed.
        """
        outbox = self.tables.outbox
        ids = list(event_ids)
        count = 0
        with self.transaction(tenant) as batch:
            batch.doing = f"retrying parked events of tenant {tenant}"
            for start in range(0, len(ids), _ACK_CHUNK):
                done = batch.conn.execute(
                    outbox.update()
                    .where(
                        outbox.c.tenant == tenant,
                        outbox.c.event_id.in_(ids[start : start + _ACK_CHUNK]),
                        outbox.c.parked_at.is_not(None),
                    )
                    .values(attempts=0, retry_at=None, parked_at=None, last_error=None)
                )
                count += done.rowcount
        return count
