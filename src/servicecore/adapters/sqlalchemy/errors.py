"""Translating driver errors into servicecore errors at the adapter boundary.

What a unique-key violation means depends on the table it happened in (an entity id that exists,
an audit trail that moved on, an event id used twice), so the caller says what it means; the
rest is read off the driver error: PostgreSQL's SQLSTATE, SQLite's message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa

from servicecore.errors import ConcurrencyError, DoubleBooking, ServicecoreError, StorageError

__all__ = ["is_unique_violation", "translate", "violates_index"]

_UNIQUE = "23505"
_EXCLUSION = "23P01"
_SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"})
_RETRY = frozenset({"40001", "40P01"})  # serialization failure, deadlock detected


def _sqlstate(exc: sa.exc.DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def is_unique_violation(exc: sa.exc.DBAPIError) -> bool:
    """Whether ``exc`` is a unique or primary-key violation."""
    state = _sqlstate(exc)
    if state is not None:
        return state == _UNIQUE
    name = getattr(exc.orig, "sqlite_errorname", None)  # sqlite3, Python 3.11+
    if isinstance(name, str):
        return name in _SQLITE_UNIQUE
    return isinstance(exc, sa.exc.IntegrityError) and "UNIQUE constraint failed" in str(exc.orig)


def violates_index(exc: sa.exc.DBAPIError, index: str, table: str, columns: Sequence[str]) -> bool:
    """Whether ``exc`` is a unique violation of the unique index ``index`` on ``table``.

    PostgreSQL names the index; SQLite names the table's columns instead
    (``UNIQUE constraint failed: archives.tenant, archives.serial_number``).
    """
    if not is_unique_violation(exc):
        return False
    diag = getattr(exc.orig, "diag", None)
    if diag is not None:
        return getattr(diag, "constraint_name", None) == index
    message = str(exc.orig)
    return all(f"{table}.{column}" in message for column in columns)


def translate(
    exc: sa.exc.DBAPIError,
    what: str,
    on_unique: Callable[[], ServicecoreError] | None = None,
) -> ServicecoreError:
    """Return the servicecore error for driver error ``exc`` (raise it ``from exc``).

    Args:
        exc: The error SQLAlchemy raised.
        what: What was being done, for the message (``"committing ServiceRequest r-1"``).
        on_unique: Builds the error a unique-key violation means here.

    Returns:
        ``on_unique()`` for a unique violation, :class:`DoubleBooking` for the technician-slot
        exclusion constraint (also a deadlock inside its check), :class:`ConcurrencyError` for
        other serialization failures and deadlocks, :class:`StorageError` for anything else.
    """
    if on_unique is not None and is_unique_violation(exc):
        return on_unique()
    state = _sqlstate(exc)
    if state == _EXCLUSION:
        return DoubleBooking(f"{what}: the technician's time is already held ({exc.orig})")
    if state in _RETRY and "exclusion constraint" in str(exc.orig):
        # Two transactions claiming overlapping time can deadlock inside the exclusion check
        # itself: the loser's answer is that the time is taken, as with a plain violation.
        return DoubleBooking(f"{what}: the technician's time is already held ({exc.orig})")
    if state in _RETRY:
        return ConcurrencyError(f"{what}: a concurrent transaction won; retry ({exc.orig})")
    return StorageError(f"{what}: {type(exc.orig).__name__}: {exc.orig}")
