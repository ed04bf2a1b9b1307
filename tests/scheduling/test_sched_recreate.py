"""Ruin and recreate after the search (``servicecore.scheduling.recreate``) and improve_plan."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from ortools.constraint_solver import pywrapcp
from sched_strategies import (
    HERE,
    bo_at_work,
    merged_parts_leaving_y_out,
    one_costed_job,
    problems,
    two_technicians,
)

from servicecore.errors import ValidationError
from servicecore.scheduling import (
    Metaheuristic,
    Problem,
    ProblemBuilder,
    Result,
    check,
    improve_plan,
    repair_plan,
    solve,
    solve_decomposed,
)
from servicecore.scheduling import decompose as decompose_module
from servicecore.scheduling import recreate as recreate_module
from servicecore.scheduling import solver as solver_module
from servicecore.scheduling.model import RoutingModel
from servicecore.scheduling.timing import Timer


def row_of_jobs(count: int = 6, *, lunch: bool = False) -> Problem:
    """Two technicians at either end of a row of jobs 5 km apart; the cheap plans split it."""
    b = ProblemBuilder(name="row")
    breaks = [("12:00", "12:00", 30)] if lunch else []
    b.technician("west", skills={"x"}, start=(0, 0), shift=("08:00", "18:00"), breaks=breaks)
    b.technician("east", skills={"x"}, start=(30, 0), shift=("08:00", "18:00"), breaks=breaks)
    for k in range(count):
        b.job(f"J{k}", location=(5 * k + 2.5, 0), duration=20, skills={"x"})
    return b.build()


def model_of(problem: Problem) -> tuple[RoutingModel, dict[str, int], dict[str, int]]:
    model = RoutingModel(problem, 0)
    nodes = {job.id: k for k, job in enumerate(model.jobs)}
    vehicles = {v.tech.id: k for k, v in enumerate(model.vehicles)}
    return model, nodes, vehicles


def zigzag(problem: Problem) -> Result:
    """A feasible but poor plan: each technician serves every other job of the row."""
    model, n, v = model_of(problem)
    ids = sorted(n, key=lambda j: int(j[1:]))
    routes: list[list[int]] = [[], []]
    routes[v["west"]] = [n[j] for j in ids[1::2]][::-1]
    routes[v["east"]] = [n[j] for j in ids[0::2]]
    model.routing.CloseModelWithParameters(model.parameters(10, 1, Metaheuristic.GREEDY_DESCENT))
    indices = [[model.manager.NodeToIndex(k) for k in r] for r in routes]
    start = model.routing.ReadAssignmentFromRoutes(indices, True)
    assert start is not None
    return model.extract(start, "given", 0.0)


def test_route_data_costs_a_route_as_the_solver_objective_does():
    problem = one_costed_job()
    model, n, v = model_of(problem)
    improver = model.recreate()
    leg = problem.travel.between(HERE, (5, 0))
    ana = improver.route(v["ana"], [n["A"]])
    assert ana is not None
    assert ana.cost == 2 * (2 * leg) + 3 * leg + 7
    bo = improver.route(v["bo"], [n["A"]])
    assert bo is not None
    assert bo.cost == 2 * leg + 3 * leg
    # The repair's costing, written separately, agrees.
    assert model.repair().route_cost(v["bo"], [n["A"]]) == bo.cost


def test_route_data_refuses_a_missed_window_a_late_return_and_too_many_jobs():
    b = ProblemBuilder(name="limits")
    b.technician("ana", skills={"x"}, start=HERE, shift=("08:00", "09:00"), max_jobs=2)
    b.job("A", location=HERE, duration=40, skills={"x"}, window=("08:00", "08:10"))
    b.job("B", location=HERE, duration=10, skills={"x"}, window=("08:00", "08:10"))
    b.job("C", location=HERE, duration=30, skills={"x"})
    b.job("D", location=HERE, duration=5, skills={"x"})
    model, n, v = model_of(b.build())
    improver = model.recreate()
    assert improver.route(v["ana"], [n["A"], n["D"]]) is not None
    assert improver.route(v["ana"], [n["A"], n["B"]]) is None  # B's window closes at 08:10
    assert improver.route(v["ana"], [n["A"], n["C"]]) is None  # back at 09:10
    assert improver.route(v["ana"], [n["B"], n["D"], n["A"]]) is None  # three jobs, two allowed


def test_latest_arrivals_say_how_late_each_position_may_be_reached():
    b = ProblemBuilder(name="latest")
    b.technician("ana", skills={"x"}, start=HERE, shift=("08:00", "12:00"))
    b.job("A", location=HERE, duration=30, skills={"x"}, window=("08:00", "10:00"))
    b.job("B", location=HERE, duration=30, skills={"x"}, window=("09:00", "09:45"))
    model, n, v = model_of(b.build())
    route = model.recreate().route(v["ana"], [n["A"], n["B"]])
    assert route is not None
    # B must start by 09:45, so A by 09:15; the end depot by noon.
    assert route.latest == [555, 585, 720]
    assert route.start == [480, 540]


def test_the_cheapest_place_is_the_one_trying_every_place_finds(monkeypatch):
    monkeypatch.setattr(recreate_module, "_BLINK", 0.0)
    problem = row_of_jobs()
    model, n, v = model_of(problem)
    improver = model.recreate()
    improver.run([[], []], math.inf, 1)  # sets up the random source
    seqs = {v["west"]: [n["J0"], n["J1"], n["J3"]], v["east"]: [n["J5"], n["J4"]]}
    current = [improver.route(w, seqs[w]) for w in range(2)]
    costs = []
    for w, seq in seqs.items():
        for pos in range(len(seq) + 1):
            trial = improver.route(w, [*seq[:pos], n["J2"], *seq[pos:]])
            if trial is not None:
                costs.append((trial.cost - current[w].cost, w, pos))
    found = improver._place(n["J2"], current)
    assert found is not None
    assert found[0] == min(costs)[0]
    assert found in costs


def test_ruin_and_recreate_untangles_a_poor_plan():
    problem = row_of_jobs()
    plan = zigzag(problem)
    better = improve_plan(plan, steps=200)
    assert check(problem, better).ok
    # Any split of the row between the two costs 50 km (100 minutes at 30 km/h) when each
    # technician sweeps his part once; anything crossing back costs more.
    assert plan.objective > 100
    assert better.objective == 100


def test_the_same_seed_and_steps_give_the_same_plan():
    plan = zigzag(row_of_jobs(8))
    a = improve_plan(plan, steps=50, seed=4)
    b = improve_plan(plan, steps=50, seed=4)
    assert a.to_fsm_solution() == b.to_fsm_solution()


def one_depot_row(count: int = 8, *, skilled: bool = False) -> Problem:
    """Two alike technicians at one depot and a row of jobs (the last needs a skill if told)."""
    b = ProblemBuilder(name="depot")
    b.technician("ana", skills={"x", "y"}, start=(0, 0), shift=("08:00", "18:00"))
    b.technician(
        "bo", skills={"x", "y"} if not skilled else {"x"}, start=(0, 0), shift=("08:00", "18:00")
    )
    for k in range(count):
        needs = {"y"} if skilled and k == count - 1 else {"x"}
        b.job(f"J{k}", location=(5 * k + 2.5, 0), duration=20, skills=needs)
    return b.build()


def test_only_an_alike_fleet_free_to_take_every_job_anneals_more_than_once():
    assert RoutingModel(one_depot_row(), 0).recreate().rounds() == recreate_module._ROUNDS > 1
    assert RoutingModel(one_depot_row(skilled=True), 0).recreate().rounds() == 1
    # Two depots: two kinds of vehicle.
    assert RoutingModel(row_of_jobs(), 0).recreate().rounds() == 1


def test_the_second_annealing_run_starts_again_from_the_first_plan(monkeypatch):
    problem = one_depot_row()
    model = RoutingModel(problem, 0)
    improver = model.recreate()
    # A poor plan: each technician serves every other job of the row.
    ids = sorted((job.id for job in model.jobs), key=lambda j: int(j[1:]))
    node = {job.id: k for k, job in enumerate(model.jobs)}
    routes = [[node[j] for j in ids[0::2]], [node[j] for j in ids[1::2]]]
    seen: list[list[list[int]]] = []
    ruin = recreate_module.RuinRecreate._ruin

    def spy(self, current, *args):
        seen.append([list(r.seq) for r in current])
        return ruin(self, current, *args)

    monkeypatch.setattr(recreate_module.RuinRecreate, "_ruin", spy)
    monkeypatch.setattr(recreate_module, "_ROUNDS", 2)
    best, objective = improver.run(routes, math.inf, 40)
    first = [list(r) for r in routes]
    assert seen[0] == seen[20] == first
    assert seen[19] != first
    assert objective == improver.objective(best) < improver.objective(routes)


def test_a_job_left_out_is_served_when_room_can_be_made():
    problem = two_technicians()
    model, n, v = model_of(problem)
    routes: list[list[int]] = [[], []]
    routes[v["bo"]] = [n["X"]]
    improver = model.recreate()
    before = improver.objective(routes)
    assert before == problem.unserved_cost(problem.job("Y"))
    new, objective = improver.run(routes, math.inf, 100)
    assert objective == 0
    assert new[v["bo"]] == [n["Y"]]
    assert new[v["ana"]] == [n["X"]]


def test_an_in_progress_job_stays_first_in_its_route():
    b = bo_at_work(location=(10, 0))
    b.job("NEAR", location=(1, 0), duration=10, skills={"x"})
    model, n, _ = model_of(b.build())
    improver = model.recreate()
    routes = [[n["IP"], n["NEAR"]]]
    for step in range(20):
        new, _ = improver.run(routes, math.inf, 1 + step)
        assert new[0][0] == n["IP"]


def test_routes_that_break_a_rule_are_returned_untouched():
    problem = row_of_jobs(2)
    model, n, v = model_of(problem)
    improver = model.recreate()
    bad: list[list[int]] = [[], []]
    bad[v["west"]] = [n["J0"], n["J1"]] * 20  # forty visits of 20 minutes: past the shift
    assert improver.objective(bad) is None
    assert improver.run(bad, math.inf, 10) == (bad, -1)


def test_nothing_is_tried_after_the_deadline():
    plan = zigzag(row_of_jobs())
    model, _, _ = model_of(plan.problem)
    improver = model.recreate()
    routes = model.node_routes(plan)
    new, objective = improver.run(routes, time.perf_counter() - 1, 100)
    assert improver.steps == 0
    assert new == routes
    assert objective == improver.objective(routes)


def test_a_plan_the_full_model_refuses_is_not_kept(monkeypatch):
    # Make the route costing forget the lunch breaks: what ruin and recreate proposes must
    # still pass the full model (which knows them) or be dropped.
    problem = row_of_jobs(lunch=True)
    plan = solve(problem, time_limit=10, solution_limit=5)
    monkeypatch.setattr(Timer, "timed", lambda self, v: False)
    improved = improve_plan(plan, steps=100)
    assert check(problem, improved).ok
    assert improved.objective <= plan.objective


def test_ruin_and_recreate_untangles_a_day_with_lunch_breaks():
    problem = row_of_jobs(lunch=True)
    plan = zigzag(problem)
    improved = improve_plan(plan, steps=100)
    assert check(problem, improved).ok
    assert improved.objective < plan.objective


def test_improve_plan_serves_a_job_the_merged_parts_left_out():
    problem = two_technicians()
    plan = merged_parts_leaving_y_out(problem)
    assert [u.job_id for u in plan.unassigned] == ["Y"]
    improved = improve_plan(plan, time_limit=5)
    assert check(problem, improved).ok
    assert not improved.unassigned


def test_improve_plan_stays_inside_its_time_limit():
    plan = zigzag(row_of_jobs(10))
    started = time.perf_counter()
    improved = improve_plan(plan, time_limit=0.5)
    # Generous: the limit is met in practice; the test must not fail on a loaded machine.
    assert time.perf_counter() - started < 5
    assert check(plan.problem, improved).ok


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"time_limit": 0}, "time_limit"),
        ({"seed": -1}, "seed"),
        ({"steps": 0}, "steps"),
        ({"steps": True}, "steps"),
    ],
)
def test_improve_plan_refuses_bad_limits_naming_them(kwargs, path):
    plan = solve(row_of_jobs(2), time_limit=10, solution_limit=1)
    with pytest.raises(ValidationError) as info:
        improve_plan(plan, **kwargs)
    assert info.value.errors[0].path == path


def test_improve_plan_refuses_what_is_not_a_plan():
    with pytest.raises(ValidationError) as info:
        improve_plan(row_of_jobs())  # type: ignore[arg-type]
    assert info.value.errors[0].path == "result"


def assert_kept_rules_and_improved(model: RoutingModel, new, objective: int, before: int) -> None:
    """Ruin and recreate's routes: no worse, costed as returned, each job once, able vehicles."""
    assert objective <= before
    assert model.recreate().objective(new) == objective
    served = [k for r in new for k in r]
    assert len(served) == len(set(served))
    for v, seq in enumerate(new):
        assert all(v in model.allowed[k] for k in seq)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(problems(max_jobs=10, plain=True))
