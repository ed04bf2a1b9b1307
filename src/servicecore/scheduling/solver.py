"""Solve a :class:`~servicecore.scheduling.Problem` with OR-Tools routing.

One routing vehicle per technician shift. Skills, territory and pins restrict the vehicles a job
may use; windows are hard ranges on the time dimension (gaps between several windows are removed
from the domain); shifts bound each vehicle's start and end; breaks are break intervals; SLA
lateness is a soft upper bound; every job has a disjunction penalty (its unserved cost) so a plan
always comes back.
"""

from __future__ import annotations

import enum
import itertools
import logging
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence

import attrs
import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from servicecore.errors import ServicecoreError, ValidationError
from servicecore.scheduling.problem import Job, Problem, Technician
from servicecore.scheduling.recreate import RuinRecreate
from servicecore.scheduling.repair import NodeData, Repair, RouteSet
from servicecore.scheduling.result import (
    CostBreakdown,
    Result,
    Route,
    ScheduledBreak,
    UnassignedJob,
    UnassignedReason,
    Visit,
)
from servicecore.scheduling.timing import Timer
from servicecore.scheduling.travel import Point

__all__ = [
    "Metaheuristic",
    "SchedulingError",
    "improve_plan",
    "insert_job",
    "pin_jobs",
    "repair_plan",
    "solve",
]

# A pinned job left unserved costs this many times its unserved cost in the solver's objective,
# so the search keeps pins whenever they can be kept; the reported cost uses the plain figure.
_PIN_WEIGHT = 100
# Arc cost into a job the vehicle may not serve. The vehicle variable already forbids it; the
# cost lets the search's cheap cost filters reject such moves before constraint propagation.
_FORBID_COST = 1_000_000
# Feasible insertion positions compared in full by insert_job before it picks one.
_INSERTIONS_COMPARED = 8
# Share of a wall-clock limit kept for serving more jobs after the search (Repair) and the
# descent that polishes its result; measured on the FSM days, 10% pays for itself.
_REPAIR_SHARE = 0.1
# Share of the time left that a plain descent gets (see _run).
_DESCENT_SHARE = 0.5
# Models with more jobs than this search without the heavy insertion operators below.
_LARGE_MODEL_JOBS = 500
_HEAVY_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
)
# Share of a wall-clock limit the OR-Tools search gets when ruin and recreate follows a warm
# start (on problems its route costing models exactly). Without a warm start no OR-Tools search
# runs at all there: see _recreated.
_SEARCH_SHARE = 0.25
# Share of the time after the search for insertions with ejections when ruin and recreate
# follows (it places jobs too).
_REPAIR_INSERT_SHARE = 0.2
# Ruin-and-recreate steps: the cap under a wall-clock limit (the deadline ends it first in
# practice), and the steps per solution of a solution (work) limit.
_RECREATE_STEPS = 10**9
_STEPS_PER_SOLUTION = 10
# Shortest limit given to that descent (seconds), and its most as a share of a short limit.
_POLISH_FLOOR = 0.05
_POLISH_SHARE = 0.05
# Limit for reading a repaired plan back under a solution limit, where no descent runs.
_FINALIZE_SECONDS = 60.0
# Searching around a job left out: routes taken (the nearest able ones and the nearest of
# any kind; all shifts of their technicians come along), longest and shortest time for one
# such search (seconds).
_FOCUS_ABLE_ROUTES = 2
_FOCUS_ROUTES = 4
_FOCUS_SECONDS = 1.0
_FOCUS_MIN_SECONDS = 0.2
# Wall time a call may take: max(factor x limit, limit + seconds); beyond, a warning is logged.
_LATE_FACTOR = 1.05
_LATE_SECONDS = 0.3


_log = logging.getLogger(__name__)

ProgressCallback = Callable[[float, int, int], object]
"""``on_progress(elapsed seconds, best objective, jobs left out)``; ``True`` stops the search."""


class SchedulingError(ServicecoreError):
    """The solver could not return a plan (e.g. a mandatory in-progress job cannot be placed)."""


class Metaheuristic(enum.Enum):
    """The improvement method run after the first plan is built."""

    GUIDED_LOCAL_SEARCH = "guided_local_search"
    """Guided local search: penalises long arcs to escape local minima (OR-Tools' standard)."""
    ITERATED_LOCAL_SEARCH = "iterated_local_search"
    """Iterated local search with ruin-and-recreate (SISR ruin), simulated-annealing acceptance."""
    GREEDY_DESCENT = "greedy_descent"
    """Plain descent to the first local minimum: fast, used for urgent insertions."""


@attrs.frozen
class _Vehicle:
    tech: Technician
    shift_index: int


