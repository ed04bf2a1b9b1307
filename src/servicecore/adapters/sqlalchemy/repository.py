"""The repositories of a SQL unit of work: entities and the audit trail of one tenant.

Reads go to the database, merged with what the unit of work holds pending (its own adds and
updates win); writes are kept by the unit of work until it commits.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from servicecore.adapters.query import matches
from servicecore.adapters.sqlalchemy import tables
from servicecore.adapters.sqlalchemy.rows import entity_from_data, row_audit_entry
from servicecore.catalog import AggregateSpec, index_value
from servicecore.errors import (
    AuditChainError,
    ConcurrencyError,
    DuplicateId,
    NotFound,
    ValidationError,
)
from servicecore.model.audit import GENESIS, AuditEntry
from servicecore.ports import Cursor, Page, Query

if TYPE_CHECKING:
    from servicecore.adapters.sqlalchemy.unit_of_work import SQLAlchemyUnitOfWork

__all__ = ["SQLAlchemyAudit", "SQLAlchemyRepository", "statements_by_id", "update_statement"]

_MANY = (tuple, list, set, frozenset)


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


@cache
def statements_by_id(kind: str) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """Return the selects of an entity's data and of its version (binds ``tenant``, ``id``)."""
    # Built once: constructing statements costs more than executing them on a warm cache.
    table = tables.AGGREGATE_TABLES[kind]
    where = (table.c.tenant == sa.bindparam("tenant"), table.c.id == sa.bindparam("id"))
    return sa.select(table.c.data).where(*where), sa.select(table.c.version).where(*where)


@cache
def update_statement(kind: str) -> sa.Update:
    """Return the versioned update of an entity (binds ``b_tenant``, ``b_id``, ``b_version``)."""
    table = tables.AGGREGATE_TABLES[kind]
    return table.update().where(
        table.c.tenant == sa.bindparam("b_tenant"),
        table.c.id == sa.bindparam("b_id"),
        table.c.version == sa.bindparam("b_version"),
    )


_AUDIT = tables.audit
_AUDIT_OF = (
    _AUDIT.c.tenant == sa.bindparam("tenant"),
    _AUDIT.c.entity_kind == sa.bindparam("kind"),
    _AUDIT.c.entity_id == sa.bindparam("id"),
)
_AUDIT_HEAD = sa.select(_AUDIT).where(*_AUDIT_OF).order_by(_AUDIT.c.seq.desc()).limit(1)
_AUDIT_ENTRIES = sa.select(_AUDIT).where(*_AUDIT_OF).order_by(_AUDIT.c.seq)


def _unpaged(query: Query) -> Query:
    return Query(
        equals=query.equals,
        at_least=query.at_least,
        later_than=query.later_than,
        before=query.before,
        order_by=query.order_by,
        descending=query.descending,
    )


