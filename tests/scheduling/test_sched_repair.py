"""The repair that serves more jobs after the search (``servicecore.scheduling.repair``)."""

from __future__ import annotations

import math
import time

import pytest
from sched_strategies import (
    HERE,
    bo_at_work,
    merged_parts_leaving_y_out,
    one_costed_job,
    two_technicians,
)

from servicecore.errors import ValidationError
from servicecore.scheduling import (
    Problem,
    ProblemBuilder,
    check,
    partition,
    repair_plan,
    solve,
    solve_decomposed,
)
from servicecore.scheduling import repair as repair_module
from servicecore.scheduling.model import RoutingModel
from servicecore.scheduling.params import SolveParams
from servicecore.scheduling.repair import Repair, earliest_start
from servicecore.scheduling.stages import resolve_around


def repair_of(problem) -> tuple[Repair, dict[str, int], dict[str, int]]:
    model = RoutingModel(problem, 0)
    nodes = {job.id: k for k, job in enumerate(model.jobs)}
    vehicles = {v.tech.id: k for k, v in enumerate(model.vehicles)}
    return model.repair(), nodes, vehicles


def always(_routes) -> bool:
    return True


def bo_serving_x(problem):
    """The repair for ``problem`` and routes where Bo serves X and Ana nothing."""
    repair, n, v = repair_of(problem)
    routes: list[list[int]] = [[], []]
    routes[v["bo"]] = [n["X"]]
    return repair, n, v, routes


def test_a_job_that_fits_only_once_another_moves_is_served():
    repair, n, v, routes = bo_serving_x(two_technicians())
    new, changed = repair.run(routes, math.inf, always)
    assert changed
    assert new[v["bo"]] == [n["Y"]]
    assert new[v["ana"]] == [n["X"]]


def test_a_cheaper_job_is_left_out_for_a_costlier_one_when_nobody_else_can_take_it():
    repair, n, v, routes = bo_serving_x(two_technicians(y_priority=3, ana_skills=("z",)))
    new, changed = repair.run(routes, math.inf, always)
    assert changed
    assert new[v["bo"]] == [n["Y"]]
    assert all(n["X"] not in r for r in new)


def test_jobs_of_equal_worth_are_not_swapped_for_nothing():
    repair, _, _, routes = bo_serving_x(two_technicians(ana_skills=("z",)))
    new, changed = repair.run(routes, math.inf, always)
    assert not changed
    assert new == routes


def test_a_change_the_full_model_refuses_is_dropped():
    repair, _, _, routes = bo_serving_x(two_technicians())
    seen = []

    def refuse(trial) -> bool:
        seen.append(trial)
        return False

    new, changed = repair.run(routes, math.inf, refuse)
    assert seen, "the change was offered to the validator"
    assert not changed
    assert new == routes


def test_nothing_is_tried_after_the_deadline():
    repair, _, _, routes = bo_serving_x(two_technicians())
    new, changed = repair.run(routes, time.perf_counter() - 1, always)
    assert not changed
    assert new == routes


def test_an_in_progress_job_is_neither_taken_out_nor_preceded():
    b = bo_at_work(until="10:00", duration=60)
    b.job("Y", location=HERE, duration=60, skills={"x"}, window=("08:00", "08:30"), priority=3)
    repair, n, _ = repair_of(b.build())
    routes = [[n["IP"]]]
    new, changed = repair.run(routes, math.inf, always)
    assert not changed
    assert new == [[n["IP"]]]


def test_route_cost_counts_travel_lateness_and_preference():
    problem = one_costed_job()
    repair, n, v = repair_of(problem)
    leg = problem.travel.between(HERE, (5, 0))
    late = 480 + leg - 480
    assert repair.route_cost(v["ana"], [n["A"]]) == 2 * (2 * leg) + 3 * late + 7
    assert repair.route_cost(v["bo"], [n["A"]]) == 2 * leg + 3 * late
    assert repair.route_cost(v["bo"], []) == 0


def test_route_cost_refuses_a_route_past_the_shift_or_over_the_job_count():
    b = ProblemBuilder(name="limits")
    b.technician("ana", skills={"x"}, start=HERE, shift=("08:00", "09:00"), max_jobs=1)
    b.job("A", location=HERE, duration=40, skills={"x"})
    b.job("B", location=HERE, duration=10, skills={"x"})
    b.job("C", location=HERE, duration=30, skills={"x"})
    repair, n, v = repair_of(b.build())
    assert repair.route_cost(v["ana"], [n["A"]]) == 0
    assert repair.route_cost(v["ana"], [n["A"], n["B"]]) is None  # two jobs, one allowed
    b2 = ProblemBuilder(name="late")
    b2.technician("ana", skills={"x"}, start=HERE, shift=("08:00", "09:00"))
    b2.job("A", location=HERE, duration=40, skills={"x"})
    b2.job("C", location=HERE, duration=30, skills={"x"})
    repair2, n2, v2 = repair_of(b2.build())
    assert repair2.route_cost(v2["ana"], [n2["A"], n2["C"]]) is None  # back at 09:10


def test_earliest_start_waits_for_the_next_window_or_gives_up():
    windows = [(480, 540), (780, 840)]
    assert earliest_start(windows, 400) == 480
    assert earliest_start(windows, 500) == 500
    assert earliest_start(windows, 600) == 780
    assert earliest_start(windows, 900) is None
    assert earliest_start([], 900) == 900