class _Model:
    """The OR-Tools model for one problem, with the maps between its indices and our ids."""

    def __init__(
        self,
        problem: Problem,
        seed: int,
        keep: Mapping[str, tuple[str, int]] | None = None,
    ) -> None:
        built = time.perf_counter()
        self.problem = problem
        self.seed = seed
        jobs = list(problem.jobs)
        if seed:
            random.Random(seed).shuffle(jobs)
        self.jobs: list[Job] = jobs
        self.vehicles = [_Vehicle(t, k) for t in problem.technicians for k in range(len(t.shifts))]
        depot_points: list[Point] = []
        depot_of: dict[Point, int] = {}
        for t in problem.technicians:
            for p in (t.start, t.end_point):
                if p not in depot_of:
                    depot_of[p] = len(jobs) + len(depot_points)
                    depot_points.append(p)
        self.points: list[Point] = [j.location for j in jobs] + depot_points
        self.n_jobs = len(jobs)
        self.travel = problem.travel.matrix(self.points)
        self.duration = [j.duration for j in jobs] + [0] * len(depot_points)
        self.starts = [depot_of[v.tech.start] for v in self.vehicles]
        self.ends = [depot_of[v.tech.end_point] for v in self.vehicles]
        self.manager = pywrapcp.RoutingIndexManager(
            len(self.points), len(self.vehicles), self.starts, self.ends
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.keep = dict(keep or {})
        self._travel_array: np.ndarray | None = None
        self._timer: Timer | None = None
        # How long building took: building the model again for the repair takes as long.
        self.build_seconds = 0.0
        # OR-Tools refuses to read routes into a model once it has searched (see feasible).
        self.searched = False
        self._build()
        self.build_seconds = time.perf_counter() - built

    # -- model ---------------------------------------------------------------------------
    def _build(self) -> None:
        routing, manager, problem = self.routing, self.manager, self.problem
        n = len(self.points)
        self._cost_callbacks()
        horizon = max(s.end for t in problem.technicians for s in t.shifts)
        horizon = max([horizon] + [w.end for j in problem.jobs for w in j.time_windows]) + max(
            self.duration, default=0
        )
        time_matrix = [[self.duration[i] + self.travel[i][k] for k in range(n)] for i in range(n)]
        time_cb = routing.RegisterTransitMatrix(time_matrix)
        routing.AddDimension(time_cb, horizon, horizon, False, "time")
        self.time = routing.GetDimensionOrDie("time")
        solver = routing.solver()
        visit_transits = [self.duration[manager.IndexToNode(i)] for i in range(routing.Size())]
        self.break_vars: dict[int, list[object]] = {}
        for v, veh in enumerate(self.vehicles):
            shift = veh.tech.shifts[veh.shift_index]
            self.time.CumulVar(routing.Start(v)).SetRange(shift.start, shift.end)
            self.time.CumulVar(routing.End(v)).SetRange(shift.start, shift.end)
            if veh.tech.max_work_minutes is not None:
                self.time.SetSpanUpperBoundForVehicle(veh.tech.max_work_minutes, v)
            if shift.breaks:
                ivs = [
                    solver.FixedDurationIntervalVar(
                        b.earliest, b.latest, b.duration, False, f"v{v}b{k}"
                    )
                    for k, b in enumerate(shift.breaks)
                ]
                self.time.SetBreakIntervalsOfVehicle(ivs, v, visit_transits)
                self.break_vars[v] = ivs
            routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(routing.End(v)))
            routing.AddVariableMaximizedByFinalizer(self.time.CumulVar(routing.Start(v)))
        if any(t.max_jobs is not None for t in problem.technicians):
            one = routing.RegisterUnaryTransitVector([1] * self.n_jobs + [0] * (n - self.n_jobs))
            caps = [
                v.tech.max_jobs if v.tech.max_jobs is not None else self.n_jobs
                for v in self.vehicles
            ]
            routing.AddDimensionWithVehicleCapacity(one, 0, caps, True, "jobs")
        if any(t.capacity is not None for t in problem.technicians) or any(
            j.demand for j in self.jobs
        ):
            demand = [j.demand for j in self.jobs] + [0] * (n - self.n_jobs)
            total = sum(demand)
            load = routing.RegisterUnaryTransitVector(demand)
            caps = [
                v.tech.capacity if v.tech.capacity is not None else total for v in self.vehicles
            ]
            routing.AddDimensionWithVehicleCapacity(load, 0, caps, True, "load")
        tech_ids = {t.id for t in problem.technicians}
        # What the repair needs to know per job node: who may serve it, and at what weight
        # leaving it out counts in the objective.
        self.allowed: list[list[int]] = []
        self.penalty: list[int] = []
        for node, job in enumerate(self.jobs):
            index = manager.NodeToIndex(node)
            allowed = self.allowed_vehicles(job)
            kept = self.keep.get(job.id)
            if kept is not None:
                allowed = [
                    v
                    for v in allowed
                    if (self.vehicles[v].tech.id, self.vehicles[v].shift_index) == kept
                ]
            self.allowed.append(allowed)
            self.penalty.append(self.problem.unserved_cost(job))
            if not allowed:
                if job.in_progress:
                    raise SchedulingError(
                        f"in-progress job {job.id!r} cannot be served by its pinned technician "
                        f"{job.pinned_technician!r} (skills or territory)"
                    )
                routing.AddDisjunction([index], self.problem.unserved_cost(job))
                routing.ActiveVar(index).SetValue(0)
                continue
            if len(allowed) < len(self.vehicles):
                # SetAllowedVehiclesForIndex is unusable from Python in OR-Tools 9.15 (its
                # absl::Span argument is not wrapped); restricting the vehicle variable is
                # equivalent, -1 standing for "not performed".
                routing.VehicleVar(index).SetValues([-1, *allowed])
            cumul = self.time.CumulVar(index)
            windows = job.windows()
            if windows:
                cumul.SetRange(windows[0].start, windows[-1].end)
                for a, b in itertools.pairwise(windows):
                    if b.start > a.end + 1:
                        cumul.RemoveInterval(a.end + 1, b.start - 1)
            if job.pinned_start is not None:
                cumul.SetRange(job.pinned_start, job.pinned_start)
            if job.sla_due is not None and job.lateness_cost > 0:
                self.time.SetCumulVarSoftUpperBound(index, job.sla_due, job.lateness_cost)
            if job.in_progress:
                first = [v for v in allowed if self._shift_holds(v, job.pinned_start)]
                self.allowed[node] = first
                for v in allowed:
                    if v not in first:
                        routing.VehicleVar(index).RemoveValue(v)
                for v in first:
                    # Whatever route serves the job must start with it.
                    solver.Add(
                        solver.IsEqualCstVar(routing.VehicleVar(index), v)
                        <= solver.IsEqualCstVar(routing.NextVar(routing.Start(v)), index)
                    )
                continue
            penalty = self.problem.unserved_cost(job)
            if job.pinned_technician is not None and job.pinned_technician in tech_ids:
                penalty *= _PIN_WEIGHT
            self.penalty[node] = penalty
            routing.AddDisjunction([index], penalty)

    def _shift_holds(self, v: int, minute: int | None) -> bool:
        shift = self.vehicles[v].tech.shifts[self.vehicles[v].shift_index]
        return minute is not None and shift.start <= minute <= shift.end

    def allowed_vehicles(self, job: Job) -> list[int]:
        return [v for v, veh in enumerate(self.vehicles) if job.can_be_done_by(veh.tech)]

    def _cost_callbacks(self) -> None:
        """Register one arc-cost matrix per kind of vehicle (cost per minute, preferred jobs)."""
        routing, n = self.routing, len(self.points)
        prefers: dict[str, list[int]] = {}
        for node, job in enumerate(self.jobs):
            if job.preferred_technician is not None and job.preference_cost > 0:
                prefers.setdefault(job.preferred_technician, []).append(node)
        base = np.array(self.travel, dtype=np.int64).reshape(n, n)
        cache: dict[tuple[int, str | None, frozenset[int]], int] = {}
        for v, veh in enumerate(self.vehicles):
            forbidden = (
                frozenset(k for k, job in enumerate(self.jobs) if not job.can_be_done_by(veh.tech))
                if _FORBID_COST
                else frozenset()
            )
            key = (
                veh.tech.cost_per_minute,
                veh.tech.id if veh.tech.id in prefers else None,
                forbidden,
            )
            if key not in cache:
                # Entering a job preferred by someone else costs its preference cost.
                extra = np.zeros(n, dtype=np.int64)
                for tech_id, nodes in prefers.items():
                    if tech_id != key[1]:
                        for node in nodes:
                            extra[node] = self.jobs[node].preference_cost
                extra[list(forbidden)] = _FORBID_COST
                matrix = base * veh.tech.cost_per_minute + extra[None, :]
                cache[key] = routing.RegisterTransitMatrix(matrix.tolist())
            routing.SetArcCostEvaluatorOfVehicle(cache[key], v)

    # -- search --------------------------------------------------------------------------
    def parameters(
        self,
        time_limit: float,
        solution_limit: int | None,
        metaheuristic: Metaheuristic,
    ) -> object:
        params = pywrapcp.DefaultRoutingSearchParameters()
        fss = routing_enums_pb2.FirstSolutionStrategy
        params.first_solution_strategy = fss.PARALLEL_CHEAPEST_INSERTION
        lsm = routing_enums_pb2.LocalSearchMetaheuristic
        if metaheuristic is Metaheuristic.GUIDED_LOCAL_SEARCH:
            params.local_search_metaheuristic = lsm.GUIDED_LOCAL_SEARCH
        elif metaheuristic is Metaheuristic.ITERATED_LOCAL_SEARCH:
            params.use_iterated_local_search = True
            ils = params.iterated_local_search_parameters
            ruin = ils.ruin_recreate_parameters
            del ruin.ruin_strategies[:]
            ruin.ruin_strategies.add().sisr.SetInParent()
            ruin.ruin_strategies[0].sisr.max_removed_sequence_size = 10
            ruin.ruin_strategies[0].sisr.avg_num_removed_visits = 10
            ruin.ruin_strategies[0].sisr.bypass_factor = 0.01
            # Measured on the FSM days: recreating with parallel cheapest insertion serves
            # more jobs than the default local cheapest insertion (42,843 vs 52,916 on 250 jobs).
            ruin.recreate_strategy.heuristic = fss.PARALLEL_CHEAPEST_INSERTION
        else:
            params.local_search_metaheuristic = lsm.GREEDY_DESCENT
        if self.n_jobs > _LARGE_MODEL_JOBS:
            # A global-cheapest-insertion neighbour of a model this size takes seconds, and
            # OR-Tools checks its time limit between neighbours: on the 1,000-job FSM day a
            # 16 s descent ran 32 s with them. Without them the decomposed day still served
            # every job (6,623 in 168 s of 184; 6,463 in 201 s with them). The repair steps
            # place left-out jobs instead.
            operators = params.local_search_operators
            for name in _HEAVY_OPERATORS:
                setattr(operators, name, optional_boolean_pb2.BOOL_FALSE)
        params.time_limit.FromMilliseconds(max(1, round(time_limit * 1000)))
        if solution_limit is not None:
            params.solution_limit = solution_limit
        return params

    def initial_routes(self, initial: Result) -> list[list[int]]:
        node_of = {job.id: node for node, job in enumerate(self.jobs)}
        vehicle_of = {(veh.tech.id, veh.shift_index): v for v, veh in enumerate(self.vehicles)}
        routes: list[list[int]] = [[] for _ in self.vehicles]
        for r in initial.routes:
            v = vehicle_of.get((r.technician_id, r.shift_index))
            if v is None:
                continue
            for job_id in r.job_ids:
                node = node_of.get(job_id)
                if node is not None:
                    routes[v].append(self.manager.NodeToIndex(node))
        return routes

    # -- repair --------------------------------------------------------------------------
    def node_routes(self, result: Result) -> RouteSet:
        """Return ``result``'s routes as job nodes, one list per vehicle."""
        return [
            [self.manager.IndexToNode(i) for i in route] for route in self.initial_routes(result)
        ]

    def feasible(self, routes: RouteSet) -> bool:
        """Return whether the full model accepts ``routes`` (job nodes per vehicle).

        Only on a model that has not searched yet: after a search OR-Tools refuses to read
        routes into it.
        """
        indices = [[self.manager.NodeToIndex(n) for n in r] for r in routes]
        return self.routing.ReadAssignmentFromRoutes(indices, True) is not None

    def node_data(self) -> NodeData:
        """Return this model's problem in its node numbering, for the plain-Python costings."""
        return NodeData(
            travel=self.travel,
            jobs=self.jobs,
            vehicles=[(v.tech, v.tech.shifts[v.shift_index]) for v in self.vehicles],
            starts=self.starts,
            ends=self.ends,
            unserved=self.penalty,
            allowed=self.allowed,
        )

    def repair(self) -> Repair:
        """Return the data :class:`Repair` works on, in this model's node numbering."""
        return Repair(**attrs.asdict(self.node_data(), recurse=False))

    def recreate(self) -> RuinRecreate:
        """Return the ruin-and-recreate improver, in this model's node numbering."""
        return RuinRecreate(**attrs.asdict(self.node_data(), recurse=False), seed=self.seed)

    def constructed(self) -> Result:
        """Return a plan built by regret insertion (plain Python), read on a fresh model.

        Raises:
            SchedulingError: If the full model refuses the plan (only possible with
                in-progress jobs, whose placement is mandatory).
        """
        routes = self.recreate().construct()
        model = _Model(self.problem, self.seed, keep=self.keep)
        model.routing.CloseModelWithParameters(
            model.parameters(_FINALIZE_SECONDS, 1, Metaheuristic.GREEDY_DESCENT)
        )
        indices = [[model.manager.NodeToIndex(n) for n in r] for r in routes]
        start = model.routing.ReadAssignmentFromRoutes(indices, True)
        if start is None:
            raise SchedulingError(
                f"no plan found for {self.problem.name!r}: check in-progress jobs, whose "
                "placement is mandatory"
            )
        return model.extract(start, "constructed", 0.0)

    def repaired(
        self,
        result: Result,
        deadline: float | None,
        *,
        recreate_steps: int = 0,
        polish: float = _POLISH_FLOOR,
    ) -> Result:
        """Serve more of ``result``'s jobs (:class:`Repair`), then improve it (ruin and recreate).

        ``deadline`` (a ``time.perf_counter()`` value) bounds the work; ``None`` gives the
        insertions a fixed amount of work, skips the (timed) re-solves and makes at most
        ``recreate_steps`` ruin-and-recreate steps, so the plan is repeatable. With a deadline,
        ruin and recreate runs until it when ``recreate_steps`` is not 0. Changes are checked
        and the final plan is timed on a fresh copy of this model, built only when something
        changed (or on this one, if it has not searched yet), where a descent of ``polish``
        seconds (after the deadline) finishes it; it is kept only if its objective is lower.
        """
        recreating = recreate_steps > 0
        if not result.unassigned and not recreating:
            return result
        repair = self.repair()
        if deadline is None:
            # The first solution is the repaired plan itself; the generous limit only guards
            # against a clock-dependent outcome on a large model.
            params = self.parameters(_FINALIZE_SECONDS, 1, Metaheuristic.GREEDY_DESCENT)
        else:
            params = self.parameters(
                max(_POLISH_FLOOR, deadline - time.perf_counter()),
                None,
                Metaheuristic.GREEDY_DESCENT,
            )
        fresh: list[_Model] = []

        def checker() -> _Model:
            if not fresh:
                fresh.append(
                    _Model(self.problem, self.seed, keep=self.keep) if self.searched else self
                )
                fresh[0].routing.CloseModelWithParameters(params)
            return fresh[0]

        routes, changed = self.node_routes(result), False
        if result.unassigned:
            now = time.perf_counter()
            # Ruin and recreate also places jobs, so it leaves the insertions less time.
            share = _REPAIR_INSERT_SHARE if recreating else 0.5
            routes, changed = repair.run(
                routes,
                math.inf if deadline is None else now + (deadline - now) * share,
                lambda trial: checker().feasible(trial),
            )
            if deadline is not None and not recreating:
                # What is left of the time: search again around each job still left out.
                routes, resolved = self._resolve_around(routes, repair, deadline)
                changed = changed or resolved
        candidates = [routes]
        if recreating:
            improver = self.recreate()
            before = improver.objective(routes)
            better, objective = improver.run(
                routes, math.inf if deadline is None else deadline, recreate_steps
            )
            if before is not None and objective < before:
                # Checked on the full model below; if refused, the plan before it stands.
                candidates.insert(0, better)
                changed = True
        if not changed:
            return result
        model = checker()
        finalize = self.parameters(_FINALIZE_SECONDS, 1, Metaheuristic.GREEDY_DESCENT)
        if deadline is not None:
            params = self.parameters(
                max(polish, deadline + polish - time.perf_counter()),
                None,
                Metaheuristic.GREEDY_DESCENT,
            )
        for trial in candidates:
            indices = [[model.manager.NodeToIndex(n) for n in r] for r in trial]
            start = model.routing.ReadAssignmentFromRoutes(indices, True)
            if start is None:
                continue
            solution = model.routing.SolveFromAssignmentWithParameters(start, params)
            if solution is None and deadline is not None:
                # The descent found no plan in its short time (on a model of a thousand jobs
                # restoring the start alone can take longer): read the plan back as it is.
                solution = model.routing.SolveFromAssignmentWithParameters(start, finalize)
            if solution is None:
                continue
            better_plan = model.extract(solution, result.status, result.wall_time)
            return better_plan if better_plan.objective < result.objective else result
        return result

    def _resolve_around(
        self, routes: RouteSet, repair: Repair, deadline: float
    ) -> tuple[RouteSet, bool]:
        """Search small problems around each unserved job; keep what serves work more cheaply.

        For each job still left out (costliest first), the shifts of the technicians of the
        nearest able routes and of the nearest routes of any kind, their jobs and the job left
        out form a sub-problem that ruin and recreate improves for a second or less, starting
        from the routes as they are; when it finds routes costing less than those routes and
        the unserved job cost now, they replace them.
        """
        routes = [list(r) for r in routes]
        costs = [repair.route_cost(v, r) for v, r in enumerate(routes)]
        served = {k for r in routes for k in r}
        waiting = sorted(
            (k for k in range(self.n_jobs) if k not in served and self.allowed[k]),
            key=lambda k: (-self.penalty[k], k),
        )
        changed = False
        for u in waiting:
            left = deadline - time.perf_counter()
            if left < _FOCUS_MIN_SECONDS:
                break
            if any(u in r for r in routes):
                continue
            # Able routes nearest the job, and the nearest routes of any kind: work may have
            # to shift along a chain of technicians with different skills.
            near = set(repair.nearest(u, routes, self.allowed[u], _FOCUS_ABLE_ROUTES))
            near.update(repair.nearest(u, routes, range(len(self.vehicles)), _FOCUS_ROUTES))
            techs = {self.vehicles[v].tech.id for v in near}
            vehicles = [v for v, veh in enumerate(self.vehicles) if veh.tech.id in techs]
            current = [costs[v] for v in vehicles]
            if any(c is None for c in current):
                continue
            before = sum(c for c in current if c is not None) + self.penalty[u]
            sub, nodes = self._around(vehicles, [k for v in vehicles for k in routes[v]] + [u])
            local = {k: i for i, k in enumerate(nodes)}
            start = [[local[k] for k in routes[v]] for v in vehicles]
            improver = RuinRecreate(**attrs.asdict(sub, recurse=False), seed=self.seed)
            better, objective = improver.run(
                start, time.perf_counter() + min(left, _FOCUS_SECONDS), _RECREATE_STEPS
            )
            if not 0 <= objective < before:
                continue
            for i, v in enumerate(vehicles):
                routes[v] = [nodes[k] for k in better[i]]
                costs[v] = repair.route_cost(v, routes[v])
            changed = True
        return routes, changed

    def _around(self, vehicles: Sequence[int], jobs: Sequence[int]) -> tuple[NodeData, list[int]]:
        """Return the sub-problem of ``vehicles`` and job nodes ``jobs``, and its job nodes.

        Its job node ``i`` is ``jobs[i]`` (the list returned maps back); the vehicles' depots
        follow.
        """
        depots = sorted({n for v in vehicles for n in (self.starts[v], self.ends[v])})
        nodes = list(jobs)
        index = np.array(nodes + depots)
        if self._travel_array is None:
            self._travel_array = np.array(self.travel, dtype=np.int64)
        travel = self._travel_array[np.ix_(index, index)].tolist()
        depot_at = {n: len(nodes) + i for i, n in enumerate(depots)}
        where = {v: i for i, v in enumerate(vehicles)}
        data = self.node_data()
        return NodeData(
            travel=travel,
            jobs=[self.jobs[k] for k in nodes],
            vehicles=[data.vehicles[v] for v in vehicles],
            starts=[depot_at[self.starts[v]] for v in vehicles],
            ends=[depot_at[self.ends[v]] for v in vehicles],
            unserved=[self.penalty[k] for k in nodes],
            allowed=[[where[v] for v in self.allowed[k] if v in where] for k in nodes],
        ), nodes

    # -- extraction ----------------------------------------------------------------------
    def extract(self, solution: object, status: str, wall: float) -> Result:
        routing, manager = self.routing, self.manager
        sol = solution
        break_values: dict[str, tuple[int, int]] = {}
        intervals = sol.IntervalVarContainer()  # type: ignore[attr-defined]
        for i in range(intervals.Size()):
            el = intervals.Element(i)
            if el.PerformedValue():
                break_values[el.Var().Name()] = (el.StartValue(), el.DurationValue())
        routes: list[Route] = []
        served: set[int] = set()
        travel_cost = lateness = preference = 0
        for v, veh in enumerate(self.vehicles):
            index = routing.Start(v)
            departure = sol.Value(self.time.CumulVar(index))  # type: ignore[attr-defined]
            breaks = sorted(
                (s, s + d)
                for k in range(len(self.break_vars.get(v, [])))
                if (bv := break_values.get(f"v{v}b{k}")) is not None
                for s, d in [bv]
            )
            visits: list[Visit] = []
            prev_node = manager.IndexToNode(index)
            prev_end = departure
            index = sol.Value(routing.NextVar(index))  # type: ignore[attr-defined]
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                job = self.jobs[node]
                served.add(node)
                start = sol.Value(self.time.CumulVar(index))  # type: ignore[attr-defined]
                leg = self.travel[prev_node][node]
                arrival = min(start, prev_end + leg + _overlap(breaks, prev_end, start))
                late = max(0, start - job.sla_due) if job.sla_due is not None else 0
                visits.append(Visit(job.id, arrival, start, start + job.duration, leg, late))
                travel_cost += leg * veh.tech.cost_per_minute
                lateness += late * job.lateness_cost
                if job.preferred_technician is not None and job.preferred_technician != veh.tech.id:
                    preference += job.preference_cost
                prev_node, prev_end = node, start + job.duration
                index = sol.Value(routing.NextVar(index))  # type: ignore[attr-defined]
            if not visits:
                continue
            back = self.travel[prev_node][manager.IndexToNode(index)]
            travel_cost += back * veh.tech.cost_per_minute
            routes.append(
                Route(
                    technician_id=veh.tech.id,
                    shift_index=veh.shift_index,
                    departure=departure,
                    return_time=sol.Value(self.time.CumulVar(index)),  # type: ignore[attr-defined]
                    visits=tuple(visits),
                    breaks=tuple(ScheduledBreak(s, e) for s, e in breaks),
                    return_travel=back,
                )
            )
        order = {t.id: i for i, t in enumerate(self.problem.technicians)}
        routes.sort(key=lambda r: (order[r.technician_id], r.shift_index))
        unassigned = []
        unserved = 0
        for job in self.problem.jobs:
            if job.id not in {v.job_id for r in routes for v in r.visits}:
                unassigned.append(UnassignedJob(job.id, self.reason(job)))
                unserved += self.problem.unserved_cost(job)
        return Result(
            problem=self.problem,
            routes=tuple(routes),
            unassigned=tuple(unassigned),
            cost=CostBreakdown(travel_cost, lateness, unserved, preference),
            status=status,
            wall_time=wall,
            objective=sol.ObjectiveValue(),  # type: ignore[attr-defined]
        )

    def reason(self, job: Job) -> UnassignedReason:
        """Say why ``job`` is left out: nobody may do it, nobody can reach it, or no time left."""
        vehicles = self.allowed_vehicles(job)
        if not vehicles:
            return UnassignedReason.NO_SKILLED_TECHNICIAN
        node = self.jobs.index(job)
        if any(self._fits_alone(v, node) for v in vehicles):
            return UnassignedReason.NO_CAPACITY
        return UnassignedReason.UNREACHABLE_WINDOW

    def _fits_alone(self, v: int, node: int) -> bool:
        """Whether vehicle ``v`` could serve job ``node`` on an otherwise empty shift.

        Timed as plans are (breaks placed where they fit, the span limit kept).
        """
        tech, job = self.vehicles[v].tech, self.jobs[node]
        if (tech.capacity is not None and job.demand > tech.capacity) or tech.max_jobs == 0:
            return False
        if self._timer is None:
            data = self.node_data()
            self._timer = Timer(data.travel, data.jobs, data.vehicles, data.starts, data.ends)
        return self._timer.lateness(v, [node]) is not None


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


