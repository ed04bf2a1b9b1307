"""Alembic environment for servicecore's schema.

:func:`servicecore.adapters.sqlalchemy.upgrade` runs it with an open connection in
``config.attributes["connection"]``; the ``alembic`` command line can run it too, given
``sqlalchemy.url`` in its configuration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from servicecore.adapters.sqlalchemy.tables import metadata


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection, or on ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from servicecore.adapters.sqlalchemy.engine import make_engine

    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url, or call servicecore.adapters.sqlalchemy.upgrade()")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("servicecore migrations run online only (they branch on the dialect)")
run_migrations_online()