class SQLAlchemyRepository:
    """The stored entities of one aggregate for the unit of work's tenant.

    See :class:`servicecore.ports.Repository` for the promises; this class keeps them.
    """

    def __init__(self, uow: SQLAlchemyUnitOfWork, spec: AggregateSpec) -> None:
        self._uow = uow
        self.spec = spec
        self.table = tables.AGGREGATE_TABLES[spec.kind]

    def _key(self, id: str) -> tuple[str, str]:
        return (self.spec.kind, id)

    def _check_type(self, entity: object) -> None:
        if not isinstance(entity, self.spec.cls):
            raise ValidationError.single(
                "entity", type(entity).__name__, f"this repository stores {self.spec.kind}"
            )

    def _stored_version(self, id: str) -> int | None:
        statement = statements_by_id(self.spec.kind)[1]
        with self._uow.reading(f"reading {self.spec.kind} {id}") as conn:
            found = conn.execute(statement, {"tenant": self._uow.tenant, "id": id})
            return found.scalar_one_or_none()

    def get(self, id: str) -> Any:
        """Return the entity with ``id``.

        Raises:
            NotFound: No such entity for this tenant.
            StorageError: The database failed.
        """
        found = self.find(id)
        if found is None:
            raise NotFound(self.spec.kind, id)
        return found

    def find(self, id: str) -> Any | None:
        """Return the entity with ``id``, or ``None``.

        Raises:
            StorageError: The database failed.
        """
        pending = self._uow.pending.get(self._key(id))
        if pending is not None:
            return copy.copy(pending)
        statement = statements_by_id(self.spec.kind)[0]
        with self._uow.reading(f"reading {self.spec.kind} {id}") as conn:
            found = conn.execute(statement, {"tenant": self._uow.tenant, "id": id})
            data = found.scalar_one_or_none()
        if data is None:
            return None
        return entity_from_data(self.spec, data)

    def add(self, entity: Any) -> None:
        """Stage a new entity (``version`` 0) for commit; sets its ``version`` to 1.

        Raises:
            ValidationError: ``entity`` is not of this repository's type or has a version.
            DuplicateId: An entity with this id exists for this tenant.
            DoubleBooking: It holds technician time another booking or dispatch holds.
            StorageError: The database failed.
        """
        self._check_type(entity)
        if entity.version != 0:
            raise ValidationError.single(
                "version", entity.version, "a new entity has version 0 (use update to change one)"
            )
        key = self._key(entity.id)
        if key in self._uow.pending or self._stored_version(entity.id) is not None:
            raise DuplicateId(
                f"{self.spec.kind} {entity.id!r} exists for tenant {self._uow.tenant}"
            )
        stored = copy.copy(entity)
        stored.version = 1
        self._uow.check_claim(stored)
        self._uow.pending[key] = stored
        self._uow.bases.setdefault(key, None)
        entity.version = 1

    def update(self, entity: Any) -> None:
        """Stage a changed entity loaded at ``entity.version``; increments ``version``.

        Raises:
            ValidationError: ``entity`` is not of this repository's type.
            NotFound: The entity was never stored.
            ConcurrencyError: Someone committed a newer version first.
            DoubleBooking: It now holds technician time another booking or dispatch holds.
            StorageError: The database failed.
        """
        self._check_type(entity)
        key = self._key(entity.id)
        pending = self._uow.pending.get(key)
        if pending is not None:
            if entity.version != pending.version:
                raise ConcurrencyError(
                    f"{self.spec.kind} {entity.id}: version {entity.version} is stale "
                    f"(this unit of work holds {pending.version})"
                )
            stored = copy.copy(entity)
        else:
            current = self._stored_version(entity.id)
            if current is None:
                raise NotFound(self.spec.kind, entity.id)
            if entity.version != current:
                raise ConcurrencyError(
                    f"{self.spec.kind} {entity.id}: loaded at version {entity.version}, "
                    f"stored version is {current}"
                )
            stored = copy.copy(entity)
            stored.version = current + 1
        self._uow.check_claim(stored)
        self._uow.bases.setdefault(key, stored.version - 1)
        self._uow.pending[key] = stored
        entity.version = stored.version

    def _pending_matching(self, query: Query) -> list[Any]:
        kind = self.spec.kind
        return [
            e
            for (k, _), e in self._uow.pending.items()
            if k == kind and matches(query, self.spec, e)
        ]

    def _pending_ids(self) -> list[str]:
        kind = self.spec.kind
        return [i for (k, i) in self._uow.pending if k == kind]

    def _filtered(self, query: Query) -> list[sa.ColumnElement[bool]]:
        where = [self.table.c.tenant == self._uow.tenant, *_conditions(self.table, query)]
        ids = self._pending_ids()
        if ids:
            where.append(self.table.c.id.not_in(ids))
        return where

    def query(self, query: Query | None = None) -> Page[Any]:
        """Return the entities matching ``query`` (all, by id, without one).

        Raises:
            ValidationError: The query names a field that is not indexed, or a bad value.
            StorageError: The database failed.
        """
        query = query or Query()
        query.check(self.spec)
        table = self.table
        order_name = query.order_by
        column = table.c[order_name] if order_name else table.c.id
        read = self.spec.fields[order_name].read if order_name else (lambda e: e.id)
        where = self._filtered(query)
        if order_name:
            where.append(column.is_not(None))
        if query.after is not None:
            # Row values, so that the (tenant, field, id) index serves every page as a range.
            value, after_id = index_value(query.after[0]), query.after[1]
            if order_name:
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
            statement = statement.limit(query.limit + 1)
        with self._uow.reading(f"querying {self.spec.kind}") as conn:
            rows = conn.execute(statement).scalars().all()
        loaded = [entity_from_data(self.spec, data) for data in rows]
        extra = self._pending_matching(query)
        if extra:
            keyed = [((read(e), e.id), e) for e in loaded]
            for entity in extra:
                key = read(entity)
                if key is None:
                    continue
                if query.after is not None:
                    cursor = (index_value(query.after[0]), query.after[1])
                    mine = (key, entity.id)
                    if (mine >= cursor) if query.descending else (mine <= cursor):
                        continue
                keyed.append(((key, entity.id), copy.copy(entity)))
            keyed.sort(key=lambda pair: pair[0], reverse=query.descending)
            loaded = [e for _, e in keyed]
        last: Cursor | None = None
        if query.limit is not None and len(loaded) > query.limit:
            loaded = loaded[: query.limit]
            last = (read(loaded[-1]), loaded[-1].id)
        return Page(tuple(loaded), last)

    def count(self, query: Query | None = None) -> int:
        """Return how many entities match (``limit`` and ``after`` are ignored).

        Raises:
            ValidationError: As for :meth:`query`.
            StorageError: The database failed.
        """
        query = query or Query()
        query.check(self.spec)
        statement = sa.select(sa.func.count()).select_from(self.table).where(*self._filtered(query))
        with self._uow.reading(f"counting {self.spec.kind}") as conn:
            stored = conn.execute(statement).scalar_one()
        return int(stored) + len(self._pending_matching(_unpaged(query)))

    def iterate(self, query: Query | None = None, page_size: int = 1000) -> Iterator[Any]:
        """Yield every matching entity, fetching ``page_size`` at a time.

        Raises:
            ValidationError: As for :meth:`query`, or ``page_size`` < 1.
            StorageError: The database failed.
        """
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            raise ValidationError.single("page_size", page_size, "must be an int >= 1")
        query = query or Query()
        after = query.after
        while True:
            page = self.query(
                Query(
                    equals=query.equals,
                    at_least=query.at_least,
                    later_than=query.later_than,
                    before=query.before,
                    order_by=query.order_by,
                    descending=query.descending,
                    limit=page_size,
                    after=after,
                )
            )
            yield from page.items
            if page.next is None:
                return
            after = page.next


