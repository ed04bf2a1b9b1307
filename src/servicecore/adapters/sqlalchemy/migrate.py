"""Schema migrations: bring a database to this servicecore's schema, and check that it is there.

The Alembic migrations ship inside the package (``migrations/``); :func:`upgrade` applies them,
:func:`check_schema` refuses a database whose schema is behind or ahead of this version of
servicecore.
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

from servicecore.adapters.sqlalchemy.engine import make_engine
from servicecore.adapters.sqlalchemy.errors import translate
from servicecore.errors import SchemaVersionError

__all__ = ["check_schema", "current_revision", "head_revision", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

Target = str | PathLike[str] | sa.Engine


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
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


def current_revision(target: Target) -> str | None:
    """Return the database's schema revision (``None`` for an empty database).

    Args:
        target: A database URL, a SQLite file path or an engine.

    Raises:
        StorageError: The database cannot be reached.
        ValidationError: ``target`` is not a usable URL.
    """
    engine, owned = _with_engine(target)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except sa.exc.DBAPIError as exc:
        raise translate(exc, "reading the schema revision") from exc
    finally:
        if owned:
            engine.dispose()


def upgrade(target: Target, revision: str = "head") -> str:
    """Migrate the database at ``target`` to ``revision`` (the newest by default).

    Creates servicecore's tables in an empty database; applies the missing migrations to an
    older one; does nothing to a current one. Runs in one transaction on PostgreSQL.

    Args:
        target: A database URL (``postgresql+psycopg://...``, ``sqlite:///service.db``), a
            SQLite file path, or an engine.
        revision: Where to go; ``"head"`` is this servicecore's schema.

    Returns:
        The revision the database is at afterwards.

    Raises:
        SchemaVersionError: The database is ahead of this servicecore (a newer one migrated it).
        StorageError: The database failed.
        ValidationError: ``target`` is not a usable URL.
    """
    engine, owned = _with_engine(target)
    try:
        with engine.begin() as conn:
            found = MigrationContext.configure(conn).get_current_revision()
            if found is not None and not _known(found):
                raise _ahead(found)
            command.upgrade(_config(conn), revision)
            now = MigrationContext.configure(conn).get_current_revision()
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


def check_schema(engine: sa.Engine) -> None:
    """Check that the database's schema is exactly this servicecore's.

    Raises:
        SchemaVersionError: The schema is missing, behind or ahead; the message names the
            database's revision and the one this servicecore needs, and what to do.
        StorageError: The database cannot be reached.
    """
    found = current_revision(engine)
    head = head_revision()
    if found == head:
        return
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
