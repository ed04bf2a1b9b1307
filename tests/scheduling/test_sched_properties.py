from __future__ import annotations

import itertools
import math

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sched_strategies import problems

from servicecore.scheduling import (
    Metaheuristic,
    Problem,
    Result,
    Technician,
    check,
    pin_jobs,
    solve,
)
from servicecore.scheduling.model import RoutingModel
from servicecore.scheduling.timing import Timer

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def plan_key(result):  # the whole plan, times included
    return (
        [
            (r.technician_id, r.shift_index, r.departure, r.return_time, r.visits, r.breaks)
            for r in result.routes
        ],
        [(u.job_id, u.reason) for u in result.unassigned],
    )


@SETTINGS
@given(problems())
def test_every_plan_passes_the_independent_checker(problem: Problem) -> None:
    result = solve(problem, time_limit=2, solution_limit=30)
    report = check(problem, result)
    assert report.violations == ()
    served = result.served_job_ids
    assert sorted(served + [u.job_id for u in result.unassigned]) == sorted(
        j.id for j in problem.jobs
    )


@SETTINGS
@given(problems())
def test_costs_add_up_to_the_solver_objective(problem: Problem) -> None:
    result = solve(problem, time_limit=2, solution_limit=30)
    c = result.cost
    assert c.total == c.travel + c.lateness + c.unserved + c.preference
    assert result.objective == c.total
    assert c.unserved == sum(
        problem.unserved_cost(problem.job(u.job_id)) for u in result.unassigned
    )
    assert c.travel == sum(
        r.travel_minutes * problem.technician(r.technician_id).cost_per_minute
        for r in result.routes
    )


@SETTINGS
@given(problems(), st.data())
def test_pinned_jobs_stay_pinned_on_replanning(problem: Problem, data: st.DataObject) -> None:
    first = solve(problem, time_limit=2, solution_limit=30)
    served = first.served_job_ids
    chosen = data.draw(st.lists(st.sampled_from(served), unique=True) if served else st.just([]))
    pinned = pin_jobs(first, chosen)
    again = solve(pinned, time_limit=10, solution_limit=30, initial=first, seed=3)
    assert check(pinned, again).ok
    for job_id in chosen:
        found = again.visit_of(job_id)
        assert found is not None, f"{job_id} was pinned but dropped"
        route, visit = found
        before_route, before_visit = first.visit_of(job_id)  # type: ignore[misc]
        assert route.technician_id == before_route.technician_id
        assert visit.start == before_visit.start


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_jobs=10), st.integers(0, 5))
def test_same_seed_and_work_limit_give_the_same_plan(problem: Problem, seed: int) -> None:
    a = solve(problem, time_limit=30, seed=seed, solution_limit=50)
    b = solve(problem, time_limit=30, seed=seed, solution_limit=50)
    assert plan_key(a) == plan_key(b)
    assert a.cost == b.cost


def fastest_pipeline(problem: Problem, steps: int) -> tuple[Result, int]:
    """Regret construction and ``steps`` of ruin and recreate, read into the full model as is."""
    model = RoutingModel(problem, 0)
    model.routing.CloseModelWithParameters(model.parameters(60, 1, Metaheuristic.GREEDY_DESCENT))
    improver = model.recreate()
    routes, objective = improver.run(improver.construct(), math.inf, steps)
    indices = [[model.manager.NodeToIndex(n) for n in r] for r in routes]
    start = model.routing.ReadAssignmentFromRoutes(indices, True)
    assert start is not None, "the full model refuses a plan the route timing accepted"
    return model.extract(start, "constructed", 0.0), objective


@SETTINGS
@given(problems(max_jobs=10))
def test_plans_with_breaks_and_span_limits_keep_every_rule_and_cost_what_they_claim(
    problem: Problem,
) -> None:
    if not problem.technicians:
        return
    result, objective = fastest_pipeline(problem, steps=40)
    assert check(problem, result).violations == ()
    # The full model times the plan at least as well as the plain-Python timing claimed.
    assert result.objective <= objective


def reference_lateness(problem: Problem, tech: Technician, order: list[str]) -> int | None:
    """Least lateness over every leg the one break may go on, as the FSM-JSON checker finds it."""
    shift = tech.shifts[0]
    jobs = [problem.job(j) for j in order]
    points = [tech.start, *(j.location for j in jobs), tech.end_point]
    legs = [problem.travel.between(a, b) for a, b in itertools.pairwise(points)]
    gaps: list[int | None] = list(range(len(legs))) if shift.breaks else [None]
    best = None
    for gap in gaps:
        now, late, ok = shift.start, 0, True
        for k, leg in enumerate(legs):
            if gap == k:
                b = shift.breaks[0]
                begin = max(now, b.earliest)
                if begin > b.latest:
                    ok = False
                    break
                now = max(now + leg, begin) + b.duration
            else:
                now += leg
            if k == len(jobs):
                break
            job = jobs[k]
            windows = [(w.start, w.end) for w in job.windows()] or [(0, 10**9)]
            start = next((max(now, lo) for lo, hi in windows if now <= hi), None)
            if start is None:
                ok = False
                break
            if job.sla_due is not None:
                late += job.lateness_cost * max(0, start - job.sla_due)
            now = start + job.duration
        if ok and now <= shift.end and (best is None or late < best):
            best = late
    return best


@settings(max_examples=200, deadline=None)
@given(problems(max_jobs=6), st.data())
def test_breaks_go_on_the_leg_where_they_cost_least_lateness(
    problem: Problem, data: st.DataObject
) -> None:
    if not problem.technicians or not problem.jobs:
        return
    t = data.draw(st.integers(0, len(problem.technicians) - 1))
    order = data.draw(st.permutations([j.id for j in problem.jobs]))
    order = order[: data.draw(st.integers(1, len(order)))]
    tech = attrs.evolve(problem.technicians[t], max_work_minutes=None)
    nodes = {j.id: k for k, j in enumerate(problem.jobs)}
    points = [j.location for j in problem.jobs] + [tech.start, tech.end_point]
    timer = Timer(
        travel=problem.travel.matrix(points),
        jobs=list(problem.jobs),
        vehicles=[(tech, tech.shifts[0])],
        starts=[len(problem.jobs)],
        ends=[len(problem.jobs) + 1],
    )
    expected = reference_lateness(problem, tech, order)
    assert timer.lateness(0, [nodes[j] for j in order]) == expected
