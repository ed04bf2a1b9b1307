"""The scheduling problem: technicians, jobs and travel, as validated frozen value objects.

Times are integer minutes on one clock (for example minutes from midnight of the first day of the
horizon); a multi-day horizon is a technician with one :class:`Shift` per day. Bad input raises
:class:`~servicecore.errors.ValidationError` naming the field path and the value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs

from servicecore.errors import FieldError, ValidationError
from servicecore.scheduling.travel import Point, Travel

__all__ = ["Break", "Job", "Problem", "Shift", "Technician", "TimeWindow"]


def _isinstance(value: object, kind: type[Any]) -> bool:
    # Typed fields are still checked at run time: callers (JSON, notebooks) pass anything.
    return isinstance(value, kind)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Largest coordinate magnitude: travel minutes between any two points must stay integers that
# numpy and OR-Tools can hold (beyond, a distance overflows or comes out as garbage), and 10
# million is far beyond any map (the Earth is 40,000 km round).
_COORDINATE_MOST = 10_000_000
_POINT_RULE = f"must be a point (x, y) of finite numbers within +-{_COORDINATE_MOST:,}"


def _point(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and all(
            isinstance(v, int | float)
            and not isinstance(v, bool)
            # The bound first: isfinite() overflows on a huge int.
            and abs(v) <= _COORDINATE_MOST
            and math.isfinite(v)
            for v in value
        )
    )


def _to_point(value: Any) -> Any:
    if isinstance(value, list | tuple) and len(value) == 2:
        return (value[0], value[1])
    return value


def _to_opt_point(value: Any) -> Any:
    return None if value is None else _to_point(value)


def _to_frozenset(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return frozenset(value)
    return value


def _to_tuple(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(value)
    return value


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationError(errors)


def _nonneg_int(errors: list[FieldError], path: str, value: object) -> None:
    if not _is_int(value) or value < 0:  # type: ignore[operator]
        errors.append(FieldError(path, value, "must be an integer >= 0"))


def _opt_nonneg_int(errors: list[FieldError], path: str, value: object) -> None:
    if value is not None:
        _nonneg_int(errors, path, value)


def _id(errors: list[FieldError], path: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError(path, value, "must be a non-blank string"))


def _skills(errors: list[FieldError], path: str, value: object) -> None:
    if not isinstance(value, frozenset) or not all(isinstance(s, str) and s.strip() for s in value):
        errors.append(FieldError(path, value, "must be a collection of non-blank strings"))


def _typed_items(
    errors: list[FieldError], path: str, value: object, kind: type[Any], name: str
) -> bool:
    if not isinstance(value, tuple):
        errors.append(FieldError(path, value, f"must be a sequence of {name}"))
        return False
    ok = True
    for i, item in enumerate(value):
        if not isinstance(item, kind):
            errors.append(FieldError(f"{path}[{i}]", item, f"must be a {name}"))
            ok = False
    return ok


@attrs.frozen
class TimeWindow:
    """An interval ``[start, end]`` of minutes, both ends included.

    Attributes:
        start: First minute of the window.
        end: Last minute of the window (``>= start``).

    Raises:
        ValidationError: If a bound is not an integer >= 0 or ``end < start``.
    """

    start: int
    end: int

    def __attrs_post_init__(self) -> None:
        errors: list[FieldError] = []
        _nonneg_int(errors, "start", self.start)
        _nonneg_int(errors, "end", self.end)
        if not errors and self.end < self.start:
            errors.append(FieldError("end", self.end, f"must be >= start ({self.start})"))
        _raise(errors)

    def contains(self, minute: int) -> bool:
        """Return whether ``minute`` lies inside the window (ends included)."""
        return self.start <= minute <= self.end


@attrs.frozen
class Break:
    """A break of fixed length that must start inside ``[earliest, latest]`` (lunch, say).

    A break never overlaps service on site; it may be taken while travelling or waiting.

    Attributes:
        earliest: Earliest start minute.
        latest: Latest start minute (``>= earliest``).
        duration: Length in minutes (``> 0``).

    Raises:
        ValidationError: If a field is not a non-negative integer, ``latest < earliest`` or
            ``duration`` is 0.
    """

    earliest: int
    latest: int
    duration: int

    def __attrs_post_init__(self) -> None:
        errors: list[FieldError] = []
        _nonneg_int(errors, "earliest", self.earliest)
        _nonneg_int(errors, "latest", self.latest)
        _nonneg_int(errors, "duration", self.duration)
        if not errors:
            if self.latest < self.earliest:
                errors.append(FieldError("latest", self.latest, "must be >= earliest"))
            if self.duration == 0:
                errors.append(FieldError("duration", self.duration, "must be > 0"))
        _raise(errors)


@attrs.frozen
class Shift:
    """One working period of a technician.

    The technician leaves the start no earlier than ``start`` and is back at the end location
    no later than ``end``.

    Attributes:
        start: Opening minute.
        end: Closing minute (``>= start``).
        breaks: Breaks to take during the shift; each must fit inside it.

    Raises:
        ValidationError: If the bounds are bad or a break cannot fit inside the shift.
    """

    start: int
    end: int
    breaks: tuple[Break, ...] = attrs.field(default=(), converter=_to_tuple)

    def __attrs_post_init__(self) -> None:
        errors: list[FieldError] = []
        _nonneg_int(errors, "start", self.start)
        _nonneg_int(errors, "end", self.end)
        if not errors and self.end < self.start:
            errors.append(FieldError("end", self.end, f"must be >= start ({self.start})"))
        if _typed_items(errors, "breaks", self.breaks, Break, "Break") and not errors:
            for i, b in enumerate(self.breaks):
                if b.earliest < self.start or b.latest + b.duration > self.end:
                    errors.append(
                        FieldError(f"breaks[{i}]", b, "must start and end inside the shift")
                    )
        _raise(errors)

    @property
    def length(self) -> int:
        """Minutes from opening to closing."""
        return self.end - self.start

    @property
    def break_minutes(self) -> int:
        """Total minutes of breaks in the shift."""
        return sum(b.duration for b in self.breaks)


@attrs.frozen
class Technician:
    """A technician who can be routed: skills, home locations and shifts over the horizon.

    Attributes:
        id: Unique id.
        skills: Skills held; a job is only given to a technician holding all its skills.
        start: Where each shift starts.
        end: Where each shift ends (defaults to ``start``).
        shifts: Working periods, one per day of the horizon, in time order and not overlapping.
        max_jobs: Most jobs per shift, or ``None`` for no limit.
        max_work_minutes: Longest shift span in minutes (leave start to back at end), or
            ``None`` for no limit other than the shift itself.
        cost_per_minute: Cost of one minute of this technician's travel.
        territory: The territory served, or ``None`` to serve anywhere.
        capacity: Load carried per shift (parts, Solomon demand), or ``None`` for unlimited.

    Raises:
        ValidationError: If a field has the wrong type or range, or shifts overlap.
    """

    id: str
    skills: frozenset[str] = attrs.field(converter=_to_frozenset)
    start: Point = attrs.field(converter=_to_point)
    shifts: tuple[Shift, ...] = attrs.field(converter=_to_tuple)
    end: Point | None = attrs.field(default=None, converter=_to_opt_point)
    max_jobs: int | None = None
    max_work_minutes: int | None = None
    cost_per_minute: int = 1
    territory: str | None = None
    capacity: int | None = None

    def __attrs_post_init__(self) -> None:
        errors: list[FieldError] = []
        _id(errors, "id", self.id)
        _skills(errors, "skills", self.skills)
        if not _point(self.start):
            errors.append(FieldError("start", self.start, _POINT_RULE))
        if self.end is not None and not _point(self.end):
            errors.append(FieldError("end", self.end, f"{_POINT_RULE}, or None"))
        if _typed_items(errors, "shifts", self.shifts, Shift, "Shift"):
            if not self.shifts:
                errors.append(FieldError("shifts", self.shifts, "must hold at least one shift"))
            for i in range(1, len(self.shifts)):
                if self.shifts[i].start < self.shifts[i - 1].end:
                    errors.append(
                        FieldError(
                            f"shifts[{i}].start",
                            self.shifts[i].start,
                            "shifts must be in time order and must not overlap",
                        )
                    )
        _opt_nonneg_int(errors, "max_jobs", self.max_jobs)
        _opt_nonneg_int(errors, "max_work_minutes", self.max_work_minutes)
        _nonneg_int(errors, "cost_per_minute", self.cost_per_minute)
        if self.territory is not None:
            _id(errors, "territory", self.territory)
        _opt_nonneg_int(errors, "capacity", self.capacity)
        _raise(errors)

    @property
    def end_point(self) -> Point:
        """Where shifts end: ``end``, or ``start`` when no end is given."""
        return self.start if self.end is None else self.end


@attrs.frozen
class Job:
    """A visit to make: where, how long, what skills, when.

    Attributes:
        id: Unique id.
        location: Where the work is.
        duration: Minutes on site.
        skills: Skills the technician must all hold.
        time_windows: Windows in which service must START (waiting before one opens is
            allowed); empty means any time inside a shift.
        priority: 1 routine, 2 important, 3 emergency (any positive integer is accepted).
        sla_due: Minute after which a late start costs ``lateness_cost`` per minute.
        lateness_cost: Cost per minute of starting after ``sla_due``.
        unserved_cost: Cost of leaving the job unserved; ``None`` means the problem's
            ``unserved_cost_per_priority`` times ``priority``.
        preferred_technician: A technician to prefer (the account specialist), or ``None``.
        preference_cost: Cost paid when a preferred job is served by someone else.
        pinned_technician: Only this technician may serve the job (re-planning).
        pinned_start: Service must start exactly at this minute (re-planning).
        in_progress: The job is being worked on now: it is mandatory, first in its pinned
            technician's shift, and starts at ``pinned_start``; ``duration`` is what remains.
        demand: Load it takes from the technician's ``capacity``.
        territory: Territory of the job; only technicians of that territory (or of none) serve it.

    Raises:
        ValidationError: If a field has the wrong type or range, windows overlap, or an
            in-progress job lacks its pinned technician and start.
    """

    id: str
    location: Point = attrs.field(converter=_to_point)
    duration: int
    skills: frozenset[str] = attrs.field(default=frozenset(), converter=_to_frozenset)
    time_windows: tuple[TimeWindow, ...] = attrs.field(default=(), converter=_to_tuple)
    priority: int = 1
    sla_due: int | None = None
    lateness_cost: int = 0
    unserved_cost: int | None = None
    preferred_technician: str | None = None
    preference_cost: int = 0
    pinned_technician: str | None = None
    pinned_start: int | None = None
    in_progress: bool = False
    demand: int = 0
    territory: str | None = None

    def __attrs_post_init__(self) -> None:
        errors: list[FieldError] = []
        _id(errors, "id", self.id)
        if not _point(self.location):
            errors.append(FieldError("location", self.location, _POINT_RULE))
        _nonneg_int(errors, "duration", self.duration)
        _skills(errors, "skills", self.skills)
        if _typed_items(errors, "time_windows", self.time_windows, TimeWindow, "TimeWindow"):
            ws = sorted(self.time_windows, key=lambda w: w.start)
            for a, b in itertools.pairwise(ws):
                if b.start <= a.end:
                    errors.append(
                        FieldError("time_windows", self.time_windows, "windows must not overlap")
                    )
                    break
        if not _is_int(self.priority) or self.priority < 1:
            errors.append(FieldError("priority", self.priority, "must be an integer >= 1"))
        _opt_nonneg_int(errors, "sla_due", self.sla_due)
        _nonneg_int(errors, "lateness_cost", self.lateness_cost)
        _opt_nonneg_int(errors, "unserved_cost", self.unserved_cost)
        for name in ("preferred_technician", "pinned_technician", "territory"):
            if getattr(self, name) is not None:
                _id(errors, name, getattr(self, name))
        _nonneg_int(errors, "preference_cost", self.preference_cost)
        _opt_nonneg_int(errors, "pinned_start", self.pinned_start)
        if not _isinstance(self.in_progress, bool):
            errors.append(FieldError("in_progress", self.in_progress, "must be a bool"))
        elif self.in_progress and (self.pinned_technician is None or self.pinned_start is None):
            errors.append(
                FieldError(
                    "in_progress",
                    True,
                    "an in-progress job needs pinned_technician and pinned_start",
                )
            )
        _nonneg_int(errors, "demand", self.demand)
        _raise(errors)

    def windows(self) -> tuple[TimeWindow, ...]:
        """Return the time windows sorted by start."""
        return tuple(sorted(self.time_windows, key=lambda w: w.start))

    def can_be_done_by(self, technician: Technician) -> bool:
        """Return whether ``technician`` has the skills, territory and pin for this job."""
        if self.pinned_technician is not None and self.pinned_technician != technician.id:
            return False
        if not self.skills <= technician.skills:
            return False
        return (
            self.territory is None
            or technician.territory is None
            or self.territory == technician.territory
        )


@attrs.frozen
class Problem:
    """A whole scheduling problem: who, what, and how long it takes to get around.

    Build one directly, with :class:`~servicecore.scheduling.ProblemBuilder`, or read one with
    :func:`~servicecore.scheduling.read_fsm_json` / :func:`~servicecore.scheduling.read_solomon`.

    Attributes:
        technicians: The technicians (unique ids).
        jobs: The jobs (unique ids).
        travel: How travel minutes are computed between points.
        unserved_cost_per_priority: Default cost of leaving a job unserved, per priority point.
        name: A name for reports and files.
        epoch: The timezone-aware moment minute 0 stands for (midnight of the first day, say),
            or ``None``; with it, :meth:`Result.to_dataframe` gives timestamps, not minutes.

    Raises:
        ValidationError: On duplicate ids, unknown technician references, points missing from
            a travel matrix, pins outside any shift, or an ``epoch`` without a time zone;
            paths look like ``jobs[3].pinned_start``.
    """

    technicians: tuple[Technician, ...] = attrs.field(converter=_to_tuple)
    jobs: tuple[Job, ...] = attrs.field(converter=_to_tuple)
    travel: Travel = attrs.field(factory=lambda: Travel.euclidean(30.0))
    unserved_cost_per_priority: int = 10_000
    name: str = "problem"
    epoch: datetime | None = None

    def __attrs_post_init__(self) -> None:
        errors: list[FieldError] = []
        if self.epoch is not None and (
            not _isinstance(self.epoch, datetime) or self.epoch.utcoffset() is None
        ):
            errors.append(FieldError("epoch", self.epoch, "must be a timezone-aware datetime"))
        ok_t = _typed_items(errors, "technicians", self.technicians, Technician, "Technician")
        ok_j = _typed_items(errors, "jobs", self.jobs, Job, "Job")
        if not _isinstance(self.travel, Travel):
            errors.append(FieldError("travel", self.travel, "must be a Travel"))
        _nonneg_int(errors, "unserved_cost_per_priority", self.unserved_cost_per_priority)
        if not _isinstance(self.name, str):
            errors.append(FieldError("name", self.name, "must be a string"))
        if not (ok_t and ok_j) or errors:
            _raise(errors)
            return
        techs: dict[str, Technician] = {}
        for i, t in enumerate(self.technicians):
            if t.id in techs:
                errors.append(FieldError(f"technicians[{i}].id", t.id, "duplicate technician id"))
            techs[t.id] = t
            for name, p in (("start", t.start), ("end", t.end_point)):
                if not self.travel.knows(p):
                    errors.append(
                        FieldError(f"technicians[{i}].{name}", p, "not a point of the matrix")
                    )
        seen: set[str] = set()
        for i, j in enumerate(self.jobs):
            if j.id in seen:
                errors.append(FieldError(f"jobs[{i}].id", j.id, "duplicate job id"))
            seen.add(j.id)
            if not self.travel.knows(j.location):
                errors.append(
                    FieldError(f"jobs[{i}].location", j.location, "not a point of the matrix")
                )
            for name in ("preferred_technician", "pinned_technician"):
                ref = getattr(j, name)
                if ref is not None and ref not in techs:
                    errors.append(FieldError(f"jobs[{i}].{name}", ref, "unknown technician"))
            if j.pinned_start is not None:
                if j.time_windows and not any(w.contains(j.pinned_start) for w in j.time_windows):
                    errors.append(
                        FieldError(
                            f"jobs[{i}].pinned_start", j.pinned_start, "outside the job's windows"
                        )
                    )
                owner = techs.get(j.pinned_technician or "")
                pool = [owner] if owner is not None else list(techs.values())
                if not any(s.start <= j.pinned_start <= s.end for t in pool for s in t.shifts):
                    errors.append(
                        FieldError(f"jobs[{i}].pinned_start", j.pinned_start, "outside any shift")
                    )
        _raise(errors)

    def job(self, job_id: str) -> Job:
        """Return the job with id ``job_id``.

        Raises:
            KeyError: If there is no such job.
        """
        for j in self.jobs:
            if j.id == job_id:
                return j
        raise KeyError(job_id)

    def technician(self, technician_id: str) -> Technician:
        """Return the technician with id ``technician_id``.

        Raises:
            KeyError: If there is no such technician.
        """
        for t in self.technicians:
            if t.id == technician_id:
                return t
        raise KeyError(technician_id)

    def unserved_cost(self, job: Job) -> int:
        """Return the cost of leaving ``job`` unserved."""
        if job.unserved_cost is not None:
            return job.unserved_cost
        return self.unserved_cost_per_priority * job.priority

    def with_jobs(self, jobs: Sequence[Job]) -> Problem:
        """Return a copy of this problem with ``jobs`` in place of its jobs.

        Raises:
            ValidationError: If the new jobs break a rule of the problem.
        """
        return attrs.evolve(self, jobs=tuple(jobs))

    @classmethod
    def from_fsm_json(cls, path: str) -> Problem:
        """Read an FSM-JSON instance file (see :func:`~servicecore.scheduling.read_fsm_json`).

        Raises:
            ValidationError: If the file does not follow the format.
            OSError: If the file cannot be read.
        """
        from servicecore.scheduling.formats import read_fsm_json

        return read_fsm_json(path)
