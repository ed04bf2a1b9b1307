"""The OR-Tools routing model of a :class:`~servicecore.scheduling.Problem`: built and read.

One routing vehicle per technician shift. Skills, territory and pins restrict the vehicles a job
may use; windows are hard ranges on the time dimension (gaps between several windows are removed
from the domain); shifts bound each vehicle's start and end; breaks are break intervals; SLA
lateness is a soft upper bound; every job has a disjunction penalty (its unserved cost) so a plan
always comes back. :class:`RoutingModel` builds that model, reads routes into it and plans out of
it, and hands its data to the plain-Python costings; what to do with it is the stages' job
(:mod:`servicecore.scheduling.stages`).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Mapping, Sequence

import attrs
import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from servicecore.errors import ServicecoreError
from servicecore.scheduling.params import Metaheuristic
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

__all__ = ["PIN_WEIGHT", "RoutingModel", "SchedulingError"]

# A pinned job left unserved costs this many times its unserved cost in the solver's objective,
# so the search keeps pins whenever they can be kept; the reported cost uses the plain figure.
PIN_WEIGHT = 100
# Arc cost into a job the vehicle may not serve. The vehicle variable already forbids it; the
# cost lets the search's cheap cost filters reject such moves before constraint propagation.
_FORBID_COST = 1_000_000
_HEAVY_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
)


class SchedulingError(ServicecoreError):
    """The solver could not return a plan (e.g. a mandatory in-progress job cannot be placed)."""


@attrs.frozen
class _Vehicle:
    tech: Technician
    shift_index: int


class RoutingModel:
    """The OR-Tools model for one problem, with the maps between its indices and our ids.

    Args:
        problem: What to model.
        seed: Shuffles the order jobs enter the model (0 keeps the problem's order).
        keep: Jobs held to a technician shift: job id -> (technician id, shift index).
        large_model_jobs: Above this many jobs searches leave out OR-Tools' heavy insertion
            operators (see :class:`~servicecore.scheduling.SolveParams`).

    Raises:
        SchedulingError: If an in-progress job cannot be served by its pinned technician.
    """

    def __init__(
        self,
        problem: Problem,
        seed: int,
        keep: Mapping[str, tuple[str, int]] | None = None,
        large_model_jobs: int = 500,
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
        self.large_model_jobs = large_model_jobs
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
                penalty *= PIN_WEIGHT
            self.penalty[node] = penalty
            routing.AddDisjunction([index], penalty)

    def _shift_holds(self, v: int, minute: int | None) -> bool:
        shift = self.vehicles[v].tech.shifts[self.vehicles[v].shift_index]
        return minute is not None and shift.start <= minute <= shift.end

    def allowed_vehicles(self, job: Job) -> list[int]:
        """Return the vehicles (technician shifts) whose technician may do ``job``."""
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
        """Return OR-Tools search parameters for this model (first plan, method, limits)."""
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
        if self.n_jobs > self.large_model_jobs:
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
        if solution_limit == 1:
            # Reading a plan back: OR-Tools restores it under its LNS completion limit (100 ms
            # by default), and placing the breaks of 250 jobs took longer on a loaded machine
            # (0.25-0.43 s): the plan was refused and solve() raised SchedulingError.
            params.lns_time_limit.FromMilliseconds(max(1, round(time_limit * 1000)))
        return params

    def initial_routes(self, initial: Result) -> list[list[int]]:
        """Return ``initial``'s routes as routing indices, one list per vehicle."""
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

    def around(self, vehicles: Sequence[int], jobs: Sequence[int]) -> tuple[NodeData, list[int]]:
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
        """Read a plan (routes, breaks, costs, reasons) out of an OR-Tools assignment."""
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


def _overlap(breaks: Sequence[tuple[int, int]], a: int, b: int) -> int:
    return sum(max(0, min(e, b) - max(s, a)) for s, e in breaks)
