"""Improve a plan by ruin and recreate (SISR), in plain Python.

OR-Tools' local search scans whole neighbourhoods through its constraint filters: on a day of
a hundred jobs one step of its iterated local search takes about a tenth of a second, so at
short time limits it makes a few dozen steps. Slack induction by string removals (Christiaens
and Vanden Berghe, *Transportation Science* 54(2), 2020) needs no neighbourhood scan: each step
takes a few strings of neighbouring jobs out of nearby routes and puts them back one by one at
their cheapest place (skipping a place now and then), and a simulated-annealing test decides
whether to keep the result. With the routes' time data kept per position (earliest departure,
latest feasible arrival) a place is checked in constant time, so a step costs milliseconds;
a route's cheapest place for a job is remembered on the (unchanging) route object, so a job
tried again on a route no step has touched costs nothing.

Half the recreates put the jobs back by regret instead (the job that would lose most by
missing its cheapest route goes first), and the first plan is built that way too: where skills
leave a job few able technicians, it is placed before flexible jobs take its room.

On packed days, where jobs are left out for want of a skilled technician's time, some ruins
follow a chain of skills instead of distance: room is made on an able technician's route where
the left-out job's window opens, and for a job taken out there on a route able to take it.

Routes are costed exactly as the solver's objective counts them (travel times cost per minute,
lateness after the SLA due time, preference costs, unserved costs) under the windows, pinned
starts, shift ends, job counts and loads; breaks and span limits are not modelled, so the
solver runs this only on problems without them, and checks the outcome on the full model.
"""

from __future__ import annotations

import bisect
import math
import random
import time
from collections.abc import Callable

import attrs
import numpy as np

from servicecore.scheduling.repair import NodeData, RouteSet, start_windows
from servicecore.scheduling.timing import Timer

__all__ = ["RuinRecreate"]

# Average number of jobs a ruin takes out and the longest string (the paper's c-bar and L-max).
_AVG_REMOVED = 10
_MAX_STRING = 10
# Probability of passing over a place while recreating ("blinks").
_BLINK = 0.01
# Annealing temperatures at the start and at the end of the run, as multiples of the mean cost
# of one leg of the starting plan, so they follow the problem's units. The method's authors use
# 100 and 1 on Solomon's instances, where a leg averages about 12; on the FSM days (legs of
# about 12 minutes) 8 and 0.08 did as well as any setting tried.
_T_START = 8.0
_T_END = 0.08
# On a fleet of one kind where every vehicle may take every job, the annealing runs this many
# times, one after the other, each from the first plan and with its share of the time or
# steps; the best plan of all comes back. On Solomon's long-route classes (R2, RC2: few
# vehicles, wide windows) a run settles early in the basin of its number of routes, and how
# good that basin is varies widely from run to run: at 40,000 steps on eight instances (R202,
# RC202, RC201, R205, RC205, R105, RC101, R101) and four seeds, two runs of 20,000 steps came
# to a mean gap of 0.51% against 0.62% for one run of 40,000; at 10 s, seeds 1 and 2, to
# 0.38% and 0.50% against 0.79% and 0.68%. On the FSM days (skills, packed days) every step
# is needed to serve jobs: two runs left more out (the 120-job day with breaks at 1.5 s,
# seeds 0 and 1: 62,566 and 52,690 against 43,278 and 32,505).
_ROUNDS = 2
# A memo entry not yet filled.
_UNKNOWN = (-1, -1)
# A latest arrival no arrival can meet.
_NEVER = -(10**9)
# Nearest jobs kept per job for the ruin, and how many of them may bring an unserved job back.
_NEIGHBOURS = 60
_UNSERVED_NEAR = 20
# Chance that a ruin centres on a job left out (when there is one) rather than a served job.
_RUIN_AT_LEFT_OUT = 0.2
# Up to this many jobs left out are all offered to every recreate.
_UNSERVED_ALWAYS = 10
# Chance that a ruin centred on a job left out follows a chain of skills instead of distance:
# a short string is taken out of an able technician's route where the job's window opens, then
# out of a route able to take one of the jobs taken out, and so on (routes in the chain, longest
# string). On the 60-job FSM day (packed: the scarce skills decide who is served) 1,000 steps
# from the cheapest-insertion plan over 60 seeds left only 2 jobs out in 11 runs and 4 in 4
# with it; without it, 2 in 4 runs and 4 in 7.
_CHAIN_RUIN = 0.75
_CHAIN_ROUTES = 3
_CHAIN_STRING = 3
# Chance that a recreate puts the jobs back by regret (the job losing most if it missed its
# cheapest route goes first) rather than in a random order, cheapest place each.
_REGRET = 0.5
# Most jobs for which the first plan is built by regret insertion. From the cheapest-insertion
# plan's 7 jobs left out (80,193) on the 1,000-job FSM day regret comes to none left out
# (7,222) in 0.54 s against 0.08 s; the 250-job day's first plans 53,000 against 178,000 on
# average; the time grows with the square of the jobs.
_REGRET_BUILD_MOST = 1000
# Seconds between progress reports.
_PROGRESS_SECONDS = 0.25


