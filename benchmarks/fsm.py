"""Field-service benchmark: our scheduler beside VROOM and PyVRP on the FSM-JSON instances.

Every plan is converted to an FSM-JSON solution and checked (feasibility and cost) by the
reference checker ``fsm_check.py`` from the data directory. VROOM (pyvroom, exploration level 5,
one thread) runs first; ours then gets ``--time-factor`` times VROOM's wall time (or a fixed
``--time-limit``), and PyVRP gets the same limit as ours. VROOM and PyVRP have no soft lateness,
so emergencies' windows are closed at their SLA due time for them (as in the data's README).
VROOM gets one vehicle per technician shift (a technician-day on the week file), each lunch break
a ``vroom.Break``; PyVRP, which has no breaks, runs only on days without them. Our wall time is
compared with the limit: ``overrun_s`` is how far it went past max(1.05 x limit, limit + 0.3 s).

Usage: python benchmarks/fsm.py [--json] [--time-factor 0.9 | --time-limit S] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np
from _scheduling_common import add_common_options, emit_json, load_fsm_checker, print_table

from servicecore.scheduling import fsm_to_problem, solve, solve_decomposed


def travel_matrix(inst: dict[str, Any], points: list[list[float]]) -> np.ndarray:
    xy = np.array(points, dtype=float)
    km = np.hypot(xy[:, 0:1] - xy[:, 0], xy[:, 1:2] - xy[:, 1])
    return np.ceil(km / inst["travel"]["speed_kmh"] * 60 - 1e-9).astype(np.int64)


def closed_windows(job: dict[str, Any]) -> list[tuple[int, int]]:
    """The job's windows, closed at its SLA due time when it has one (hard SLA)."""
    windows = [(lo, hi) for lo, hi in sorted(job["time_windows"])]
    if "sla_due" not in job:
        return windows
    cut = [(lo, min(hi, job["sla_due"])) for lo, hi in windows if lo <= job["sla_due"]]
    return cut or windows


def shifts_of(tech: dict[str, Any]) -> list[tuple[int, int, list[list[int]]]]:
    """(open, close, breaks) of each shift of a technician, as FSM_FORMAT.md defines them."""
    if "shifts" in tech:
        return [(s["open"], s["close"], s.get("breaks", [])) for s in tech["shifts"]]
    return [(tech["shift"][0], tech["shift"][1], tech.get("breaks", []))]


def run_vroom(inst: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """VROOM with one vehicle per technician shift, each break a ``vroom.Break``."""
    import vroom

    t0 = time.perf_counter()
    techs, jobs = inst["technicians"], inst["jobs"]
    skill_ids = {
        s: k
        for k, s in enumerate(
            sorted({s for t in techs for s in t["skills"]} | {s for j in jobs for s in j["skills"]})
        )
    }
    points = [j["location"] for j in jobs]
    for t in techs:
        points += [t["start"], t["end"]]
    matrix = travel_matrix(inst, points)
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=matrix)
    n = len(jobs)
    vehicles: list[tuple[int, int]] = []
    for k, t in enumerate(techs):
        for d, (open_, close, breaks) in enumerate(shifts_of(t)):
            vehicles.append((k, d))
            problem.add_vehicle(
                vroom.Vehicle(
                    id=len(vehicles) - 1,
                    start=n + 2 * k,
                    end=n + 2 * k + 1,
                    skills={skill_ids[s] for s in t["skills"]},
                    time_window=vroom.TimeWindow(open_, close),
                    breaks=[
                        vroom.Break(b, time_windows=[vroom.TimeWindow(lo, hi)], service=minutes)
                        for b, (lo, hi, minutes) in enumerate(breaks)
                    ],
                )
            )
    for k, j in enumerate(jobs):
        problem.add_job(
            vroom.Job(
                id=k,
                location=k,
                default_service=j["duration"],
                skills={skill_ids[s] for s in j["skills"]},
                priority=min(100, j["priority"]),
                time_windows=[vroom.TimeWindow(lo, hi) for lo, hi in closed_windows(j)],
            )
        )
    sol = problem.solve(exploration_level=5, nb_threads=1)
    wall = time.perf_counter() - t0
    routes: dict[int, list[str]] = {}
    df = sol.routes
    for vid, typ, jid in zip(df["vehicle_id"], df["type"], df["id"], strict=True):
        if typ == "job":
            routes.setdefault(int(vid), []).append(jobs[int(jid)]["id"])
    served = {j for r in routes.values() for j in r}
    out = []
    for v, js in sorted(routes.items()):
        k, d = vehicles[v]
        out.append({"technician": techs[k]["id"], "jobs": js, "shift": d})
    return {
        "instance": inst["name"],
        "routes": out,
        "unassigned": [j["id"] for j in jobs if j["id"] not in served],
    }, wall