def _overlap(breaks: Sequence[tuple[int, int]], a: int, b: int) -> int:
    return sum(max(0, min(e, b) - max(s, a)) for s, e in breaks)


def _check_limits(time_limit: float, seed: int, solution_limit: int | None) -> None:
    if (
        not isinstance(time_limit, int | float)
        or isinstance(time_limit, bool)
        or not time_limit > 0
    ):
        raise ValidationError.single("time_limit", time_limit, "must be a number of seconds > 0")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValidationError.single("seed", seed, "must be an integer >= 0")
    if solution_limit is not None and (
        not isinstance(solution_limit, int)
        or isinstance(solution_limit, bool)
        or solution_limit < 1
    ):
        raise ValidationError.single("solution_limit", solution_limit, "must be an integer >= 1")


def _run(
    model: _Model,
    *,
    time_limit: float,
    solution_limit: int | None,
    metaheuristic: Metaheuristic,
    initial: Result | None,
    started: float,
    on_progress: ProgressCallback | None = None,
) -> Result:
    # The limit counts from the caller's start (building the model included). A work limit
    # gives the search all of it and the later steps a fixed amount of work (repeatable).
    left = max(0.01, time_limit - (time.perf_counter() - started))
    recreating = metaheuristic is not Metaheuristic.GREEDY_DESCENT
    if recreating and solution_limit is None and initial is None:
        return _recreated(model, time_limit=time_limit, started=started, on_progress=on_progress)
    if solution_limit is not None:
        search_limit = left
    elif recreating:
        search_limit = left * _SEARCH_SHARE
    elif metaheuristic is Metaheuristic.GREEDY_DESCENT:
        # A descent (urgent insertion's fallback) stops at its first local minimum, but under
        # a short limit OR-Tools can run twice its limit (0.71 s for 0.37 s on a 250-job day,
        # restoring the start and finishing a neighbourhood): half of what is left keeps the
        # call inside its own limit.
        search_limit = left * _DESCENT_SHARE
    else:
        search_limit = left * (1 - _REPAIR_SHARE)
    params = model.parameters(search_limit, solution_limit, metaheuristic)
    routing = model.routing
    model.searched = True
    solution = None
    if initial is not None:
        routing.CloseModelWithParameters(params)
        # Jobs the previous plan left out, or new since, get a place before the search starts.
        routes, _ = model.repair().run(
            model.node_routes(initial),
            math.inf if solution_limit is not None else time.perf_counter() + left * _REPAIR_SHARE,
            model.feasible,
        )
        indices = [[model.manager.NodeToIndex(n) for n in r] for r in routes]
        start = routing.ReadAssignmentFromRoutes(indices, True)
        if start is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, params)
    if solution is None:
        if metaheuristic is Metaheuristic.ITERATED_LOCAL_SEARCH:
            solution = routing.SolveWithIteratedLocalSearch(params)
        else:
            solution = routing.SolveWithParameters(params)
    if solution is None:
        # No first plan from OR-Tools in its time (a large model, a short limit, breaks):
        # regret insertion in plain Python always builds one, leaving out what fits nowhere.
        result = model.constructed()
    else:
        # ROUTING_OPTIMAL (7) is only reported when the search space was exhausted.
        status = "optimal" if routing.status() == 7 else "optimised"
        result = model.extract(solution, status, 0.0)
    # The repair stops in time for a second model to be built and the plan polished on it.
    polish = min(_POLISH_FLOOR, time_limit * _POLISH_SHARE)
    deadline = started + time_limit - model.build_seconds - 2 * polish
    steps = 0
    if recreating:
        steps = _RECREATE_STEPS if solution_limit is None else solution_limit * _STEPS_PER_SOLUTION
    result = model.repaired(
        result,
        None if solution_limit is not None else deadline,
        recreate_steps=steps,
        polish=polish,
    )
    return attrs.evolve(result, wall_time=time.perf_counter() - started)


