"""The SQLAlchemy storage: the storage kernel over SQLite (embedded) or PostgreSQL."""

from __future__ import annotations

from os import PathLike
from types import TracebackType
from typing import Self

import sqlalchemy as sa
from sqlalchemy.orm import Session

from servicecore.adapters.sqlalchemy.backend import SqlBackend
from servicecore.adapters.sqlalchemy.engine import make_engine
from servicecore.adapters.sqlalchemy.migrate import (
    adopt_legacy,
    check_schema,
    current_revision,
    head_revision,
    legacy_revision,
    upgrade,
)
from servicecore.adapters.sqlalchemy.naming import Naming
from servicecore.adapters.sqlalchemy.reporting import SqlReporting
from servicecore.adapters.sqlalchemy.tables import tables_for
from servicecore.errors import StorageError, ValidationError
from servicecore.model.audit import AuditKey
from servicecore.ports import Publisher
from servicecore.storage.kernel import KernelStorage, KernelUnitOfWork, check_tenant

__all__ = ["SQLAlchemyStorage"]


class SQLAlchemyStorage(KernelStorage):
    """Records in a SQL database through SQLAlchemy Core: SQLite or PostgreSQL (psycopg 3).

    Example:
        ``SQLAlchemyStorage("service.db")`` (a file path means SQLite),
        ``SQLAlchemyStorage("postgresql+psycopg://user@host/erp", table_prefix="sc_",
        schema="service")`` (inside a host's database).

    Args:
        target: A database URL, a SQLite file path, or an engine (the storage then leaves its
            disposal to the caller; a SQLite engine gets WAL, foreign keys and the busy timeout
            on the connections it opens from now on, so pass one that has not connected yet).
        publisher: Called as ``publisher(tenant, events)`` after each commit that has events;
            if it returns, the events are acknowledged, if it raises they stay pending (see
            :meth:`pending_events`).
        create: Create servicecore's schema in a database without one (the default, so that a
            file path is all an embedded user gives). A database whose schema is behind is
            never migrated on opening: that is :func:`~servicecore.adapters.sqlalchemy.upgrade`'s
            job (or ``servicecore db upgrade URL``). With ``create=False`` a database without
            servicecore's schema is refused too.
        table_prefix: Put before every table name (``"sc_"``: ``sc_requests``...), so that
            servicecore's tables never meet the host's.
        schema: The PostgreSQL schema of servicecore's tables (created if missing).
        audit_key: The host's secret for audit hashes (see
            :class:`~servicecore.storage.KernelStorage`); never stored or logged.

    Raises:
        SchemaVersionError: The database's schema is behind or ahead of this servicecore, or
            missing with ``create=False`` (the message names both revisions).
        StorageError: The database cannot be reached.
        ValidationError: ``target`` is not a usable URL, ``table_prefix`` or ``schema`` is not
            a plain lower-case identifier, a schema is given for SQLite, or ``audit_key`` is
            not an AuditKey.
    """

    def __init__(
        self,
        target: str | PathLike[str] | sa.Engine,
        *,
        publisher: Publisher | None = None,
        create: bool = True,
        table_prefix: str = "",
        schema: str | None = None,
        audit_key: AuditKey | None = None,
    ) -> None:
        self.naming = Naming(table_prefix, schema)
        self._owned = not isinstance(target, sa.Engine)
        self.engine = make_engine(target)
        self.tables = tables_for(self.naming)
        self._sql = SqlBackend(self.engine, self.tables)
        super().__init__(self._sql, publisher, audit_key=audit_key)
        try:
            if schema is not None and self.engine.dialect.name != "postgresql":
                raise ValidationError.single("schema", schema, "is for PostgreSQL only")
            if create and current_revision(self.engine, self.naming) is None:
                self._create_schema()
            check_schema(self.engine, self.naming)
        except BaseException:
            self.close()
            raise

    def _create_schema(self) -> None:
        if legacy_revision(self.engine, self.naming) == head_revision():
            adopt_legacy(self.engine)  # bookkeeping only: the schema is already this one
            return
        if legacy_revision(self.engine, self.naming) is not None:
            return  # behind: check_schema says to upgrade
        try:
            upgrade(self.engine, table_prefix=self.naming.prefix, schema=self.naming.schema)
        except StorageError:
            # Another process opening the same empty database at the same time may have won.
            if current_revision(self.engine, self.naming) != head_revision():
                raise

    def unit_of_work(
        self, tenant: str, *, connection: sa.Connection | Session | None = None
    ) -> KernelUnitOfWork:
        """Open a unit of work for ``tenant``, on its own or inside a host's transaction.

        With ``connection`` (a host's ``Connection`` or ``Session``), the unit of work reads on
        it, and its commit writes inside the host's transaction, in a savepoint: the host's
        commit makes both sides durable, the host's rollback drops both. A failed commit rolls
        back to the savepoint only and raises; the host's transaction stays usable. Events are
        written to the outbox but not handed to the publisher: after the host commits, deliver
        them with :meth:`publish_pending` (or the outbox delivery job).

        Raises:
            ValidationError: ``tenant`` is not an id, or ``connection`` is neither a
                Connection nor a Session.
        """
        tenant = check_tenant(tenant)
        if connection is None:
            backend = self._sql.for_unit_of_work()
            return KernelUnitOfWork(self, tenant, backend, release=backend.release)
        if isinstance(connection, Session):
            connection = connection.connection()
        if not isinstance(connection, sa.Connection):
            raise ValidationError.single(
                "connection",
                type(connection).__name__,
                "must be a SQLAlchemy Connection or Session",
            )
        backend = SqlBackend(self.engine, self.tables, connection)
        return KernelUnitOfWork(self, tenant, backend, deliver=False)

    def reporting(self) -> SqlReporting:
        """Return the reporting backend that counts in this database."""
        return SqlReporting(self.engine, self.tables)

    def close(self) -> None:
        """Close the database connections (of an engine this storage created)."""
        if self._owned:
            self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
