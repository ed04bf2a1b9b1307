"""Solve a large problem as several smaller ones, side by side in worker processes.

One OR-Tools model for 5,000 jobs and 600 technicians needs a 5,600 x 5,600 matrix per kind of
vehicle and is slow to build and to search. Instead the technicians are split into spatially
compact groups (recursive coordinate bisection on their start points), each job goes to the group
of the nearest technician able to do it, and each group is solved on its own.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

import attrs

from servicecore.errors import ValidationError
from servicecore.scheduling.checker import check
from servicecore.scheduling.model import PIN_WEIGHT
from servicecore.scheduling.problem import Job, Problem, Technician
from servicecore.scheduling.result import CostBreakdown, Result
from servicecore.scheduling.solver import improve_plan, solve

__all__ = ["merge", "partition", "solve_decomposed"]

_T = TypeVar("_T")

# Largest problem whose merged plan is re-optimised as a whole (one model of the whole problem
# takes about 2 s to build for 1,000 jobs and 140 technicians, and its search stays useful).
_WHOLE_MODEL_JOBS = 1500
# Share of the time the parts get when the whole is improved afterwards (by improve_plan, ruin
# and recreate across part boundaries).
_PARTS_SHARE = 0.5
# Ruin-and-recreate steps on the whole problem per solution of a solution (work) limit.
_WHOLE_STEPS_PER_SOLUTION = 20
# Larger problems: neighbouring parts are improved together, about this many jobs at a time, in
# two passes whose groups are shifted by half a group (so the first pass's borders move too);
# a pass runs only if each group gets at least this many seconds.
_GROUP_JOBS = 1000
_GROUP_MIN_SECONDS = 10.0


def _bisect(techs: list[Technician], parts: int) -> list[list[Technician]]:
    if parts <= 1 or len(techs) <= 1:
        return [techs]
    xs = [t.start[0] for t in techs]
    ys = [t.start[1] for t in techs]
    axis = 0 if max(xs) - min(xs) >= max(ys) - min(ys) else 1
    ordered = sorted(techs, key=lambda t: (t.start[axis], t.start[1 - axis], t.id))
    left_parts = parts // 2
    cut = round(len(ordered) * left_parts / parts)
    return _bisect(ordered[:cut], left_parts) + _bisect(ordered[cut:], parts - left_parts)


def partition(problem: Problem, parts: int) -> list[Problem]:
    """Split ``problem`` into ``parts`` sub-problems by technician geography.

    Technicians are split by recursive coordinate bisection of their start points; each job goes
    to the part holding the nearest technician (by travel from the start point) able to do it.
    Jobs with a preferred technician go to that technician's part. Jobs nobody can do go to
    the first part, where they are reported unassigned.

    Raises:
        ValidationError: If ``parts`` is not an integer >= 1.
    """
    if not isinstance(parts, int) or isinstance(parts, bool) or parts < 1:
        raise ValidationError.single("parts", parts, "must be an integer >= 1")
    groups = [g for g in _bisect(list(problem.technicians), parts) if g]
    owner = {t.id: k for k, g in enumerate(groups) for t in g}
    buckets: list[list[Job]] = [[] for _ in groups]
    travel = problem.travel
    for job in problem.jobs:
        if job.preferred_technician is not None:
            # The preference must stay meaningful (and valid) inside the part.
            buckets[owner[job.preferred_technician]].append(job)
            continue
        able = [t for t in problem.technicians if job.can_be_done_by(t)]
        if not able:
            buckets[0].append(job)
            continue
        nearest = min(able, key=lambda t: (travel.between(t.start, job.location), t.id))
        buckets[owner[nearest.id]].append(job)
    return [
        Problem(
            technicians=tuple(g),
            jobs=tuple(b),
            travel=travel,
            unserved_cost_per_priority=problem.unserved_cost_per_priority,
            name=f"{problem.name}/part{k}",
        )
        for k, (g, b) in enumerate(zip(groups, buckets, strict=True))
    ]


def _run_all(task: Callable[[_T], Result], inputs: Sequence[_T], workers: int) -> list[Result]:
    """Run ``task`` on each input, in ``workers`` processes (1: here, one after another)."""
    if workers == 1:
        return [task(i) for i in inputs]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return list(pool.map(task, inputs))


def _solve_part(args: tuple[Problem, float, int, int | None]) -> Result:
    part, limit, seed, solution_limit = args
    return solve(part, time_limit=limit, seed=seed, solution_limit=solution_limit)


def _improve_group(args: tuple[Result, float, int]) -> Result:
    plan, limit, seed = args
    return improve_plan(plan, time_limit=limit, seed=seed)


def _restrict(
    problem: Problem, plan: Result, techs: set[str], waiting: set[str], name: str
) -> Result:
    """Return ``plan``'s routes of ``techs`` and its ``waiting`` unassigned jobs, as a plan.

    The plan is of the sub-problem they form; its cost is recomputed by the independent checker.
    """
    routes = tuple(r for r in plan.routes if r.technician_id in techs)
    unassigned = tuple(u for u in plan.unassigned if u.job_id in waiting)
    keep = {j for r in routes for j in r.job_ids} | {u.job_id for u in unassigned}
    sub = Problem(
        technicians=tuple(t for t in problem.technicians if t.id in techs),
        jobs=tuple(j for j in problem.jobs if j.id in keep),
        travel=problem.travel,
        unserved_cost_per_priority=problem.unserved_cost_per_priority,
        name=name,
    )
    draft = Result(
        problem=sub,
        routes=routes,
        unassigned=unassigned,
        cost=CostBreakdown(0, 0, 0, 0),
        status="decomposed",
        wall_time=0.0,
        objective=0,
    )
    cost = check(sub, draft).cost
    # The solver weighs a pinned job left out more heavily than its cost (see solve).
    pinned = sum(
        (PIN_WEIGHT - 1) * sub.unserved_cost(sub.job(u.job_id))
        for u in unassigned
        if sub.job(u.job_id).pinned_technician in techs and not sub.job(u.job_id).in_progress
    )
    return attrs.evolve(draft, cost=cost, objective=cost.total + pinned)


def _parts_per_group(problem: Problem, parts: Sequence[Problem]) -> int:
    return max(2, _GROUP_JOBS // max(1, len(problem.jobs) // len(parts)))


def _group_passes_run(
    problem: Problem, parts: Sequence[Problem], time_limit: float, workers: int
) -> bool:
    """Whether groups of parts would get enough time for :func:`_improve_across_parts`."""
    groups = math.ceil(len(parts) / _parts_per_group(problem, parts)) + 1
    waves = math.ceil(groups / workers)
    return time_limit * (1 - _PARTS_SHARE) / 2 * 0.9 / waves >= _GROUP_MIN_SECONDS


def _improve_across_parts(
    problem: Problem,
    parts: Sequence[Problem],
    plan: Result,
    *,
    deadline: float,
    seed: int,
    workers: int,
) -> Result:
    """Improve groups of neighbouring parts together, in two passes with shifted groups."""
    per_group = _parts_per_group(problem, parts)
    part_of_job = {j.id: k for k, p in enumerate(parts) for j in p.jobs}
    for offset in (0, per_group // 2):
        passes_left = 2 if offset == 0 else 1
        cuts = sorted({0, len(parts), *range(offset or per_group, len(parts), per_group)})
        groups = [range(a, b) for a, b in itertools.pairwise(cuts) if b > a]
        waves = math.ceil(len(groups) / workers)
        limit = (deadline - time.perf_counter()) / passes_left * 0.9 / waves
        if limit < _GROUP_MIN_SECONDS:
            break
        tasks = []
        for n, group in enumerate(groups):
            techs = {t.id for k in group for t in parts[k].technicians}
            waiting = {u.job_id for u in plan.unassigned if part_of_job[u.job_id] in group}
            name = f"{problem.name}/group{offset}-{n}"
            tasks.append((_restrict(problem, plan, techs, waiting, name), limit, seed))
        plan = merge(problem, _run_all(_improve_group, tasks, workers), wall=plan.wall_time)
    return plan


def solve_decomposed(
    problem: Problem,
    *,
    time_limit: float,
    seed: int = 0,
    max_jobs_per_part: int = 250,
    workers: int = 2,
    solution_limit: int | None = None,
) -> Result:
    """Solve ``problem`` in parts of at most about ``max_jobs_per_part`` jobs, in parallel.

    Parts run ``workers`` at a time in separate processes; each wave of parts gets an equal
    share of ``time_limit``. With one part this is plain :func:`solve`. The merged plan is a
    plan of the whole problem (check it with :meth:`Result.check`). When the problem has at
    most 1,500 jobs, the parts get half of ``time_limit`` and the rest goes to
    :func:`~servicecore.scheduling.improve_plan` on the merged plan (insertions for jobs left
    out, then ruin and recreate over the whole problem, checked on one model of it), so jobs
    and routes also move across part boundaries. Larger problems give the parts half of
    ``time_limit`` and then improve groups of neighbouring parts (about 1,000 jobs each) the
    same way, in two passes with shifted groups, when each group gets at least 10 s; otherwise
    (and under a ``solution_limit``) they are only solved in parts: a job is then only ever
    offered to the technicians of its part. Unassigned reasons refer to the part or group.

    Args:
        problem: What to plan.
        time_limit: Seconds for the whole solve.
        seed: As for :func:`solve`.
        max_jobs_per_part: Target size of a part.
        workers: Processes run at once (1 solves the parts one after another in this process).
        solution_limit: Work limit per part, as for :func:`solve`; the whole problem's ruin
            and recreate then makes twenty steps per solution (the plan is repeatable).

    Raises:
        ValidationError: If an argument is out of range.
        SchedulingError: If a part cannot be solved.
    """
    if not isinstance(max_jobs_per_part, int) or max_jobs_per_part < 1:
        raise ValidationError.single(
            "max_jobs_per_part", max_jobs_per_part, "must be an integer >= 1"
        )
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValidationError.single("workers", workers, "must be an integer >= 1")
    n_parts = max(1, math.ceil(len(problem.jobs) / max_jobs_per_part))
    if n_parts == 1 or not problem.technicians:
        return solve(problem, time_limit=time_limit, seed=seed, solution_limit=solution_limit)
    t0 = time.perf_counter()
    whole = len(problem.jobs) <= _WHOLE_MODEL_JOBS
    parts = partition(problem, min(n_parts, len(problem.technicians)))
    waves = math.ceil(len(parts) / workers)
    grouped = (
        not whole
        and solution_limit is None
        and _group_passes_run(problem, parts, time_limit, workers)
    )
    budget = time_limit * _PARTS_SHARE if whole or grouped else time_limit
    # Leave room for building the models and moving the results between processes.
    share = max(0.5, (budget - (time.perf_counter() - t0)) * 0.9 / waves)
    jobs = [(p, share, seed, solution_limit) for p in parts]
    results = _run_all(_solve_part, jobs, workers)
    merged = merge(problem, results, wall=time.perf_counter() - t0)
    left = time_limit - (time.perf_counter() - t0)
    if whole and left > 0:
        # Across part boundaries: jobs a part left out may fit another part's technicians,
        # and neighbouring routes of different parts may trade jobs.
        merged = improve_plan(
            merged,
            time_limit=None if solution_limit else left,
            seed=seed,
            steps=(solution_limit or 1) * _WHOLE_STEPS_PER_SOLUTION,
        )
    elif grouped and left > 0:
        merged = _improve_across_parts(
            problem, parts, merged, deadline=t0 + time_limit, seed=seed, workers=workers
        )
    return attrs.evolve(merged, status="decomposed", wall_time=time.perf_counter() - t0)


def merge(problem: Problem, results: Sequence[Result], *, wall: float = 0.0) -> Result:
    """Merge plans of disjoint parts of ``problem`` into one plan of the whole.

    Raises:
        ValidationError: If the parts do not cover every job of ``problem`` exactly once.
    """
    order = {t.id: i for i, t in enumerate(problem.technicians)}
    routes = sorted(
        (r for res in results for r in res.routes),
        key=lambda r: (order.get(r.technician_id, len(order)), r.shift_index),
    )
    unassigned = tuple(u for res in results for u in res.unassigned)
    covered = sorted([v.job_id for r in routes for v in r.visits] + [u.job_id for u in unassigned])
    if covered != sorted(j.id for j in problem.jobs):
        raise ValidationError.single("results", len(results), "parts do not cover the problem")
    cost = CostBreakdown(
        travel=sum(r.cost.travel for r in results),
        lateness=sum(r.cost.lateness for r in results),
        unserved=sum(r.cost.unserved for r in results),
        preference=sum(r.cost.preference for r in results),
    )
    return Result(
        problem=problem,
        routes=tuple(routes),
        unassigned=unassigned,
        cost=cost,
        status="decomposed",
        wall_time=wall,
        objective=sum(r.objective for r in results),
    )
