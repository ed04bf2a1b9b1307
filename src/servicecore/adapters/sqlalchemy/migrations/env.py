"""Alembic environment for servicecore's schema.

:func:`servicecore.adapters.sqlalchemy.upgrade` runs it with an open connection in
``config.attributes["connection"]`` and the tables' prefix and schema in
``config.attributes["naming"]``; the ``alembic`` command line can run it too, given
``sqlalchemy.url`` in its configuration (then without prefix or schema). The revision is kept in
servicecore's own version table, never in ``alembic_version``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from servicecore.adapters.sqlalchemy.naming import current_naming
from servicecore.adapters.sqlalchemy.tables import tables_for


def _run(connection: sa.Connection) -> None:
    naming = current_naming()
    context.configure(
        connection=connection,
        target_metadata=tables_for(naming).metadata,
        version_table=naming.version_table,
        version_table_schema=naming.schema,
    )
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
