"""The ``servicecore schedule`` command: FSM-JSON instance in, FSM-JSON solution out."""

from __future__ import annotations

import argparse
import os
import sys

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
        result = solve(problem, time_limit=args.time_limit, seed=args.seed)
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
