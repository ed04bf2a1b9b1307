"""Building the engine: a URL or a plain SQLite file path, with the settings servicecore needs.

SQLite gets WAL (readers do not block the writer), ``foreign_keys=ON`` and a busy timeout, and
the driver's own transaction handling is switched off so that the adapter decides how each
transaction begins: reads ``BEGIN DEFERRED``, writes ``BEGIN IMMEDIATE`` (one writer at a time,
which is what makes the no-double-booking check inside the write transaction safe).
"""

from __future__ import annotations

from os import PathLike
from typing import Any

import sqlalchemy as sa

from servicecore.errors import ValidationError

__all__ = [
    "BEGIN_OPTION",
    "BUSY_TIMEOUT_SECONDS",
    "make_engine",
    "read_options",
    "to_url",
    "write_options",
]

BEGIN_OPTION = "servicecore_begin"
"""Connection execution option: ``"IMMEDIATE"`` makes a SQLite transaction a write transaction."""

BUSY_TIMEOUT_SECONDS = 30.0
"""How long a SQLite writer waits for another writer before giving up."""


def to_url(target: str | PathLike[str]) -> sa.URL:
    """Return the database URL for ``target``: a URL, or a file path meaning SQLite.

    Raises:
        ValidationError: ``target`` is an in-memory SQLite database (each connection would see
            its own empty database; use ``MemoryStorage`` instead) or not a valid URL.
    """
    text = str(target)
    if "://" not in text:
        return sa.URL.create("sqlite", database=text)
    try:
        url = sa.make_url(text)
    except sa.exc.ArgumentError as exc:
        raise ValidationError.single("url", text, f"is not a database URL: {exc}") from exc
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise ValidationError.single(
            "url", text, "in-memory SQLite is not supported; give a file path or use MemoryStorage"
        )
    return url


def _sqlite_connect(dbapi_connection: Any, _: Any) -> None:
    # None: the driver never opens transactions on its own; _sqlite_begin does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # The wait first: switching a new file to WAL needs its lock too, and another process may
    # hold it for a whole migration.
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    mode = conn.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
    if mode is not None:
        conn.exec_driver_sql(f"BEGIN {mode}")


def read_options(engine: sa.Engine) -> dict[str, object]:
    """Return the execution options for a connection that runs single-statement reads.

    One statement reads one consistent snapshot, so reads need no transaction of their own:
    SQLite skips ``BEGIN``, PostgreSQL runs in autocommit (saving two round trips per read).
    """
    if engine.dialect.name == "sqlite":
        return {BEGIN_OPTION: None}
    return {"isolation_level": "AUTOCOMMIT"}


def write_options(conn: sa.Connection) -> dict[str, object]:
    """Return the execution options that turn ``conn`` from reading back to writing.

    SQLite begins write transactions ``IMMEDIATE``; PostgreSQL leaves autocommit for the level
    the engine gives its connections (the level the pool would reset it to).
    """
    if conn.dialect.name == "sqlite":
        return {BEGIN_OPTION: "IMMEDIATE"}
    level = (
        conn.engine.get_execution_options().get("isolation_level")
        # create_engine(isolation_level=...) is kept here only; the pool resets to it as well.
        or getattr(conn.dialect, "_on_connect_isolation_level", None)
        or conn.default_isolation_level
    )
    return {"isolation_level": level}


def make_engine(target: str | PathLike[str] | sa.Engine) -> sa.Engine:
    """Return an engine for ``target`` (an engine is used as given, plus the SQLite settings).

    Raises:
        ValidationError: As for :func:`to_url`; the URL's database driver is not installed, or
            the URL names a kind of database SQLAlchemy does not know (field ``url``).
    """
    if isinstance(target, sa.Engine):
        engine = target
    else:
        url = to_url(target)
        kwargs: dict[str, Any] = {}
        if url.get_backend_name() == "sqlite":
            # timeout: the driver's own wait (5 s by default) covers opening the file, before
            # the connect hook sets the busy timeout.
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}
        try:
            engine = sa.create_engine(url, **kwargs)
        except ImportError as exc:  # the URL names a database whose driver is not installed
            raise ValidationError.single(
                "url",
                url.render_as_string(hide_password=True),
                f"needs the database driver {exc.name or 'for it'}, which is not installed; "
                "servicecore supports SQLite (built in) and PostgreSQL "
                '(pip install "servicecore[postgres]")',
            ) from exc
        except sa.exc.NoSuchModuleError as exc:  # a kind of database SQLAlchemy does not know
            raise ValidationError.single(
                "url",
                url.render_as_string(hide_password=True),
                f"names an unknown kind of database {url.drivername!r}; servicecore supports "
                "SQLite (sqlite:///file.db) and PostgreSQL (postgresql+psycopg://...)",
            ) from exc
    if engine.dialect.name == "sqlite" and not sa.event.contains(
        engine, "connect", _sqlite_connect
    ):
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    return engine
