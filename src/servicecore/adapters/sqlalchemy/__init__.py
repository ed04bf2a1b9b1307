"""The SQLAlchemy adapter: SQLite (the embedded default) and PostgreSQL, with migrations.

Example:
    >>> from servicecore.adapters.sqlalchemy import SQLAlchemyStorage, upgrade
    >>> upgrade("service.db")  # doctest: +SKIP
    >>> storage = SQLAlchemyStorage("service.db")  # doctest: +SKIP

Inside a host's database: ``upgrade(url, table_prefix="sc_", schema="service")`` and
``SQLAlchemyStorage(url, table_prefix="sc_", schema="service")``.

Needs the ``sql`` extra (``postgres`` for PostgreSQL through psycopg 3).
"""

from __future__ import annotations

from servicecore.adapters.sqlalchemy.backend import SqlBackend
from servicecore.adapters.sqlalchemy.engine import make_engine
from servicecore.adapters.sqlalchemy.migrate import current_revision, head_revision, upgrade
from servicecore.adapters.sqlalchemy.naming import Naming
from servicecore.adapters.sqlalchemy.storage import SQLAlchemyStorage

__all__ = [
    "Naming",
    "SQLAlchemyStorage",
    "SqlBackend",
    "current_revision",
    "head_revision",
    "make_engine",
    "upgrade",
]
