"""An independent check of a plan against its problem.

It shares no code with the solver: it recomputes travel from the problem's
:class:`~servicecore.scheduling.Travel` point by point, replays every route from the times the plan
states, and recomputes the cost. A plan passes when it breaks no hard rule: each job exactly once,
skills, territory and pins, windows, shifts, breaks, job, span and load limits, and a timeline in
which travel and breaks fit between visits.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import attrs

from servicecore.scheduling.problem import Problem
from servicecore.scheduling.result import CostBreakdown

if TYPE_CHECKING:
    from servicecore.scheduling.result import Result

__all__ = ["CheckReport", "check"]


@attrs.frozen
class CheckReport:
    """What the checker found.

    Attributes:
        violations: Every broken rule, in words (empty when the plan is feasible).
        cost: The cost recomputed from the plan.
    """

    violations: tuple[str, ...]
    cost: CostBreakdown

    @property
    def ok(self) -> bool:
        """Whether the plan breaks no rule."""
        return not self.violations


def _overlap(spans: list[tuple[int, int]], a: int, b: int) -> int:
    return sum(max(0, min(e, b) - max(s, a)) for s, e in spans)


def check(problem: Problem, result: Result) -> CheckReport:
    """Check ``result`` against ``problem`` and recompute its cost.

    Args:
        problem: The problem the plan claims to solve.
        result: The plan.

    Returns:
        The report; ``report.ok`` is true when no rule is broken and the stated cost and
        per-visit figures match the recomputed ones.
    """
    bad: list[str] = []
    jobs = {j.id: j for j in problem.jobs}
    techs = {t.id: t for t in problem.technicians}
    seen: dict[str, int] = {}
    travel = lateness = preference = 0
    used: set[tuple[str, int]] = set()
    for r in result.routes:
        where = f"route {r.technician_id}#{r.shift_index}"
        tech = techs.get(r.technician_id)
        if tech is None:
            bad.append(f"{where}: unknown technician")
            continue
        if not 0 <= r.shift_index < len(tech.shifts):
            bad.append(f"{where}: no such shift")
            continue
        if (tech.id, r.shift_index) in used:
            bad.append(f"{where}: shift used by two routes")
        used.add((tech.id, r.shift_index))
        shift = tech.shifts[r.shift_index]
        if r.departure < shift.start:
            bad.append(f"{where}: leaves at {r.departure}, before shift start {shift.start}")
        if r.return_time > shift.end:
            bad.append(f"{where}: back at {r.return_time}, after shift end {shift.end}")
        if (
            tech.max_work_minutes is not None
            and r.return_time - r.departure > tech.max_work_minutes
        ):
            bad.append(f"{where}: span {r.return_time - r.departure} > {tech.max_work_minutes}")
        if tech.max_jobs is not None and len(r.visits) > tech.max_jobs:
            bad.append(f"{where}: {len(r.visits)} jobs > max {tech.max_jobs}")
        breaks = sorted((b.start, b.end) for b in r.breaks)
        wanted = sorted(shift.breaks, key=lambda b: (b.earliest, b.latest))
        if len(breaks) != len(wanted):
            bad.append(f"{where}: {len(breaks)} breaks taken, {len(wanted)} due")
        else:
            for (s, e), b in zip(breaks, wanted, strict=True):
                if not b.earliest <= s <= b.latest or e - s != b.duration:
                    bad.append(f"{where}: break {s}-{e} does not fit {b}")
        for (_, e1), (s2, _) in itertools.pairwise(breaks):
            if s2 < e1:
                bad.append(f"{where}: breaks overlap")
        load = 0
        now, here = r.departure, tech.start
        for k, v in enumerate(r.visits):
            seen[v.job_id] = seen.get(v.job_id, 0) + 1
            job = jobs.get(v.job_id)
            if job is None:
                bad.append(f"{where}: unknown job {v.job_id}")
                continue
            what = f"{where}: {job.id}"
            if not job.skills <= tech.skills:
                bad.append(f"{what} needs {sorted(job.skills)}, has {sorted(tech.skills)}")
            if (
                job.territory is not None
                and tech.territory is not None
                and job.territory != tech.territory
            ):
                bad.append(f"{what} is in territory {job.territory}, tech in {tech.territory}")
            if job.pinned_technician is not None and job.pinned_technician != tech.id:
                bad.append(f"{what} is pinned to {job.pinned_technician}")
            if job.pinned_start is not None and v.start != job.pinned_start:
                bad.append(f"{what} starts {v.start}, pinned at {job.pinned_start}")
            if job.in_progress and k != 0:
                bad.append(f"{what} is in progress but not first")
            if job.time_windows and not any(w.contains(v.start) for w in job.time_windows):
                bad.append(f"{what} starts {v.start} outside its windows")
            if v.end != v.start + job.duration:
                bad.append(f"{what} ends {v.end}, should be {v.start + job.duration}")
            leg = problem.travel.between(here, job.location)
            if v.travel_minutes != leg:
                bad.append(f"{what} travel stated {v.travel_minutes}, is {leg}")
            need = now + leg + _overlap(breaks, now, v.start)
            if v.start < need:
                bad.append(f"{what} starts {v.start}, cannot be there before {need}")
            if _overlap(breaks, v.start, v.end):
                bad.append(f"{what} overlaps a break")
            late = max(0, v.start - job.sla_due) if job.sla_due is not None else 0
            if v.late_minutes != late:
                bad.append(f"{what} late stated {v.late_minutes}, is {late}")
            travel += leg * tech.cost_per_minute
            lateness += late * job.lateness_cost
            if job.preferred_technician is not None and job.preferred_technician != tech.id:
                preference += job.preference_cost
            load += job.demand
            now, here = v.end, job.location
        leg = problem.travel.between(here, tech.end_point)
        if r.return_travel != leg:
            bad.append(f"{where}: return travel stated {r.return_travel}, is {leg}")
        travel += leg * tech.cost_per_minute
        need = now + leg + _overlap(breaks, now, r.return_time)
        if r.return_time < need:
            bad.append(f"{where}: back at {r.return_time}, cannot be before {need}")
        if tech.capacity is not None and load > tech.capacity:
            bad.append(f"{where}: load {load} > capacity {tech.capacity}")
    unserved = 0
    for u in result.unassigned:
        seen[u.job_id] = seen.get(u.job_id, 0) + 1
        job = jobs.get(u.job_id)
        if job is None:
            bad.append(f"unknown unassigned job {u.job_id}")
            continue
        if job.in_progress:
            bad.append(f"{job.id} is in progress but unassigned")
        unserved += problem.unserved_cost(job)
    for job_id in jobs:
        if seen.get(job_id, 0) != 1:
            bad.append(f"{job_id} appears {seen.get(job_id, 0)} times")
    for job_id in seen:
        if job_id not in jobs:
            bad.append(f"{job_id} is not a job of the problem")
    cost = CostBreakdown(travel, lateness, unserved, preference)
    if cost != result.cost:
        bad.append(f"stated cost {result.cost} differs from recomputed {cost}")
    return CheckReport(tuple(bad), cost)