def _recreated(
    model: _Model,
    *,
    time_limit: float,
    started: float,
    on_progress: ProgressCallback | None = None,
) -> Result:
    """Plan by regret insertion and ruin and recreate; read the best plan into ``model``.

    Measured at 0.9 x VROOM's wall time on the FSM days (means over seeds), a plan built in
    plain Python and improved by ruin and recreate for the whole limit did at least as well as
    a quarter of it spent in OR-Tools' search first: 120 jobs 1,665-1,675 against 1,663-1,701
    (VROOM 1,649), 250 jobs 42,458 against 42,485 (VROOM 42,630), and on the 60-job day, where
    OR-Tools' first plan leaves 8 jobs out and its model takes a fifth of the limit to build
    and search, no run of 48 left 4 jobs out against 3 of 16 (VROOM leaves 3 out); Solomon's
    RC1 class 1.02% against 1.34%. The full model then checks the plan and a short descent
    polishes it.

    Raises:
        SchedulingError: If neither the plan nor OR-Tools' own search gives a plan (only
            possible with in-progress jobs, which are mandatory).
    """
    polish = min(_POLISH_FLOOR, time_limit * _POLISH_SHARE)
    routing = model.routing
    finalize = model.parameters(_FINALIZE_SECONDS, 1, Metaheuristic.GREEDY_DESCENT)
    # Closing the model takes about as long as building it: done first, so the time left for
    # ruin and recreate is known.
    routing.CloseModelWithParameters(finalize)
    improver = model.recreate()
    routes = improver.construct()
    first = improver.objective(routes)
    _log.info(
        "construct: objective %s, %d jobs left out (%.2f s)",
        first,
        model.n_jobs - sum(len(r) for r in routes),
        time.perf_counter() - started,
    )
    # Reading the plan into the model and out again, and the descent, follow the ruin and
    # recreate: the time reading the first plan takes is kept for them (0.1 s at 1,000 jobs).
    reading = time.perf_counter()
    model.feasible(routes)
    reading = time.perf_counter() - reading
    deadline = started + time_limit - 2 * reading - 2 * polish
    progress = None
    if on_progress is not None:
        report = on_progress

        def progress(objective: int, left_out: int) -> bool:
            return bool(report(time.perf_counter() - started, objective, left_out))

    better, objective = improver.run(routes, deadline, _RECREATE_STEPS, progress)
    _log.info(
        "improve: %d ruin-and-recreate steps, objective %d (%.2f s)",
        improver.steps,
        objective,
        time.perf_counter() - started,
    )
    params = model.parameters(
        max(polish, deadline + polish - time.perf_counter()), None, Metaheuristic.GREEDY_DESCENT
    )
    for trial in (better, routes):
        indices = [[model.manager.NodeToIndex(n) for n in r] for r in trial]
        start = routing.ReadAssignmentFromRoutes(indices, True)
        if start is None:
            continue
        solution = routing.SolveFromAssignmentWithParameters(start, params)
        if solution is None:
            # The descent found no plan in its short time (on a model of a thousand jobs
            # restoring the start alone can take longer): read the plan back as it is.
            solution = routing.SolveFromAssignmentWithParameters(start, finalize)
        if solution is not None:
            result = model.extract(solution, "optimised", 0.0)
            _log.info(
                "polish: objective %d (%.2f s)", result.objective, time.perf_counter() - started
            )
            return attrs.evolve(result, wall_time=time.perf_counter() - started)
    # The plain-Python costing disagrees with the model (it should not): let OR-Tools plan.
    left = max(_POLISH_FLOOR, started + time_limit - time.perf_counter())
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


