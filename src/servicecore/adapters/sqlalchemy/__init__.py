"""The SQLAlchemy adapter: SQLite (the embedded default) and PostgreSQL, with migrations.

Example:
    >>> from servicecore.adapters.sqlalchemy import SQLAlchemyStorage, upgrade
    >>> upgrade("service.db")  # doctest: +SKIP
    >>> storage = SQLAlchemyStorage("service.db")  # doctest: +SKIP

Needs the ``sql`` extra (``postgres`` for PostgreSQL through psycopg 3).
"""

from __future__ import annotations

from servicecore.adapters.sqlalchemy.migrate import current_revision, head_revision, upgrade
from servicecore.adapters.sqlalchemy.storage import SQLAlchemyStorage
from servicecore.adapters.sqlalchemy.unit_of_work import SQLAlchemyUnitOfWork

__all__ = [
    "SQLAlchemyStorage",
    "SQLAlchemyUnitOfWork",
    "current_revision",
    "head_revision",
    "upgrade",
]
