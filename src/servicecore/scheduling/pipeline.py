"""The solver's pipeline: which stages run, in what order, with how much of the time.

Two paths (the stages are in :mod:`servicecore.scheduling.stages`):

* **Fast** (no warm start, no solution limit, a metaheuristic other than greedy descent):
  build, construct (regret insertion), improve (ruin and recreate until the stopping rules
  hold), polish (the best plan read into the OR-Tools model and a short descent).
* **OR-Tools** (otherwise): build, search (OR-Tools' first plan and its metaheuristic for a
  share of the limit; a warm start is repaired first), then :func:`mend`: repair, improve (not
  after a greedy descent), polish.

The time limit counts from the caller's start, building the model included; under a solution
limit every later stage gets a fixed amount of work, so the plan is repeatable.
"""

from __future__ import annotations

import math
import time

import attrs

from servicecore.scheduling.model import RoutingModel, SchedulingError
from servicecore.scheduling.params import Metaheuristic, SolveParams
from servicecore.scheduling.result import Result
from servicecore.scheduling.stages import (
    ProgressCallback,
    construct,
    improve,
    polish,
    repair,
    search,
)

__all__ = ["mend", "run"]


def run(
    model: RoutingModel,
    params: SolveParams,
    *,
    started: float,
    initial: Result | None = None,
    on_progress: ProgressCallback | None = None,
) -> Result:
    """Plan ``model``'s problem by the fast or the OR-Tools path (see the module).

    Args:
        model: The model the build stage made; it has not been closed.
        params: Stopping rules and tuning.
        started: ``time.perf_counter()`` at the call's start: the time limit counts from it.
        initial: A warm start (the OR-Tools path).
        on_progress: As for :func:`~servicecore.scheduling.solve`.

    Raises:
        SchedulingError: If no plan exists (only with in-progress jobs, which are mandatory).
    """
    left = max(0.01, params.time_limit - (time.perf_counter() - started))
    recreating = params.metaheuristic is not Metaheuristic.GREEDY_DESCENT
    if recreating and params.solution_limit is None and initial is None:
        return _fast(model, params, started, on_progress)
    if params.solution_limit is not None:
        search_limit = left
    elif recreating:
        search_limit = left * params.search_share
    else:
        # A descent (urgent insertion's fallback) stops at its first local minimum, but under
        # a short limit OR-Tools can run twice its limit (0.71 s for 0.37 s on a 250-job day,
        # restoring the start and finishing a neighbourhood): a share of what is left keeps
        # the call inside its own limit.
        search_limit = left * params.descent_share
    result = search(model, params, search_limit, initial, started)
    if _stop_asked(on_progress, started, result):
        return attrs.evolve(result, wall_time=time.perf_counter() - started)
    # The repair stops in time for a second model to be built and the plan polished on it.
    polish_seconds = params.polish_seconds
    deadline = started + params.time_limit - model.build_seconds - 2 * polish_seconds
    steps = 0
    if recreating:
        steps = params.ruin_steps
        if params.solution_limit is not None:
            steps = min(steps, params.solution_limit * params.steps_per_solution)
    result = mend(
        model,
        result,
        None if params.solution_limit is not None else deadline,
        params,
        recreate_steps=steps,
        polish_seconds=polish_seconds,
        started=started,
        on_progress=on_progress,
    )
    return attrs.evolve(result, wall_time=time.perf_counter() - started)


def _stop_asked(on_progress: ProgressCallback | None, started: float, result: Result) -> bool:
    if on_progress is None:
        return False
    return bool(
        on_progress(time.perf_counter() - started, result.objective, len(result.unassigned))
    )


