"""Solomon (100 customers) and Gehring-Homberger (200) VRPTW benchmark, distance-only objective.

Each instance is read with ``read_solomon`` (travel and times are floor(10 d) tenths, the DIMACS
convention), solved with ``--time-limit`` seconds, checked with the independent checker, and its
distance computed from the file's coordinates, arc by arc: floor(10 d) / 10 for Solomon, compared
with ``dist_bks_x10floor`` of ``solomon100_bks.csv``; exact d for Homberger, compared with the
hierarchical best-known distance of ``homberger200_bks.csv`` (the only one published: it uses the
fewest vehicles first, so a distance-only plan may come out below it).

Usage: python benchmarks/solomon.py [--json] [--time-limit 30] [--set solomon|homberger]
       [--only C101 ...]
Ends (with --json) with {"mean_gap_pct": ..., "worst_gap_pct": ..., "instances": N}.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _scheduling_common import add_common_options, emit_json, print_table

from servicecore.scheduling import Result, read_solomon, solve


def plan_distance(result: Result, truncate: bool) -> tuple[float, int]:
    problem = result.problem
    total = 0.0
    for r in result.routes:
        tech = problem.technician(r.technician_id)
        pts = [tech.start] + [problem.job(j).location for j in r.job_ids] + [tech.end_point]
        for a, b in itertools.pairwise(pts):
            d = math.hypot(a[0] - b[0], a[1] - b[1])
            total += math.floor(10 * d + 1e-7) / 10 if truncate else d
    return total, len(result.routes)


def bks(data_dir: Path, which: str) -> dict[str, float]:
    if which == "solomon":
        with open(data_dir / "solomon100_bks.csv", encoding="utf-8") as fh:
            return {r["instance"]: float(r["dist_bks_x10floor"]) for r in csv.DictReader(fh)}
    with open(data_dir / "homberger200_bks.csv", encoding="utf-8") as fh:
        return {r["instance"]: float(r["distance"]) for r in csv.DictReader(fh)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_options(parser)
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per instance")
    parser.add_argument("--set", choices=["solomon", "homberger"], default="solomon")
    parser.add_argument("--only", nargs="*", help="instance names")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folder = args.data_dir / ("solomon100" if args.set == "solomon" else "homberger200")
    best = bks(args.data_dir, args.set)
    files = sorted(folder.glob("*.txt"))
    if args.only:
        wanted = {n.lower() for n in args.only}
        files = [f for f in files if f.stem.lower() in wanted]
    rows: list[list[Any]] = []
    gaps: list[float] = []
    per: dict[str, float] = {}
    infeasible = 0
    for path in files:
        problem = read_solomon(path, name=path.stem)
        t0 = time.perf_counter()
        result = solve(problem, time_limit=args.time_limit, seed=args.seed)
        wall = time.perf_counter() - t0
        ok = result.is_feasible() and not result.unassigned
        infeasible += not ok
        dist, routes = plan_distance(result, truncate=args.set == "solomon")
        ref = best[path.stem]
        gap = 100 * (dist - ref) / ref
        if ok:
            gaps.append(gap)
        per[path.stem] = round(gap, 3)
        rows.append(
            [
                path.stem,
                f"{dist:.1f}",
                f"{ref:.1f}",
                f"{gap:.2f}",
                routes,
                len(result.unassigned),
                "yes" if ok else "NO",
                f"{wall:.1f}",
            ]
        )
        print(f"{path.stem} gap {gap:.2f}% ({wall:.1f} s)", file=sys.stderr, flush=True)
    print_table(
        ["instance", "distance", "BKS", "gap %", "routes", "unserved", "feasible", "s"], rows
    )
    mean = statistics.fmean(gaps) if gaps else float("nan")
    worst = max(gaps) if gaps else float("nan")
    print(
        f"{args.set}: {len(gaps)} instances, time limit {args.time_limit} s: mean gap "
        f"{mean:.2f}%, median {statistics.median(gaps) if gaps else float('nan'):.2f}%, "
        f"worst {worst:.2f}%, infeasible or incomplete {infeasible}"
    )
    if args.json:
        emit_json(
            {
                "mean_gap_pct": round(mean, 3),
                "worst_gap_pct": round(worst, 3),
                "instances": len(gaps),
                "time_limit": args.time_limit,
                "set": args.set,
                "infeasible": infeasible,
                "per_instance": per,
            }
        )


if __name__ == "__main__":
    main()
