"""Read and write FSM-JSON instances and solutions, and read Solomon / Homberger VRPTW files.

FSM-JSON is defined in the benchmark's ``FSM_FORMAT.md``: one day, planar km coordinates,
``ceil(km / speed * 60)`` travel minutes. Solomon files are read in the DIMACS convention: every
distance and travel time is ``floor(10 * d) / 10``, so the problem's minutes are tenths of the
file's units (all times and durations are multiplied by 10).
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from servicecore.errors import FieldError, ValidationError
from servicecore.scheduling.problem import Break, Job, Problem, Shift, Technician, TimeWindow
from servicecore.scheduling.result import Result
from servicecore.scheduling.travel import Travel

__all__ = [
    "FSM_FORMAT",
    "fsm_to_problem",
    "problem_to_fsm",
    "read_fsm_json",
    "read_solomon",
    "solution_to_fsm",
    "write_fsm_solution",
]

FSM_FORMAT = "fsm-json/1"
"""The format tag of FSM-JSON instances."""

T = TypeVar("T")

# Bounds on what a Solomon file may ask for, so that a hostile file is refused instead of building
# a fleet or a travel matrix that never finishes. The largest Gehring-Homberger instances have
# 1,000 customers and a few hundred vehicles.
_SOLOMON_MOST_VEHICLES = 10_000
"""No instance needs more vehicles than customers; 10,000 technicians still build in a second."""
_SOLOMON_MOST_CUSTOMERS = 2_000
"""Twice the largest instance: the travel matrix grows with the square (4 million entries)."""
_SOLOMON_MOST_NUMBER = 10_000_000
"""The model's coordinate bound, for every number: times become tenths and must stay integers
that the solver can hold, and the distance between two coordinates must not overflow."""


def _build(errors: list[FieldError], path: str, make: Callable[[], T]) -> T | None:
    try:
        return make()
    except ValidationError as exc:
        errors.extend(e.prefixed(path) for e in exc.errors)
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        errors.append(FieldError(path, None, f"malformed: {exc!r}"))
    return None


def fsm_to_problem(data: Mapping[str, Any]) -> Problem:
    """Build a problem from a parsed FSM-JSON instance.

    Raises:
        ValidationError: If the data does not follow FSM-JSON; paths look like
            ``jobs[3].duration``.
    """
    errors: list[FieldError] = []
    if not isinstance(data, Mapping):
        raise ValidationError.single("", data, "an FSM-JSON instance must be an object")
    if data.get("format") != FSM_FORMAT:
        errors.append(FieldError("format", data.get("format"), f"must be {FSM_FORMAT!r}"))
    travel_data = data.get("travel")
    travel: Travel | None = None
    if not isinstance(travel_data, Mapping) or travel_data.get("metric") != "euclidean":
        errors.append(FieldError("travel", travel_data, "must be {'metric': 'euclidean', ...}"))
    else:
        travel = _build(errors, "travel", lambda: Travel.euclidean(travel_data["speed_kmh"]))
    techs = []
    for i, t in enumerate(_list(errors, data, "technicians")):
        tech = _build(
            errors,
            f"technicians[{i}]",
            lambda t=t: Technician(  # type: ignore[misc]
                id=t["id"],
                skills=t["skills"],
                start=t["start"],
                end=t["end"],
                shifts=_shifts_of(t),
            ),
        )
        if tech is not None:
            techs.append(tech)
    jobs = []
    for i, j in enumerate(_list(errors, data, "jobs")):
        job = _build(
            errors,
            f"jobs[{i}]",
            lambda j=j: Job(  # type: ignore[misc]
                id=j["id"],
                location=j["location"],
                duration=j["duration"],
                skills=j["skills"],
                priority=j["priority"],
                time_windows=_windows_of(j["time_windows"]),
                sla_due=j.get("sla_due"),
                lateness_cost=j.get("lateness_penalty", 0),
            ),
        )
        if job is not None:
            jobs.append(job)
    if errors:
        raise ValidationError(errors)
    assert travel is not None  # errors would have been raised above
    return Problem(
        technicians=tuple(techs),
        jobs=tuple(jobs),
        travel=travel,
        unserved_cost_per_priority=data.get("unserved_penalty_per_priority", 10_000),
        name=str(data.get("name", "fsm")),
    )


def _named(make: Callable[[], T], names: Mapping[str, str], prefix: str = "") -> T:
    """Call ``make``; name its errors' fields as the file does (``names``, then ``prefix``)."""
    try:
        return make()
    except ValidationError as exc:
        errors = []
        for e in exc.errors:
            head, dot, rest = e.path.partition(".")
            field, bracket, index = head.partition("[")
            path = names.get(field, field) + bracket + index + dot + rest
            errors.append(FieldError(f"{prefix}{path}", e.value, e.message))
        raise ValidationError(errors) from None


_BREAK_COLUMNS = {"earliest": "[0]", "latest": "[1]", "duration": "[2]"}
_WINDOW_COLUMNS = {"start": "[0]", "end": "[1]"}


