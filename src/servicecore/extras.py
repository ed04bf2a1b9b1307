"""The optional extras: what each one installs and what needs it, checked before use.

This table is the one source for the errors a missing extra raises and for the documentation's
"which extra do I need" table.
"""

from __future__ import annotations

import importlib.util

import attrs

from servicecore.errors import MissingExtraError

__all__ = ["EXTRAS", "Extra", "require_extra"]


@attrs.frozen
class Extra:
    """One optional extra of the ``servicecore`` package.

    Attributes:
        name: The extra, as in ``pip install "servicecore[name]"``.
        modules: The top-level modules it provides, checked in this order.
        needed_for: What needs it, in words.
    """

    name: str
    modules: tuple[str, ...]
    needed_for: str


EXTRAS: tuple[Extra, ...] = (
    Extra(
        "sql",
        ("sqlalchemy", "alembic"),
        "SQLite storage (SQLAlchemyStorage), migrations and the servicecore db command",
    ),
    Extra(
        "postgres",
        ("sqlalchemy", "alembic", "psycopg"),
        "PostgreSQL storage (the sql extra plus the psycopg driver)",
    ),
    Extra("plot", ("matplotlib",), "charts in the HTML report, Gantt and map plots of a plan"),
    Extra(
        "analysis",
        ("pandas", "openpyxl"),
        "Report.to_pandas and to_excel, Result.to_dataframe",
    ),
    Extra("qr", ("qrcode",), "QR images of booking check-in codes (qr_png)"),
    Extra("amqp", ("pika",), "the outbox relay that publishes domain events to RabbitMQ"),
    Extra(
        "demo",
        ("sqlalchemy", "alembic", "matplotlib"),
        "servicecore demo (the sql and plot extras together)",
    ),
)

_BY_NAME = {extra.name: extra for extra in EXTRAS}


def require_extra(feature: str, extra: str) -> None:
    """Check that every module of ``extra`` can be imported, before ``feature`` starts.

    Args:
        feature: What is about to run, e.g. ``"the demo"``; it starts the error message.
        extra: The name of one of :data:`EXTRAS`.

    Raises:
        MissingExtraError: A module of the extra is not installed; names the extra, the module
            and the ``pip install`` command.
        KeyError: ``extra`` is not one of :data:`EXTRAS` (a bug in the caller).
    """
    for module in _BY_NAME[extra].modules:
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(feature, extra, module)
