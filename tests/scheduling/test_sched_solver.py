from __future__ import annotations

import logging
import time

import pytest
from ortools.constraint_solver import pywrapcp
from sched_strategies import two_technicians

from servicecore.errors import ValidationError
from servicecore.scheduling import (
    Job,
    Metaheuristic,
    Problem,
    ProblemBuilder,
    Result,
    SchedulingError,
    TimeWindow,
    UnassignedReason,
    check,
    insert_job,
    pin_jobs,
    solve,
)
from servicecore.scheduling.decompose import merge


def day(n_jobs: int = 12, *, breaks: bool = True):
    b = ProblemBuilder(name="day")
    lunch = [("12:00", "13:00", 30)] if breaks else []
    b.technician("ana", skills={"hvac", "elec"}, start=(0, 0), breaks=lunch)
    b.technician("bo", skills={"elec"}, start=(10, 0), shift=("07:00", "15:00"), breaks=lunch)
    b.technician("cy", skills={"hvac"}, start=(0, 10), end=(5, 5), breaks=lunch)
    for i in range(n_jobs):
        b.job(
            f"j{i}",
            location=((i * 7) % 11, (i * 5) % 9),
            duration=30 + (i % 4) * 15,
            skills={"hvac"} if i % 3 == 0 else {"elec"},
            window=("08:00", "12:00") if i % 2 else ("13:00", "17:00"),
            priority=1 + i % 3,
        )
    return b.build()


def solved(problem, **kw) -> Result:
    kw.setdefault("time_limit", 10)
    kw.setdefault("solution_limit", 50)
    return solve(problem, **kw)


def test_a_working_day_is_planned_feasibly_and_fully():
    result = solved(day())
    assert result.check().violations == ()
    assert result.is_feasible()
    assert not result.unassigned
    assert result.objective == result.cost.total
    for r in result.routes:
        assert len(r.breaks) == 1
        b = r.breaks[0]
        assert 720 <= b.start <= 780
        assert b.end - b.start == 30
        for v in r.visits:
            assert not (v.start < b.end and b.start < v.end), "service overlaps lunch"


def test_skills_are_hard():
    result = solved(day())
    skills = {"ana": {"hvac", "elec"}, "bo": {"elec"}, "cy": {"hvac"}}
    for r in result.routes:
        for v in r.visits:
            assert result.problem.job(v.job_id).skills <= skills[r.technician_id]


def test_a_job_nobody_can_do_is_unassigned_with_reason():
    b = ProblemBuilder()
    b.technician("t", skills={"a"}, start=(0, 0))
    b.job("needs-b", location=(1, 1), duration=10, skills={"b"})
    result = solved(b.build())
    assert [(u.job_id, u.reason) for u in result.unassigned] == [
        ("needs-b", UnassignedReason.NO_SKILLED_TECHNICIAN)
    ]
    assert result.cost.unserved == 10_000


def test_an_unreachable_window_is_reported():
    b = ProblemBuilder(unserved_cost_per_priority=500)
    b.technician("t", start=(0, 0), shift=("08:00", "17:00"))
    b.job("far", location=(300, 0), duration=10, window=("08:00", "09:00"))
    result = solved(b.build())
    assert result.unassigned[0].reason is UnassignedReason.UNREACHABLE_WINDOW


def test_a_window_only_a_fixed_break_blocks_is_reported_unreachable():
    b = ProblemBuilder()
    b.technician("t", start=(0, 0), shift=("08:00", "17:00"), breaks=[("12:00", "12:00", 60)])
    b.job("over-lunch", location=(0, 0), duration=60, window=("11:30", "11:30"))
    result = solved(b.build())
    assert result.unassigned[0].reason is UnassignedReason.UNREACHABLE_WINDOW


def test_a_job_that_fits_around_the_break_but_not_the_day_is_no_capacity():
    b = ProblemBuilder()
    b.technician("t", start=(0, 0), shift=("08:00", "13:00"), breaks=[("08:00", "12:00", 60)])
    for i in range(3):
        b.job(f"j{i}", location=(0, 0), duration=120, priority=1 + i)
    result = solved(b.build())
    (left,) = result.unassigned
    assert left.reason is UnassignedReason.NO_CAPACITY


def test_no_capacity_when_the_day_is_full():
    b = ProblemBuilder()
    b.technician("t", start=(0, 0), shift=("08:00", "10:00"))
    for i in range(3):
        b.job(f"j{i}", location=(0, 0), duration=60, priority=1 + i)
    result = solved(b.build())
    assert len(result.routes[0].visits) == 2
    (left,) = result.unassigned
    assert left.job_id == "j0", "the lowest priority job is dropped"
    assert left.reason is UnassignedReason.NO_CAPACITY


