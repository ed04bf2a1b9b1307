"""The ``servicecore`` command: a thin layer over the public API.

Subcommands:
    demo      run the demo scenario and print what happened
    schedule  solve an FSM-JSON instance (see :mod:`servicecore.scheduling`)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from servicecore import __version__
from servicecore.errors import ServicecoreError
from servicecore.scheduling.cli import add_schedule_command

__all__ = ["build_parser", "main"]


def _demo(args: argparse.Namespace) -> int:
    from servicecore.demo import run_demo

    summary = run_demo(print)
    print(
        f"done: {summary.transitions} audited transitions, {len(summary.refusals)} refusals, "
        f"{summary.chains_verified} chains verified; request {summary.request_status}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``servicecore`` command."""
    parser = argparse.ArgumentParser(prog="servicecore", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"servicecore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo scenario and print what happened")
    demo.set_defaults(handler=_demo)
    add_schedule_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for a servicecore error, with its message)."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except ServicecoreError as exc:
        print(f"servicecore: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
