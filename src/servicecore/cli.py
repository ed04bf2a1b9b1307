"""The ``servicecore`` command: a thin layer over the public API.

Subcommands:
    demo      run the demo scenario and print what happened
    schedule  solve an FSM-JSON instance (see :mod:`servicecore.scheduling`)
    db        create or migrate a SQL database, show its schema revision (the ``sql`` extra)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from servicecore import __version__
from servicecore.errors import MissingExtraError, ServicecoreError
from servicecore.extras import require_extra
from servicecore.scheduling.cli import add_schedule_command

__all__ = ["build_parser", "main"]


def _demo(args: argparse.Namespace) -> int:
    require_extra("servicecore demo", "demo")
    from servicecore.demo import run_demo

    summary = run_demo(Path(args.db), print, seed=args.seed, days=args.days, out=Path(args.out))
    penalty = summary.penalty or "nothing"
    print(
        f"done: {summary.bookings} bookings, {summary.planned_visits} visits planned, "
        f"{summary.closed} requests closed, {summary.breaches} SLA breaches costing {penalty}, "
        f"{summary.alerts} alerts, {len(summary.refusals)} refusals; {summary.audit_entries} "
        f"audit entries in {summary.chains_verified} verified chains in {summary.database}"
    )
    if summary.report is not None:
        print(f"open the managers' report: {summary.report.resolve()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``servicecore`` command."""
    parser = argparse.ArgumentParser(
        prog="servicecore",
        description="servicecore: the after-sales service engine, on the command line.",
    )
    parser.add_argument("--version", action="version", version=f"servicecore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo scenario and print what happened")
    demo.add_argument(
        "--db",
        default="servicecore-demo.db",
        help="the SQLite file to write (replaced; default: servicecore-demo.db here)",
    )
    demo.add_argument("--seed", type=int, default=7, help="varies where the visits are (default 7)")
    demo.add_argument(
        "--out",
        default=".",
        help="folder for the HTML report and the CSV reports (default: the current folder)",
    )
    demo.add_argument(
        "--days",
        type=int,
        default=1,
        choices=range(1, 15),
        metavar="N",
        help="days of operation from Monday 9 March 2026, weekends included (1-14, default 1)",
    )
    demo.set_defaults(handler=_demo)
    add_schedule_command(sub)
    try:
        from servicecore.adapters.sqlalchemy.cli import add_db_command
    except ImportError:
        db = sub.add_parser("db", help="SQL databases (needs the sql extra)")
        db.add_argument("rest", nargs="*")
        db.set_defaults(handler=_no_sql)
    else:
        add_db_command(sub)
    return parser


def _no_sql(args: argparse.Namespace) -> int:
    raise MissingExtraError("servicecore db", "sql", "sqlalchemy")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for a servicecore error, with its message).

    A missing optional extra is one line on stderr naming the ``pip install`` command.
    """
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except ServicecoreError as exc:
        print(f"servicecore: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
