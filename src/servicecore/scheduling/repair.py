"""Serve more jobs after the search: insertion with ejection chains, in plain Python.

A job that fits only once another job changes route is rarely found by OR-Tools' local search
at short time limits: each unserved priority point then costs far more than all the travel
saved. The repair takes the unserved jobs, costliest first, and for each tries

1. the cheapest feasible insertion into a route of a technician able to do it; failing that,
2. taking one job out of such a route, inserting the unserved job there, and putting the job
   taken out into another route the same way (itself taking out one more job at most), or
   leaving it out when its own unserved cost is lower and the exchange still pays.

Routes are costed here as the solver counts them (windows, pinned starts, shift end, job count,
load, breaks and span limits), and every change the repair makes is also handed to a ``validate``
callback (the solver checks it against the full OR-Tools model) before it is kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import attrs

from servicecore.scheduling.problem import Job, Shift, Technician
from servicecore.scheduling.timing import Timer

__all__ = ["NodeData", "Repair", "RouteSet", "earliest_start", "start_windows"]

RouteSet = list[list[int]]
"""Job nodes in visiting order, one list per vehicle (technician shift)."""

# Routes tried for a job at the top of a chain, and for a job moved aside deeper in it: the
# nearest few are enough, and the bounds keep a 1,000-job day inside its time budget.
_ROUTES_TRIED = 12
_ROUTES_TRIED_DEEPER = 6
# Route evaluations one run may make when no deadline bounds it (about half a second).
_WORK = 50_000
# Longest chain of jobs moved to serve one more: the job served, then up to two moved aside.
_MAX_DEPTH = 2


@attrs.define
class NodeData:
    """A problem in the solver's node numbering: what the plain-Python route costings need.

    Attributes:
        travel: Travel minutes between nodes (jobs first, then depots).
        jobs: The job at each job node.
        vehicles: The technician and shift of each vehicle.
        starts: Start node of each vehicle.
        ends: End node of each vehicle.
        unserved: Cost of leaving each job node unserved, as the solver weighs it.
        allowed: Vehicles allowed to serve each job node.
    """

    travel: Sequence[Sequence[int]]
    jobs: Sequence[Job]
    vehicles: Sequence[tuple[Technician, Shift]]
    starts: Sequence[int]
    ends: Sequence[int]
    unserved: Sequence[int]
    allowed: Sequence[Sequence[int]]


@attrs.define
class Repair(NodeData):
    """Insertion with ejection chains for jobs left out, on :class:`NodeData`."""

    _windows: list[tuple[tuple[int, int], ...]] = attrs.field(init=False)
    _evaluations: int = attrs.field(init=False, default=0)
    _stop: tuple[float, float] = attrs.field(init=False, default=(math.inf, math.inf))
    _timer: Timer = attrs.field(init=False)
    _timed: list[bool] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._windows = [start_windows(j) for j in self.jobs]
        self._timer = Timer(self.travel, self.jobs, self.vehicles, self.starts, self.ends)
        self._timed = [self._timer.timed(v) for v in range(len(self.vehicles))]

    def _spent(self) -> bool:
        deadline, most = self._stop
        return self._evaluations >= most or time.perf_counter() >= deadline

    def route_cost(self, v: int, seq: Sequence[int]) -> int | None:
        """Return the cost of vehicle ``v`` serving ``seq`` in order, or ``None`` if it cannot.

        Cost is travel times the technician's cost per minute, lateness and preference costs;
        service starts as early as the windows allow, breaks placed where they cost least
        lateness (as the timing module's ``Timer`` does).
        """
        if not seq:
            return 0
        self._evaluations += 1
        tech, shift = self.vehicles[v]
        if tech.max_jobs is not None and len(seq) > tech.max_jobs:
            return None
        travel, cpm = self.travel, tech.cost_per_minute
        t, prev, cost, load, travel_cost = shift.start, self.starts[v], 0, 0, 0
        for k in seq:
            leg = travel[prev][k]
            cost += leg * cpm
            start = earliest_start(self._windows[k], t + leg)
            if start is None:
                return None
            job = self.jobs[k]
            if job.sla_due is not None and start > job.sla_due:
                cost += (start - job.sla_due) * job.lateness_cost
            if job.preferred_technician is not None and job.preferred_technician != tech.id:
                cost += job.preference_cost
                travel_cost += job.preference_cost
            travel_cost += leg * cpm
            load += job.demand
            t, prev = start + job.duration, k
        back = travel[prev][self.ends[v]]
        if t + back > shift.end:
            return None
        if tech.capacity is not None and load > tech.capacity:
            return None
        if self._timed[v]:
            late = self._timer.lateness(v, seq)
            if late is None:
                return None
            cost = travel_cost + late
        return cost + back * cpm

    def best_insertion(
        self, k: int, routes: RouteSet, costs: Sequence[int], vehicles: Sequence[int]
    ) -> tuple[int, int, list[int]] | None:
        """Return ``(added cost, vehicle, new route)`` for the cheapest place of job node ``k``.

        Only ``vehicles`` are tried; an in-progress job at the head of a route stays first.
        """
        best: tuple[int, int, list[int]] | None = None
        for v in vehicles:
            seq = routes[v]
            first = 1 if seq and self.jobs[seq[0]].in_progress else 0
            for i in range(first, len(seq) + 1):
                trial = [*seq[:i], k, *seq[i:]]
                cost = self.route_cost(v, trial)
                if cost is not None and (best is None or cost - costs[v] < best[0]):
                    best = (cost - costs[v], v, trial)
        return best

    def nearest(self, k: int, routes: RouteSet, vehicles: Sequence[int], count: int) -> list[int]:
        """Return the ``count`` of ``vehicles`` whose route (or start) comes nearest job ``k``."""
        travel = self.travel

        def distance(v: int) -> int:
            return min(travel[n][k] for n in (self.starts[v], *routes[v]))

        return sorted(vehicles, key=distance)[:count]

    def place(
        self,
        k: int,
        routes: RouteSet,
        costs: Sequence[int],
        depth: int,
        frozen: frozenset[int],
    ) -> tuple[int, dict[int, list[int]]] | None:
        """Return the cheapest way found to serve job node ``k``: added cost and new routes.

        Insertion as it stands; with ``depth`` > 0 also taking one job out of a route (not in
        ``frozen``) to make room, that job being placed the same way one level down (its
        route frozen) or left out at its unserved cost.
        """
        count = _ROUTES_TRIED if not frozen else _ROUTES_TRIED_DEEPER
        vehicles = self.nearest(k, routes, [v for v in self.allowed[k] if v not in frozen], count)
        direct = self.best_insertion(k, routes, costs, vehicles)
        best = None if direct is None else (direct[0], {direct[1]: direct[2]})
        if depth == 0:
            return best
        for v in vehicles:
            if self._spent():
                break
            seq = routes[v]
            for pos, j in enumerate(seq):
                if self.jobs[j].in_progress or self._spent():
                    continue
                rest = [*seq[:pos], *seq[pos + 1 :]]
                cost = self.route_cost(v, rest)
                if cost is None:
                    continue
                trial = [*routes[:v], rest, *routes[v + 1 :]]
                trial_costs = [*costs[:v], cost, *costs[v + 1 :]]
                here = self.best_insertion(k, trial, trial_costs, [v])
                if here is None:
                    continue
                added = here[0] + cost - costs[v]
                # Insertion never saves cost, so nothing below can beat the best so far.
                if best is not None and added >= best[0]:
                    continue
                options = [(added + self.unserved[j], {v: here[2]})]
                trial[v] = here[2]
                trial_costs[v] = cost + here[0]
                moved = self.place(j, trial, trial_costs, depth - 1, frozen | {v})
                if moved is not None:
                    options.append((added + moved[0], {**moved[1], v: here[2]}))
                for option in options:
                    if best is None or option[0] < best[0]:
                        best = option
        return best

    def run(
        self,
        routes: RouteSet,
        deadline: float,
        validate: Callable[[RouteSet], bool],
    ) -> tuple[RouteSet, bool]:
        """Serve what can be served; return the new routes and whether anything changed.

        Args:
            routes: The current routes (not modified).
            deadline: ``time.perf_counter()`` value at which to stop; ``math.inf`` bounds
                the work instead (a fixed number of route evaluations), so the outcome is
                the same every time.
            validate: Says whether a complete route set is feasible in the full model; a
                change it refuses is dropped.
        """
        routes = [list(r) for r in routes]
        costs = [self.route_cost(v, r) for v, r in enumerate(routes)]
        if any(c is None for c in costs):
            # The relaxation disagrees with the solver's plan (it should not): do not touch it.
            return routes, False
        current = [c for c in costs if c is not None]
        changed, depth = False, 1
        # Deeper chains cost far more to search: go deeper only when the shallower one is spent.
        most = self._evaluations + _WORK if math.isinf(deadline) else math.inf
        self._stop = (deadline, most)
        while depth <= _MAX_DEPTH and not self._spent():
            progress = False
            served = {k for r in routes for k in r}
            waiting = sorted(
                (k for k in range(len(self.jobs)) if k not in served and self.allowed[k]),
                key=lambda k: (-self.unserved[k], k),
            )
            for u in waiting:
                if self._spent():
                    break
                if any(u in r for r in routes):
                    continue
                change = self.place(u, routes, current, depth, frozenset())
                if change is None or change[0] >= self.unserved[u]:
                    continue
                trial = [change[1].get(v, r) for v, r in enumerate(routes)]
                if not validate(trial):
                    continue
                routes = trial
                for v, seq in change[1].items():
                    current[v] = self.route_cost(v, seq) or 0
                changed = progress = True
            depth = 1 if progress else depth + 1
        return routes, changed


def start_windows(job: Job) -> tuple[tuple[int, int], ...]:
    """Return the ``(open, close)`` ranges in which ``job`` may start, sorted.

    A pinned start is the only range; no windows (an empty tuple) means any time.
    """
    if job.pinned_start is not None:
        return ((job.pinned_start, job.pinned_start),)
    return tuple((w.start, w.end) for w in job.windows())


def earliest_start(windows: Sequence[tuple[int, int]], arrive: int) -> int | None:
    """Return the earliest start at or after ``arrive`` inside ``windows`` (sorted), if any.

    No windows means any time.
    """
    if not windows:
        return arrive
    for start, end in windows:
        if arrive <= end:
            return max(arrive, start)
    return None