class SQLAlchemyAudit:
    """The audit trail of the unit of work's tenant.

    See :class:`servicecore.ports.AuditRepository` for the promises; this class keeps them.
    """

    def __init__(self, uow: SQLAlchemyUnitOfWork) -> None:
        self._uow = uow
        self.pending: dict[tuple[str, str], list[AuditEntry]] = {}

    def _read(self, statement: sa.Select[Any], kind: str, id: str) -> list[AuditEntry]:
        with self._uow.reading(f"reading the audit trail of {kind} {id}") as conn:
            found = conn.execute(statement, {"tenant": self._uow.tenant, "kind": kind, "id": id})
            return [row_audit_entry(r) for r in found.mappings()]

    def head(self, entity_kind: str, entity_id: str) -> AuditEntry | None:
        """Return the entity's newest entry (this unit of work's included), or ``None``.

        Raises:
            StorageError: The database failed.
        """
        mine = self.pending.get((entity_kind, entity_id))
        if mine:
            return mine[-1]
        found = self._read(_AUDIT_HEAD, entity_kind, entity_id)
        return found[0] if found else None

    def append(self, entry: AuditEntry) -> None:
        """Stage ``entry`` after the entity's current head.

        Raises:
            AuditChainError: It does not follow the head.
            StorageError: The database failed.
        """
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
        """Return the entity's entries, oldest first (this unit of work's last).

        Raises:
            StorageError: The database failed.
        """
        stored = self._read(_AUDIT_ENTRIES, entity_kind, entity_id)
        return tuple(stored + self.pending.get((entity_kind, entity_id), []))
