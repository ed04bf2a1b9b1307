"""Schema migrations: bring a database to this servicecore's schema, and check that it is there.

The Alembic migrations ship inside the package (``migrations/``); :func:`upgrade` applies them,
:func:`check_schema` refuses a database whose schema is behind or ahead of this version of
servicecore. The revision is tracked in servicecore's own version table
(:attr:`Naming.version_table <servicecore.adapters.sqlalchemy.naming.Naming.version_table>`),
never in the host's ``alembic_version``; a database migrated by an older servicecore (which used
``alembic_version``) has its revision moved over on upgrade.
"""

from __future__ import annotations

from functools import cache
from os import PathLike
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from servicecore.adapters.sqlalchemy.engine import BEGIN_OPTION, make_engine
from servicecore.adapters.sqlalchemy.errors import translate
from servicecore.adapters.sqlalchemy.naming import LEGACY_VERSION_TABLE, Naming
from servicecore.errors import SchemaVersionError, ValidationError

__all__ = [
    "adopt_legacy",
    "check_schema",
    "current_revision",
    "head_revision",
    "legacy_revision",
    "upgrade",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

Target = str | PathLike[str] | sa.Engine


def _config(connection: sa.Connection | None = None, naming: Naming | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    config.attributes["naming"] = naming or Naming()
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """Return the schema revision this version of servicecore needs."""
    head = _scripts().get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


def _with_engine(target: Target) -> tuple[sa.Engine, bool]:
    if isinstance(target, sa.Engine):
        return make_engine(target), False
    return make_engine(target), True


def _context(conn: sa.Connection, naming: Naming) -> MigrationContext:
    return MigrationContext.configure(
        conn,
        opts={"version_table": naming.version_table, "version_table_schema": naming.schema},
    )


def _legacy(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table(LEGACY_VERSION_TABLE):
        return None
    for (found,) in conn.execute(sa.text(f"SELECT version_num FROM {LEGACY_VERSION_TABLE}")):
        if _known(found):
            return str(found)
    return None


def current_revision(target: Target, naming: Naming | None = None) -> str | None:
    """Return the database's servicecore schema revision (``None``: it has none).

    Args:
        target: A database URL, a SQLite file path or an engine.
        naming: The prefix and schema of servicecore's tables (default: none).

    Raises:
        StorageError: The database cannot be reached.
        ValidationError: ``target`` is not a usable URL.
    """
    engine, owned = _with_engine(target)
    try:
        with engine.connect() as conn:
            return _context(conn, naming or Naming()).get_current_revision()
    except sa.exc.DBAPIError as exc:
        raise translate(exc, "reading the schema revision") from exc
    finally:
        if owned:
            engine.dispose()


def legacy_revision(engine: sa.Engine, naming: Naming) -> str | None:
    """Return the servicecore revision an older servicecore left in ``alembic_version``.

    Only a database without prefix and schema can have one; a host's own revisions there are
    not servicecore's and give ``None``.

    Raises:
        StorageError: The database cannot be reached.
    """
    if not naming.is_default:
        return None
    try:
        with engine.connect() as conn:
            return _legacy(conn)
    except sa.exc.DBAPIError as exc:
        raise translate(exc, "reading the schema revision") from exc


def _adopt(conn: sa.Connection, found: str) -> None:
    command.stamp(_config(conn, Naming()), found)
    conn.execute(
        sa.text(f"DELETE FROM {LEGACY_VERSION_TABLE} WHERE version_num = :found"), {"found": found}
    )
    if conn.execute(sa.text(f"SELECT COUNT(*) FROM {LEGACY_VERSION_TABLE}")).scalar_one() == 0:
        conn.execute(sa.text(f"DROP TABLE {LEGACY_VERSION_TABLE}"))


def adopt_legacy(engine: sa.Engine) -> None:
    """Move the revision an older servicecore kept in ``alembic_version`` to its own table.

    Raises:
        StorageError: The database failed.
    """
    try:
        with engine.begin() as conn:
            found = _legacy(conn)
            if found is not None and _context(conn, Naming()).get_current_revision() is None:
                _adopt(conn, found)
    except sa.exc.DBAPIError as exc:
        raise translate(exc, "moving the schema revision") from exc


def _writing(conn: sa.Connection) -> sa.Connection:
    """Make ``conn``'s transactions SQLite write transactions from their ``BEGIN``.

    Processes opening one new file at once then queue for the write lock (busy timeout) and
    find the schema made by the first; a deferred transaction that reads the revision first
    cannot wait for the lock (SQLite refuses at once: "database is locked").
    """
    if conn.dialect.name == "sqlite":
        conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
    return conn


def upgrade(
    target: Target,
    revision: str = "head",
    *,
    table_prefix: str = "",
    schema: str | None = None,
) -> str:
    """Migrate servicecore's tables at ``target`` to ``revision`` (the newest by default).

    Creates servicecore's tables where there are none (beside any tables of the host's);
    applies the missing migrations to older ones; does nothing to current ones. Runs in one
    transaction on PostgreSQL. The host's tables and its ``alembic_version`` are never touched.

    Args:
        target: A database URL (``postgresql+psycopg://...``, ``sqlite:///service.db``), a
            SQLite file path, or an engine.
        revision: Where to go; ``"head"`` is this servicecore's schema.
        table_prefix: Put before every table name (``"sc_"``).
        schema: The PostgreSQL schema of servicecore's tables (created if missing).

    Returns:
        The revision the database is at afterwards.

    Raises:
        SchemaVersionError: The database is ahead of this servicecore (a newer one migrated it).
        StorageError: The database failed.
        ValidationError: ``target`` is not a usable URL, ``table_prefix`` or ``schema`` is not a
            plain lower-case identifier, or a schema is given for SQLite.
    """
    naming = Naming(table_prefix, schema)
    engine, owned = _with_engine(target)
    try:
        if schema is not None and engine.dialect.name != "postgresql":
            raise ValidationError.single("schema", schema, "is for PostgreSQL only")
        with engine.connect() as conn, _writing(conn).begin():
            if schema is not None:
                conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            found = _context(conn, naming).get_current_revision()
            if found is None and naming.is_default:
                legacy = _legacy(conn)
                if legacy is not None:
                    _adopt(conn, legacy)
            elif found is not None and not _known(found):
                raise _ahead(found)
            command.upgrade(_config(conn, naming), revision)
            now = _context(conn, naming).get_current_revision()
    except sa.exc.DBAPIError as exc:
        raise translate(exc, "migrating the schema") from exc
    finally:
        if owned:
            engine.dispose()
    assert now is not None
    return now


def _ahead(found: str) -> SchemaVersionError:
    return SchemaVersionError(
        f"the database schema is at revision {found!r}, which this servicecore does not know: "
        f"it is ahead of this servicecore's revision {head_revision()!r} (upgrade servicecore)"
    )


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # alembic raises its own errors for malformed or ambiguous ids
        return False


def check_schema(engine: sa.Engine, naming: Naming | None = None) -> None:
    """Check that the database's servicecore schema is exactly this servicecore's.

    Raises:
        SchemaVersionError: The schema is missing, behind or ahead; the message names the
            database's revision and the one this servicecore needs, and what to do.
        StorageError: The database cannot be reached.
    """
    naming = naming or Naming()
    found = current_revision(engine, naming)
    head = head_revision()
    if found == head:
        return
    if found is None and legacy_revision(engine, naming) is not None:
        raise SchemaVersionError(
            f"the database's servicecore revision is kept in {LEGACY_VERSION_TABLE} by an older "
            f"servicecore; this servicecore needs revision {head!r} in its own table "
            f"{naming.version_table}: run 'servicecore db upgrade URL'"
        )
    if found is None:
        raise SchemaVersionError(
            f"the database has no servicecore schema (revision None); this servicecore needs "
            f"revision {head!r}: run servicecore.adapters.sqlalchemy.upgrade(url) or "
            f"'servicecore db upgrade URL', or open it with create=True"
        )
    if not _known(found):
        raise _ahead(found)
    raise SchemaVersionError(
        f"the database schema is at revision {found!r}, behind this servicecore's revision "
        f"{head!r}: run servicecore.adapters.sqlalchemy.upgrade(url) or "
        f"'servicecore db upgrade URL'"
    )
