"""Solomon (100 customers) and Gehring-Homberger (200) VRPTW benchmark, distance-only objective.

Each instance is read with ``read_solomon`` (travel and times are floor(10 d) tenths, the DIMACS
convention), solved with ``--time-limit`` seconds, checked with the independent checker, and its
distance computed from the file's coordinates, arc by arc: floor(10 d) / 10 for Solomon, compared
with ``dist_bks_x10floor`` of ``solomon100_bks.csv``; exact d for Homberger, compared with the
hierarchical best-known distance of ``homberger200_bks.csv`` (the only one published: it uses the
fewest vehicles first, so a distance-only plan may come out below it).

PyVRP (``pip install pyvrp``, the ``bench`` extra) is the peer: unless ``--no-pyvrp``, each
instance is solved by ours and by PyVRP at the same time, in two processes of one thread each,
with the same time limit and seed, on the same travel matrix (PyVRP is given our tenths as its
integer distances and durations); both plans are measured by the same arc-by-arc distance.

Usage: python benchmarks/solomon.py [--json] [--time-limit 30] [--set solomon|homberger]
       [--only C101 ...] [--no-pyvrp]
Ends (with --json) with {"mean_gap_pct": ..., "worst_gap_pct": ..., "instances": N,
"pyvrp_mean_gap_pct": ..., "ratio": ..., "per_instance": {...}, "pyvrp_per_instance": {...}}.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import itertools
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _scheduling_common import add_common_options, emit_json, print_table

from servicecore.scheduling import Problem, read_solomon, solve

Point = tuple[float, float]


def plan_distance(routes: list[list[Point]], truncate: bool) -> float:
    """Distance of routes given as point lists (depot to depot), arc by arc."""
    total = 0.0
    for pts in routes:
        for a, b in itertools.pairwise(pts):
            d = math.hypot(a[0] - b[0], a[1] - b[1])
            total += math.floor(10 * d + 1e-7) / 10 if truncate else d
    return total


def bks(data_dir: Path, which: str) -> dict[str, float]:
    if which == "solomon":
        with open(data_dir / "solomon100_bks.csv", encoding="utf-8") as fh:
            return {r["instance"]: float(r["dist_bks_x10floor"]) for r in csv.DictReader(fh)}
    with open(data_dir / "homberger200_bks.csv", encoding="utf-8") as fh:
        return {r["instance"]: float(r["distance"]) for r in csv.DictReader(fh)}


def run_ours(path: Path, time_limit: float, seed: int) -> dict[str, Any]:
    """Solve one instance with servicecore; its routes as point lists and whether all is served."""
    problem = read_solomon(path, name=path.stem)
    t0 = time.perf_counter()
    result = solve(problem, time_limit=time_limit, seed=seed)
    wall = time.perf_counter() - t0
    routes = []
    for r in result.routes:
        tech = problem.technician(r.technician_id)
        routes.append(
            [tech.start] + [problem.job(j).location for j in r.job_ids] + [tech.end_point]
        )
    ok = result.is_feasible() and not result.unassigned
    return {"routes": routes, "ok": ok, "unserved": len(result.unassigned), "wall": wall}


def pyvrp_model(problem: Problem) -> Any:
    """The instance as a PyVRP model on our travel matrix (tenths, floor(10 d))."""
    import pyvrp

    tech = problem.technicians[0]
    shift = tech.shifts[0]
    model = pyvrp.Model()
    model.add_vehicle_type(
        num_available=len(problem.technicians),
        capacity=tech.capacity,
        tw_early=shift.start,
        tw_late=shift.end,
    )
    points = [tech.start] + [job.location for job in problem.jobs]
    locations = [model.add_location(x=p[0], y=p[1]) for p in points]
    model.add_depot(locations[0], tw_early=shift.start, tw_late=shift.end)
    for job, loc in zip(problem.jobs, locations[1:], strict=True):
        window = job.time_windows[0]
        model.add_client(
            loc,
            delivery=job.demand,
            service_duration=job.duration,
            tw_early=window.start,
            tw_late=window.end,
        )
    for a, pa in zip(locations, points, strict=True):
        for b, pb in zip(locations, points, strict=True):
            tenths = math.floor(10 * math.hypot(pa[0] - pb[0], pa[1] - pb[1]) + 1e-7)
            model.add_edge(a, b, distance=tenths, duration=tenths)
    return model, points


def run_pyvrp(path: Path, time_limit: float, seed: int) -> dict[str, Any]:
    """Solve one instance with PyVRP (one thread); its routes as point lists."""
    from pyvrp.stop import MaxRuntime

    problem = read_solomon(path, name=path.stem)
    model, points = pyvrp_model(problem)
    t0 = time.perf_counter()
    res = model.solve(stop=MaxRuntime(time_limit), seed=seed, display=False)
    wall = time.perf_counter() - t0
    # A client activity's idx counts clients, which were added in job order after the depot.
    routes = [
        [points[0]] + [points[1 + a.idx] for a in r if a.is_client()] + [points[0]]
        for r in res.best.routes()
    ]
    served = sum(r.num_clients() for r in res.best.routes())
    ok = bool(res.is_feasible()) and served == len(problem.jobs)
    # Our arc-by-arc distance of PyVRP's routes must be the distance PyVRP optimised.
    assert round(10 * plan_distance(routes, truncate=True)) == res.best.distance()
    return {"routes": routes, "ok": ok, "unserved": len(problem.jobs) - served, "wall": wall}


def summary(gaps: list[float]) -> tuple[float, float, float]:
    if not gaps:
        return float("nan"), float("nan"), float("nan")
    return statistics.fmean(gaps), statistics.median(gaps), max(gaps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_options(parser)
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per instance")
    parser.add_argument("--set", choices=["solomon", "homberger"], default="solomon")
    parser.add_argument("--only", nargs="*", help="instance names")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-pyvrp", action="store_true", help="solve with ours only")
    args = parser.parse_args()
    folder = args.data_dir / ("solomon100" if args.set == "solomon" else "homberger200")
    best = bks(args.data_dir, args.set)
    files = sorted(folder.glob("*.txt"))
    if args.only:
        wanted = {n.lower() for n in args.only}
        files = [f for f in files if f.stem.lower() in wanted]
    truncate = args.set == "solomon"
    peers = ["ours"] if args.no_pyvrp else ["ours", "pyvrp"]
    runners = {"ours": run_ours, "pyvrp": run_pyvrp}
    rows: list[list[Any]] = []
    gaps: dict[str, list[float]] = {p: [] for p in peers}
    per: dict[str, dict[str, float]] = {p: {} for p in peers}
    infeasible = dict.fromkeys(peers, 0)
    walls: dict[str, list[float]] = {p: [] for p in peers}
    complete: dict[str, set[str]] = {p: set() for p in peers}
    # A fresh process per solve: each peer has one core and nothing carries over between runs.
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=len(peers), max_tasks_per_child=1
    ) as pool:
        for path in files:
            futures = {p: pool.submit(runners[p], path, args.time_limit, args.seed) for p in peers}
            ref = best[path.stem]
            row: list[Any] = [path.stem, f"{ref:.1f}"]
            for p in peers:
                out = futures[p].result()
                dist = plan_distance(out["routes"], truncate)
                gap = 100 * (dist - ref) / ref
                if out["ok"]:
                    gaps[p].append(gap)
                    complete[p].add(path.stem)
                else:
                    infeasible[p] += 1
                per[p][path.stem] = round(gap, 3)
                walls[p].append(out["wall"])
                row += [
                    f"{dist:.1f}",
                    f"{gap:.2f}" + ("" if out["ok"] else " (NO)"),
                    f"{out['wall']:.1f}",
                ]
            rows.append(row)
            print(
                f"{path.stem} " + " ".join(f"{p} {per[p][path.stem]:.2f}%" for p in peers),
                file=sys.stderr,
                flush=True,
            )
    headers = ["instance", "BKS"]
    for p in peers:
        headers += [f"{p} distance", f"{p} gap %", f"{p} s"]
    print_table(headers, rows)
    figures: dict[str, Any] = {}
    for p in peers:
        mean, median, worst = summary(gaps[p])
        print(
            f"{p}, {args.set}: {len(gaps[p])} instances, time limit {args.time_limit} s: mean gap "
            f"{mean:.2f}%, median {median:.2f}%, worst {worst:.2f}%, infeasible or incomplete "
            f"{infeasible[p]}, worst wall {max(walls[p], default=0.0):.1f} s"
        )
        prefix = "" if p == "ours" else "pyvrp_"
        figures[prefix + "mean_gap_pct"] = round(mean, 3)
        figures[prefix + "worst_gap_pct"] = round(worst, 3)
        figures[prefix + "infeasible"] = infeasible[p]
        figures[prefix + "per_instance"] = per[p]
    if "pyvrp" in peers:
        # Mean distance ratio over instances both solved completely.
        both = sorted(complete["ours"] & complete["pyvrp"])
        ratios = [(100 + per["ours"][s]) / (100 + per["pyvrp"][s]) for s in both]
        ratio = statistics.fmean(ratios) if ratios else float("nan")
        figures["ratio"] = round(ratio, 4)
        print(f"ours / PyVRP distance, mean over instances: {ratio:.4f}")
    if args.json:
        emit_json(
            {
                **figures,
                "instances": len(gaps["ours"]),
                "time_limit": args.time_limit,
                "set": args.set,
            }
        )


if __name__ == "__main__":
    main()
