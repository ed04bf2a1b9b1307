"""The solver's stages: build, construct (or search), improve, repair and polish.

Each stage is one function with one job; :mod:`servicecore.scheduling.pipeline` runs them in
order. Routes between stages are job nodes per vehicle in the model's numbering (a
:data:`~servicecore.scheduling.repair.RouteSet`); the OR-Tools model only builds and reads, and
every stage logs one INFO record when it ends.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping

import attrs

from servicecore.scheduling.model import RoutingModel, SchedulingError
from servicecore.scheduling.params import Metaheuristic, SolveParams
from servicecore.scheduling.problem import Problem
from servicecore.scheduling.recreate import RuinRecreate
from servicecore.scheduling.repair import Repair, RouteSet
from servicecore.scheduling.result import Result

__all__ = [
    "ProgressCallback",
    "build",
    "construct",
    "improve",
    "polish",
    "read_constructed",
    "repair",
    "resolve_around",
    "search",
]

_log = logging.getLogger("servicecore.scheduling.solver")

ProgressCallback = Callable[[float, int, int], object]
"""``on_progress(elapsed seconds, best objective, jobs left out)``; ``True`` stops the search."""


def build(
    problem: Problem,
    params: SolveParams,
    keep: Mapping[str, tuple[str, int]] | None = None,
) -> RoutingModel:
    """Build the OR-Tools model of ``problem`` (jobs shuffled by ``params.seed``).

    Raises:
        SchedulingError: If an in-progress job cannot be served by its pinned technician.
    """
    model = RoutingModel(problem, params.seed, keep=keep, large_model_jobs=params.large_model_jobs)
    _log.info(
        "build: %d jobs, %d technician shifts (%.2f s)",
        model.n_jobs,
        len(model.vehicles),
        model.build_seconds,
    )
    return model


def construct(improver: RuinRecreate, started: float) -> RouteSet:
    """Build a first plan by regret insertion in plain Python (it leaves out what fits nowhere).

    Args:
        improver: The model's plain-Python costing (:meth:`RoutingModel.recreate`).
        started: ``time.perf_counter()`` at the call's start, for the log.

    Returns:
        Routes that keep every rule; jobs that fit nowhere are in none.
    """
    routes = improver.construct()
    _log.info(
        "construct: objective %s, %d jobs left out (%.2f s)",
        improver.objective(routes),
        len(improver.jobs) - sum(len(r) for r in routes),
        time.perf_counter() - started,
    )
    return routes


def search(
    model: RoutingModel,
    params: SolveParams,
    time_limit: float,
    initial: Result | None,
    started: float,
) -> Result:
    """Construct and improve a plan with OR-Tools' own search for ``time_limit`` seconds.

    With ``initial`` (a warm start) its routes, once :func:`repair` has given left-out jobs
    a place, are where the search starts. When OR-Tools finds no plan in time, regret insertion
    builds one (:func:`read_constructed`). The model cannot read routes afterwards.

    Raises:
        SchedulingError: If no plan exists (only with in-progress jobs, which are mandatory).
    """
    search_params = model.parameters(time_limit, params.solution_limit, params.metaheuristic)
    routing = model.routing
    model.searched = True
    solution = None
    if initial is not None:
        routing.CloseModelWithParameters(search_params)
        # Jobs the previous plan left out, or new since, get a place before the search starts.
        left = max(0.01, params.time_limit - (time.perf_counter() - started))
        deadline = (
            math.inf
            if params.solution_limit is not None
            else time.perf_counter() + left * params.repair_share
        )
        routes, _ = model.repair().run(model.node_routes(initial), deadline, model.feasible)
        indices = [[model.manager.NodeToIndex(n) for n in r] for r in routes]
        start = routing.ReadAssignmentFromRoutes(indices, True)
        if start is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, search_params)
    if solution is None:
        if params.metaheuristic is Metaheuristic.ITERATED_LOCAL_SEARCH:
            solution = routing.SolveWithIteratedLocalSearch(search_params)
        else:
            solution = routing.SolveWithParameters(search_params)
    if solution is None:
        # No first plan from OR-Tools in its time (a large model, a short limit, breaks):
        # regret insertion in plain Python always builds one, leaving out what fits nowhere.
        result = read_constructed(model, params)
    else:
        # ROUTING_OPTIMAL (7) is only reported when the search space was exhausted.
        status = "optimal" if routing.status() == 7 else "optimised"
        result = model.extract(solution, status, 0.0)
    _log.info(
        "search: objective %d, %d jobs left out (%.2f s)",
        result.objective,
        len(result.unassigned),
        time.perf_counter() - started,
    )
    return result


def read_constructed(model: RoutingModel, params: SolveParams) -> Result:
    """Return a plan built by regret insertion, read on a fresh copy of ``model``.

    Raises:
        SchedulingError: If the full model refuses the plan (only possible with in-progress
            jobs, whose placement is mandatory).
    """
    routes = model.recreate().construct()
    fresh = RoutingModel(
        model.problem, model.seed, keep=model.keep, large_model_jobs=model.large_model_jobs
    )
    fresh.routing.CloseModelWithParameters(
        fresh.parameters(params.finalize_seconds, 1, Metaheuristic.GREEDY_DESCENT)
    )
    indices = [[fresh.manager.NodeToIndex(n) for n in r] for r in routes]
    start = fresh.routing.ReadAssignmentFromRoutes(indices, True)
    if start is None:
        raise SchedulingError(
            f"no plan found for {model.problem.name!r}: check in-progress jobs, whose "
            "placement is mandatory"
        )
    return fresh.extract(start, "constructed", 0.0)


def improve(
    improver: RuinRecreate,
    routes: RouteSet,
    deadline: float,
    steps: int,
    params: SolveParams,
    started: float,
    on_progress: ProgressCallback | None = None,
) -> tuple[RouteSet, int]:
    """Improve ``routes`` by ruin and recreate until a stopping rule holds.

    The rules: the ``deadline`` (a ``time.perf_counter()`` value; ``math.inf``: none),
    ``steps`` steps, ``params.no_improvement_seconds`` without a better plan, or
    ``on_progress`` returning ``True``.

    Returns:
        The best routes found (a copy of ``routes`` when nothing beat them) and their
        objective; -1 when ``routes`` break a rule the plain-Python costing models.
    """
    patience = params.no_improvement_seconds
    progress: Callable[[int, int], bool] | None = None
    if on_progress is not None or patience is not None:
        best = [math.inf, time.perf_counter()]

        def progress(objective: int, left_out: int) -> bool:
            now = time.perf_counter()
            if objective < best[0]:
                best[0], best[1] = objective, now
            elif patience is not None and now - best[1] >= patience:
                _log.info("improve: no better plan for %.2f s, stopping", now - best[1])
                return True
            return on_progress is not None and bool(on_progress(now - started, objective, left_out))

    better, objective = improver.run(routes, deadline, steps, progress)
    _log.info(
        "improve: %d ruin-and-recreate steps, objective %d (%.2f s)",
        improver.steps,
        objective,
        time.perf_counter() - started,
    )
    return better, objective


def repair(
    model: RoutingModel,
    routes: RouteSet,
    deadline: float | None,
    share: float,
    feasible: Callable[[RouteSet], bool],
    params: SolveParams,
    *,
    search_around: bool,
) -> tuple[RouteSet, bool]:
    """Serve more of the jobs ``routes`` leave out, moving as little as it takes.

    Insertions with ejections (:class:`~servicecore.scheduling.repair.Repair`) get ``share``
    of the time to ``deadline`` (``None``: a fixed amount of work), each change checked by
    ``feasible``; with ``search_around`` and a deadline, the rest goes to
    :func:`resolve_around`.

    Returns:
        The routes and whether they changed.
    """
    fixer = model.repair()
    now = time.perf_counter()
    routes, changed = fixer.run(
        routes, math.inf if deadline is None else now + (deadline - now) * share, feasible
    )
    if deadline is not None and search_around:
        routes, resolved = resolve_around(model, routes, fixer, deadline, params)
        changed = changed or resolved
    _log.info(
        "repair: %d jobs left out%s (%.2f s)",
        model.n_jobs - sum(len(r) for r in routes),
        "" if changed else ", nothing changed",
        time.perf_counter() - now,
    )
    return routes, changed


def resolve_around(
    model: RoutingModel,
    routes: RouteSet,
    fixer: Repair,
    deadline: float,
    params: SolveParams,
) -> tuple[RouteSet, bool]:
    """Search small problems around each unserved job; keep what serves work more cheaply.

    For each job still left out (costliest first), the shifts of the technicians of the
    nearest able routes and of the nearest routes of any kind, their jobs and the job left
    out form a sub-problem that ruin and recreate improves for ``params.focus_seconds`` or less,
    starting from the routes as they are; when it finds routes costing less than those routes
    and the unserved job cost now, they replace them.

    Returns:
        The routes and whether they changed.
    """
    routes = [list(r) for r in routes]
    costs = [fixer.route_cost(v, r) for v, r in enumerate(routes)]
    served = {k for r in routes for k in r}
    waiting = sorted(
        (k for k in range(model.n_jobs) if k not in served and model.allowed[k]),
        key=lambda k: (-model.penalty[k], k),
    )
    changed = False
    for u in waiting:
        left = deadline - time.perf_counter()
        if left < params.focus_min_seconds:
            break
        if any(u in r for r in routes):
            continue
        # Able routes nearest the job, and the nearest routes of any kind: work may have
        # to shift along a chain of technicians with different skills.
        near = set(fixer.nearest(u, routes, model.allowed[u], params.focus_able_routes))
        near.update(fixer.nearest(u, routes, range(len(model.vehicles)), params.focus_routes))
        techs = {model.vehicles[v].tech.id for v in near}
        vehicles = [v for v, veh in enumerate(model.vehicles) if veh.tech.id in techs]
        current = [costs[v] for v in vehicles]
        if any(c is None for c in current):
            continue
        before = sum(c for c in current if c is not None) + model.penalty[u]
        sub, nodes = model.around(vehicles, [k for v in vehicles for k in routes[v]] + [u])
        local = {k: i for i, k in enumerate(nodes)}
        start = [[local[k] for k in routes[v]] for v in vehicles]
        improver = RuinRecreate(**attrs.asdict(sub, recurse=False), seed=model.seed)
        better, objective = improver.run(
            start, time.perf_counter() + min(left, params.focus_seconds), params.ruin_steps
        )
        if not 0 <= objective < before:
            continue
        for i, v in enumerate(vehicles):
            routes[v] = [nodes[k] for k in better[i]]
            costs[v] = fixer.route_cost(v, routes[v])
        changed = True
    return routes, changed


def polish(
    model: RoutingModel,
    candidates: list[RouteSet],
    descent: object,
    read_back: object | None,
    status: str,
    started: float,
) -> Result | None:
    """Read the first candidate the full model accepts and polish it by a descent.

    Args:
        model: A closed model that has not searched yet.
        candidates: Route sets, best first.
        descent: OR-Tools search parameters of the descent.
        read_back: Parameters to read the plan back as it is when the descent finds nothing in
            its time (on a thousand jobs restoring the start alone can take longer); ``None``
            skips that candidate instead.
        status: The status of the plan returned.
        started: ``time.perf_counter()`` at the call's start, for the log.

    Returns:
        The polished plan (wall time 0), or ``None`` when the model accepts no candidate.
    """
    routing = model.routing
    for trial in candidates:
        indices = [[model.manager.NodeToIndex(n) for n in r] for r in trial]
        start = routing.ReadAssignmentFromRoutes(indices, True)
        if start is None:
            continue
        solution = routing.SolveFromAssignmentWithParameters(start, descent)
        if solution is None and read_back is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, read_back)
        if solution is None:
            continue
        result = model.extract(solution, status, 0.0)
        _log.info("polish: objective %d (%.2f s)", result.objective, time.perf_counter() - started)
        return result
    return None
