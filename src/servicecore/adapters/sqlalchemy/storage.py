"""The SQLAlchemy storage: servicecore's records in SQLite (embedded) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from os import PathLike
from types import TracebackType
from typing import Self

import sqlalchemy as sa

from servicecore.adapters.memory import _check_tenant
from servicecore.adapters.sqlalchemy import tables
from servicecore.adapters.sqlalchemy.engine import BEGIN_OPTION, make_engine, read_options
from servicecore.adapters.sqlalchemy.errors import translate
from servicecore.adapters.sqlalchemy.migrate import (
    check_schema,
    current_revision,
    head_revision,
    upgrade,
)
from servicecore.adapters.sqlalchemy.rows import event_from_row
from servicecore.adapters.sqlalchemy.unit_of_work import SQLAlchemyUnitOfWork
from servicecore.errors import StorageError
from servicecore.events import DomainEvent
from servicecore.ports import Publisher

__all__ = ["SQLAlchemyStorage"]

_ACK_CHUNK = 500


class SQLAlchemyStorage:
    """Records in a SQL database through SQLAlchemy Core: SQLite or PostgreSQL (psycopg 3).

    Example:
        ``SQLAlchemyStorage("service.db")`` (a file path means SQLite) or
        ``SQLAlchemyStorage("postgresql+psycopg://user@host/db")``.

    Args:
        target: A database URL, a SQLite file path, or an engine (the storage then leaves its
            disposal to the caller; a SQLite engine gets WAL, foreign keys and the busy timeout
            on the connections it opens from now on, so pass one that has not connected yet).
        publisher: Called as ``publisher(tenant, events)`` after each commit that has events;
            if it returns, the events are acknowledged, if it raises they stay pending (see
            :meth:`pending_events`).
        create: Create servicecore's schema in an empty database (the default, so that a file
            path is all an embedded user gives). A database whose schema is behind is never
            migrated on opening: that is :func:`~servicecore.adapters.sqlalchemy.upgrade`'s
            job (or ``servicecore db upgrade URL``). With ``create=False`` an empty database is
            refused too.

    Raises:
        SchemaVersionError: The database's schema is behind or ahead of this servicecore, or
            missing with ``create=False`` (the message names both revisions).
        StorageError: The database cannot be reached.
        ValidationError: ``target`` is not a usable URL.
    """

    def __init__(
        self,
        target: str | PathLike[str] | sa.Engine,
        *,
        publisher: Publisher | None = None,
        create: bool = True,
    ) -> None:
        self._owned = not isinstance(target, sa.Engine)
        self.engine = make_engine(target)
        self.read_options = read_options(self.engine)
        self.publisher = publisher
        try:
            if create and current_revision(self.engine) is None:
                self._create_schema()
            check_schema(self.engine)
        except BaseException:
            self.close()
            raise

    def _create_schema(self) -> None:
        try:
            upgrade(self.engine)
        except StorageError:
            # Another process opening the same empty database at the same time may have won.
            if current_revision(self.engine) != head_revision():
                raise

    def unit_of_work(self, tenant: str) -> SQLAlchemyUnitOfWork:
        """Open a unit of work for ``tenant``.

        Raises:
            ValidationError: ``tenant`` is not an id.
        """
        return SQLAlchemyUnitOfWork(self, _check_tenant(tenant))

    def pending_events(self, tenant: str, limit: int = 100) -> Sequence[DomainEvent]:
        """Return committed, unacknowledged events of ``tenant``, oldest first.

        Raises:
            ValidationError: ``tenant`` is not an id.
            StorageError: The database failed.
        """
        outbox = tables.outbox
        statement = (
            sa.select(outbox)
            .where(outbox.c.tenant == _check_tenant(tenant), outbox.c.delivered_at.is_(None))
            .order_by(outbox.c.seq)
            .limit(limit)
        )
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**self.read_options)
                rows = conn.execute(statement).mappings().all()
        except sa.exc.DBAPIError as exc:
            raise translate(exc, f"reading pending events of tenant {tenant}") from exc
        return tuple(event_from_row(r) for r in rows)

    def acknowledge(self, tenant: str, event_ids: Sequence[str]) -> None:
        """Mark events handled; unknown ids are ignored.

        Raises:
            ValidationError: ``tenant`` is not an id.
            StorageError: The database failed.
        """
        outbox = tables.outbox
        tenant = _check_tenant(tenant)
        ids = list(dict.fromkeys(event_ids))
        if not ids:
            return
        now = datetime.now(UTC)
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
                with conn.begin():
                    for start in range(0, len(ids), _ACK_CHUNK):
                        conn.execute(
                            outbox.update()
                            .where(
                                outbox.c.tenant == tenant,
                                outbox.c.event_id.in_(ids[start : start + _ACK_CHUNK]),
                                outbox.c.delivered_at.is_(None),
                            )
                            .values(delivered_at=now)
                        )
        except sa.exc.DBAPIError as exc:
            raise translate(exc, f"acknowledging events of tenant {tenant}") from exc

    def publish_pending(self, tenant: str) -> int:
        """Hand pending events of ``tenant`` to the publisher again; return how many were handled.

        Raises:
            Exception: Whatever the publisher raises (the events stay pending).
            StorageError: The database failed.
        """
        events = self.pending_events(tenant, limit=10_000)
        if events and self.publisher is not None:
            self.publisher(tenant, events)
            self.acknowledge(tenant, [e.id for e in events])
        return len(events) if self.publisher is not None else 0

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