def test_solve_serves_what_the_start_plan_left_out_and_stays_repeatable():
    problem = two_technicians()
    bo_only = Problem(
        technicians=(problem.technician("bo"),), jobs=(problem.job("X"),), travel=problem.travel
    )
    start = solve(bo_only, time_limit=10, solution_limit=1)
    assert start.route_of("bo")[0].job_ids == ["X"]
    # One solution only: the warm start as it is, then the repair (no clock involved).
    result = solve(problem, time_limit=10, solution_limit=1, initial=start)
    assert check(problem, result).ok
    assert not result.unassigned
    assert result.route_of("bo")[0].job_ids == ["Y"]
    assert result.route_of("ana")[0].job_ids == ["X"]
    again = solve(problem, time_limit=10, solution_limit=1, initial=start)
    assert again.to_fsm_solution() == result.to_fsm_solution()


def test_repair_plan_serves_a_job_the_merged_parts_left_out():
    problem = two_technicians()
    plan = merged_parts_leaving_y_out(problem)
    assert [u.job_id for u in plan.unassigned] == ["Y"]
    repaired = repair_plan(plan)
    assert check(problem, repaired).ok
    assert not repaired.unassigned
    assert repaired.cost.total < plan.cost.total
    assert repair_plan(plan).to_fsm_solution() == repaired.to_fsm_solution()


def test_repair_plan_returns_the_plan_itself_when_nothing_can_be_served():
    problem = two_technicians(ana_skills=("z",))
    plan = solve(problem, time_limit=10, solution_limit=1)
    assert len(plan.unassigned) == 1
    assert repair_plan(plan, time_limit=5) is plan


@pytest.mark.parametrize(
    ("kwargs", "path"), [({"time_limit": 0}, "time_limit"), ({"seed": -1}, "seed")]
)
def test_repair_plan_refuses_bad_limits_naming_them(kwargs, path):
    plan = solve(two_technicians(), time_limit=10, solution_limit=1)
    with pytest.raises(ValidationError) as info:
        repair_plan(plan, **kwargs)
    assert info.value.errors[0].path == path


def test_repair_plan_refuses_what_is_not_a_plan():
    with pytest.raises(ValidationError) as info:
        repair_plan(two_technicians())  # type: ignore[arg-type]
    assert info.value.errors[0].path == "result"


def test_a_decomposed_day_offers_a_job_left_out_in_its_part_to_other_parts():
    b = ProblemBuilder(name="split")
    b.technician("ana", skills={"x"}, start=(0, 0), shift=("08:00", "18:00"))
    b.technician("bo", skills={"x", "y"}, start=(20, 0), shift=("08:00", "10:00"))
    b.job("X", location=(19, 0), duration=120, skills={"x"}, window=("08:00", "16:00"))
    b.job("Y", location=(20, 0), duration=120, skills={"y"}, window=("08:00", "08:00"), priority=3)
    problem = b.build()
    parts = partition(problem, 2)
    assert [sorted(j.id for j in p.jobs) for p in parts if p.jobs] == [["X", "Y"]]
    result = solve_decomposed(problem, time_limit=10, max_jobs_per_part=1, workers=1)
    assert check(problem, result).ok
    assert not result.unassigned
    assert result.route_of("ana")[0].job_ids == ["X"]


def chain_of_four():
    """Serving U takes moving A's job to B, B's to C and C's to D: a chain of three moves."""
    b = ProblemBuilder(name="chain")
    skills = {"A": {"s0", "s1"}, "B": {"s1", "s2"}, "C": {"s2", "s3"}, "D": {"s3"}}
    for tech, held in skills.items():
        b.technician(tech, skills=held, start=HERE, shift=("08:00", "10:00"))
    for job, needs in {"U": "s0", "a1": "s1", "b1": "s2", "c1": "s3"}.items():
        b.job(job, location=HERE, duration=120, skills={needs}, window=("08:00", "08:00"))
    return b.build()


def chain_left_short():
    """The chain's model and routes where A, B and C serve a1, b1, c1 and U is left out."""
    model = RoutingModel(chain_of_four(), 0)
    n = {job.id: k for k, job in enumerate(model.jobs)}
    v = {veh.tech.id: k for k, veh in enumerate(model.vehicles)}
    routes: list[list[int]] = [[] for _ in model.vehicles]
    routes[v["A"]], routes[v["B"]], routes[v["C"]] = [n["a1"]], [n["b1"]], [n["c1"]]
    return model, n, v, routes


def test_a_chain_longer_than_the_repair_reaches_is_found_by_solving_around_the_job():
    model, n, v, routes = chain_left_short()
    repair = model.repair()
    assert repair.run(routes, math.inf, always) == (routes, False)
    new, changed = resolve_around(model, routes, repair, time.perf_counter() + 10, SolveParams())
    assert changed
    assert sorted(k for r in new for k in r) == sorted(n.values())
    assert new[v["A"]] == [n["U"]]
    assert new[v["D"]] == [n["c1"]]


def test_solving_around_a_job_stops_when_too_little_time_is_left():
    model, _, _, routes = chain_left_short()
    assert resolve_around(
        model, routes, model.repair(), time.perf_counter() + 0.01, SolveParams()
    ) == (
        routes,
        False,
    )


def test_without_a_deadline_a_fixed_amount_of_work_bounds_the_repair(monkeypatch):
    monkeypatch.setattr(repair_module, "_WORK", 1)
    repair, _, _, routes = bo_serving_x(two_technicians())
    assert repair.run(routes, math.inf, always) == (routes, False)
