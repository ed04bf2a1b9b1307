"""A notebook-friendly way to put a problem together, one technician and one job at a time."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from servicecore.errors import FieldError, ValidationError
from servicecore.scheduling.problem import Break, Job, Problem, Shift, Technician, TimeWindow
from servicecore.scheduling.travel import Point, Travel

__all__ = ["ProblemBuilder", "hm"]

_HM = re.compile(r"^(\d{1,2}):(\d{2})$")
_DAY = 1440


def hm(text: str, day: int = 0) -> int:
    """Return minutes from midnight of day 0 for a clock time such as ``"08:30"`` on ``day``.

    Raises:
        ValidationError: If ``text`` is not ``H:MM`` / ``HH:MM`` with valid hours and minutes.
    """
    m = _HM.match(text) if isinstance(text, str) else None
    if m is None or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        raise ValidationError.single("time", text, "must be a clock time like '08:30'")
    return day * _DAY + int(m.group(1)) * 60 + int(m.group(2))


def _minute(value: int | str) -> int:
    return hm(value) if isinstance(value, str) else value


@attrs.define
class ProblemBuilder:
    """Collects technicians and jobs, then builds a validated :class:`Problem`.

    Times may be given as minutes or as ``"HH:MM"`` strings. Errors are collected and raised
    together by :meth:`build`, each with its path (``jobs[3].duration``).

    Example::

        b = ProblemBuilder(name="monday", travel=Travel.euclidean(30))
        b.technician("ana", skills={"hvac"}, start=(0, 0), shift=("08:00", "17:00"),
                     breaks=[("12:00", "13:00", 30)])
        b.job("j1", location=(3, 4), duration=45, skills={"hvac"}, window=("09:00", "11:00"))
        problem = b.build()

    Attributes:
        name: Name of the problem.
        travel: Travel model (Euclidean at 30 km/h by default).
        unserved_cost_per_priority: Default cost of an unserved job, per priority point.
    """

    name: str = "problem"
    travel: Travel = attrs.field(factory=lambda: Travel.euclidean(30.0))
    unserved_cost_per_priority: int = 10_000
    _techs: list[Callable[[], Technician]] = attrs.field(factory=list, init=False)
    _jobs: list[Callable[[], Job]] = attrs.field(factory=list, init=False)

    def technician(
        self,
        id: str,
        *,
        start: Point,
        shift: tuple[int | str, int | str] = ("08:00", "17:00"),
        skills: Iterable[str] = (),
        end: Point | None = None,
        days: int = 1,
        breaks: Sequence[tuple[int | str, int | str, int]] = (),
        **options: Any,
    ) -> ProblemBuilder:
        """Add a technician working ``shift`` on each of ``days`` consecutive days.

        Args:
            id: Unique id.
            start: Where each day starts.
            shift: Opening and closing time of each day's shift (day 0 clock).
            skills: Skills held.
            end: Where each day ends (defaults to ``start``).
            days: Number of days (shifts are repeated every 1440 minutes).
            breaks: ``(earliest, latest, duration)`` breaks taken every day.
            **options: Other :class:`Technician` fields (``max_jobs``, ``max_work_minutes``,
                ``cost_per_minute``, ``territory``, ``capacity``).

        Returns:
            The builder, for chaining.
        """

        def make() -> Technician:
            lo, hi = _minute(shift[0]), _minute(shift[1])
            shifts = tuple(
                Shift(
                    lo + d * _DAY,
                    hi + d * _DAY,
                    tuple(
                        Break(_minute(b[0]) + d * _DAY, _minute(b[1]) + d * _DAY, b[2])
                        for b in breaks
                    ),
                )
                for d in range(days)
            )
            return Technician(
                id=id, skills=frozenset(skills), start=start, end=end, shifts=shifts, **options
            )

        self._techs.append(make)
        return self

    def job(
        self,
        id: str,
        *,
        location: Point,
        duration: int,
        skills: Iterable[str] = (),
        window: tuple[int | str, int | str] | None = None,
        windows: Sequence[tuple[int | str, int | str]] = (),
        sla_due: int | str | None = None,
        **options: Any,
    ) -> ProblemBuilder:
        """Add a job.

        Args:
            id: Unique id.
            location: Where it is.
            duration: Minutes on site.
            skills: Skills required.
            window: One time window in which service must start.
            windows: Several time windows (used together with ``window`` if both are given).
            sla_due: SLA due time (minutes or ``"HH:MM"``).
            **options: Other :class:`Job` fields (``priority``, ``lateness_cost``,
                ``unserved_cost``, ``preferred_technician``, ``preference_cost``,
                ``pinned_technician``, ``pinned_start``, ``in_progress``, ``demand``,
                ``territory``).

        Returns:
            The builder, for chaining.
        """

        def make() -> Job:
            ws = ([window] if window is not None else []) + list(windows)
            return Job(
                id=id,
                location=location,
                duration=duration,
                skills=frozenset(skills),
                time_windows=tuple(TimeWindow(_minute(a), _minute(b)) for a, b in ws),
                sla_due=None if sla_due is None else _minute(sla_due),
                **options,
            )

        self._jobs.append(make)
        return self

    def build(self) -> Problem:
        """Build the problem.

        Raises:
            ValidationError: Listing every bad field, e.g. ``jobs[3].duration``.
        """
        errors: list[FieldError] = []
        techs = _collect(errors, "technicians", self._techs)
        jobs = _collect(errors, "jobs", self._jobs)
        if errors:
            raise ValidationError(errors)
        return Problem(
            technicians=tuple(techs),
            jobs=tuple(jobs),
            travel=self.travel,
            unserved_cost_per_priority=self.unserved_cost_per_priority,
            name=self.name,
        )


def _collect(errors: list[FieldError], path: str, makers: list[Callable[[], Any]]) -> list[Any]:
    out = []
    for i, make in enumerate(makers):
        try:
            out.append(make())
        except ValidationError as exc:
            errors.extend(e.prefixed(f"{path}[{i}]") for e in exc.errors)
        except TypeError as exc:
            errors.append(FieldError(f"{path}[{i}]", None, str(exc)))
    return out
