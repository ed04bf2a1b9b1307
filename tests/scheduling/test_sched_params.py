"""SolveParams and the stages of the solver's pipeline (``params``, ``stages``, ``pipeline``)."""

from __future__ import annotations

import logging
import math
import time

import attrs
import pytest

import servicecore
from servicecore.errors import ValidationError
from servicecore.scheduling import (
    Metaheuristic,
    ProblemBuilder,
    Result,
    SolveParams,
    check,
    solve,
    stages,
)
from servicecore.scheduling.model import RoutingModel
from servicecore.scheduling.pipeline import mend

BAD_VALUES = [
    ("time_limit", 0),
    ("time_limit", -1.0),
    ("time_limit", math.inf),
    ("time_limit", math.nan),
    ("time_limit", "10"),
    ("time_limit", True),
    ("seed", -1),
    ("seed", 1.5),
    ("seed", None),
    ("solution_limit", 0),
    ("solution_limit", 2.0),
    ("iteration_limit", 0),
    ("iteration_limit", "many"),
    ("no_improvement_seconds", 0),
    ("no_improvement_seconds", -2.0),
    ("metaheuristic", "greedy_descent"),
    ("repair_share", 0),
    ("repair_share", 1),
    ("descent_share", 1.5),
    ("search_share", -0.1),
    ("repair_insert_share", None),
    ("steps_per_solution", 0),
    ("polish_floor", 0),
    ("polish_share", 2),
    ("finalize_seconds", -1),
    ("focus_able_routes", -1),
    ("focus_routes", 1.0),
    ("focus_seconds", 0),
    ("focus_min_seconds", -0.1),
    ("large_model_jobs", -5),
    ("late_factor", 0.9),
    ("late_seconds", -0.3),
]


def day(n_jobs: int = 12):
    b = ProblemBuilder(name="day")
    b.technician("ana", skills={"hvac", "elec"}, start=(0, 0))
    b.technician("bo", skills={"elec"}, start=(10, 0), shift=("07:00", "15:00"))
    b.technician("cy", skills={"hvac"}, start=(0, 10), end=(5, 5))
    for i in range(n_jobs):
        b.job(
            f"j{i}",
            location=((i * 7) % 11, (i * 5) % 9),
            duration=30 + (i % 4) * 15,
            skills={"hvac"} if i % 3 == 0 else {"elec"},
            window=("08:00", "12:00") if i % 2 else ("13:00", "17:00"),
        )
    return b.build()


# -- SolveParams ---------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_a_bad_value_is_a_validation_error_naming_the_field(field, value):
    with pytest.raises(ValidationError) as info:
        SolveParams(**{field: value})
    assert [e.path for e in info.value.errors] == [field]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_evolve_validates_as_the_constructor_does(field, value):
    with pytest.raises(ValidationError) as info:
        attrs.evolve(SolveParams(), **{field: value})
    assert [e.path for e in info.value.errors] == [field]


def test_the_shortest_focused_search_may_not_exceed_the_longest():
    with pytest.raises(ValidationError) as info:
        SolveParams(focus_seconds=0.5, focus_min_seconds=0.6)
    assert info.value.errors[0].path == "focus_min_seconds"


def test_the_defaults_are_the_documented_ones():
    p = SolveParams()
    assert (p.time_limit, p.seed, p.solution_limit, p.iteration_limit) == (10.0, 0, None, None)
    assert p.no_improvement_seconds is None
    assert p.metaheuristic is Metaheuristic.ITERATED_LOCAL_SEARCH
    shares = (p.repair_share, p.descent_share, p.search_share, p.repair_insert_share)
    assert shares == (0.1, 0.5, 0.25, 0.2)
    assert (p.polish_floor, p.polish_share, p.finalize_seconds) == (0.05, 0.05, 60.0)
    assert (p.focus_able_routes, p.focus_routes) == (2, 4)
    assert (p.focus_seconds, p.focus_min_seconds) == (1.0, 0.2)
    assert (p.large_model_jobs, p.late_factor, p.late_seconds) == (500, 1.05, 0.3)