def test_ruin_and_recreate_keeps_every_rule_and_never_worsens_the_plan(problem: Problem) -> None:
    plan = solve(problem, time_limit=10, solution_limit=1, seed=1)
    model = RoutingModel(problem, 0)
    improver = model.recreate()
    routes = model.node_routes(plan)
    before = improver.objective(routes)
    assert before is not None
    new, objective = improver.run(routes, math.inf, 60)
    assert_kept_rules_and_improved(model, new, objective, before)
    improved = improve_plan(plan, steps=60)
    assert check(problem, improved).ok
    assert improved.objective <= plan.objective


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(problems(max_jobs=8, plain=True))
def test_a_plan_made_under_a_wall_clock_limit_keeps_every_rule(problem: Problem) -> None:
    result = solve(problem, time_limit=0.2)
    assert check(problem, result).ok


def test_an_unused_technician_costs_nothing_even_when_he_ends_elsewhere():
    b = ProblemBuilder(name="elsewhere")
    b.technician("ana", skills={"x"}, start=(0, 0), end=(20, 0), shift=("08:00", "17:00"))
    b.job("A", location=(10, 0), duration=10, skills={"x"})
    model, n, v = model_of(b.build())
    improver = model.recreate()
    empty = improver.route(v["ana"], [])
    assert empty is not None
    assert empty.cost == 0
    assert improver.objective([[]]) == model.penalty[n["A"]]


