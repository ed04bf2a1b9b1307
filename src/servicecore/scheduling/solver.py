"""Plan a :class:`~servicecore.scheduling.Problem`: :func:`solve` and the calls around it.

:func:`solve` runs the pipeline of :mod:`servicecore.scheduling.pipeline` (build, construct,
improve, repair, polish) under one :class:`~servicecore.scheduling.SolveParams`;
:func:`insert_job`, :func:`repair_plan` and :func:`improve_plan` change an existing plan with
the same stages; :func:`pin_jobs` prepares a problem for re-planning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import attrs

from servicecore.errors import ValidationError
from servicecore.scheduling import pipeline
from servicecore.scheduling.model import SchedulingError
from servicecore.scheduling.params import Metaheuristic, SolveParams
from servicecore.scheduling.problem import Job, Problem
from servicecore.scheduling.result import CostBreakdown, Result, UnassignedJob, UnassignedReason
from servicecore.scheduling.stages import ProgressCallback, build

__all__ = [
    "Metaheuristic",
    "ProgressCallback",
    "SchedulingError",
    "SolveParams",
    "improve_plan",
    "insert_job",
    "nobody_works",
    "pin_jobs",
    "repair_plan",
    "solve",
]

# Feasible insertion positions compared in full by insert_job before it picks one.
_INSERTIONS_COMPARED = 8

_log = logging.getLogger(__name__)


def solve(
    problem: Problem,
    params: SolveParams | None = None,
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    solution_limit: int | None = None,
    initial: Result | None = None,
    metaheuristic: Metaheuristic | None = None,
    on_progress: ProgressCallback | None = None,
) -> Result:
    """Plan ``problem``: minimise travel + lateness + unserved (+ preference) cost.

    The stages (see :mod:`servicecore.scheduling.pipeline`): on the fast path a first plan is
    built by regret insertion, improved by ruin and recreate until a stopping rule of
    ``params`` holds, then read into the OR-Tools model and polished by a short descent. With
    ``initial``, a solution limit or ``GREEDY_DESCENT``, OR-Tools searches a share of the limit
    first, then jobs left out are repaired, ruin and recreate improves the plan (not after a
    greedy descent) and the model polishes it.
    The plan is the same every time for the same problem, ``seed`` and ``solution_limit`` when
    the solution limit (not the wall clock) ends the search.

    Args:
        problem: What to plan.
        params: Stopping rules and tuning (default :class:`SolveParams` ()).
        time_limit: Overrides ``params.time_limit``: seconds the whole call may take (building
            the model included).
        seed: Overrides ``params.seed``: shuffles the order jobs enter the model, which changes
            the search path, and seeds ruin and recreate; 0 keeps the problem's order.
        solution_limit: Overrides ``params.solution_limit``: stop after this many solutions (a
            repeatable work limit); ruin and recreate then makes ten steps per solution.
        initial: A previous plan to start from (warm start); jobs no longer in the problem are
            skipped, and jobs it left out (or new ones) are first given a place by the repair
            of :func:`repair_plan`. If it cannot be loaded as a feasible start, the search
            starts afresh.
        metaheuristic: Overrides ``params.metaheuristic``: OR-Tools' improvement method where
            OR-Tools searches; ``GREEDY_DESCENT`` also turns ruin and recreate off.
        on_progress: Called as ``on_progress(elapsed, cost, unserved)`` about four times a
            second while ruin and recreate runs, and after OR-Tools' search (seconds since the
            call, the best plan's objective, its number of jobs left out). Returning ``True``
            stops the search: the best plan so far is polished and returned (a Ctrl-C handler
            can use it).

    Returns:
        The plan, with every job either in a route or unassigned with a reason.

    Raises:
        ValidationError: If ``params`` is not a :class:`SolveParams`, or a field of it (or
            ``time_limit``, ``seed`` or ``solution_limit``) is out of range; the error names
            the field.
        SchedulingError: If no plan exists (only possible with in-progress jobs, which are
            mandatory).
    """
    started = time.perf_counter()
    params = _merged(
        params,
        time_limit=time_limit,
        seed=seed,
        solution_limit=solution_limit,
        metaheuristic=metaheuristic,
    )
    if not isinstance(problem, Problem):
        raise ValidationError.single("problem", problem, "must be a Problem")
    if not problem.technicians:
        _log.info("no technician works: every job of %r left out", problem.name)
        return nobody_works(problem, started)
    model = build(problem, params)
    result = pipeline.run(model, params, started=started, initial=initial, on_progress=on_progress)
    if params.solution_limit is None and params.late(result.wall_time):
        _log.warning(
            "the time limit of %.2f s was exceeded: %.2f s (a loaded machine, or a model too "
            "large to build and read back in the limit)",
            params.time_limit,
            result.wall_time,
        )
    return result


def _merged(params: SolveParams | None, **overrides: Any) -> SolveParams:
    """``params`` (or the defaults) with the keyword arguments that were given."""
    if params is None:
        params = SolveParams()
    elif not isinstance(params, SolveParams):
        raise ValidationError.single("params", params, "must be a SolveParams")
    given = {name: value for name, value in overrides.items() if value is not None}
    return attrs.evolve(params, **given) if given else params


def insert_job(
    result: Result,
    job: Job,
    *,
    time_limit: float = 1.0,
    seed: int = 0,
    candidates: int = 60,
) -> Result:
    """Insert an urgent job into an existing plan, moving only what must move.

    First the cheapest feasible insertion is sought: positions in every able technician's route
    are ranked by added travel and the best ``candidates`` are tried in order; of the first few
    that keep every rule, the cheapest in full (travel and lateness) is taken. No other job
    changes technician or order (times may shift).
    When none fits, every job of the plan is held to its technician shift and a descent from
    the plan may reorder routes or drop cheaper work to make room.

    Args:
        result: The current plan.
        job: The new job (its id must be new).
        time_limit: Seconds the whole call may take (the fallback search gets what is left).
        seed: As for :func:`solve`.
        candidates: How many insertion positions to try before falling back.

    Returns:
        The new plan, for the problem with ``job`` added.

    Raises:
        ValidationError: If the job id already exists or the job is invalid for the problem.
        SchedulingError: If no plan can be found.
    """
    params = SolveParams(
        time_limit=time_limit, seed=seed, metaheuristic=Metaheuristic.GREEDY_DESCENT
    )
    t0 = time.perf_counter()
    problem = result.problem.with_jobs([*result.problem.jobs, job])
    if not problem.technicians:
        return nobody_works(problem, t0)
    keep = {v.job_id: (r.technician_id, r.shift_index) for r in result.routes for v in r.visits}
    model = build(problem, params, keep)
    routing, manager = model.routing, model.manager
    finalize = model.parameters(time_limit, 1, Metaheuristic.GREEDY_DESCENT)
    routing.CloseModelWithParameters(finalize)
    routes = model.initial_routes(result)
    node = model.jobs.index(job)
    index = manager.NodeToIndex(node)
    ranked: list[tuple[int, int, int]] = []
    for v in model.allowed_vehicles(job):
        cpm = model.vehicles[v].tech.cost_per_minute
        seq = [manager.IndexToNode(i) for i in (routing.Start(v), *routes[v], routing.End(v))]
        for k in range(len(seq) - 1):
            a, b = seq[k], seq[k + 1]
            delta = model.travel[a][node] + model.travel[node][b] - model.travel[a][b]
            ranked.append((delta * cpm, v, k))
    ranked.sort()
    best: Result | None = None
    feasible = 0
    for _, v, k in ranked[:candidates]:
        trial = [list(r) for r in routes]
        trial[v].insert(k, index)
        start = routing.ReadAssignmentFromRoutes(trial, True)
        solution = (
            None if start is None else routing.SolveFromAssignmentWithParameters(start, finalize)
        )
        if solution is None:
            continue
        # Travel ranks the positions; lateness can still differ, so compare a few in full.
        # The solver reuses its assignment object, so each candidate is extracted at once.
        plan = model.extract(solution, "inserted", 0.0)
        if best is None or plan.objective < best.objective:
            best = plan
        feasible += 1
        if feasible == _INSERTIONS_COMPARED:
            break
    if best is not None:
        return attrs.evolve(best, wall_time=time.perf_counter() - t0)
    model = build(problem, params, keep)
    # Closing this model, and building the one that checks the repair after the descent, each
    # take about as long as building it: without keeping that time aside, the fallback ran
    # 1.14-1.26 s under a 0.8 s limit on a 250-job day.
    params = attrs.evolve(
        params, time_limit=max(params.polish_floor, time_limit - 2 * model.build_seconds)
    )
    return pipeline.run(model, params, started=t0, initial=result)


def repair_plan(result: Result, *, time_limit: float | None = None, seed: int = 0) -> Result:
    """Serve more of a plan's unassigned jobs, moving as little as it takes.

    Each unassigned job (costliest first) is inserted where it adds least, or, when nothing
    fits, one or two served jobs are moved to other technicians (or a cheaper one is left out)
    to make room. With a ``time_limit``, the time left then goes to small searches around each
    job still left out (its nearby technicians and their jobs). Every change is checked
    against the full model, and the result is kept only if its objective is lower. Useful after
    merging plans (:func:`solve_decomposed` does it) or after editing a plan by hand.

    Args:
        result: The plan to improve; its problem is the whole problem.
        time_limit: Seconds the call may take, or ``None`` for a fixed amount of insertion
            work and no searches (the outcome is then the same every time).
        seed: As for :func:`solve` (the node order of the checking model).

    Returns:
        The improved plan, or ``result`` itself when nothing could be served.

    Raises:
        ValidationError: If ``result`` is not a plan, or ``time_limit`` or ``seed`` is out of
            range.
    """
    started = time.perf_counter()
    if not isinstance(result, Result):
        raise ValidationError.single("result", result, "must be a Result")
    params = SolveParams(time_limit=1.0 if time_limit is None else time_limit, seed=seed)
    if not result.problem.technicians:
        return result
    model = build(result.problem, params)
    deadline = None if time_limit is None else started + time_limit - params.polish_floor
    repaired = pipeline.mend(model, result, deadline, params, started=started)
    if repaired is result:
        return result
    return attrs.evolve(repaired, wall_time=result.wall_time + time.perf_counter() - started)


def improve_plan(
    result: Result,
    *,
    time_limit: float | None = None,
    seed: int = 0,
    steps: int = 1000,
) -> Result:
    """Improve any plan by ruin and recreate, serving more jobs and cutting travel.

    Each step takes a few strings of neighbouring jobs out of nearby routes and puts them (and
    jobs left out nearby) back at their cheapest places; a simulated-annealing test keeps or
    undoes the step. Jobs left out are first offered the insertions of :func:`repair_plan`.
    Every move respects the rules a plan must keep; the best plan found is checked on the full
    model and kept only if its objective is lower. Ruin and recreate needs a problem without
    breaks or span limits (``max_work_minutes``); on other problems this is
    :func:`repair_plan`. Useful after merging plans (:func:`solve_decomposed` does it), after
    editing a plan, or to spend more time on a plan :func:`solve` returned.

    Args:
        result: The plan to improve; its problem is the whole problem.
        time_limit: Seconds the call may take, or ``None`` to make exactly ``steps`` steps
            (the outcome is then the same every time for the same ``seed``).
        seed: Seeds the random choices.
        steps: Steps to make when there is no ``time_limit``.

    Returns:
        The improved plan, or ``result`` itself when nothing better was found.

    Raises:
        ValidationError: If ``result`` is not a plan, or ``time_limit``, ``seed`` or ``steps``
            is out of range.
    """
    started = time.perf_counter()
    if not isinstance(result, Result):
        raise ValidationError.single("result", result, "must be a Result")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValidationError.single("steps", steps, "must be an integer >= 1")
    params = SolveParams(time_limit=1.0 if time_limit is None else time_limit, seed=seed)
    if not result.problem.technicians:
        return result
    model = build(result.problem, params)
    deadline = None
    polish = params.polish_floor
    if time_limit is not None:
        polish = params.polish_seconds
        # Reading the plan back needs a model of the problem as large as the one just built.
        deadline = started + time_limit - 2 * model.build_seconds - 2 * polish
    improved = pipeline.mend(
        model,
        result,
        deadline,
        params,
        recreate_steps=params.ruin_steps if deadline is not None else steps,
        polish_seconds=polish,
        started=started,
    )
    if improved is result:
        return result
    return attrs.evolve(improved, wall_time=result.wall_time + time.perf_counter() - started)


def pin_jobs(result: Result, job_ids: Sequence[str], *, keep_start: bool = True) -> Problem:
    """Return the result's problem with ``job_ids`` pinned, ready for re-planning.

    Each job is pinned to the technician (and, with ``keep_start``, the start minute) the plan
    gives it.

    Args:
        result: The plan to pin from.
        job_ids: Jobs to pin; each must be served in ``result``.
        keep_start: Pin the start minute too, not only the technician.

    Raises:
        ValidationError: If a job id is unknown or not served in the plan.
    """
    wanted = list(job_ids)
    found: dict[str, tuple[str, int]] = {}
    for r in result.routes:
        for v in r.visits:
            found[v.job_id] = (r.technician_id, v.start)
    for i, job_id in enumerate(wanted):
        if job_id not in found:
            raise ValidationError.single(f"job_ids[{i}]", job_id, "not served in this plan")
    jobs = []
    for j in result.problem.jobs:
        if j.id in found and j.id in wanted:
            tech, start = found[j.id]
            j = attrs.evolve(
                j, pinned_technician=tech, pinned_start=start if keep_start else j.pinned_start
            )
        jobs.append(j)
    return result.problem.with_jobs(jobs)


def nobody_works(problem: Problem, started: float) -> Result:
    """Return the plan of a problem without technicians: every job left out, reason ``no_shift``.

    Args:
        problem: The problem (its ``technicians`` is empty).
        started: ``time.perf_counter()`` value when the call began, for the wall time.
    """
    unserved = sum(problem.unserved_cost(j) for j in problem.jobs)
    return Result(
        problem=problem,
        routes=(),
        unassigned=tuple(UnassignedJob(j.id, UnassignedReason.NO_SHIFT) for j in problem.jobs),
        cost=CostBreakdown(unserved=unserved),
        status="no_shift",
        wall_time=time.perf_counter() - started,
        objective=unserved,
    )