def test_params_are_frozen():
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        SolveParams().time_limit = 3  # type: ignore[misc]


def test_the_polish_gets_its_floor_or_a_share_of_a_short_limit():
    assert SolveParams(time_limit=10).polish_seconds == 0.05
    assert SolveParams(time_limit=0.2).polish_seconds == pytest.approx(0.01)


def test_a_call_is_late_past_the_larger_of_the_factor_and_the_margin():
    p = SolveParams(time_limit=1)
    assert not p.late(1.3)
    assert p.late(1.31)
    p = SolveParams(time_limit=100)
    assert not p.late(105)
    assert p.late(105.1)


def test_solve_params_are_exported_from_servicecore_too():
    assert servicecore.SolveParams is SolveParams
    assert "SolveParams" in servicecore.__all__


# -- solve() with params and with the old keyword arguments --------------------------------


def test_solve_takes_its_time_limit_and_seed_from_params():
    problem = day()
    a = solve(problem, SolveParams(time_limit=5, solution_limit=20, seed=3))
    b = solve(problem, time_limit=5, solution_limit=20, seed=3)
    assert a.routes == b.routes
    assert a.objective == b.objective


def test_a_keyword_argument_overrides_its_field_of_params():
    started = time.perf_counter()
    result = solve(day(), SolveParams(time_limit=60), time_limit=0.5)
    assert time.perf_counter() - started < 5
    assert check(result.problem, result).ok


def test_params_that_are_not_solve_params_are_refused():
    with pytest.raises(ValidationError) as info:
        solve(day(), {"time_limit": 1})  # type: ignore[arg-type]
    assert info.value.errors[0].path == "params"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": 1, "seed": -1}, "seed"),
        ({"time_limit": 1, "solution_limit": 0}, "solution_limit"),
        ({"time_limit": 1, "metaheuristic": "gls"}, "metaheuristic"),
    ],
)
def test_the_old_keyword_arguments_are_still_validated_by_name(kwargs, field):
    with pytest.raises(ValidationError) as info:
        solve(day(), **kwargs)
    assert info.value.errors[0].path == field


def test_no_improvement_for_a_while_ends_the_search_early(caplog):
    started = time.perf_counter()
    with caplog.at_level(logging.INFO, logger="servicecore.scheduling"):
        result = solve(day(6), SolveParams(time_limit=30, no_improvement_seconds=0.5))
    assert time.perf_counter() - started < 10
    assert check(result.problem, result).ok
    assert any("no better plan" in r.getMessage() for r in caplog.records)


def test_an_iteration_limit_bounds_the_ruin_and_recreate_steps(caplog):
    with caplog.at_level(logging.INFO, logger="servicecore.scheduling"):
        solve(day(), SolveParams(time_limit=30, iteration_limit=7))
    improve = [r.getMessage() for r in caplog.records if r.getMessage().startswith("improve")]
    assert len(improve) == 1
    assert improve[0].startswith("improve: 7 ruin-and-recreate steps")


def test_the_search_path_reports_progress_after_the_search_and_may_stop_there():
    calls: list[tuple[float, int, int]] = []

    def stop(elapsed: float, objective: int, left_out: int) -> bool:
        calls.append((elapsed, objective, left_out))
        return True

    result = solve(day(), time_limit=2, solution_limit=5, on_progress=stop)
    assert len(calls) == 1
    assert calls[0][1] == result.objective
    assert check(result.problem, result).ok


# -- the stages' contracts -----------------------------------------------------------------


def built(problem=None, **fields) -> tuple[RoutingModel, SolveParams]:
    params = SolveParams(**fields)
    return stages.build(problem or day(), params), params


def test_build_makes_one_vehicle_per_technician_shift_and_logs_it(caplog):
    with caplog.at_level(logging.INFO, logger="servicecore.scheduling"):
        model, _ = built()
    assert model.n_jobs == 12
    assert len(model.vehicles) == 3
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["build"]


