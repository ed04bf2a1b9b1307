from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sched_strategies import problems

from servicecore.scheduling import Problem, check, pin_jobs, solve

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
