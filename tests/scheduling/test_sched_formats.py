from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from servicecore.errors import ValidationError
from servicecore.scheduling import (
    Problem,
    ProblemBuilder,
    fsm_to_problem,
    hm,
    problem_to_fsm,
    read_fsm_json,
    read_solomon,
    solve,
    write_fsm_solution,
)
from servicecore.scheduling.cli import add_schedule_command, run_schedule

DATA = Path(__file__).parent / "data"


def test_fsm_instance_round_trips():
    problem = read_fsm_json(DATA / "tiny_fsm.json")
    assert problem.name == "tiny"
    assert len(problem.jobs) == 5
    raw = json.loads((DATA / "tiny_fsm.json").read_text())
    again = problem_to_fsm(problem)
    assert fsm_to_problem(again) == problem
    assert [j["id"] for j in again["jobs"]] == [j["id"] for j in raw["jobs"]]
    assert again["jobs"][2]["lateness_penalty"] == 10


def fsm_cost(inst: dict, sol: dict) -> int:
    """The FSM_FORMAT.md cost, replayed earliest-start from the solution alone."""
    import math

    techs = {t["id"]: t for t in inst["technicians"]}
    jobs = {j["id"]: j for j in inst["jobs"]}

    def leg(a, b):
        return math.ceil(
            math.hypot(a[0] - b[0], a[1] - b[1]) / inst["travel"]["speed_kmh"] * 60 - 1e-9
        )

    total = 0
    for r in sol["routes"]:
        t = techs[r["technician"]]
        pos, now = t["start"], t["shift"][0]
        for jid in r["jobs"]:
            j = jobs[jid]
            total += leg(pos, j["location"])
            now += leg(pos, j["location"])
            start = next(max(now, lo) for lo, hi in sorted(j["time_windows"]) if now <= hi)
            if "sla_due" in j:
                total += j["lateness_penalty"] * max(0, start - j["sla_due"])
            now, pos = start + j["duration"], j["location"]
        total += leg(pos, t["end"])
        now += leg(pos, t["end"])
        assert now <= t["shift"][1]
    return total + sum(
        inst["unserved_penalty_per_priority"] * jobs[j]["priority"] for j in sol["unassigned"]
    )


def test_fsm_solution_matches_the_format_cost(tmp_path):
    problem = read_fsm_json(DATA / "tiny_fsm.json")
    result = solve(problem, time_limit=5, solution_limit=30)
    out = tmp_path / "sol.json"
    write_fsm_solution(result, out)
    sol = json.loads(out.read_text())
    assert sol["instance"] == "tiny"
    assert sorted(sol["unassigned"]) == ["J4", "J5"]
    inst = json.loads((DATA / "tiny_fsm.json").read_text())
    # Earliest-start replay can only be as late or earlier, so never costlier.
    assert fsm_cost(inst, sol) <= result.cost.total


def test_bad_fsm_names_the_field():
    raw = json.loads((DATA / "tiny_fsm.json").read_text())
    raw["jobs"][3]["duration"] = -1
    raw["technicians"][1]["shift"] = [700, 600]
    with pytest.raises(ValidationError) as exc:
        fsm_to_problem(raw)
    assert [e.path for e in exc.value.errors] == [
        "technicians[1].shift[1]",
        "jobs[3].duration",
    ]


def fsm_error_paths(edit) -> list[str]:
    raw = json.loads((DATA / "tiny_fsm.json").read_text())
    edit(raw)
    with pytest.raises(ValidationError) as exc:
        fsm_to_problem(raw)
    return [e.path for e in exc.value.errors]


def test_a_bad_shift_opening_is_named_as_the_shift_not_the_start_location():
    def edit(raw):
        raw["technicians"][1]["shift"][0] = "eight"

    assert fsm_error_paths(edit) == ["technicians[1].shift[0]"]


def test_a_bad_break_is_named_by_its_row_and_column():
    def edit(raw):
        raw["technicians"][1]["breaks"] = [[600, 540, 30]]

    assert fsm_error_paths(edit) == ["technicians[1].breaks[0][1]"]


def test_a_break_outside_its_shift_is_named_by_its_row():
    def edit(raw):
        raw["technicians"][1]["breaks"] = [[900, 960, 30]]

    assert fsm_error_paths(edit) == ["technicians[1].breaks[0]"]


def test_a_bad_closing_of_one_of_several_shifts_is_named_as_its_close():
    def edit(raw):
        del raw["technicians"][1]["shift"]
        raw["technicians"][1]["shifts"] = [
            {"open": 480, "close": 720},
            {"open": 1920, "close": -1},
        ]

    assert fsm_error_paths(edit) == ["technicians[1].shifts[1].close"]


def test_a_bad_time_window_is_named_by_its_row_and_column():
    def edit(raw):
        raw["jobs"][3]["time_windows"] = [[480, -5]]

    assert fsm_error_paths(edit) == ["jobs[3].time_windows[0][1]"]