def test_several_windows_are_respected():
    b = ProblemBuilder()
    b.technician("t", start=(0, 0), shift=("08:00", "18:00"))
    b.job("a", location=(0, 0), duration=60, windows=[("08:00", "08:00"), ("15:00", "16:00")])
    b.job("b", location=(0, 0), duration=480, window=("08:00", "08:30"))
    result = solved(b.build())
    assert result.is_feasible()
    starts = {v.job_id: v.start for r in result.routes for v in r.visits}
    assert starts["b"] <= 510
    assert 900 <= starts["a"] <= 960


def test_sla_lateness_is_soft_and_costed():
    b = ProblemBuilder()
    b.technician("t", start=(0, 0), shift=("08:00", "18:00"))
    b.job("long", location=(0, 0), duration=120, window=("08:00", "08:00"), priority=3)
    b.job("sla", location=(0, 0), duration=10, sla_due="09:00", lateness_cost=2)
    result = solved(b.build())
    assert not result.unassigned
    _, v = result.visit_of("sla")
    assert v.start == 600
    assert v.late_minutes == 60
    assert result.cost.lateness == 120
    assert result.at_risk() == ["sla"]


def test_max_jobs_and_span_limits_hold():
    b = ProblemBuilder()
    b.technician("t", start=(0, 0), max_jobs=2, max_work_minutes=100)
    for i in range(4):
        b.job(f"j{i}", location=(0, 0), duration=30)
    result = solved(b.build())
    (route,) = result.routes
    assert len(route.visits) == 2
    assert route.return_time - route.departure <= 100
    assert result.is_feasible()


def test_preferred_technician_is_preferred_when_it_costs_little():
    b = ProblemBuilder()
    b.technician("near", start=(0, 0))
    b.technician("specialist", start=(3, 0))
    b.job("j", location=(0, 0), duration=30, preferred_technician="specialist", preference_cost=50)
    result = solved(b.build())
    assert result.routes[0].technician_id == "specialist"
    assert result.cost.preference == 0


def test_multi_day_horizon_uses_shifts_of_each_day():
    b = ProblemBuilder()
    b.technician("t", start=(0, 0), shift=("08:00", "12:00"), days=2)
    b.job("d0", location=(0, 0), duration=200, window=(480, 700))
    b.job("d1", location=(0, 0), duration=200, window=(1440 + 480, 1440 + 700))
    result = solved(b.build())
    assert [(r.shift_index, r.job_ids) for r in result.routes] == [(0, ["d0"]), (1, ["d1"])]


def test_in_progress_job_is_first_and_fixed():
    b = ProblemBuilder()
    b.technician("t", start=(0, 0))
    b.job(
        "busy",
        location=(2, 0),
        duration=40,
        pinned_technician="t",
        pinned_start=600,
        in_progress=True,
    )
    b.job("other", location=(1, 0), duration=30)
    result = solved(b.build())
    route = result.routes[0]
    assert route.visits[0].job_id == "busy"
    assert route.visits[0].start == 600
    assert result.is_feasible()


def test_an_impossible_in_progress_job_raises():
    b = ProblemBuilder()
    b.technician("t", start=(0, 0), skills={"a"})
    b.job(
        "busy",
        location=(2, 0),
        duration=40,
        skills={"b"},
        pinned_technician="t",
        pinned_start=600,
        in_progress=True,
    )
    with pytest.raises(SchedulingError):
        solved(b.build())


def test_pin_and_replan_keeps_the_pins():
    first = solved(day())
    chosen = [first.routes[0].visits[0].job_id, first.routes[-1].visits[-1].job_id]
    problem = pin_jobs(first, chosen)
    again = solved(problem, initial=first, seed=7)
    assert check(problem, again).ok
    for job_id in chosen:
        r0, v0 = first.visit_of(job_id)
        r1, v1 = again.visit_of(job_id)
        assert (r1.technician_id, v1.start) == (r0.technician_id, v0.start)


def test_pin_jobs_refuses_unserved_jobs():
    first = solved(day())
    with pytest.raises(ValidationError) as exc:
        pin_jobs(first, ["nope"])
    assert exc.value.errors[0].path == "job_ids[0]"


def test_warm_start_never_makes_the_plan_worse():
    problem = day(16)
    first = solved(problem, solution_limit=5)
    again = solve(problem, time_limit=10, solution_limit=20, initial=first)
    assert again.cost.total <= first.cost.total
    assert again.is_feasible()


def test_urgent_insertion_moves_only_what_must_move():
    first = solved(day(16))
    urgent = Job(
        id="urgent",
        location=(4, 4),
        duration=30,
        skills={"elec"},
        priority=3,
        time_windows=(TimeWindow(540, 660),),
    )
    result = insert_job(first, urgent, time_limit=2)
    assert result.is_feasible()
    assert result.visit_of("urgent") is not None
    before = {v.job_id: r.technician_id for r in first.routes for v in r.visits}
    after = {v.job_id: r.technician_id for r in result.routes for v in r.visits}
    for job_id, tech in after.items():
        if job_id in before:
            assert before[job_id] == tech, f"{job_id} moved to another technician"


