"""The ``servicecore schedule`` command, driven through its argument parser."""

from __future__ import annotations

import argparse
import json
import os
import signal
from pathlib import Path

from servicecore.scheduling import cli as cli_module
from servicecore.scheduling.cli import add_schedule_command

DATA = Path(__file__).parent / "data"


def schedule(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_schedule_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["schedule", *argv])
    return int(args.handler(args))


def test_a_job_needing_a_skill_nobody_has_is_reported_with_its_reason(tmp_path, capsys):
    out = tmp_path / "out.json"
    assert schedule(str(DATA / "tiny_fsm.json"), "--time-limit", "1", "-o", str(out)) == 0
    printed = capsys.readouterr().out
    assert "unassigned J4: no_skilled_technician (no technician has plumbing)" in printed
    assert "J4" in json.loads(out.read_text())["unassigned"]


def test_a_bad_output_path_is_refused_before_solving(tmp_path, capsys):
    out = tmp_path / "missing" / "out.json"
    assert schedule(str(DATA / "tiny_fsm.json"), "--time-limit", "30", "-o", str(out)) == 2
    captured = capsys.readouterr()
    assert f"cannot write {out}" in captured.err
    assert "cost" not in captured.out


def test_breaks_in_the_instance_are_planned(tmp_path):
    raw = json.loads((DATA / "tiny_fsm.json").read_text())
    for t in raw["technicians"]:
        t["breaks"] = [[600, 660, 45]]
    instance = tmp_path / "lunch.json"
    instance.write_text(json.dumps(raw))
    out = tmp_path / "out.json"
    assert schedule(str(instance), "--time-limit", "1", "-o", str(out)) == 0
    solution = json.loads(out.read_text())
    assert sorted(solution["unassigned"] + [j for r in solution["routes"] for j in r["jobs"]]) == [
        "J1",
        "J2",
        "J3",
        "J4",
        "J5",
    ]


def test_ctrl_c_stops_the_search_and_writes_the_best_plan(tmp_path, capsys, monkeypatch):
    real_solve = cli_module.solve
    # What handled Ctrl-C before (a background CI job may start with it ignored) comes back.
    before = signal.getsignal(signal.SIGINT)

    def solve_interrupted(problem, **kwargs):
        report = kwargs.pop("on_progress")

        def progress(elapsed, cost, unserved):
            os.kill(os.getpid(), signal.SIGINT)
            return report(elapsed, cost, unserved)

        return real_solve(problem, on_progress=progress, **kwargs)

    monkeypatch.setattr(cli_module, "solve", solve_interrupted)
    out = tmp_path / "out.json"
    assert schedule(str(DATA / "tiny_fsm.json"), "--time-limit", "60", "-o", str(out)) == 0
    assert "interrupted: writing the best plan" in capsys.readouterr().err
    solution = json.loads(out.read_text())
    assert len(solution["unassigned"]) + sum(len(r["jobs"]) for r in solution["routes"]) == 5
    assert signal.getsignal(signal.SIGINT) is before