def test_construction_serves_what_fits_costliest_first():
    b = ProblemBuilder(name="build")
    b.technician("ana", skills={"x"}, start=HERE, shift=("08:00", "10:00"))
    b.job("CHEAP", location=HERE, duration=120, skills={"x"}, priority=1)
    b.job("DEAR", location=HERE, duration=120, skills={"x"}, priority=3)
    b.job("NOBODY", location=HERE, duration=10, skills={"y"})
    model, n, _ = model_of(b.build())
    assert model.recreate().construct() == [[n["DEAR"]]]


def test_a_plan_is_still_built_when_the_search_finds_none_in_time(monkeypatch):
    problem = row_of_jobs()
    monkeypatch.setattr(
        pywrapcp.RoutingModel, "SolveWithIteratedLocalSearch", lambda self, params: None
    )
    monkeypatch.setattr(pywrapcp.RoutingModel, "status", lambda self: 3)  # failed: time out
    # A solution limit makes OR-Tools search first (a wall-clock limit alone would not).
    result = solve(problem, time_limit=2, solution_limit=5)
    assert check(problem, result).ok
    assert not result.unassigned
    assert result.objective == 100


def test_a_descent_that_finds_no_first_plan_still_returns_one(monkeypatch):
    # OR-Tools may find no first plan in a short limit (a week of lunch breaks, say); there is
    # always a plan (leave work out), so solve() builds one instead of raising.
    problem = row_of_jobs(lunch=True)
    monkeypatch.setattr(pywrapcp.RoutingModel, "SolveWithParameters", lambda self, params: None)
    result = solve(problem, time_limit=2, metaheuristic=Metaheuristic.GREEDY_DESCENT)
    assert check(problem, result).ok
    assert not result.unassigned