def solve(
    problem: Problem,
    *,
    time_limit: float,
    seed: int = 0,
    solution_limit: int | None = None,
    initial: Result | None = None,
    metaheuristic: Metaheuristic = Metaheuristic.ITERATED_LOCAL_SEARCH,
    on_progress: ProgressCallback | None = None,
) -> Result:
    """Plan ``problem``: minimise travel + lateness + unserved (+ preference) cost.

    On problems without breaks or span limits a first plan is built by regret insertion and
    improved by ruin and recreate (see :func:`improve_plan`) for the whole ``time_limit``,
    then checked and polished on the OR-Tools model (with ``solution_limit`` or ``initial``,
    OR-Tools searches a quarter of the limit first). Otherwise OR-Tools builds a first plan
    and searches from it for nine tenths of the limit, and serving jobs left out takes the
    rest.
    The plan is the same every time for the same problem, ``seed`` and ``solution_limit`` when
    the solution limit (not the wall clock) ends the search.

    Args:
        problem: What to plan.
        time_limit: Seconds the whole call may take (building the model included).
        seed: Shuffles the order jobs enter the model, which changes the search path, and
            seeds ruin and recreate; 0 keeps the problem's order.
        solution_limit: Stop after this many solutions (a repeatable work limit); ruin and
            recreate then makes ten steps per solution.
        initial: A previous plan to start from (warm start); jobs no longer in the problem are
            skipped, and jobs it left out (or new ones) are first given a place by the repair
            of :func:`repair_plan`. If it cannot be loaded as a feasible start, the search
            starts afresh.
        metaheuristic: OR-Tools' improvement method, where OR-Tools searches (see above);
            ``GREEDY_DESCENT`` also turns ruin and recreate off.
        on_progress: Called as ``on_progress(elapsed, cost, unserved)`` about four times a
            second while ruin and recreate runs (seconds since the call, the best plan's
            objective, its number of jobs left out). Returning ``True`` stops the search:
            the best plan so far is polished and returned (a Ctrl-C handler can use it).

    Returns:
        The plan, with every job either in a route or unassigned with a reason.

    Raises:
        ValidationError: If ``time_limit``, ``seed`` or ``solution_limit`` is out of range.
        SchedulingError: If no plan exists (only possible with in-progress jobs, which are
            mandatory).
    """
    started = time.perf_counter()
    _check_limits(time_limit, seed, solution_limit)
    if not isinstance(problem, Problem):
        raise ValidationError.single("problem", problem, "must be a Problem")
    if not problem.technicians:
        _log.info("no technician works: every job of %r left out", problem.name)
        return nobody_works(problem, started)
    model = _Model(problem, seed)
    _log.info(
        "build: %d jobs, %d technician shifts (%.2f s)",
        model.n_jobs,
        len(model.vehicles),
        model.build_seconds,
    )
    result = _run(
        model,
        time_limit=time_limit,
        solution_limit=solution_limit,
        metaheuristic=metaheuristic,
        initial=initial,
        started=started,
        on_progress=on_progress,
    )
    if solution_limit is None:
        _warn_if_late(time_limit, result.wall_time)
    return result