def _breaks_of(rows: Any, path: str) -> tuple[Break, ...]:
    return tuple(
        _named(functools.partial(Break, *b[:3]), _BREAK_COLUMNS, f"{path}[{i}]")
        for i, b in enumerate(rows)
    )


def _windows_of(rows: Any) -> tuple[TimeWindow, ...]:
    return tuple(
        _named(functools.partial(TimeWindow, *w[:2]), _WINDOW_COLUMNS, f"time_windows[{i}]")
        for i, w in enumerate(rows)
    )


def _shifts_of(t: Mapping[str, Any]) -> tuple[Shift, ...]:
    """A technician's shifts: ``shifts`` (several days) or the one ``shift`` with ``breaks``.

    Errors name the file's fields (``shift[0]``, ``shifts[1].close``, ``breaks[0][2]``), not
    the model's (``start`` is the technician's start location in FSM-JSON).
    """
    if "shifts" in t:
        return tuple(
            _named(
                functools.partial(
                    Shift,
                    s["open"],
                    s["close"],
                    _breaks_of(s.get("breaks", []), f"shifts[{k}].breaks"),
                ),
                {"start": "open", "end": "close"},
                f"shifts[{k}].",
            )
            for k, s in enumerate(t["shifts"])
        )
    breaks = _breaks_of(t.get("breaks", []), "breaks")
    shift = _named(
        lambda: Shift(t["shift"][0], t["shift"][1], breaks),
        {"start": "shift[0]", "end": "shift[1]"},
    )
    return (shift,)