def test_the_search_around_a_left_out_job_does_not_start_a_new_solve(monkeypatch):
    b = ProblemBuilder(name="far")
    b.technician("ana", skills={"x"}, start=HERE, breaks=[("12:00", "13:00", 45)])
    b.job("NEAR", location=(2, 0), duration=30, skills={"x"})
    b.job("FAR", location=(300, 0), duration=30, skills={"x"}, window=("08:00", "09:00"))
    problem = b.build()
    plan = solve(problem, time_limit=1)
    assert [u.job_id for u in plan.unassigned] == ["FAR"]

    def no_nested_solve(*args, **kwargs):
        raise AssertionError("solve() called from inside the repair")

    monkeypatch.setattr(solver_module, "solve", no_nested_solve)
    repaired = repair_plan(plan, time_limit=1)
    assert check(problem, repaired).ok
    assert repaired.objective == plan.objective


def large_mode(monkeypatch) -> None:
    """Make small problems take the path of days too large for one model of the whole."""
    monkeypatch.setattr(decompose_module, "_WHOLE_MODEL_JOBS", 3)
    monkeypatch.setattr(decompose_module, "_GROUP_JOBS", 4)
    monkeypatch.setattr(decompose_module, "_GROUP_MIN_SECONDS", 0.5)


def test_a_large_day_improves_neighbouring_parts_together(monkeypatch):
    large_mode(monkeypatch)
    b = ProblemBuilder(name="split")
    b.technician("ana", skills={"x"}, start=(0, 0), shift=("08:00", "18:00"))
    b.technician("bo", skills={"x", "y"}, start=(20, 0), shift=("08:00", "10:00"))
    b.job("X", location=(19, 0), duration=120, skills={"x"}, window=("08:00", "16:00"))
    b.job("Y", location=(20, 0), duration=120, skills={"y"}, window=("08:00", "08:00"), priority=3)
    b.job("Z", location=(1, 0), duration=30, skills={"x"})
    b.job("W", location=(2, 0), duration=30, skills={"x"})
    problem = b.build()
    parts = decompose_module.partition(problem, 2)
    # Bo's part holds X and Y, which Bo cannot both do: ana, in the other part, must take X.
    assert sorted(j.id for j in parts[1].jobs) == ["X", "Y"]
    result = solve_decomposed(problem, time_limit=8, max_jobs_per_part=2, workers=1)
    assert result.status == "decomposed"
    assert check(problem, result).ok
    assert not result.unassigned
    assert "X" in result.route_of("ana")[0].job_ids