def test_insert_job_refuses_a_duplicate_id():
    first = solved(day(4))
    with pytest.raises(ValidationError) as exc:
        insert_job(first, Job(id="j1", location=(0, 0), duration=5))
    assert exc.value.errors[0].path == "jobs[4].id"


@pytest.mark.parametrize("metaheuristic", list(Metaheuristic))
def test_every_metaheuristic_returns_a_feasible_plan(metaheuristic):
    result = solved(day(10), metaheuristic=metaheuristic, time_limit=1)
    assert result.is_feasible()


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": 1, "seed": -1}, "seed"),
        ({"time_limit": 1, "solution_limit": 0}, "solution_limit"),
    ],
)
def test_bad_limits_name_the_argument(kwargs, path):
    with pytest.raises(ValidationError) as exc:
        solve(day(2), **kwargs)
    assert exc.value.errors[0].path == path


def test_the_seed_changes_only_the_search_path():
    problem = day(12)
    a = solved(problem, seed=1)
    b = solved(problem, seed=2)
    assert a.is_feasible()
    assert b.is_feasible()
    assert sorted(a.served_job_ids) == sorted(b.served_job_ids)


def test_decomposed_solve_covers_every_job_and_passes_the_checker():
    from servicecore.scheduling import partition, solve_decomposed

    b = ProblemBuilder(name="city")
    for k in range(6):
        b.technician(
            f"t{k}", skills={"elec", "hvac"} if k % 2 else {"elec"}, start=(k * 10, (k % 3) * 10)
        )
    for i in range(30):
        b.job(
            f"j{i}",
            location=((i * 13) % 60, (i * 7) % 30),
            duration=30,
            skills={"hvac"} if i % 4 == 0 else {"elec"},
            preferred_technician="t1" if i == 5 else None,
            preference_cost=5,
        )
    problem = b.build()
    parts = partition(problem, 3)
    assert len(parts) == 3
    assert sorted(j.id for p in parts for j in p.jobs) == sorted(j.id for j in problem.jobs)
    owner = next(p for p in parts if any(t.id == "t1" for t in p.technicians))
    assert "j5" in [j.id for j in owner.jobs]
    result = solve_decomposed(
        problem, time_limit=5, max_jobs_per_part=10, workers=1, solution_limit=30
    )
    assert result.status == "decomposed"
    assert check(problem, result).ok
    again = solve_decomposed(
        problem, time_limit=5, max_jobs_per_part=10, workers=1, solution_limit=30
    )
    assert again.routes == result.routes


def test_decomposed_solve_in_worker_processes():
    from servicecore.scheduling import solve_decomposed

    problem = day(12)
    result = solve_decomposed(
        problem, time_limit=4, max_jobs_per_part=6, workers=2, solution_limit=20
    )
    assert check(problem, result).ok


def test_territory_restricts_who_serves():
    b = ProblemBuilder()
    b.technician("north", start=(0, 10), territory="N")
    b.technician("south", start=(0, 0), territory="S")
    b.technician("roamer", start=(50, 50))
    b.job("n1", location=(0, 1), duration=30, territory="N")
    b.job("s1", location=(0, 9), duration=30, territory="S")
    result = solved(b.build())
    owner = {v.job_id: r.technician_id for r in result.routes for v in r.visits}
    assert owner["n1"] in {"north", "roamer"}
    assert owner["s1"] in {"south", "roamer"}
    assert result.is_feasible()


def test_capacity_limits_the_load():
    b = ProblemBuilder()
    b.technician("van", start=(0, 0), capacity=5)
    for i in range(3):
        b.job(f"j{i}", location=(1, i), duration=10, demand=3, priority=1 + i)
    result = solved(b.build())
    assert result.routes[0].job_ids == ["j2"]
    assert {u.job_id for u in result.unassigned} == {"j0", "j1"}


def test_insertion_bumps_cheaper_work_when_nothing_fits():
    b = ProblemBuilder()
    b.technician("t", start=(0, 0), shift=("08:00", "10:00"))
    b.job("routine", location=(0, 0), duration=110, priority=1)
    first = solved(b.build())
    assert first.served_job_ids == ["routine"]
    urgent = Job(id="urgent", location=(0, 0), duration=60, priority=3)
    result = insert_job(first, urgent, time_limit=2)
    assert result.served_job_ids == ["urgent"]
    assert [u.job_id for u in result.unassigned] == ["routine"]
    assert result.is_feasible()