def _fast(
    model: RoutingModel,
    params: SolveParams,
    started: float,
    on_progress: ProgressCallback | None,
) -> Result:
    """Construct, improve and polish (see the module).

    Measured at 0.9 x VROOM's wall time on the FSM days (means over seeds), a plan built in
    plain Python and improved by ruin and recreate for the whole limit did at least as well as
    a quarter of it spent in OR-Tools' search first: 120 jobs 1,665-1,675 against 1,663-1,701
    (VROOM 1,649), 250 jobs 42,458 against 42,485 (VROOM 42,630), and on the 60-job day, where
    OR-Tools' first plan leaves 8 jobs out and its model takes a fifth of the limit to build
    and search, no run of 48 left 4 jobs out against 3 of 16 (VROOM leaves 3 out); Solomon's
    RC1 class 1.02% against 1.34%.
    """
    polish_seconds = params.polish_seconds
    routing = model.routing
    read_back = model.parameters(params.finalize_seconds, 1, Metaheuristic.GREEDY_DESCENT)
    # Closing the model takes about as long as building it: done first, so the time left for
    # ruin and recreate is known.
    routing.CloseModelWithParameters(read_back)
    improver = model.recreate()
    routes = construct(improver, started)
    # Reading the plan into the model and out again, and the descent, follow the ruin and
    # recreate: the time reading the first plan takes is kept for them (0.1 s at 1,000 jobs).
    reading = time.perf_counter()
    model.feasible(routes)
    reading = time.perf_counter() - reading
    deadline = started + params.time_limit - 2 * reading - 2 * polish_seconds
    better, _ = improve(improver, routes, deadline, params.ruin_steps, params, started, on_progress)
    descent = model.parameters(
        max(polish_seconds, deadline + polish_seconds - time.perf_counter()),
        None,
        Metaheuristic.GREEDY_DESCENT,
    )
    result = polish(model, [better, routes], descent, read_back, "optimised", started)
    if result is None:
        # The plain-Python costing disagrees with the model (it should not): let OR-Tools plan.
        left = max(params.polish_floor, started + params.time_limit - time.perf_counter())
        solution = routing.SolveWithParameters(
            model.parameters(left, None, Metaheuristic.GUIDED_LOCAL_SEARCH)
        )
        if solution is None:
            raise SchedulingError(
                f"no plan found for {model.problem.name!r} (status {routing.status()}): "
                "check in-progress jobs, whose placement is mandatory"
            )
        result = model.extract(solution, "optimised", 0.0)
    return attrs.evolve(result, wall_time=time.perf_counter() - started)


def mend(
    model: RoutingModel,
    result: Result,
    deadline: float | None,
    params: SolveParams,
    *,
    recreate_steps: int = 0,
    polish_seconds: float | None = None,
    started: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> Result:
    """Repair ``result`` (serve more of its jobs), improve it by ruin and recreate, polish it.

    ``deadline`` (a ``time.perf_counter()`` value) bounds the work; ``None`` gives the
    insertions a fixed amount of work, skips the (timed) searches around left-out jobs and
    makes at most ``recreate_steps`` ruin-and-recreate steps, so the plan is repeatable. With a
    deadline, ruin and recreate runs until it when ``recreate_steps`` is not 0. Changes are
    checked and the final plan is timed on a fresh copy of the model, built only when something
    changed (or on ``model`` itself, if it has not searched yet), where a descent of
    ``polish_seconds`` (after the deadline) finishes it; it is kept only if its objective is
    lower.

    Returns:
        The better plan (its wall time that of ``result``), or ``result`` itself.
    """
    started = time.perf_counter() if started is None else started
    polish_seconds = params.polish_floor if polish_seconds is None else polish_seconds
    recreating = recreate_steps > 0
    if not result.unassigned and not recreating:
        return result
    if deadline is None:
        # The first solution is the repaired plan itself; the generous limit only guards
        # against a clock-dependent outcome on a large model.
        checking = model.parameters(params.finalize_seconds, 1, Metaheuristic.GREEDY_DESCENT)
    else:
        checking = model.parameters(
            max(params.polish_floor, deadline - time.perf_counter()),
            None,
            Metaheuristic.GREEDY_DESCENT,
        )
    fresh: list[RoutingModel] = []

    def checker() -> RoutingModel:
        if not fresh:
            fresh.append(
                RoutingModel(
                    model.problem,
                    model.seed,
                    keep=model.keep,
                    large_model_jobs=model.large_model_jobs,
                )
                if model.searched
                else model
            )
            fresh[0].routing.CloseModelWithParameters(checking)
        return fresh[0]

    routes, changed = model.node_routes(result), False
    if result.unassigned:
        # Ruin and recreate also places jobs, so it leaves the insertions less time.
        routes, changed = repair(
            model,
            routes,
            deadline,
            params.repair_insert_share if recreating else 0.5,
            lambda trial: checker().feasible(trial),
            params,
            search_around=not recreating,
        )
    candidates = [routes]
    if recreating:
        improver = model.recreate()
        before = improver.objective(routes)
        better, objective = improve(
            improver,
            routes,
            math.inf if deadline is None else deadline,
            recreate_steps,
            params,
            started,
            on_progress,
        )
        if before is not None and objective < before:
            # Checked on the full model below; if refused, the plan before it stands.
            candidates.insert(0, better)
            changed = True
    if not changed:
        return result
    checked = checker()
    read_back = None
    descent = checking
    if deadline is not None:
        read_back = checked.parameters(params.finalize_seconds, 1, Metaheuristic.GREEDY_DESCENT)
        descent = checked.parameters(
            max(polish_seconds, deadline + polish_seconds - time.perf_counter()),
            None,
            Metaheuristic.GREEDY_DESCENT,
        )
    better_plan = polish(checked, candidates, descent, read_back, result.status, started)
    if better_plan is None or better_plan.objective >= result.objective:
        return result
    return attrs.evolve(better_plan, wall_time=result.wall_time)