def test_without_time_for_the_groups_the_parts_get_all_of_it(monkeypatch):
    large_mode(monkeypatch)
    monkeypatch.setattr(decompose_module, "_GROUP_MIN_SECONDS", 1000.0)
    calls = []
    monkeypatch.setattr(
        decompose_module, "_improve_across_parts", lambda *a, **k: calls.append(a) or a[2]
    )
    problem = row_of_jobs(8)
    result = solve_decomposed(problem, time_limit=3, max_jobs_per_part=4, workers=1)
    assert check(problem, result).ok
    assert calls == []


def test_a_group_plan_is_costed_as_the_solver_costs_it():
    problem = row_of_jobs(6)
    plan = solve(problem, time_limit=10, solution_limit=5)
    whole = decompose_module._restrict(
        problem, plan, {"west", "east"}, {u.job_id for u in plan.unassigned}, "all"
    )
    assert whole.cost == plan.cost
    assert whole.objective == plan.objective
    west = decompose_module._restrict(problem, plan, {"west"}, set(), "west")
    assert {t.id for t in west.problem.technicians} == {"west"}
    assert sorted(j.id for j in west.problem.jobs) == sorted(plan.route_of("west")[0].job_ids)
    assert check(west.problem, west).ok


def test_a_plan_is_read_back_as_it_is_when_the_final_descent_runs_out_of_time(monkeypatch):
    solve_from = pywrapcp.RoutingModel.SolveFromAssignmentWithParameters

    def timed_out_descent(self, start, params):
        # Only the plan's reading-back (one solution) succeeds; the timed descent finds nothing.
        return solve_from(self, start, params) if params.solution_limit == 1 else None

    monkeypatch.setattr(
        pywrapcp.RoutingModel, "SolveFromAssignmentWithParameters", timed_out_descent
    )
    plan = zigzag(row_of_jobs())
    improved = improve_plan(plan, time_limit=2)
    assert check(plan.problem, improved).ok
    assert improved.objective == 100


