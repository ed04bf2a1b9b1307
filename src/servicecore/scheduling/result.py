"""The plan that comes back from :func:`~servicecore.scheduling.solve`.

A :class:`Result` holds one :class:`Route` per technician shift that was used, every job that was
left out with its :class:`UnassignedReason`, and the :class:`CostBreakdown`.
"""

from __future__ import annotations

import enum
import html
from typing import TYPE_CHECKING, Any

import attrs

from servicecore.errors import MissingExtraError
from servicecore.scheduling.problem import Problem, Shift

if TYPE_CHECKING:
    from servicecore.scheduling.checker import CheckReport

__all__ = [
    "CostBreakdown",
    "MissingExtraError",
    "Result",
    "Route",
    "ScheduledBreak",
    "UnassignedJob",
    "UnassignedReason",
    "Utilisation",
    "Visit",
]


class UnassignedReason(enum.Enum):
    """Why a job was left out of the plan."""

    NO_SKILLED_TECHNICIAN = "no_skilled_technician"
    """No technician holds every skill (and territory, and pin) the job needs."""
    UNREACHABLE_WINDOW = "unreachable_window"
    """No able technician can reach it inside a window and get back before shift end."""
    NO_CAPACITY = "no_capacity"
    """It could be done alone, but the able technicians' time (or load) is taken."""
    NO_SHIFT = "no_shift"
    """No technician works in the horizon (a weekend, a holiday): there is nobody to plan."""


@attrs.frozen
class Visit:
    """One job in a route, with its times.

    Attributes:
        job_id: The job.
        arrival: Minute the technician arrives (after travel, and any break on the way).
        start: Minute service starts (``>= arrival``; the gap is waiting).
        end: Minute service ends.
        travel_minutes: Travel from the previous stop.
        late_minutes: Minutes started after the job's SLA due time (0 when on time).
    """

    job_id: str
    arrival: int
    start: int
    end: int
    travel_minutes: int
    late_minutes: int

    @property
    def wait(self) -> int:
        """Minutes spent waiting on site before service starts."""
        return self.start - self.arrival


@attrs.frozen
class ScheduledBreak:
    """A break placed in a route.

    Attributes:
        start: First minute of the break.
        end: Minute it ends.
    """

    start: int
    end: int


@attrs.frozen
class Route:
    """The work of one technician in one shift.

    Attributes:
        technician_id: The technician.
        shift_index: Index of the shift in the technician's ``shifts``.
        departure: Minute the technician leaves the start location.
        return_time: Minute the technician is back at the end location.
        visits: The jobs in order.
        breaks: Breaks taken, in time order.
        return_travel: Travel minutes from the last job (or the start) to the end location.
    """

    technician_id: str
    shift_index: int
    departure: int
    return_time: int
    visits: tuple[Visit, ...]
    breaks: tuple[ScheduledBreak, ...] = ()
    return_travel: int = 0

    @property
    def job_ids(self) -> list[str]:
        """The ids of the jobs in visiting order."""
        return [v.job_id for v in self.visits]

    @property
    def travel_minutes(self) -> int:
        """Total travel minutes of the route, back to the end location included."""
        return sum(v.travel_minutes for v in self.visits) + self.return_travel

    @property
    def service_minutes(self) -> int:
        """Total minutes on site."""
        return sum(v.end - v.start for v in self.visits)


@attrs.frozen
class UnassignedJob:
    """A job left out of the plan, and why.

    Attributes:
        job_id: The job.
        reason: Why it is left out.
    """

    job_id: str
    reason: UnassignedReason


@attrs.frozen
class CostBreakdown:
    """What the plan costs, by kind.

    Attributes:
        travel: Travel minutes times each technician's cost per minute.
        lateness: Lateness cost of starting jobs after their SLA due time.
        unserved: Cost of the jobs left unserved.
        preference: Cost of preferred jobs served by another technician.
    """

    travel: int = 0
    lateness: int = 0
    unserved: int = 0
    preference: int = 0

    @property
    def total(self) -> int:
        """The sum of all parts: the number the solver minimises."""
        return self.travel + self.lateness + self.unserved + self.preference


@attrs.frozen
class Utilisation:
    """How busy a technician is over the horizon.

    Attributes:
        technician_id: The technician.
        available_minutes: Shift minutes, breaks excluded.
        service_minutes: Minutes on site.
        travel_minutes: Minutes on the road.
        jobs: Number of jobs served.
    """

    technician_id: str
    available_minutes: int
    service_minutes: int
    travel_minutes: int
    jobs: int

    @property
    def ratio(self) -> float:
        """Share of available time spent on site or travelling (0 when none is available)."""
        if self.available_minutes <= 0:
            return 0.0
        return (self.service_minutes + self.travel_minutes) / self.available_minutes


