"""Scale benchmark: generated days of 1,000 jobs / 140 and 5,000 jobs / 600 technicians.

Also times inserting one emergency into a solved 250-job day.

For each size: time to a first feasible plan, and the cost after 60 s and 300 s (``--limits``).
Up to ``--max-jobs-per-part`` jobs (default 250) one OR-Tools model is solved; above it the
problem is decomposed by technician geography and the parts are solved in ``--workers`` parallel
processes (``solve_decomposed``). Every plan is checked with the independent checker.

Usage: python benchmarks/scale.py [--json] [--sizes 1000x140 5000x600] [--limits 60 300]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from typing import Any

from _scheduling_common import add_common_options, emit_json, print_table

from servicecore.scheduling import (
    Job,
    Problem,
    Shift,
    Technician,
    TimeWindow,
    Travel,
    insert_job,
    solve,
    solve_decomposed,
)

SKILLS = ("electrical", "plumbing", "hvac", "appliance", "network", "gas")


def generate(n_jobs: int, n_techs: int, seed: int) -> Problem:
    """A field-service day in the style of the shared FSM instances, on a city sized to the load."""
    rng = random.Random(seed)
    side = 40.0 * math.sqrt(max(1.0, n_jobs / 1000))
    districts = [
        (rng.uniform(0.15, 0.85) * side, rng.uniform(0.15, 0.85) * side)
        for _ in range(max(4, n_jobs // 150))
    ]

    def place() -> tuple[float, float]:
        if rng.random() < 0.7:
            cx, cy = rng.choice(districts)
            x, y = rng.gauss(cx, side / 20), rng.gauss(cy, side / 20)
        else:
            x, y = rng.uniform(0, side), rng.uniform(0, side)
        return (round(min(max(x, 0.0), side), 3), round(min(max(y, 0.0), side), 3))

    techs = []
    for k in range(n_techs):
        home = place()
        skills = set(rng.sample(SKILLS, rng.choice([1, 1, 2, 2, 3])))
        techs.append(
            Technician(
                id=f"T{k + 1}",
                skills=frozenset(skills),
                start=home,
                end=home,
                shifts=(Shift(480, 1020),),
            )
        )
    jobs = []
    for i in range(n_jobs):
        kind = rng.random()
        skill = rng.choice(SKILLS)
        if kind < 0.07:  # emergency: any time today, SLA two to four hours after it comes in
            came = rng.randrange(480, 840)
            jobs.append(
                Job(
                    id=f"J{i + 1}",
                    location=place(),
                    duration=rng.randint(30, 90),
                    skills=frozenset({skill}),
                    priority=3,
                    time_windows=(TimeWindow(came, 1080),),
                    sla_due=came + rng.choice([120, 180, 240]),
                    lateness_cost=50,
                )
            )
        elif kind < 0.6:  # booked two-hour arrival slot
            slot = rng.choice([480, 600, 720, 840, 900])
            jobs.append(
                Job(
                    id=f"J{i + 1}",
                    location=place(),
                    duration=rng.randint(20, 90),
                    skills=frozenset({skill}),
                    priority=rng.choice([1, 1, 2]),
                    time_windows=(TimeWindow(slot, slot + 120),),
                )
            )
        else:  # any time in the day
            jobs.append(
                Job(
                    id=f"J{i + 1}",
                    location=place(),
                    duration=rng.randint(20, 90),
                    skills=frozenset({skill}),
                    priority=rng.choice([1, 1, 2]),
                    time_windows=(TimeWindow(480, 1080),),
                )
            )
    return Problem(
        technicians=tuple(techs),
        jobs=tuple(jobs),
        travel=Travel.euclidean(30),
        unserved_cost_per_priority=10_000,
        name=f"gen-{n_jobs}j-{n_techs}t-s{seed}",
    )


def run(problem: Problem, limit: float, args: argparse.Namespace, **kw: Any) -> Any:
    if len(problem.jobs) > args.max_jobs_per_part:
        return solve_decomposed(
            problem,
            time_limit=limit,
            seed=args.seed,
            max_jobs_per_part=args.max_jobs_per_part,
            workers=args.workers,
            **kw,
        )
    return solve(problem, time_limit=limit, seed=args.seed, **kw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_options(parser)
    parser.add_argument("--sizes", nargs="*", default=["1000x140", "5000x600"])
    parser.add_argument("--limits", nargs="*", type=float, default=[60.0, 300.0])
    parser.add_argument("--max-jobs-per-part", type=int, default=250)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--insertion-jobs", type=int, default=250)
    args = parser.parse_args()
    figures: dict[str, Any] = {"sizes": []}
    rows = []
    for size in args.sizes:
        n_jobs, n_techs = (int(x) for x in size.split("x"))
        problem = generate(n_jobs, n_techs, seed=7)
        t0 = time.perf_counter()
        first = run(problem, 600, args, solution_limit=1)
        first_wall = time.perf_counter() - t0
        entry: dict[str, Any] = {
            "jobs": n_jobs,
            "technicians": n_techs,
            "decomposed": n_jobs > args.max_jobs_per_part,
            "first_feasible_s": round(first_wall, 2),
            "first_cost": first.cost.total,
            "first_feasible": first.is_feasible(),
            "first_unserved": len(first.unassigned),
        }
        row = [size, f"{first_wall:.1f} s / {first.cost.total} ({len(first.unassigned)})"]
        for limit in args.limits:
            t0 = time.perf_counter()
            res = run(problem, limit, args)
            wall = time.perf_counter() - t0
            ok = res.is_feasible()
            entry[f"cost_{int(limit)}s"] = res.cost.total
            entry[f"unserved_{int(limit)}s"] = len(res.unassigned)
            entry[f"travel_{int(limit)}s"] = res.cost.travel
            entry[f"wall_{int(limit)}s"] = round(wall, 1)
            entry[f"feasible_{int(limit)}s"] = ok
            row.append(
                f"{res.cost.total} ({len(res.unassigned)}) in {wall:.0f} s"
                + ("" if ok else " INFEASIBLE")
            )
            print(f"{size} {limit:.0f}s: {res.cost.total}", file=sys.stderr, flush=True)
        figures["sizes"].append(entry)
        rows.append(row)
    print_table(
        ["size", "first feasible: time / cost (unserved)"]
        + [f"cost after {x:.0f} s (unserved)" for x in args.limits],
        rows,
    )

    day = generate(args.insertion_jobs, max(1, args.insertion_jobs * 36 // 250), seed=11)
    base = solve(day, time_limit=10, seed=args.seed)
    rng = random.Random(5)
    times, served = [], 0
    for k in range(5):
        urgent = Job(
            id=f"E{k}",
            location=(rng.uniform(5, 35), rng.uniform(5, 35)),
            duration=45,
            skills=frozenset({SKILLS[k % len(SKILLS)]}),
            priority=3,
            time_windows=(TimeWindow(600, 1080),),
            sla_due=720,
            lateness_cost=50,
        )
        t0 = time.perf_counter()
        res = insert_job(base, urgent, time_limit=0.8)
        times.append(time.perf_counter() - t0)
        served += res.visit_of(urgent.id) is not None
        assert res.is_feasible()
    figures["insertion"] = {
        "jobs": args.insertion_jobs,
        "trials": len(times),
        "max_s": round(max(times), 3),
        "mean_s": round(sum(times) / len(times), 3),
        "urgent_served": served,
    }
    print(
        f"emergency insertion into a solved {args.insertion_jobs}-job day: mean "
        f"{sum(times) / len(times):.3f} s, max {max(times):.3f} s, served {served}/{len(times)}"
    )
    if args.json:
        emit_json(figures)


if __name__ == "__main__":
    main()