def test_insertion_takes_a_cheap_feasible_position_fast():
    first = solved(day(16))
    urgent = Job(id="urgent", location=(3, 3), duration=20, skills={"elec"}, priority=3)
    result = insert_job(first, urgent)
    assert result.status == "inserted"
    assert result.visit_of("urgent") is not None
    for r in first.routes:
        after = next(x for x in result.routes if x.technician_id == r.technician_id)
        assert [j for j in after.job_ids if j != "urgent"] == r.job_ids


def test_an_urgent_job_bumps_cheaper_work_even_after_slow_tries(monkeypatch):
    problem = two_technicians(y_priority=3)
    x, y = problem.job("X"), problem.job("Y")
    bo = problem.technician("bo")
    without_y = Problem(technicians=problem.technicians, jobs=(x,), travel=problem.travel)
    part = Problem(technicians=(bo,), jobs=(x,), travel=problem.travel)
    plan = merge(without_y, [solve(part, time_limit=10, solution_limit=1)])
    assert plan.served_job_ids == ["X"]
    read = pywrapcp.RoutingModel.ReadAssignmentFromRoutes
    slowed: list[bool] = []

    def slow_read(self, routes, ignore_inactive):
        if not slowed:
            # The tries of direct places take 40% of the limit before the fallback starts.
            slowed.append(True)
            time.sleep(0.8)
        return read(self, routes, ignore_inactive)

    monkeypatch.setattr(pywrapcp.RoutingModel, "ReadAssignmentFromRoutes", slow_read)
    result = insert_job(plan, y, time_limit=2)
    assert check(result.problem, result).ok
    # Planned jobs stay with their technicians: X (worth less) gives way to Y.
    assert result.served_job_ids == ["Y"]
    assert [u.job_id for u in result.unassigned] == ["X"]


def test_a_day_nobody_works_leaves_every_job_unassigned_with_no_shift():
    b = ProblemBuilder(name="sunday", unserved_cost_per_priority=100)
    b.job("a", location=(1, 1), duration=10)
    b.job("b", location=(2, 2), duration=10, priority=3)
    result = solve(b.build(), time_limit=1)
    assert result.routes == ()
    assert [(u.job_id, u.reason) for u in result.unassigned] == [
        ("a", UnassignedReason.NO_SHIFT),
        ("b", UnassignedReason.NO_SHIFT),
    ]
    assert result.cost.unserved == result.objective == 400
    assert check(result.problem, result).ok


def test_an_urgent_job_on_a_day_nobody_works_is_left_out_with_no_shift():
    empty = solve(ProblemBuilder().build(), time_limit=1)
    urgent = Job(id="u", location=(0, 0), duration=5)
    result = insert_job(empty, urgent)
    assert [(u.job_id, u.reason) for u in result.unassigned] == [("u", UnassignedReason.NO_SHIFT)]


def test_progress_is_reported_and_returning_true_stops_the_search():
    calls: list[tuple[float, int, int]] = []

    def progress(elapsed: float, cost: int, unserved: int) -> bool:
        calls.append((elapsed, cost, unserved))
        return True

    problem = day(30)
    result = solve(problem, time_limit=60, seed=1, on_progress=progress)
    assert len(calls) == 1, "the search stops at the first report"
    elapsed, cost, unserved = calls[0]
    assert elapsed > 0
    assert cost >= result.objective
    assert 0 <= unserved <= len(problem.jobs)
    assert check(problem, result).ok


def test_each_stage_is_logged_at_info(caplog):
    with caplog.at_level(logging.INFO, logger="servicecore.scheduling"):
        solve(day(6), time_limit=1)
    stages = [r.getMessage().split(":")[0] for r in caplog.records]
    assert stages == ["build", "construct", "improve", "polish"]


def test_a_call_that_runs_past_its_limit_says_so(caplog, monkeypatch):
    from servicecore.scheduling import solver as solver_module

    # Stand in for a loaded machine: the clock jumps a second between two readings.
    ticks = iter(range(10**6))
    monkeypatch.setattr(solver_module.time, "perf_counter", lambda: float(next(ticks)))
    with caplog.at_level(logging.WARNING, logger="servicecore.scheduling"):
        result = solve(day(3), time_limit=1)
    assert result.wall_time > 1.3
    assert any("time limit of 1.00 s was exceeded" in r.getMessage() for r in caplog.records)


def test_reading_a_plan_back_is_bounded_by_its_own_limit_not_the_completion_limit():
    # OR-Tools restores a plan under its LNS completion limit (100 ms by default): on a
    # loaded machine the 250-job lunch-break day took longer, the plan was refused and
    # solve() raised SchedulingError. A read-back (one solution) gets its whole limit.
    from servicecore.scheduling.model import RoutingModel

    model = RoutingModel(day(), 0)
    params = model.parameters(60.0, 1, Metaheuristic.GREEDY_DESCENT)
    assert params.lns_time_limit.ToMilliseconds() == 60_000