def refuse(name: str):
    def fail(*args, **kwargs):
        raise AssertionError(f"{name} must not run")

    return fail


def test_under_a_wall_clock_limit_ruin_and_recreate_plans_without_an_or_tools_search(
    monkeypatch,
):
    problem = row_of_jobs()
    for name in ("SolveWithParameters", "SolveWithIteratedLocalSearch"):
        monkeypatch.setattr(pywrapcp.RoutingModel, name, refuse(name))
    result = solve(problem, time_limit=1)
    assert check(problem, result).ok
    assert result.status == "optimised"
    assert result.objective == 100


def test_a_plan_the_model_refuses_gives_way_to_an_or_tools_search(monkeypatch):
    problem = two_technicians()
    _, n, v = model_of(problem)
    wrong: list[list[int]] = [[], []]
    wrong[v["ana"]] = [n["Y"]]  # Ana lacks skill y: the full model refuses this
    wrong[v["bo"]] = [n["X"]]
    monkeypatch.setattr(recreate_module.RuinRecreate, "construct", lambda self: wrong)
    monkeypatch.setattr(
        recreate_module.RuinRecreate,
        "run",
        lambda self, routes, deadline, steps, progress=None: (wrong, 0),
    )
    result = solve(problem, time_limit=1)
    assert check(problem, result).ok
    assert {r.technician_id: r.job_ids for r in result.routes if r.job_ids} == {
        "ana": ["X"],
        "bo": ["Y"],
    }


def test_a_day_where_no_job_can_move_is_returned_without_a_step():
    model, n, _ = model_of(bo_at_work().build())
    improver = model.recreate()
    assert improver.run([[n["IP"]]], math.inf, 1000) == ([[n["IP"]]], 0)
    assert improver.steps == 0


def test_a_day_without_jobs_is_returned_without_a_step():
    b = ProblemBuilder(name="empty")
    b.technician("bo", skills={"x"}, start=HERE, shift=("08:00", "12:00"))
    model, _, _ = model_of(b.build())
    improver = model.recreate()
    assert improver.run([[]], math.inf, 1000) == ([[]], 0)
    assert improver.steps == 0


def test_a_remembered_place_is_the_place_on_the_route_as_it_now_is(monkeypatch):
    monkeypatch.setattr(recreate_module, "_BLINK", 0.0)
    problem = row_of_jobs()
    model, n, v = model_of(problem)
    improver = model.recreate()
    improver.run([[], []], math.inf, 1)  # sets up the random source
    west = [n["J0"], n["J1"], n["J3"]]
    current = [improver.route(w, [] if w != v["west"] else west) for w in range(2)]
    assert improver._place(n["J2"], current) == improver._place(n["J2"], current)
    # A changed route is a new route object: the place is sought afresh on it.
    current[v["west"]] = improver.route(v["west"], [n["J0"], n["J1"], n["J3"], n["J4"]])
    fresh = [improver.route(w, r.seq) for w, r in enumerate(current)]
    assert improver._place(n["J2"], current) == improver._place(n["J2"], fresh)