def _list(errors: list[FieldError], data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        errors.append(FieldError(key, value, "must be a list"))
        return []
    return value


def read_fsm_json(path: str | os.PathLike[str]) -> Problem:
    """Read an FSM-JSON instance file.

    Raises:
        ValidationError: If the file does not follow FSM-JSON (or is not JSON).
        OSError: If the file cannot be read.
    """
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ValidationError.single(str(path), None, f"not JSON: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ValidationError.single(str(path), None, f"not UTF-8 text: {exc}") from exc
        except RecursionError:
            raise ValidationError.single(str(path), None, "nested too deeply") from None
    return fsm_to_problem(data)


def problem_to_fsm(problem: Problem) -> dict[str, Any]:
    """Return the problem as an FSM-JSON instance dictionary.

    Raises:
        ValidationError: If the problem uses what FSM-JSON cannot say (a travel that is not
            euclidean, limits, pins, preferences, demand, territories, per-job unserved
            costs); the path names the first such field.
    """
    errors: list[FieldError] = []
    if problem.travel.metric != "euclidean":
        errors.append(FieldError("travel.metric", problem.travel.metric, "FSM-JSON is euclidean"))
    techs = []
    for i, t in enumerate(problem.technicians):
        for name, default in (
            ("max_jobs", None),
            ("max_work_minutes", None),
            ("territory", None),
            ("capacity", None),
            ("cost_per_minute", 1),
        ):
            if getattr(t, name) != default:
                errors.append(
                    FieldError(f"technicians[{i}].{name}", getattr(t, name), "not in FSM-JSON")
                )
        row_t: dict[str, Any] = {
            "id": t.id,
            "skills": sorted(t.skills),
            "start": list(t.start),
            "end": list(t.end_point),
        }
        if len(t.shifts) == 1:
            row_t["shift"] = [t.shifts[0].start, t.shifts[0].end]
            if t.shifts[0].breaks:
                row_t["breaks"] = _break_rows(t.shifts[0])
        else:
            row_t["shifts"] = [
                {"open": s.start, "close": s.end, "breaks": _break_rows(s)} for s in t.shifts
            ]
        techs.append(row_t)
    jobs = []
    for i, j in enumerate(problem.jobs):
        for name, default in (
            ("unserved_cost", None),
            ("preferred_technician", None),
            ("pinned_technician", None),
            ("pinned_start", None),
            ("in_progress", False),
            ("demand", 0),
            ("territory", None),
        ):
            if getattr(j, name) != default:
                errors.append(FieldError(f"jobs[{i}].{name}", getattr(j, name), "not in FSM-JSON"))
        row: dict[str, Any] = {
            "id": j.id,
            "location": list(j.location),
            "duration": j.duration,
            "skills": sorted(j.skills),
            "priority": j.priority,
            "time_windows": [[w.start, w.end] for w in j.windows()],
        }
        if j.sla_due is not None:
            row["sla_due"] = j.sla_due
            row["lateness_penalty"] = j.lateness_cost
        jobs.append(row)
    if errors:
        raise ValidationError(errors)
    return {
        "format": FSM_FORMAT,
        "name": problem.name,
        "travel": {"metric": "euclidean", "speed_kmh": problem.travel.speed_kmh},
        "unserved_penalty_per_priority": problem.unserved_cost_per_priority,
        "technicians": techs,
        "jobs": jobs,
    }


def _break_rows(shift: Shift) -> list[list[int]]:
    return [[b.earliest, b.latest, b.duration] for b in shift.breaks]


def solution_to_fsm(result: Result) -> dict[str, Any]:
    """Return a plan as an FSM-JSON solution dictionary (routes by technician, unassigned ids).

    With several shifts per technician, a technician gets one route entry per shift, naming
    its ``shift``.
    """
    routes: list[dict[str, Any]] = []
    for r in result.routes:
        route: dict[str, Any] = {"technician": r.technician_id, "jobs": r.job_ids}
        if len(result.problem.technician(r.technician_id).shifts) > 1:
            route["shift"] = r.shift_index
        routes.append(route)
    return {
        "instance": result.problem.name,
        "routes": routes,
        "unassigned": [u.job_id for u in result.unassigned],
    }


def write_fsm_solution(result: Result, path: str | os.PathLike[str]) -> None:
    """Write a plan as an FSM-JSON solution file.

    Raises:
        OSError: If the file cannot be written.
    """
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(solution_to_fsm(result), fh, indent=1)
        fh.write("\n")


def read_solomon(path: str | os.PathLike[str], *, name: str | None = None) -> Problem:
    """Read a Solomon or Gehring-Homberger VRPTW file.

    The fleet becomes that many identical technicians (no skills, capacity as a load
    dimension) with one shift from the depot's ready time to its due date. Times are in tenths
    of the file's units and travel is ``floor(10 * d)`` (the DIMACS convention), so a plan's
    travel minutes divided by 10 is its distance in that convention. Leaving a customer
    unserved costs far more than any route, so every customer is served when possible.

    Raises:
        ValidationError: If the file is not in Solomon format, or asks for more than the reader
            admits: more than 10,000 vehicles or 2,000 customers, or a number beyond
            +-10,000,000; the path is the file's.
        OSError: If the file cannot be read.
    """
    with open(path, encoding="utf-8") as fh:
        try:
            lines = [ln.split() for ln in fh.read().splitlines()]
        except UnicodeDecodeError as exc:
            raise ValidationError.single(str(path), None, f"not UTF-8 text: {exc}") from exc
    lines = [ln for ln in lines if ln]
    try:
        title = lines[0][0]
        v_at = next(i for i, ln in enumerate(lines) if ln[0].upper() == "NUMBER")
        fleet, capacity = int(lines[v_at + 1][0]), int(lines[v_at + 1][1])
        c_at = next(i for i, ln in enumerate(lines) if ln[0].upper() == "CUST")
        rows = [[float(x) for x in ln] for ln in lines[c_at + 1 :] if len(ln) >= 7]
    except (IndexError, ValueError, StopIteration) as exc:
        raise ValidationError.single(str(path), None, f"not a Solomon file: {exc!r}") from exc
    if not 1 <= fleet <= _SOLOMON_MOST_VEHICLES:
        raise ValidationError.single(
            str(path), fleet, f"VEHICLE NUMBER must be from 1 to {_SOLOMON_MOST_VEHICLES:,}"
        )
    if not 0 <= capacity <= _SOLOMON_MOST_NUMBER:
        raise ValidationError.single(
            str(path), capacity, f"CAPACITY must be from 0 to {_SOLOMON_MOST_NUMBER:,}"
        )
    if len(rows) - 1 > _SOLOMON_MOST_CUSTOMERS:
        raise ValidationError.single(
            str(path), len(rows) - 1, f"more than {_SOLOMON_MOST_CUSTOMERS:,} customers"
        )
    for row in rows:
        # isfinite() as well as the bound: a NaN compares false with any bound.
        bad = next((x for x in row if not math.isfinite(x) or abs(x) > _SOLOMON_MOST_NUMBER), None)
        if bad is not None:
            raise ValidationError.single(
                str(path),
                bad,
                f"customer {row[0]} has a number that is not finite"
                f" or beyond +-{_SOLOMON_MOST_NUMBER:,}: {bad}",
            )
    if not rows:
        raise ValidationError.single(str(path), None, "no customers")
    pts = [(r[1], r[2]) for r in rows]
    n = len(pts)
    minutes = [
        [math.floor(10 * math.hypot(a[0] - b[0], a[1] - b[1]) + 1e-7) for b in pts] for a in pts
    ]
    depot = rows[0]
    horizon = (int(depot[4]) * 10, int(depot[5]) * 10)
    techs = tuple(
        Technician(
            id=f"V{k + 1}",
            skills=frozenset(),
            start=pts[0],
            shifts=(Shift(*horizon),),
            capacity=capacity,
        )
        for k in range(fleet)
    )
    big = 100 * sum(max(row) for row in minutes) + 1
    jobs = tuple(
        Job(
            id=str(int(r[0])),
            location=pts[i],
            duration=round(r[6] * 10),
            demand=int(r[3]),
            time_windows=(TimeWindow(int(r[4]) * 10, int(r[5]) * 10),),
            unserved_cost=big,
        )
        for i, r in enumerate(rows)
        if i > 0
    )
    travel = Travel.from_matrix(pts, minutes) if n else Travel.euclidean(1.0)
    return Problem(
        technicians=techs,
        jobs=jobs,
        travel=travel,
        unserved_cost_per_priority=big,
        name=name or title,
    )
