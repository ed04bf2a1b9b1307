"""The ``servicecore schedule`` command: FSM-JSON instance in, FSM-JSON solution out."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any, TextIO

from servicecore.errors import ServicecoreError
from servicecore.scheduling.formats import read_fsm_json, write_fsm_solution
from servicecore.scheduling.result import Result
from servicecore.scheduling.solver import solve

__all__ = ["add_schedule_command", "run_schedule", "unassigned_lines"]


def add_schedule_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``schedule INSTANCE.json --time-limit SECONDS [--seed N] -o SOLUTION.json``.

    The handler is stored as the ``handler`` default; it takes the parsed namespace and returns
    the exit code.
    """
    p = subparsers.add_parser(
        "schedule",
        help="plan an FSM-JSON instance and write an FSM-JSON solution",
        description="Plan an FSM-JSON instance with the OR-Tools scheduler.",
    )
    p.add_argument("instance", metavar="INSTANCE.json", help="FSM-JSON instance file")
    p.add_argument("--time-limit", type=float, required=True, metavar="SECONDS", help="search time")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="search seed (default 0)")
    p.add_argument(
        "-o", "--output", required=True, metavar="SOLUTION.json", help="where to write the plan"
    )
    p.set_defaults(handler=run_schedule)


def run_schedule(args: argparse.Namespace) -> int:
    """Run the ``schedule`` command for parsed ``args``.

    Checks that the output can be written before solving; prints the plan's summary line, its
    cost and each job left out with the reason to stdout, and writes the solution file.

    Returns:
        0 on success, 2 when the instance or the arguments (the output path included) are
        invalid, 1 when no plan could be made or the output cannot be written.
    """
    problem_with_output = _output_problem(args.output)
    if problem_with_output is not None:
        print(f"error: cannot write {args.output}: {problem_with_output}", file=sys.stderr)
        return 2
    try:
        problem = read_fsm_json(args.instance)
        with _Interrupt() as interrupt:
            live = _LiveLine(sys.stderr, args.time_limit) if sys.stderr.isatty() else None

            def progress(elapsed: float, cost: int, unserved: int) -> bool:
                if live is not None:
                    live.show(elapsed, cost, unserved)
                return interrupt.requested

            result = solve(
                problem, time_limit=args.time_limit, seed=args.seed, on_progress=progress
            )
            if live is not None:
                live.clear()
            if interrupt.requested:
                print("interrupted: writing the best plan found so far", file=sys.stderr)
    except OSError as exc:
        print(f"error: cannot read {args.instance}: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ServicecoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        write_fsm_solution(result, args.output)
    except OSError as exc:
        print(f"error: cannot write {args.output}: {exc}", file=sys.stderr)
        return 1
    print(result.summary().splitlines()[0])
    print(
        f"cost {result.cost.total} (travel {result.cost.travel}, lateness "
        f"{result.cost.lateness}, unserved {result.cost.unserved}) -> {args.output}"
    )
    for line in unassigned_lines(result):
        print(line)
    return 0


class _Interrupt:
    """Turn the first Ctrl-C into a request to stop the search; a second one stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: object) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)


class _LiveLine:
    """One line on a terminal, rewritten in place with the search's progress."""

    def __init__(self, stream: TextIO, limit: float) -> None:
        self.stream, self.limit, self.width = stream, limit, 0

    def show(self, elapsed: float, cost: int, unserved: int) -> None:
        text = f"{elapsed:5.1f}/{self.limit:g} s  cost {cost}  unserved {unserved}"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def unassigned_lines(result: Result) -> list[str]:
    """Return one line per job left out of ``result``: its id, reason and what it lacked."""
    held = {s for t in result.problem.technicians for s in t.skills}
    lines = []
    for u in result.unassigned:
        missing = sorted(result.problem.job(u.job_id).skills - held)
        note = f" (no technician has {', '.join(missing)})" if missing else ""
        lines.append(f"unassigned {u.job_id}: {u.reason.value}{note}")
    return lines


def _output_problem(path: str) -> str | None:
    """Say why a solution cannot be written to ``path``, or ``None`` when it can."""
    if os.path.isdir(path):
        return "it is a directory"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"no directory {folder}"
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return "permission denied"
    return None