# A job's cheapest place and its runner-up route: (cost, vehicle, position, second route's
# cost, second vehicle); the second is (inf, -1) when only one route can take the job.
_Choice = tuple[float, int, int, float, int]


@attrs.define
class _Route:
    """One vehicle's jobs with the times of the earliest schedule and the latest arrivals."""

    seq: list[int]
    nodes: list[int]  # the start depot, seq, the end depot
    dep: list[int]  # dep[i]: leaving the node before position i (dep[0]: the start depot)
    start: list[int]  # start[i]: service start of seq[i]
    latest: list[int]  # latest[i]: latest arrival at position i keeping the rest feasible
    sla_after: list[bool]  # sla_after[i]: a job with an SLA at position i or later
    cost: int
    load: int
    # Lateness cost, exact (breaks and span limits included) on vehicles the timer times.
    late: int = 0
    # Cheapest place per job node on this (unchanging) route, filled as jobs are tried.
    memo: dict[int, tuple[int, int] | None] = attrs.field(factory=dict)


@attrs.define
class RuinRecreate(NodeData):
    """Ruin-and-recreate improvement of routes, on :class:`NodeData`.

    Attributes:
        seed: Seed of the random choices (same seed and work, same outcome).
    """

    seed: int = 0
    _windows: list[tuple[tuple[int, int], ...]] = attrs.field(init=False)
    _durations: list[int] = attrs.field(init=False)
    _in_progress: list[bool] = attrs.field(init=False)
    _single: list[bool] = attrs.field(init=False)
    _most_jobs: list[float] = attrs.field(init=False)
    _capacities: list[float] = attrs.field(init=False)
    _cpms: list[int] = attrs.field(init=False)
    _tech_ids: list[str] = attrs.field(init=False)
    _opens: list[int] = attrs.field(init=False)
    _closes: list[int] = attrs.field(init=False)
    _dues: list[int | None] = attrs.field(init=False)
    _rates: list[int] = attrs.field(init=False)
    _loaded: bool = attrs.field(init=False)
    _demands: list[int] = attrs.field(init=False)
    _kinds: list[int] = attrs.field(init=False)
    _kinds_shared: bool = attrs.field(init=False)
    _preferring: bool = attrs.field(init=False)
    _neighbours: list[list[int]] = attrs.field(init=False)
    _able_sets: list[frozenset[int]] = attrs.field(init=False)
    _rng: random.Random = attrs.field(init=False, factory=random.Random)
    _timer: Timer = attrs.field(init=False)
    _timed: list[bool] = attrs.field(init=False)
    _seed_job: int = attrs.field(init=False, default=0)
    _able: list[int] = attrs.field(init=False, factory=list)
    _left_out: list[int] = attrs.field(init=False, factory=list)
    _chain: list[int] = attrs.field(init=False, factory=list)
    steps: int = attrs.field(init=False, default=0)
    """Ruin-and-recreate steps the last :meth:`run` made."""

    def __attrs_post_init__(self) -> None:
        self._windows = [start_windows(j) for j in self.jobs]
        self._durations = [j.duration for j in self.jobs]
        self._in_progress = [j.in_progress for j in self.jobs]
        techs = [t for t, _ in self.vehicles]
        self._most_jobs = [math.inf if t.max_jobs is None else t.max_jobs for t in techs]
        self._capacities = [math.inf if t.capacity is None else t.capacity for t in techs]
        self._cpms = [t.cost_per_minute for t in techs]
        self._tech_ids = [t.id for t in techs]
        # One window (the usual case) is checked inline.
        self._single = [len(w) == 1 for w in self._windows]
        self._opens = [w[0][0] if w else 0 for w in self._windows]
        self._closes = [w[-1][1] if w else 0 for w in self._windows]
        self._dues = [j.sla_due if j.lateness_cost > 0 else None for j in self.jobs]
        self._rates = [j.lateness_cost for j in self.jobs]
        self._loaded = any(j.demand for j in self.jobs)
        self._demands = [j.demand for j in self.jobs]
        self._preferring = any(
            j.preferred_technician is not None and j.preference_cost > 0 for j in self.jobs
        )
        self._able_sets = [frozenset(a) for a in self.allowed]
        self._timer = Timer(self.travel, self.jobs, self.vehicles, self.starts, self.ends)
        self._timed = [self._timer.timed(v) for v in range(len(self.vehicles))]
        # Vehicles whose empty routes take any job at the same places and cost (a fleet of
        # identical vans at one depot): a job is tried on one empty route of each kind only.
        kinds: dict[tuple[object, ...], int] = {}
        self._kinds = [
            kinds.setdefault(
                (
                    self.starts[v],
                    self.ends[v],
                    shift.start,
                    shift.end,
                    tech.cost_per_minute,
                    tech.capacity,
                    tech.max_jobs,
                    tech.id if self._preferring or self._timed[v] else None,
                ),
                len(kinds),
            )
            for v, (tech, shift) in enumerate(self.vehicles)
        ]
        self._kinds_shared = len(kinds) < len(self.vehicles)
        n = len(self.jobs)
        if n:
            matrix = np.array([row[:n] for row in self.travel[:n]], dtype=np.int64)
            count = min(n, _NEIGHBOURS + 1)
            near = np.argsort(matrix, axis=1, kind="stable")[:, :count]
            self._neighbours = [[int(k) for k in row if k != i] for i, row in enumerate(near)]
        else:
            self._neighbours = []

    # -- route data ----------------------------------------------------------------------
    def _late_cost(self, k: int, start: int) -> int:
        job = self.jobs[k]
        if job.sla_due is not None and start > job.sla_due:
            return (start - job.sla_due) * job.lateness_cost
        return 0

    def _pref_cost(self, k: int, v: int) -> int:
        job = self.jobs[k]
        if job.preferred_technician is not None and job.preferred_technician != (
            self.vehicles[v][0].id
        ):
            return job.preference_cost
        return 0

    def _empty(self, v: int) -> _Route:
        """Return vehicle ``v``'s empty route: unused, it costs nothing (as in the solver)."""
        shift = self.vehicles[v][1]
        return _Route(
            [], [self.starts[v], self.ends[v]], [shift.start], [], [shift.end], [False], 0, 0
        )

    def route(self, v: int, seq: list[int]) -> _Route | None:
        """Return vehicle ``v``'s route data for ``seq``, or ``None`` if it is infeasible."""
        tech, shift = self.vehicles[v]
        n = len(seq)
        if not n:
            return self._empty(v)
        if tech.max_jobs is not None and n > tech.max_jobs:
            return None
        travel, cpm, windows = self.travel, tech.cost_per_minute, self._windows
        durations, dues, rates = self._durations, self._dues, self._rates
        t, prev, cost, load, late = shift.start, self.starts[v], 0, 0, 0
        dep, start = [t], []
        single, opens, closes = self._single, self._opens, self._closes
        for k in seq:
            leg = travel[prev][k]
            cost += leg * cpm
            arrive = t + leg
            if single[k]:
                if arrive > closes[k]:
                    return None
                s = arrive if arrive > opens[k] else opens[k]
            else:
                found = _earliest(windows[k], arrive)
                if found is None:
                    return None
                s = found
            start.append(s)
            due = dues[k]
            if due is not None and s > due:
                late += (s - due) * rates[k]
            t, prev = s + durations[k], k
            dep.append(t)
        end = self.ends[v]
        back = travel[prev][end]
        if t + back > shift.end:
            return None
        if tech.capacity is not None or self._loaded:
            demands = self._demands
            load = sum([demands[k] for k in seq])
            if tech.capacity is not None and load > tech.capacity:
                return None
        if self._preferring:
            cost += sum(self._pref_cost(k, v) for k in seq)
        cost += back * cpm
        if self._timed[v]:
            # The times above ignore breaks and the span: a bound the exact timing tightens.
            exact = self._timer.lateness(v, seq)
            if exact is None:
                return None
            late = exact
        cost += late
        latest = [0] * (n + 1)
        latest[n] = shift.end
        after = end
        sla_after = [False] * (n + 1)
        for i in range(n - 1, -1, -1):
            k = seq[i]
            bound = latest[i + 1] - travel[k][after] - durations[k]
            if single[k]:
                if bound < opens[k]:
                    latest[i] = _NEVER
                else:
                    latest[i] = bound if bound < closes[k] else closes[k]
            else:
                latest[i] = _latest(windows[k], bound)
            sla_after[i] = sla_after[i + 1] or dues[k] is not None
            after = k
        return _Route(
            seq, [self.starts[v], *seq, end], dep, start, latest, sla_after, cost, load, late
        )

    def _place(self, k: int, current: list[_Route]) -> tuple[int, int, int] | None:
        """Return ``(added cost, vehicle, position)`` of the cheapest place for job node ``k``.

        Every able vehicle's route is tried; a route's cheapest place is passed over now and
        then (a "blink", as the method prescribes, here per route rather than per place so that
        a route's cheapest place can be remembered on the route).
        """
        rng = self._rng
        best_added: float = math.inf
        best_v, best_pos = -1, -1
        kinds = self._kinds
        shared = self._kinds_shared
        empty_kinds: set[int] = set()
        for v in self.allowed[k]:
            r = current[v]
            if shared and not r.seq:
                if kinds[v] in empty_kinds:
                    continue
                empty_kinds.add(kinds[v])
            memo = r.memo
            if k in memo:
                found_place = memo[k]
            else:
                found_place = memo[k] = self._best_in(k, v, r)
            if found_place is not None and found_place[0] < best_added and rng.random() >= _BLINK:
                best_added, best_v, best_pos = found_place[0], v, found_place[1]
        return None if best_v < 0 else (int(best_added), best_v, best_pos)

    def _best_in(self, k: int, v: int, r: _Route) -> tuple[int, int] | None:
        """Return ``(added cost, position)`` of job node ``k``'s cheapest place on route ``r``."""
        seq = r.seq
        n = len(seq)
        if n >= self._most_jobs[v] or r.load + self.jobs[k].demand > self._capacities[v]:
            return None
        job = self.jobs[k]
        travel, dur = self.travel, job.duration
        wins = self._windows[k]
        single = len(wins) == 1
        opens, close = (wins[0][0], wins[-1][1]) if wins else (0, math.inf)
        due = self._dues[k]
        rate = job.lateness_cost
        tk = travel[k]
        pref = job.preferred_technician
        cpm = self._cpms[v]
        fixed = job.preference_cost if pref is not None and pref != self._tech_ids[v] else 0
        nodes, dep, latest, sla_after = r.nodes, r.dep, r.latest, r.sla_after
        best_added: float = math.inf
        best_pos = -1
        timed = self._timed[v]
        bounds: list[tuple[float, int]] = []
        # Latest arrivals and departures only grow along a route: a place needs the latest
        # arrival after it to allow the job done from its first opening, and a departure
        # before it no later than its last closing.
        first = 1 if n and self._in_progress[seq[0]] else 0
        lo = bisect.bisect_left(latest, opens + dur, first, n + 1)
        hi = bisect.bisect_right(dep, close, lo, n + 1)
        if lo > n:
            return None
        if single and not timed and due is None and not sla_after[lo]:
            # Only travel changes (Solomon's case): the detour, cheap to reckon, is compared
            # first, and the times are checked only where it would beat the best place.
            best_detour: float = math.inf
            for i in range(lo, hi):
                tp = travel[nodes[i]]
                nxt = nodes[i + 1]
                detour = tp[k] + tk[nxt] - tp[nxt]
                if detour >= best_detour:
                    continue
                arrive = dep[i] + tp[k]
                if arrive > close:
                    continue
                start = arrive if arrive > opens else opens
                if start + dur + tk[nxt] > latest[i]:
                    continue
                best_detour, best_pos = detour, i
            return None if best_pos < 0 else (int(best_detour * cpm + fixed), best_pos)
        for i in range(lo, hi):
            tp = travel[nodes[i]]
            arrive = dep[i] + tp[k]
            if single:
                if arrive > close:
                    continue
                start = arrive if arrive > opens else opens
            else:
                found = _earliest(wins, arrive)
                if found is None:
                    continue
                start = found
            nxt = nodes[i + 1]
            back = start + dur + tk[nxt]
            if back > latest[i]:
                continue
            added = (tp[k] + tk[nxt] - tp[nxt]) * cpm + fixed
            if due is not None and start > due:
                added += (start - due) * rate
            if sla_after[i] and not timed:
                added += self._push(seq, r, i, back)
            if timed:
                bounds.append((added, i))
            elif added < best_added:
                best_added, best_pos = added, i
        if timed:
            return self._best_timed(k, v, r, bounds)
        return None if best_pos < 0 else (int(best_added), best_pos)

    def _best_timed(
        self, k: int, v: int, r: _Route, bounds: list[tuple[float, int]]
    ) -> tuple[int, int] | None:
        """Return job node ``k``'s cheapest place on a timed route (breaks, span limit).

        ``bounds`` are the places that pass the check without breaks, with the added cost that
        check finds: a lower bound, since breaks only delay service and a job inserted never
        makes the others earlier. They are timed exactly cheapest first, until no bound can
        beat the best place found.
        """
        bounds.sort()
        seq, nodes, travel, cpm = r.seq, r.nodes, self.travel, self._cpms[v]
        best_added: float = math.inf
        best_pos = -1
        for bound, i in bounds:
            if bound >= best_added:
                break
            late = self._timer.lateness(v, [*seq[:i], k, *seq[i:]])
            if late is None:
                continue
            a, b = nodes[i], nodes[i + 1]
            added = (travel[a][k] + travel[k][b] - travel[a][b]) * cpm + self._pref_cost(k, v)
            added += late - r.late
            if added < best_added:
                best_added, best_pos = added, i
        return None if best_pos < 0 else (int(best_added), best_pos)

    def _push(self, seq: list[int], r: _Route, i: int, arrive: int) -> int:
        """Return the extra lateness when the job at position ``i`` is reached at ``arrive``."""
        travel, windows = self.travel, self._windows
        extra = 0
        for pos in range(i, len(seq)):
            k = seq[pos]
            s = _earliest(windows[k], arrive)
            old = r.start[pos]
            if s is None or s == old:
                break
            extra += self._late_cost(k, s) - self._late_cost(k, old)
            if pos + 1 < len(seq):
                arrive = s + self.jobs[k].duration + travel[k][seq[pos + 1]]
        return extra

    def objective(self, routes: RouteSet) -> int | None:
        """Return the objective of ``routes`` (route costs plus unserved costs), or ``None``.

        ``None`` means a route breaks a rule this costing models.
        """
        total, served = 0, set()
        for v, seq in enumerate(routes):
            route = self.route(v, list(seq))
            if route is None:
                return None
            total += route.cost
            served.update(seq)
        return total + sum(c for k, c in enumerate(self.unserved) if k not in served)

    def construct(self) -> RouteSet:
        """Return routes built by regret insertion (cheapest insertion on very large days).

        In-progress jobs go first, each at the head of its technician's route; then the job
        that would lose most by missing its cheapest route goes in, one at a time (see
        :meth:`_recreate_by_regret`); jobs that fit nowhere are left out. Above
        ``_REGRET_BUILD_MOST`` jobs, where regret's bookkeeping grows with the square of the
        jobs, jobs go in costliest first at their cheapest place instead.
        """
        self._rng = random.Random(self.seed)
        routes = [self._empty(v) for v in range(len(self.vehicles))]
        able = [k for k in range(len(self.jobs)) if self.allowed[k]]
        started = [k for k in able if self._in_progress[k]]
        rest = [k for k in able if not self._in_progress[k]]
        if len(able) > _REGRET_BUILD_MOST:
            started += sorted(rest, key=lambda k: (-self.unserved[k], k))
            rest = []
        where = [-1] * len(self.jobs)
        for k in started:
            best = self._place(k, routes)
            if best is not None:
                self._put(k, best[1], best[2], routes, where, {}, {})
        if rest:
            self._recreate_by_regret(rest, routes, where, {}, {})
        return [r.seq for r in routes]

    # -- search --------------------------------------------------------------------------
    def run(
        self,
        routes: RouteSet,
        deadline: float,
        iterations: int,
        progress: Callable[[int, int], bool] | None = None,
    ) -> tuple[RouteSet, int]:
        """Improve ``routes``; return the best routes found and their objective.

        The annealing runs :meth:`rounds` times, each from ``routes`` with an equal share of
        the time (or of ``iterations`` when there is no deadline).

        Args:
            routes: Feasible routes (job nodes per vehicle); not modified.
            deadline: ``time.perf_counter()`` value at which to stop (``math.inf``: none).
            iterations: Most ruin-and-recreate steps to make; with no deadline this fixed
                amount of work makes the outcome the same every time.
            progress: Called every ``_PROGRESS_SECONDS`` with the best objective and the
                number of jobs it leaves out; returning ``True`` stops the search (the best
                routes so far come back).

        Returns:
            The best routes found (a copy of ``routes`` when nothing beat it) and their
            objective (route costs plus the unserved costs of jobs left out); -1 when a route
            of ``routes`` breaks a rule this costing models (they are then returned as given).
        """
        self._rng = random.Random(self.seed)
        self.steps = 0
        self._able = [k for k in range(len(self.jobs)) if self.allowed[k]]
        if all(self._in_progress[k] for k in self._able):
            # No job can move: the routes are as good as they get (and the loop would spin).
            objective = self.objective(routes)
            return [list(s) for s in routes], -1 if objective is None else objective
        built = [self.route(v, list(seq)) for v, seq in enumerate(routes)]
        if any(r is None for r in built):
            # The relaxation disagrees with the solver's plan (it should not): do not touch it.
            return [list(s) for s in routes], -1
        current: list[_Route] = [r for r in built if r is not None]
        where = [-1] * len(self.jobs)
        for v, r in enumerate(current):
            for k in r.seq:
                where[k] = v
        objective = sum(r.cost for r in current) + sum(
            self.unserved[k] for k in range(len(self.jobs)) if where[k] < 0
        )
        first_objective = objective
        best_objective, best = objective, [list(r.seq) for r in current]
        started, step = time.perf_counter(), 0
        reported = started
        span = deadline - started
        legs = sum(len(r.seq) + 1 for r in current if r.seq)
        leg = max(1.0, sum(r.cost for r in current) / legs) if legs else 1.0
        ratio = _T_END / _T_START
        rounds = self.rounds()
        round_at = 0
        while step < iterations:
            now = time.perf_counter()
            if now >= deadline:
                break
            if progress is not None and now - reported >= _PROGRESS_SECONDS:
                if progress(best_objective, len(self.jobs) - sum(len(r) for r in best)):
                    break
                reported = now
            done = (now - started) / span if math.isfinite(span) else step / iterations
            at = min(rounds - 1, int(done * rounds))
            if at != round_at:
                # A new run, from the first plan.
                round_at = at
                current = [r for r in built if r is not None]
                where = [-1] * len(self.jobs)
                for v, r in enumerate(current):
                    for k in r.seq:
                        where[k] = v
                objective = first_objective
            temperature = leg * _T_START * ratio ** (done * rounds - at)
            step += 1
            self.steps = step
            self._left_out = [k for k in self._able if where[k] < 0]
            saved: dict[int, _Route] = {}
            saved_where: dict[int, int] = {}
            delta = self._ruin(current, where, saved, saved_where)
            delta += self._recreate(current, where, saved, saved_where)
            threshold = -temperature * math.log(1.0 - self._rng.random())
            if delta < threshold:
                objective += delta
                if objective < best_objective:
                    best_objective, best = objective, [list(r.seq) for r in current]
            else:
                for v, r in saved.items():
                    current[v] = r
                for k, v in saved_where.items():
                    where[k] = v
        return best, best_objective

    def rounds(self) -> int:
        """Return how many annealing runs :meth:`run` makes (see ``_ROUNDS``).

        Several only on a fleet of one kind (same depots, shift, costs and limits) where every
        vehicle may take every job; one otherwise.
        """
        everyone = len(self.vehicles)
        if len(set(self._kinds)) == 1 and all(len(a) == everyone for a in self.allowed):
            return _ROUNDS
        return 1

    def _take(
        self,
        current: list[_Route],
        where: list[int],
        saved: dict[int, _Route],
        saved_where: dict[int, int],
        v: int,
        seq: list[int],
        removed: list[int],
    ) -> int:
        """Replace vehicle ``v``'s jobs by ``seq`` (``removed`` left out); return the change."""
        route = self.route(v, seq)
        if route is None:
            return 0
        saved.setdefault(v, current[v])
        before = current[v].cost
        current[v] = route
        for k in removed:
            saved_where.setdefault(k, where[k])
            where[k] = -1
        return route.cost - before + sum(self.unserved[k] for k in removed)

    def _cut(
        self,
        current: list[_Route],
        where: list[int],
        saved: dict[int, _Route],
        saved_where: dict[int, int],
        v: int,
        string: list[int],
    ) -> tuple[int, list[int]] | None:
        """Take ``string`` (but its in-progress job) out of vehicle ``v``'s route.

        Returns the change of the objective and the jobs taken out, or ``None`` when nothing
        could be taken.
        """
        out = [j for j in string if not self._in_progress[j]]
        if not out:
            return None
        keep = [j for j in current[v].seq if j not in out]
        return self._take(current, where, saved, saved_where, v, keep, out), out

    def _ruin(
        self,
        current: list[_Route],
        where: list[int],
        saved: dict[int, _Route],
        saved_where: dict[int, int],
    ) -> int:
        """Take strings of jobs near a random served job out of their routes."""
        rng = self._rng
        served = [r for r in current if r.seq]
        self._seed_job = -1
        self._chain = []
        if not served:
            if self._left_out:
                self._seed_job = self._left_out[rng.randrange(len(self._left_out))]
            return 0
        mean_len = sum(len(r.seq) for r in served) / len(served)
        longest = min(float(_MAX_STRING), mean_len)
        most_strings = 4 * _AVG_REMOVED / (1 + longest) - 1
        strings = int(rng.uniform(1, most_strings + 1))
        if self._left_out and rng.random() < _RUIN_AT_LEFT_OUT:
            # Make room for a job left out: along a chain of able routes, or in its nearest.
            seed = self._left_out[rng.randrange(len(self._left_out))]
            if rng.random() < _CHAIN_RUIN:
                self._seed_job = seed
                return self._ruin_chain(current, where, saved, saved_where, seed)
        else:
            seed_route = served[rng.randrange(len(served))]
            seed = seed_route.seq[rng.randrange(len(seed_route.seq))]
        self._seed_job = seed
        ruined: set[int] = set()
        delta = 0
        for k in [seed, *self._neighbours[seed]]:
            if len(ruined) >= strings:
                break
            v = where[k]
            if v < 0 or v in ruined:
                continue
            seq = current[v].seq
            length = int(rng.uniform(1, min(len(seq), longest) + 1))
            pos = seq.index(k)
            lo = rng.randint(max(0, pos - length + 1), min(pos, len(seq) - length))
            cut = self._cut(current, where, saved, saved_where, v, seq[lo : lo + length])
            if not cut:
                continue
            delta += cut[0]
            ruined.add(v)
        return delta

    def _ruin_chain(
        self,
        current: list[_Route],
        where: list[int],
        saved: dict[int, _Route],
        saved_where: dict[int, int],
        u: int,
    ) -> int:
        """Make room for job ``u`` (left out) along a chain of able routes.

        A short string is taken out of a random able technician's route where ``u``'s window
        opens; then one of the jobs taken out plays ``u``'s part on another route, up to
        ``_CHAIN_ROUTES`` routes. Returns the change of the objective.
        """
        rng = self._rng
        delta = 0
        ruined: set[int] = set()
        x = u
        self._chain = [u]
        for _ in range(_CHAIN_ROUTES):
            able = [v for v in self.allowed[x] if v not in ruined and current[v].seq]
            if not able:
                break
            v = able[rng.randrange(len(able))]
            r = current[v]
            seq = r.seq
            # The first job still at work when x's window opens.
            opens = self._opens[x]
            pos = next(
                (i for i, k in enumerate(seq) if r.start[i] + self._durations[k] > opens),
                len(seq) - 1,
            )
            length = rng.randint(1, min(len(seq), _CHAIN_STRING))
            lo = max(0, min(pos - rng.randrange(length), len(seq) - length))
            cut = self._cut(current, where, saved, saved_where, v, seq[lo : lo + length])
            if not cut:
                break
            delta += cut[0]
            ruined.add(v)
            self._chain.extend(cut[1])
            x = cut[1][rng.randrange(len(cut[1]))]
        return delta

    def _recreate(
        self,
        current: list[_Route],
        where: list[int],
        saved: dict[int, _Route],
        saved_where: dict[int, int],
    ) -> int:
        """Put the jobs taken out (and unserved ones nearby) back at their cheapest places."""
        rng = self._rng
        seed = self._seed_job
        pending = [k for k in saved_where if where[k] < 0]
        # Jobs left out come back when they are near the ruin, or always when they are few.
        left_out = self._left_out if len(self._left_out) <= _UNSERVED_ALWAYS else ()
        near = self._neighbours[seed][:_UNSERVED_NEAR] if seed >= 0 else []
        for k in (*near, *left_out):
            if where[k] < 0 and k not in saved_where and self.allowed[k]:
                pending.append(k)
                saved_where[k] = -1
        if not pending:
            return 0
        order = rng.random()
        if order < 4 / 11:
            rng.shuffle(pending)
        elif order < 8 / 11:
            pending.sort(key=lambda k: -self.unserved[k])
        elif order < 10 / 11 and seed >= 0:
            pending.sort(key=lambda k: -self.travel[seed][k])
        elif seed >= 0:
            pending.sort(key=lambda k: self.travel[seed][k])
        if self._chain:
            # The job the chain made room for takes it first.
            first = self._chain[0]
            pending.sort(key=lambda k: k != first)
        if rng.random() < _REGRET:
            return self._recreate_by_regret(pending, current, where, saved, saved_where)
        delta = 0
        for k in pending:
            best = self._place(k, current)
            if best is None:
                continue
            change = self._put(k, best[1], best[2], current, where, saved, saved_where)
            if change is not None:
                delta += change
        return delta

    def _put(
        self,
        k: int,
        v: int,
        pos: int,
        current: list[_Route],
        where: list[int],
        saved: dict[int, _Route],
        saved_where: dict[int, int],
    ) -> int | None:
        """Insert job node ``k`` at ``pos`` on vehicle ``v``'s route; return the change.

        Returns the change of the objective, or ``None`` (nothing changed) when the route
        would break a rule.
        """
        seq = current[v].seq
        route = self.route(v, [*seq[:pos], k, *seq[pos:]])
        if route is None:
            return None
        saved.setdefault(v, current[v])
        change = route.cost - current[v].cost - self.unserved[k]
        current[v] = route
        saved_where.setdefault(k, where[k])
        where[k] = v
        return change

    def _two_best(self, k: int, current: list[_Route]) -> _Choice | None:
        """Return job node ``k``'s cheapest place and the cost on the second cheapest route."""
        first: float = math.inf
        second: float = math.inf
        v1 = pos1 = v2 = -1
        kinds = self._kinds
        shared = self._kinds_shared
        empty_kinds: set[int] = set()
        for v in self.allowed[k]:
            r = current[v]
            if shared and not r.seq:
                # Another empty route of the same kind would only repeat this one.
                if kinds[v] in empty_kinds:
                    continue
                empty_kinds.add(kinds[v])
            memo = r.memo
            found = memo.get(k, _UNKNOWN)
            if found is _UNKNOWN:
                found = memo[k] = self._best_in(k, v, r)
            if found is None:
                continue
            cost = found[0]
            if cost < first:
                second, v2 = first, v1
                first, v1, pos1 = cost, v, found[1]
            elif cost < second:
                second, v2 = cost, v
        return None if v1 < 0 else (first, v1, pos1, second, v2)

    def _recreate_by_regret(
        self,
        pending: list[int],
        current: list[_Route],
        where: list[int],
        saved: dict[int, _Route],
        saved_where: dict[int, int],
    ) -> int:
        """Put ``pending`` back by regret; return the change of the objective.

        The job whose second-cheapest route costs most more than its cheapest goes first (a
        job with a single route, or none, first of all), at its cheapest place. On days where
        skills leave a job few able technicians, this serves the job before cheaper jobs take
        its place: at equal time on the 120-job FSM day, half the recreates by regret brought
        the mean over 24 seeds from 1,680 to 1,637.
        """
        rng = self._rng
        choices: dict[int, _Choice] = {}
        for k in pending:
            choice = self._two_best(k, current)
            if choice is not None:
                choices[k] = choice
        delta = 0
        while choices:
            pick, most = -1, -math.inf
            for k, (first, _, _, second, _) in choices.items():
                regret = second - first if second < math.inf else self.unserved[k]
                # Ties (common in whole minutes) are broken at random.
                regret += rng.random()
                if regret > most:
                    pick, most = k, regret
            _, v, pos, _, _ = choices.pop(pick)
            change = self._put(pick, v, pos, current, where, saved, saved_where)
            if change is None:
                continue
            delta += change
            route = current[v]
            for k in list(choices):
                choice = choices[k]
                if choice[1] == v or choice[4] == v:
                    # Its best or second route changed: look at all its routes again.
                    again = self._two_best(k, current)
                    if again is None:
                        del choices[k]
                    else:
                        choices[k] = again
                elif v in self._able_sets[k]:
                    # Any other route of its is unchanged; only this one can compete.
                    found = route.memo.get(k, _UNKNOWN)
                    if found is _UNKNOWN:
                        found = route.memo[k] = self._best_in(k, v, route)
                    if found is None:
                        continue
                    cost = found[0]
                    if cost < choice[0]:
                        choices[k] = (cost, v, found[1], choice[0], choice[1])
                    elif cost < choice[3]:
                        choices[k] = (*choice[:3], cost, v)
        return delta


def _earliest(windows: tuple[tuple[int, int], ...], arrive: int) -> int | None:
    if not windows:
        return arrive
    for lo, hi in windows:
        if arrive <= hi:
            return arrive if arrive > lo else lo
    return None


def _latest(windows: tuple[tuple[int, int], ...], bound: int) -> int:
    """Return the latest start at or before ``bound`` inside ``windows`` (very low if none)."""
    if not windows:
        return bound
    for lo, hi in reversed(windows):
        if bound >= lo:
            return bound if bound < hi else hi
    return _NEVER