def _warn_if_late(time_limit: float, wall: float) -> None:
    """Log a warning when a call ran past its limit by more than the promised margin."""
    if wall > max(_LATE_FACTOR * time_limit, time_limit + _LATE_SECONDS):
        _log.warning(
            "the time limit of %.2f s was exceeded: %.2f s (a loaded machine, or a model too "
            "large to build and read back in the limit)",
            time_limit,
            wall,
        )


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
    _check_limits(time_limit, seed, None)
    t0 = time.perf_counter()
    problem = result.problem.with_jobs([*result.problem.jobs, job])
    if not problem.technicians:
        return nobody_works(problem, t0)
    keep = {v.job_id: (r.technician_id, r.shift_index) for r in result.routes for v in r.visits}
    model = _Model(problem, seed, keep=keep)
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
    model = _Model(problem, seed, keep=keep)
    # Closing this model, and building the one that checks the repair after the descent, each
    # take about as long as building it: without keeping that time aside, the fallback ran
    # 1.14-1.26 s under a 0.8 s limit on a 250-job day.
    return _run(
        model,
        time_limit=max(_POLISH_FLOOR, time_limit - 2 * model.build_seconds),
        solution_limit=None,
        metaheuristic=Metaheuristic.GREEDY_DESCENT,
        initial=result,
        started=t0,
    )


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
    _check_limits(1.0 if time_limit is None else time_limit, seed, None)
    if not result.problem.technicians:
        return result
    model = _Model(result.problem, seed)
    deadline = None if time_limit is None else started + time_limit - _POLISH_FLOOR
    repaired = model.repaired(result, deadline)
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
    _check_limits(1.0 if time_limit is None else time_limit, seed, None)
    if not result.problem.technicians:
        return result
    model = _Model(result.problem, seed)
    deadline = None
    polish = _POLISH_FLOOR
    if time_limit is not None:
        polish = min(_POLISH_FLOOR, time_limit * _POLISH_SHARE)
        # Reading the plan back needs a model of the problem as large as the one just built.
        deadline = started + time_limit - 2 * model.build_seconds - 2 * polish
    improved = model.repaired(
        result,
        deadline,
        recreate_steps=_RECREATE_STEPS if deadline is not None else steps,
        polish=polish,
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