def test_build_shuffles_the_jobs_by_the_seed():
    a, _ = built(seed=0)
    b, _ = built(seed=5)
    assert [j.id for j in a.jobs] == [j.id for j in day().jobs]
    assert sorted(j.id for j in b.jobs) == sorted(j.id for j in a.jobs)
    assert [j.id for j in b.jobs] != [j.id for j in a.jobs]


def test_construct_builds_routes_the_full_model_accepts_each_job_at_most_once():
    model, _ = built()
    routes = stages.construct(model.recreate(), time.perf_counter())
    served = [k for r in routes for k in r]
    assert len(served) == len(set(served)) == model.n_jobs
    assert model.feasible(routes)


def test_improve_never_returns_worse_routes_and_keeps_every_rule():
    model, params = built()
    improver = model.recreate()
    routes = improver.construct()
    better, objective = stages.improve(improver, routes, math.inf, 200, params, time.perf_counter())
    assert objective <= improver.objective(routes)
    assert improver.objective(better) == objective
    assert model.feasible(better)
    assert improver.steps == 200


def test_improve_stops_when_progress_asks_it_to():
    model, params = built()
    improver = model.recreate()
    routes = improver.construct()
    seen: list[float] = []

    def stop(elapsed: float, objective: int, left_out: int) -> bool:
        seen.append(elapsed)
        return True

    started = time.perf_counter()
    stages.improve(improver, routes, started + 20, 10**9, params, started, stop)
    assert len(seen) == 1
    assert time.perf_counter() - started < 5


def test_repair_serves_a_job_the_routes_left_out():
    model, params = built()
    routes = model.recreate().construct()
    dropped = routes[0].pop()
    new, changed = stages.repair(
        model, routes, None, 0.5, model.feasible, params, search_around=False
    )
    assert changed
    assert dropped in {k for r in new for k in r}
    assert model.feasible(new)


def test_repair_without_anything_left_out_changes_nothing():
    model, params = built()
    routes = model.recreate().construct()
    new, changed = stages.repair(
        model, routes, None, 0.5, model.feasible, params, search_around=False
    )
    assert (new, changed) == (routes, False)


def test_polish_reads_the_first_candidate_the_model_accepts():
    model, params = built()
    routes = model.recreate().construct()
    job = next(k for r in routes for k in r)
    broken = [list(r) for r in routes]
    broken[0].append(job)  # served twice: the model refuses it
    read_back = model.parameters(params.finalize_seconds, 1, Metaheuristic.GREEDY_DESCENT)
    model.routing.CloseModelWithParameters(read_back)
    descent = model.parameters(1.0, None, Metaheuristic.GREEDY_DESCENT)
    result = stages.polish(model, [broken, routes], descent, read_back, "optimised", 0.0)
    assert result is not None
    assert check(result.problem, result).ok
    assert result.objective <= model.recreate().objective(routes)


def test_polish_returns_nothing_when_the_model_accepts_no_candidate():
    model, params = built()
    routes = model.recreate().construct()
    broken = [list(r) for r in routes]
    broken[0].append(next(k for r in routes for k in r))
    read_back = model.parameters(params.finalize_seconds, 1, Metaheuristic.GREEDY_DESCENT)
    model.routing.CloseModelWithParameters(read_back)
    assert stages.polish(model, [broken], read_back, read_back, "optimised", 0.0) is None


def test_search_returns_a_plan_with_every_job_routed_or_left_out_with_a_reason():
    model, params = built(solution_limit=10)
    result = stages.search(model, params, 2.0, None, time.perf_counter())
    assert isinstance(result, Result)
    routed = {v.job_id for r in result.routes for v in r.visits}
    assert routed | {u.job_id for u in result.unassigned} == {j.id for j in day().jobs}
    assert check(result.problem, result).ok


def test_mend_keeps_the_plan_when_nothing_is_left_out_and_nothing_is_to_improve():
    plan = solve(day(), time_limit=2, solution_limit=10)
    model, params = built()
    assert mend(model, plan, None, params) is plan