def specialist_and_generalist() -> Problem:
    """Gen (x and y) is booked with two y jobs; Spec (y only) is free; U (x) must start at 8."""
    b = ProblemBuilder(name="skills")
    b.technician("gen", skills={"x", "y"}, start=HERE, shift=("08:00", "10:00"))
    b.technician("spec", skills={"y"}, start=HERE, shift=("08:00", "10:00"))
    b.job("Y1", location=HERE, duration=60, skills={"y"}, window=("08:00", "09:00"))
    b.job("Y2", location=HERE, duration=60, skills={"y"}, window=("08:00", "09:00"))
    b.job("U", location=HERE, duration=60, skills={"x"}, window=("08:00", "08:00"), priority=2)
    return b.build()


def step_state(improver, routes: list[list[int]]):
    """Route data and each job node's vehicle (-1: unserved) for ``routes``, as in a step."""
    improver.run([[] for _ in routes], math.inf, 1)  # sets up the random source
    current = [improver.route(w, r) for w, r in enumerate(routes)]
    where = [-1] * len(improver.jobs)
    for w, r in enumerate(routes):
        for k in r:
            where[k] = w
    return current, where


def test_a_chain_ruin_makes_room_on_an_able_route_where_the_window_opens():
    model, n, v = model_of(specialist_and_generalist())
    improver = model.recreate()
    routes: list[list[int]] = [[], []]
    routes[v["gen"]] = [n["Y1"], n["Y2"]]
    current, where = step_state(improver, routes)
    saved: dict = {}
    saved_where: dict = {}
    improver._ruin_chain(current, where, saved, saved_where, n["U"])
    assert list(saved) == [v["gen"]]  # the only route able to take U
    assert improver._chain[0] == n["U"]
    # The string starts with the job at work when U's window opens (08:00): Y1.
    assert n["Y1"] in improver._chain
    assert current[v["gen"]].seq == [k for k in routes[v["gen"]] if k not in improver._chain]


def test_a_job_left_out_is_served_by_moving_work_to_a_specialist(monkeypatch):
    monkeypatch.setattr(recreate_module, "_RUIN_AT_LEFT_OUT", 1.0)
    monkeypatch.setattr(recreate_module, "_CHAIN_RUIN", 1.0)
    problem = specialist_and_generalist()
    model, n, v = model_of(problem)
    routes: list[list[int]] = [[], []]
    routes[v["gen"]] = [n["Y1"], n["Y2"]]
    improver = model.recreate()
    new, objective = improver.run(routes, math.inf, 1)
    assert objective == 0
    assert new[v["gen"]][0] == n["U"]
    assert sorted(new[v["gen"]][1:] + new[v["spec"]]) == sorted([n["Y1"], n["Y2"]])


def one_slot_for_two() -> Problem:
    """Gen (x, y) has room for one job near home; Spec (y) lives 10 km away.

    X needs x (Gen only); Y needs y and is the dearer to leave out; Y is cheaper for Gen.
    """
    b = ProblemBuilder(name="one-slot")
    b.technician("gen", skills={"x", "y"}, start=HERE, shift=("08:00", "10:00"))
    b.technician("spec", skills={"y"}, start=(10, 0), shift=("08:00", "12:00"))
    b.job("X", location=(1, 0), duration=90, skills={"x"}, priority=1)
    b.job("Y", location=(1, 0), duration=90, skills={"y"}, priority=3)
    return b.build()


def recreated_by_regret(problem: Problem, pending: list[str], routes: list[list[str]]):
    """Run ``_recreate_by_regret`` on ``routes`` (job ids per vehicle); return the new ids."""
    model, n, v = model_of(problem)
    improver = model.recreate()
    current, where = step_state(improver, [[n[j] for j in r] for r in routes])
    saved: dict = {}
    saved_where: dict = {}
    delta = improver._recreate_by_regret(
        [n[j] for j in pending], current, where, saved, saved_where
    )
    ids = {k: j for j, k in n.items()}
    return [[ids[k] for k in r.seq] for r in current], delta, v


