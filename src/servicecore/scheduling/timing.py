"""Time one route exactly, breaks and span limits included, in plain Python.

A technician's breaks are taken in the order they open, each on a leg of the route (while
travelling or waiting, never during service), as early as it may start on that leg; several may
fall on one leg. Which leg each break goes on is chosen to cost least lateness, as the reference
checker of the FSM-JSON benchmark does: every placement is followed at once, keeping per number
of breaks taken only the schedules no other beats on both the clock and the lateness so far (on
a day without SLA lateness, one schedule each).

A span limit (``max_work_minutes``) is checked on the schedule that leaves the start as late as
the first job allows (as late as reaching it at its start time, or at the shift's opening when a
break comes on that first leg). That may find a longer span than the shortest possible, so a route
it accepts always keeps the limit; OR-Tools, which checks the plan afterwards, may accept more.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from servicecore.scheduling.problem import Job, Shift, Technician

__all__ = ["RouteTimes", "Timer"]

# A schedule being followed: (minute ready to leave the last node, lateness cost so far,
# minute the technician left the start).
_State = tuple[int, int, int]
# A schedule with the number of breaks it has taken; and how it was reached: from which keyed
# schedule, arriving when, taking which breaks on the way.
_Key = tuple[int, _State]
_Link = tuple[_Key, int, tuple[tuple[int, int], ...]]


@attrs.frozen
class RouteTimes:
    """The times of a route that keeps every rule.

    Attributes:
        departure: Minute the technician leaves the start.
        arrivals: Arrival at each job (after any break on the way).
        starts: Service start of each job.
        breaks: ``(start, end)`` of each break, in order.
        back: Minute the technician is back at the end.
        lateness: Lateness cost of the route.
    """

    departure: int
    arrivals: tuple[int, ...]
    starts: tuple[int, ...]
    breaks: tuple[tuple[int, int], ...]
    back: int
    lateness: int


@attrs.define
class Timer:
    """Exact route timing for the vehicles of a problem in the solver's node numbering.

    Attributes:
        travel: Travel minutes between nodes.
        jobs: The job at each job node.
        vehicles: The technician and shift of each vehicle.
        starts: Start node of each vehicle.
        ends: End node of each vehicle.
    """

    travel: Sequence[Sequence[int]]
    jobs: Sequence[Job]
    vehicles: Sequence[tuple[Technician, Shift]]
    starts: Sequence[int]
    ends: Sequence[int]
    _windows: list[tuple[tuple[int, int], ...]] = attrs.field(init=False)
    _breaks: list[tuple[tuple[int, int, int], ...]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._windows = [_start_windows(j) for j in self.jobs]
        self._breaks = [
            tuple(sorted((b.earliest, b.latest, b.duration) for b in shift.breaks))
            for _, shift in self.vehicles
        ]

    def timed(self, v: int) -> bool:
        """Return whether vehicle ``v`` has breaks or a span limit (rules plain timing skips)."""
        return bool(self._breaks[v]) or self.vehicles[v][0].max_work_minutes is not None

    def lateness(self, v: int, seq: Sequence[int]) -> int | None:
        """Return the least lateness cost of vehicle ``v`` serving ``seq``, or ``None``.

        ``None`` means no placement of the breaks keeps every window, the shift and the span.
        """
        final = self._follow(v, seq, None)
        if final is None:
            return None
        return final[1]

    def times(self, v: int, seq: Sequence[int]) -> RouteTimes | None:
        """Return the times of the cheapest schedule of ``seq`` on vehicle ``v``, or ``None``."""
        trail: list[dict[_Key, _Link]] = []
        final = self._follow(v, seq, trail)
        if final is None:
            return None
        state: _Key = (len(self._breaks[v]), final)
        arrivals: list[int] = []
        taken: list[tuple[int, int]] = []
        steps = []
        for back_links in reversed(trail):
            prev, arrive, legs_breaks = back_links[state]
            steps.append((arrive, legs_breaks))
            state = prev
        steps.reverse()
        starts: list[int] = []
        for i, (arrive, legs_breaks) in enumerate(steps):
            taken.extend(legs_breaks)
            if i < len(seq):
                arrivals.append(arrive)
                window = _earliest(self._windows[seq[i]], arrive)
                starts.append(arrive if window is None else window)
        return RouteTimes(
            departure=final[2],
            arrivals=tuple(arrivals),
            starts=tuple(starts),
            breaks=tuple(taken),
            back=steps[-1][0] if steps else final[0],
            lateness=final[1],
        )

    def _follow(
        self,
        v: int,
        seq: Sequence[int],
        trail: list[dict[_Key, _Link]] | None,
    ) -> _State | None:
        tech, shift = self.vehicles[v]
        breaks = self._breaks[v]
        span = tech.max_work_minutes
        travel, windows, jobs = self.travel, self._windows, self.jobs
        n_breaks = len(breaks)
        # fronts[j]: schedules with j breaks taken.
        fronts: list[list[_State]] = [[] for _ in range(n_breaks + 1)]
        fronts[0].append((shift.start, 0, shift.start))
        prev = self.starts[v]
        nodes = [*seq, self.ends[v]]
        last = len(seq)
        for pos, node in enumerate(nodes):
            leg = travel[prev][node]
            arrived: list[list[tuple[int, int, int, _Key, tuple[tuple[int, int], ...]]]] = [
                [] for _ in range(n_breaks + 1)
            ]
            for j, front in enumerate(fronts):
                for state in front:
                    now, late, left = state
                    arrived[j].append((now + leg, late, left, (j, state), ()))
                    # Breaks j, j+1, ... taken on this leg, each as early as it may start.
                    t, rest = now, leg
                    took: tuple[tuple[int, int], ...] = ()
                    for b in range(j, n_breaks):
                        earliest, latest, minutes = breaks[b]
                        begin = t if t > earliest else earliest
                        if begin > latest:
                            break
                        rest -= min(rest, begin - t)
                        t = begin + minutes
                        took = (*took, (begin, t))
                        # A break on the first leg: leave at the opening (see the module doc).
                        leave = shift.start if pos == 0 else left
                        arrived[b + 1].append((t + rest, late, leave, (j, state), took))
            fronts = [[] for _ in range(n_breaks + 1)]
            links: dict[_Key, _Link] = {}
            for j, options in enumerate(arrived):
                for arrive, late, left, origin, took in options:
                    if pos == last:
                        if arrive > shift.end or j < n_breaks:
                            continue
                        new = (arrive, late, left)
                    else:
                        start = _earliest(windows[node], arrive)
                        if start is None:
                            continue
                        job = jobs[node]
                        if job.sla_due is not None and start > job.sla_due:
                            late += (start - job.sla_due) * job.lateness_cost
                        if pos == 0 and not took:
                            left = max(shift.start, start - leg)
                        new = (start + job.duration, late, left)
                    if (j, new) not in links:
                        links[(j, new)] = (origin, arrive, took)
                        fronts[j].append(new)
            for j in range(n_breaks + 1):
                fronts[j] = _pareto(fronts[j], span is not None)
            if trail is not None:
                trail.append(links)
            prev = node
        finals = fronts[n_breaks]
        if span is not None:
            finals = [s for s in finals if s[0] - s[2] <= span]
        if not finals:
            return None
        return min(finals, key=lambda s: (s[1], s[0]))


def _pareto(states: list[_State], by_leave: bool) -> list[_State]:
    """Keep the schedules no other beats on time, lateness (and, with a span, leaving late)."""
    if len(states) < 2:
        return states
    states.sort(key=lambda s: (s[0], s[1], -s[2]))
    kept: list[_State] = []
    for s in states:
        if any(k[1] <= s[1] and (not by_leave or k[2] >= s[2]) for k in kept):
            continue
        kept.append(s)
    return kept


def _start_windows(job: Job) -> tuple[tuple[int, int], ...]:
    if job.pinned_start is not None:
        return ((job.pinned_start, job.pinned_start),)
    return tuple((w.start, w.end) for w in job.windows())


def _earliest(windows: tuple[tuple[int, int], ...], arrive: int) -> int | None:
    if not windows:
        return arrive
    for lo, hi in windows:
        if arrive <= hi:
            return arrive if arrive > lo else lo
    return None