@pytest.mark.parametrize("x", [1e300, math.inf, math.nan])
def test_a_location_beyond_any_map_is_refused_by_name(x):
    def edit(raw):
        raw["jobs"][3]["location"] = [x, 0]
        raw["technicians"][1]["start"] = [0, -x]

    assert fsm_error_paths(edit) == ["technicians[1].start", "jobs[3].location"]


def test_fsm_refuses_other_formats_and_garbage(tmp_path):
    with pytest.raises(ValidationError) as exc:
        fsm_to_problem({"format": "x", "travel": {}, "technicians": [], "jobs": {}})
    assert [e.path for e in exc.value.errors] == ["format", "travel", "jobs"]
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ValidationError):
        read_fsm_json(bad)


def test_problem_to_fsm_refuses_what_fsm_cannot_say():
    b = ProblemBuilder()
    b.technician("t", start=(0, 0), max_jobs=3)
    b.job("j", location=(0, 0), duration=5, demand=3)
    with pytest.raises(ValidationError) as exc:
        problem_to_fsm(b.build())
    assert [e.path for e in exc.value.errors] == ["technicians[0].max_jobs", "jobs[0].demand"]


def test_a_day_with_a_lunch_break_round_trips():
    b = ProblemBuilder(name="lunch")
    b.technician("t", start=(0, 0), end=(0, 0), breaks=[("12:00", "13:00", 45)])
    b.job("j", location=(1, 0), duration=30)
    problem = b.build()
    data = problem_to_fsm(problem)
    assert data["technicians"][0]["breaks"] == [[720, 780, 45]]
    assert fsm_to_problem(data) == problem


def test_a_week_of_shifts_round_trips_and_routes_name_their_shift():
    b = ProblemBuilder(name="week")
    b.technician("t", start=(0, 0), end=(0, 0), days=3, breaks=[("12:00", "13:00", 45)])
    b.job("j", location=(1, 0), duration=30, window=(hm("09:00", 2), hm("10:00", 2)))
    problem = b.build()
    data = problem_to_fsm(problem)
    assert [s["open"] for s in data["technicians"][0]["shifts"]] == [480, 1920, 3360]
    assert data["technicians"][0]["shifts"][2]["breaks"] == [[3600, 3660, 45]]
    assert fsm_to_problem(data) == problem
    solution = solve(problem, time_limit=1).to_fsm_solution()
    assert solution["routes"] == [{"technician": "t", "jobs": ["j"], "shift": 2}]


def test_solomon_reader_uses_the_dimacs_convention():
    problem = read_solomon(DATA / "tiny_solomon.txt")
    assert problem.name == "TINY1"
    assert len(problem.technicians) == 2
    assert problem.technicians[0].capacity == 30
    assert problem.technicians[0].shifts[0].end == 10_000
    assert problem.job("3").time_windows[0].start == 1000
    assert problem.job("4").demand == 20
    # distance from (40, 50) to (45, 68) is 18.68..., truncated to 18.6 -> 186 tenths
    assert problem.travel.between((40, 50), (45, 68)) == 186
    result = solve(problem, time_limit=5, solution_limit=50)
    assert result.is_feasible()
    assert not result.unassigned
    loads = [sum(problem.job(j).demand for j in r.job_ids) for r in result.routes]
    assert max(loads) <= 30


def test_solomon_reader_refuses_garbage(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("hello\nworld\n")
    with pytest.raises(ValidationError):
        read_solomon(bad)


def test_problem_from_fsm_json():
    assert isinstance(Problem.from_fsm_json(str(DATA / "tiny_fsm.json")), Problem)


def test_cli_schedule_writes_a_solution(tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser(prog="servicecore")
    add_schedule_command(parser.add_subparsers(dest="command"))
    out = tmp_path / "out.json"
    args = parser.parse_args(
        [
            "schedule",
            str(DATA / "tiny_fsm.json"),
            "--time-limit",
            "1",
            "--seed",
            "2",
            "-o",
            str(out),
        ]
    )
    assert args.handler is run_schedule
    assert args.handler(args) == 0
    sol = json.loads(out.read_text())
    assert {r["technician"] for r in sol["routes"]} <= {"T1", "T2"}
    assert "cost" in capsys.readouterr().out


def test_cli_reports_bad_input(tmp_path, capsys):
    import argparse

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "nope"}))
    ns = argparse.Namespace(instance=str(bad), time_limit=1.0, seed=0, output=str(tmp_path / "o"))
    assert run_schedule(ns) == 2
    assert "format" in capsys.readouterr().err
    ns.instance = str(tmp_path / "missing.json")
    assert run_schedule(ns) == 2
    ns.instance, ns.time_limit = str(DATA / "tiny_fsm.json"), -1.0
    assert run_schedule(ns) == 2
