"""Column types that mean the same on SQLite and PostgreSQL.

Queries order and compare on these columns in the database, and the results are merged with a
unit of work's pending entities in Python, so the database's order must be Python's order: text
is compared by code point (``COLLATE "C"`` on PostgreSQL; SQLite's default is already binary),
and datetimes are instants (TIMESTAMPTZ on PostgreSQL; fixed-width UTC ISO text on SQLite, whose
lexical order is the chronological order).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

__all__ = ["JSON_DATA", "TEXT", "UTCDateTime"]

TEXT: TypeEngine[str] = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
"""Text ordered by code point on every backend, as Python orders ``str``."""

JSON_DATA: TypeEngine[Any] = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
"""A JSON document: JSONB on PostgreSQL, JSON text elsewhere."""


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime, returned in UTC.

    PostgreSQL stores it as TIMESTAMPTZ; other backends as ``YYYY-MM-DDTHH:MM:SS.ffffff`` text in
    UTC (26 characters, so that comparing the text compares the instants).

    Raises:
        ValueError: When binding a naive datetime (the model never holds one).
    """

    impl = sa.String(26)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Return TIMESTAMPTZ on PostgreSQL and fixed-width text elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TIMESTAMP(timezone=True))
        return dialect.type_descriptor(sa.String(26))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Convert an aware datetime to what the column holds.

        Raises:
            ValueError: ``value`` is naive.
        """
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored (times are UTC at rest)")
        utc = value.astimezone(UTC)
        if dialect.name == "postgresql":
            return utc
        return utc.replace(tzinfo=None).isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Convert the stored value back to an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