def pyvrp_can_plan(inst: dict[str, Any]) -> bool:
    """PyVRP has no breaks, and this conversion gives each technician one shift."""
    return all("shifts" not in t and not t.get("breaks") for t in inst["technicians"])


def run_pyvrp(inst: dict[str, Any], time_limit: float, seed: int) -> tuple[dict[str, Any], float]:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    t0 = time.perf_counter()
    techs, jobs = inst["technicians"], inst["jobs"]
    points = [t["start"] for t in techs] + [t["end"] for t in techs] + [j["location"] for j in jobs]
    base = travel_matrix(inst, points)
    n_t = len(techs)
    locations = [pyvrp.Location(x=round(p[0] * 1000), y=round(p[1] * 1000)) for p in points]
    depots = [pyvrp.Depot(location=k) for k in range(2 * n_t)]
    clients = [
        pyvrp.Client(
            location=2 * n_t + k,
            service_duration=j["duration"],
            tw_early=closed_windows(j)[0][0],
            tw_late=closed_windows(j)[0][1],
            prize=inst["unserved_penalty_per_priority"] * j["priority"],
            required=False,
            name=j["id"],
        )
        for k, j in enumerate(jobs)
    ]
    # Skills as routing profiles: a technician lacking a job's skills sees it as out of reach.
    profiles: dict[frozenset[str], int] = {}
    for t in techs:
        profiles.setdefault(frozenset(t["skills"]), len(profiles))
    big = 10**6
    dist_mats, dur_mats = [], []
    for skills in profiles:
        m = base.copy()
        for k, j in enumerate(jobs):
            if not set(j["skills"]) <= skills:
                m[:, 2 * n_t + k] = big
        np.fill_diagonal(m, 0)
        dist_mats.append(m)
        dur_mats.append(m)
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=1,
            start_depot=k,
            end_depot=n_t + k,
            tw_early=t["shift"][0],
            tw_late=t["shift"][1],
            unit_distance_cost=1,
            unit_duration_cost=0,
            profile=profiles[frozenset(t["skills"])],
            name=t["id"],
        )
        for k, t in enumerate(techs)
    ]
    data = pyvrp.ProblemData(locations, clients, depots, vehicle_types, dist_mats, dur_mats)
    res = pyvrp.solve(
        data, stop=MaxRuntime(time_limit), seed=seed, display=False, collect_stats=False
    )
    wall = time.perf_counter() - t0
    routes = []
    served = set()
    for route in res.best.routes():
        ids = [jobs[a.idx]["id"] for a in route.schedule() if a.is_client()]
        served.update(ids)
        routes.append({"technician": techs[route.vehicle_type()]["id"], "jobs": ids})
    return {
        "instance": inst["name"],
        "routes": routes,
        "unassigned": [j["id"] for j in jobs if j["id"] not in served],
    }, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_options(parser)
    parser.add_argument(
        "--time-factor",
        type=float,
        default=0.9,
        help="our time limit as a share of VROOM's wall time (default 0.9)",
    )
    parser.add_argument("--time-limit", type=float, help="fixed time limit for ours and PyVRP")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", action="append", help="instance name(s) to run")
    parser.add_argument("--no-pyvrp", action="store_true")
    parser.add_argument(
        "--max-jobs-per-part",
        type=int,
        default=250,
        help="parts of this many jobs when an instance is decomposed, solved one after "
        "another in one process, then re-optimised whole (default 250; 0: never decompose)",
    )
    parser.add_argument(
        "--decompose-above",
        type=int,
        default=500,
        help="decompose instances of more jobs than this (default 500: only the 1,000-job day)",
    )
    args = parser.parse_args()
    checker = load_fsm_checker(args.data_dir)
    files = sorted(
        (args.data_dir / "fsm").glob("*.json"), key=lambda p: int(p.stem.split("-")[1].rstrip("j"))
    )
    if args.only:
        files = [f for f in files if f.stem in args.only]
    rows, figures = [], []
    for path in files:
        inst = json.loads(path.read_text())
        vroom_sol, vroom_wall = run_vroom(inst)
        v = checker.evaluate(inst, vroom_sol)
        limit = args.time_limit or max(0.1, vroom_wall * args.time_factor)
        t0 = time.perf_counter()
        problem = fsm_to_problem(inst)
        if args.max_jobs_per_part and len(problem.jobs) > args.decompose_above:
            # One thread, like VROOM: the parts are solved one after another.
            result = solve_decomposed(
                problem,
                time_limit=limit,
                seed=args.seed,
                max_jobs_per_part=args.max_jobs_per_part,
                workers=1,
            )
        else:
            result = solve(problem, time_limit=limit, seed=args.seed)
        ours_wall = time.perf_counter() - t0
        allowed = max(1.05 * limit, limit + 0.3)
        o = checker.evaluate(inst, result.to_fsm_solution())
        entry: dict[str, Any] = {
            "instance": inst["name"],
            "time_limit": round(limit, 2),
            "vroom": {
                "cost": v["cost"],
                "feasible": v["feasible"],
                "wall": round(vroom_wall, 2),
                "unassigned": v["unassigned"],
            },
            "ours": {
                "cost": o["cost"],
                "feasible": o["feasible"],
                "wall": round(ours_wall, 2),
                "unassigned": o["unassigned"],
                "errors": o["errors"][:3],
            },
            "ratio_ours_vroom": round(o["cost"] / v["cost"], 4),
            "overrun_s": round(max(0.0, ours_wall - allowed), 3),
        }
        p = None
        if not args.no_pyvrp and pyvrp_can_plan(inst):
            pyvrp_sol, pyvrp_wall = run_pyvrp(inst, limit, args.seed)
            p = checker.evaluate(inst, pyvrp_sol)
            entry["pyvrp"] = {
                "cost": p["cost"],
                "feasible": p["feasible"],
                "wall": round(pyvrp_wall, 2),
                "unassigned": p["unassigned"],
            }
            entry["ratio_ours_pyvrp"] = round(o["cost"] / p["cost"], 4)
        figures.append(entry)
        rows.append(
            [
                inst["name"],
                f"{v['cost']} ({v['unassigned']})",
                f"{vroom_wall:.1f}",
                f"{o['cost']} ({o['unassigned']})" + ("" if o["feasible"] else " INFEASIBLE"),
                f"{ours_wall:.1f}",
                f"{o['cost'] / v['cost']:.3f}",
                f"{limit:.1f}",
                "-"
                if p is None
                else f"{p['cost']} ({p['unassigned']})" + ("" if p["feasible"] else " INFEASIBLE"),
                "-" if p is None else f"{entry['pyvrp']['wall']:.1f}",
            ]
        )
        print(f"done {inst['name']}", file=sys.stderr, flush=True)
    print_table(
        [
            "instance",
            "VROOM cost (unserved)",
            "VROOM s",
            "ours cost (unserved)",
            "ours s",
            "ours/VROOM",
            "limit s",
            "PyVRP cost (unserved)",
            "PyVRP s",
        ],
        rows,
    )
    if args.json:
        emit_json(
            {
                "instances": figures,
                "all_ours_le_vroom": all(f["ours"]["cost"] <= f["vroom"]["cost"] for f in figures),
                "all_ours_feasible": all(f["ours"]["feasible"] for f in figures),
                "all_vroom_feasible": all(f["vroom"]["feasible"] for f in figures),
                "worst_overrun_s": max((f["overrun_s"] for f in figures), default=0.0),
                "worst_wall_over_limit": max(
                    (f["ours"]["wall"] / f["time_limit"] for f in figures), default=0.0
                ),
            }
        )


if __name__ == "__main__":
    main()