@attrs.frozen
class Result:
    """A plan for a :class:`~servicecore.scheduling.Problem`.

    Attributes:
        problem: The problem solved.
        routes: One route per used technician shift, ordered by technician then shift.
        unassigned: Jobs left out, each with its reason.
        cost: The cost breakdown.
        status: How the solver ended (``"optimised"``, ``"first_solution"``, ...).
        wall_time: Seconds the solve took.
        objective: The solver's own objective value (equals ``cost.total``).
    """

    problem: Problem
    routes: tuple[Route, ...]
    unassigned: tuple[UnassignedJob, ...]
    cost: CostBreakdown
    status: str = "optimised"
    wall_time: float = 0.0
    objective: int = 0

    def route_of(self, technician_id: str) -> list[Route]:
        """Return the routes of one technician, in shift order."""
        return [r for r in self.routes if r.technician_id == technician_id]

    def visit_of(self, job_id: str) -> tuple[Route, Visit] | None:
        """Return the route and visit serving ``job_id``, or ``None`` if it is unserved."""
        for r in self.routes:
            for v in r.visits:
                if v.job_id == job_id:
                    return r, v
        return None

    @property
    def served_job_ids(self) -> list[str]:
        """Ids of served jobs, route by route."""
        return [v.job_id for r in self.routes for v in r.visits]

    def check(self) -> CheckReport:
        """Check the plan against its problem with the independent checker.

        Returns:
            The report listing any violation and the recomputed costs.
        """
        from servicecore.scheduling.checker import check

        return check(self.problem, self)

    def is_feasible(self) -> bool:
        """Return whether the plan breaks no hard rule.

        Hard rules: skills, windows, shifts, breaks, limits, pins, each job exactly once.
        Unserved jobs are allowed; they only cost.
        """
        return self.check().ok

    def utilisation(self) -> list[Utilisation]:
        """Return per-technician utilisation over the horizon, in technician order."""
        out = []
        for t in self.problem.technicians:
            routes = self.route_of(t.id)
            out.append(
                Utilisation(
                    technician_id=t.id,
                    available_minutes=sum(_available(s) for s in t.shifts),
                    service_minutes=sum(r.service_minutes for r in routes),
                    travel_minutes=sum(r.travel_minutes for r in routes),
                    jobs=sum(len(r.visits) for r in routes),
                )
            )
        return out

    def at_risk(self, margin: int = 30) -> list[str]:
        """Return ids of jobs at risk of an SLA breach.

        A job is at risk when it has an SLA due time and is unserved, or starts later than
        ``margin`` minutes before it is due (late jobs included).

        Args:
            margin: Minutes of slack below which a served job counts as at risk.
        """
        starts = {v.job_id: v.start for r in self.routes for v in r.visits}
        out = []
        for j in self.problem.jobs:
            if j.sla_due is None:
                continue
            start = starts.get(j.id)
            if start is None or start > j.sla_due - margin:
                out.append(j.id)
        return out

    def summary(self) -> str:
        """Return a short human-readable account of the plan: cost, routes and left-out jobs."""
        n_jobs = len(self.problem.jobs)
        served = len(self.served_job_ids)
        c = self.cost
        lines = [
            f"Plan for {self.problem.name}: {served}/{n_jobs} jobs served by "
            f"{len({r.technician_id for r in self.routes})} technicians ({self.status}, "
            f"{self.wall_time:.2f} s)",
            f"cost {c.total} = travel {c.travel} + lateness {c.lateness} + unserved "
            f"{c.unserved} + preference {c.preference}",
        ]
        for r in self.routes:
            jobs = " ".join(f"{v.job_id}@{_hhmm(v.start)}" for v in r.visits)
            lines.append(
                f"  {r.technician_id}#{r.shift_index} {_hhmm(r.departure)}-"
                f"{_hhmm(r.return_time)}: {jobs}"
            )
        for u in self.unassigned:
            lines.append(f"  unassigned {u.job_id}: {u.reason.value}")
        risk = self.at_risk()
        if risk:
            lines.append(f"  SLA at risk: {', '.join(risk)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        c = self.cost
        return (
            f"<Result {self.problem.name!r}: {len(self.served_job_ids)}/{len(self.problem.jobs)}"
            f" served, {len(self.routes)} routes, cost {c.total}, {self.status}>"
        )

    def _repr_html_(self) -> str:
        """A short summary table for notebooks: cost by kind, routes, left-out jobs by reason."""
        c = self.cost
        reasons: dict[str, int] = {}
        for u in self.unassigned:
            reasons[u.reason.value] = reasons.get(u.reason.value, 0) + 1
        rows = [
            ("plan", html.escape(self.problem.name)),
            ("status", f"{html.escape(self.status)} in {self.wall_time:.2f} s"),
            ("served", f"{len(self.served_job_ids)} of {len(self.problem.jobs)} jobs"),
            ("routes", f"{len(self.routes)} technician shifts"),
            ("cost", f"{c.total:,}"),
            ("travel", f"{c.travel:,}"),
            ("lateness", f"{c.lateness:,}"),
            ("unserved", f"{c.unserved:,}"),
            ("preference", f"{c.preference:,}"),
        ]
        rows += [(f"left out: {html.escape(r)}", str(n)) for r, n in sorted(reasons.items())]
        body = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td style='text-align:right'>{v}</td></tr>"
            for k, v in rows
        )
        return f"<table>{body}</table>"

    def to_dataframe(self) -> Any:
        """Return one row per visit, break and unassigned job as a pandas DataFrame.

        Columns: technician, shift, kind (``job``/``break``/``unassigned``), job, arrival, start,
        end, travel, late, reason. When the problem has an ``epoch``, arrival, start and end
        are timezone-aware timestamps (``NaT`` on rows of unassigned jobs); otherwise they are
        minutes on the problem's clock. Other number columns are pandas' nullable ``Int64``
        (``<NA>`` on rows of unassigned jobs, never floats).

        Raises:
            MissingExtraError: If pandas is not installed (``pip install servicecore[analysis]``).
        """
        try:
            import pandas as pd  # type: ignore[import-untyped]
        except ImportError as exc:
            raise MissingExtraError(
                "to_dataframe() needs pandas: pip install 'servicecore[analysis]'"
            ) from exc
        rows: list[dict[str, Any]] = []
        for r in self.routes:
            for v in r.visits:
                rows.append(
                    {
                        "technician": r.technician_id,
                        "shift": r.shift_index,
                        "kind": "job",
                        "job": v.job_id,
                        "arrival": v.arrival,
                        "start": v.start,
                        "end": v.end,
                        "travel": v.travel_minutes,
                        "late": v.late_minutes,
                        "reason": None,
                    }
                )
            for b in r.breaks:
                rows.append(
                    {
                        "technician": r.technician_id,
                        "shift": r.shift_index,
                        "kind": "break",
                        "job": None,
                        "arrival": b.start,
                        "start": b.start,
                        "end": b.end,
                        "travel": 0,
                        "late": 0,
                        "reason": None,
                    }
                )
        for u in self.unassigned:
            rows.append(
                {
                    "technician": None,
                    "shift": None,
                    "kind": "unassigned",
                    "job": u.job_id,
                    "arrival": None,
                    "start": None,
                    "end": None,
                    "travel": None,
                    "late": None,
                    "reason": u.reason.value,
                }
            )
        columns = [
            "technician",
            "shift",
            "kind",
            "job",
            "arrival",
            "start",
            "end",
            "travel",
            "late",
            "reason",
        ]
        frame = pd.DataFrame(rows, columns=columns).astype(dict.fromkeys(_NUMBER_COLUMNS, "Int64"))
        epoch = self.problem.epoch
        if epoch is not None:
            origin = pd.Timestamp(epoch)
            for column in ("arrival", "start", "end"):
                frame[column] = origin + pd.to_timedelta(frame[column].astype("float"), unit="min")
        return frame

    def plot_gantt(self, ax: Any = None) -> Any:
        """Draw each technician's day as a Gantt chart.

        See :func:`servicecore.scheduling.plots.plot_gantt`.

        Raises:
            MissingExtraError: If matplotlib is not installed.
        """
        from servicecore.scheduling.plots import plot_gantt

        return plot_gantt(self, ax=ax)

    def plot_map(self, ax: Any = None) -> Any:
        """Draw the routes on the plane.

        See :func:`servicecore.scheduling.plots.plot_map`.

        Raises:
            MissingExtraError: If matplotlib is not installed.
        """
        from servicecore.scheduling.plots import plot_map

        return plot_map(self, ax=ax)

    def to_fsm_solution(self) -> dict[str, Any]:
        """Return the plan as an FSM-JSON solution dictionary."""
        from servicecore.scheduling.formats import solution_to_fsm

        return solution_to_fsm(self)


_NUMBER_COLUMNS = ("shift", "arrival", "start", "end", "travel", "late")


def _available(shift: Shift) -> int:
    return shift.length - shift.break_minutes


def _hhmm(minute: int) -> str:
    day, rest = divmod(minute, 1440)
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    return f"d{day}+{text}" if day else text