def test_regret_places_the_job_one_technician_can_do_before_a_cheaper_flexible_one():
    # In order, cheapest place each, Y would take Gen's only slot and leave X out.
    routes, delta, v = recreated_by_regret(one_slot_for_two(), ["Y", "X"], [[], []])
    assert routes[v["gen"]] == ["X"]
    assert routes[v["spec"]] == ["Y"]
    model, n, _ = model_of(one_slot_for_two())
    served = [[n["X"]], [n["Y"]]] if v["gen"] == 0 else [[n["Y"]], [n["X"]]]
    assert delta == model.recreate().objective(served) - sum(model.penalty)


def test_regret_moves_a_job_to_a_route_that_became_cheap_for_it():
    # Y is cheapest with Ana or Bo (both at home) until Cy, 15 km away, takes X beside it.
    b = ProblemBuilder(name="beside")
    b.technician("ana", skills={"y"}, start=HERE, shift=("08:00", "17:00"))
    b.technician("bo", skills={"y"}, start=HERE, shift=("08:00", "17:00"))
    b.technician("cy", skills={"x", "y"}, start=(0, 15), shift=("08:00", "17:00"))
    b.job("X", location=(0, 8), duration=30, skills={"x"})
    b.job("Y", location=(0, 7.5), duration=30, skills={"y"})
    routes, _, v = recreated_by_regret(b.build(), ["Y", "X"], [[], [], []])
    assert routes[v["cy"]] in (["X", "Y"], ["Y", "X"])
    assert routes[v["ana"]] == routes[v["bo"]] == []


def test_the_first_plan_serves_the_job_one_technician_can_do_before_a_dearer_one():
    model, n, v = model_of(one_slot_for_two())
    routes = model.recreate().construct()
    assert routes[v["gen"]] == [n["X"]]
    assert routes[v["spec"]] == [n["Y"]]


def test_a_very_large_first_plan_goes_costliest_first(monkeypatch):
    monkeypatch.setattr(recreate_module, "_REGRET_BUILD_MOST", 1)
    model, n, v = model_of(one_slot_for_two())
    routes = model.recreate().construct()
    assert routes[v["gen"]] == [n["Y"]]
    assert routes[v["spec"]] == []


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(problems(max_jobs=10, plain=True))
def test_recreating_by_regret_alone_keeps_every_rule_and_adds_up(problem: Problem) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(recreate_module, "_REGRET", 1.0)
        model = RoutingModel(problem, 0)
        improver = model.recreate()
        routes = improver.construct()
        before = improver.objective(routes)
        assert before is not None
        new, objective = improver.run(routes, math.inf, 40)
    assert_kept_rules_and_improved(model, new, objective, before)


def test_regret_looks_again_at_a_job_whose_second_route_filled_up():
    # K (only Quinn) fills Quinn's hour; A then has Pat alone and must go before D, whose
    # second route (Sam, far away) is still open, takes Pat's only hour.
    b = ProblemBuilder(name="second-filled")
    b.technician("pat", skills={"a", "c", "d"}, start=HERE, shift=("08:00", "09:00"))
    b.technician("quinn", skills={"a", "b", "c"}, start=HERE, shift=("08:00", "09:00"))
    b.technician("sam", skills={"a", "d"}, start=(20, 0), shift=("08:00", "17:00"))
    b.job("K", location=(0.5, 0), duration=40, skills={"b"})
    b.job("A", location=(0.5, 0), duration=40, skills={"a", "c"})
    b.job("D", location=(0.5, 0), duration=40, skills={"a", "d"})
    routes, _, v = recreated_by_regret(b.build(), ["A", "D", "K"], [[], [], []])
    assert routes[v["quinn"]] == ["K"]
    assert routes[v["pat"]] == ["A"]
    assert routes[v["sam"]] == ["D"]
