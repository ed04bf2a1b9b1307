"""The ``servicecore db`` commands: migrate a database and show its schema revision."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from servicecore.adapters.sqlalchemy.engine import to_url
from servicecore.adapters.sqlalchemy.migrate import current_revision, head_revision, upgrade
from servicecore.adapters.sqlalchemy.naming import Naming

__all__ = ["add_db_command"]

_URL_HELP = "database URL (sqlite:///service.db, postgresql+psycopg://...) or a SQLite file path"


def _printable(text: str) -> str:
    """Return ``text`` with what a terminal cannot encode escaped.

    A file name that is not UTF-8 reaches Python with lone surrogates; printing them would raise.
    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _naming(args: argparse.Namespace) -> Naming:
    return Naming(args.prefix, args.schema)


def _upgrade(args: argparse.Namespace) -> int:
    naming = _naming(args)
    before = current_revision(args.url, naming)
    after = upgrade(args.url, table_prefix=naming.prefix, schema=naming.schema)
    shown = _printable(args.url)
    if before == after:
        print(f"{shown}: already at revision {after}")
    else:
        print(f"{shown}: migrated from revision {before or 'none (empty)'} to {after}")
    return 0


def _current(args: argparse.Namespace) -> int:
    url = to_url(args.url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        print(
            f"no database at {_printable(url.database or '')} (servicecore db upgrade creates one)"
        )
        return 1
    found = current_revision(args.url, _naming(args))
    head = head_revision()
    if found == head:
        print(f"{found} (up to date)")
        return 0
    shown = found or "none (no servicecore schema)"
    print(f"{shown}; this servicecore needs {head}: run 'servicecore db upgrade URL'")
    return 1


def add_db_command(subparsers: Any) -> None:
    """Register ``db upgrade URL`` and ``db current URL`` on an argparse subparsers object.

    Both take ``--prefix`` and ``--schema`` for servicecore's tables inside a host's database.

    Each sets ``handler``: a function of the parsed Namespace returning the exit code
    (``db current`` returns 1 when the schema is not this servicecore's, and never creates a
    SQLite file that does not exist). The handlers raise
    :class:`~servicecore.errors.SchemaVersionError` for a database ahead of this servicecore and
    :class:`~servicecore.errors.StorageError` when it cannot be reached.
    """
    db = subparsers.add_parser("db", help="create or migrate a database, show its schema revision")
    commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    up = commands.add_parser(
        "upgrade", help="create servicecore's tables, or migrate them to this version"
    )
    up.add_argument("url", help=_URL_HELP)
    _add_naming(up)
    up.set_defaults(handler=_upgrade)
    current = commands.add_parser("current", help="print the database's schema revision")
    current.add_argument("url", help=_URL_HELP)
    _add_naming(current)
    current.set_defaults(handler=_current)


def _add_naming(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prefix", default="", help="put before servicecore's table names (e.g. sc_)"
    )
    parser.add_argument(
        "--schema", default=None, help="the PostgreSQL schema of servicecore's tables"
    )
