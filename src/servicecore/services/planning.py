"""Planning a day from storage (seed 001): the scheduler fed with technicians and open requests.

:func:`problem_for_day` turns the technicians' shifts of a day and the open requests into a
:class:`~servicecore.scheduling.Problem` (haversine travel on the records' coordinates, SLA due
times with lateness costs, priorities, visit windows); work already dispatched and slots
booked that day are pinned to their technician and time so the plan goes around them.
:func:`plan_day` solves it and dispatches the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import attrs

from servicecore.model.booking import BookingStatus
from servicecore.model.common import GeoPoint, TimeRange
from servicecore.model.dispatch import DispatchOrder, DispatchStatus
from servicecore.model.enums import Priority, ServiceType
from servicecore.model.request import ServiceRequest
from servicecore.ports import Query, UnitOfWork
from servicecore.services.common import time_zone
from servicecore.services.context import CommandContext, command
from servicecore.services.dispatch import assign_from_plan

if TYPE_CHECKING:  # the scheduler (OR-Tools) is imported when a day is planned, not before
    from servicecore.scheduling import Problem, Result, Shift

__all__ = [
    "DEFAULT_MINUTES",
    "HELD_PREFIX",
    "DayPlan",
    "DayProblem",
    "LeftOut",
    "plan_day",
    "problem_for_day",
]

DEFAULT_MINUTES: Mapping[ServiceType, int] = {
    ServiceType.CONSULT: 30,
    ServiceType.REPAIR: 90,
    ServiceType.INSTALLATION: 120,
    ServiceType.MAINTENANCE: 60,
    ServiceType.COMPLAINT: 45,
    ServiceType.PHONE_CONTACT: 15,
    ServiceType.WARRANTY_CLAIM: 90,
}
"""Minutes on site by service type, unless the caller knows better."""

HELD_PREFIX = "held:"
"""Job ids of work already dispatched (pinned in the plan, not dispatched again)."""

_PRIORITY = {Priority.EMERGENCY: 3, Priority.URGENT: 2, Priority.NORMAL: 1, Priority.LOW: 1}
_LATENESS = {Priority.EMERGENCY: 100, Priority.URGENT: 30, Priority.NORMAL: 5, Priority.LOW: 1}


def _unserved_cost(priority: Priority, span: int, per_priority: int) -> int:
    """The cost of leaving a request of ``priority`` out of a day planned over ``span`` minutes.

    ``per_priority`` times its priority, plus ``span`` minutes of lateness at its own rate and at
    the rate of every lower priority: serving a job late in the day never costs more than leaving
    it out, nor more than leaving out a job of lower priority in its place.
    """
    rates = sum(_LATENESS[p] for p in Priority if p.rank >= priority.rank)
    return per_priority * _PRIORITY[priority] + rates * span


def _minutes(moment: datetime, midnight: datetime) -> int:
    return int((moment - midnight).total_seconds() // 60)


@attrs.frozen
class LeftOut:
    """An open request the day's plan could not consider, and why.

    Attributes:
        request_id: The request.
        reason: Why: ``"no_location"`` (nowhere to route to) or ``"outside_window"`` (its visit
            window does not include the day).
    """

    request_id: str
    reason: str


@attrs.frozen
class DayProblem:
    """A day's scheduling problem built from storage, and the open requests it leaves out.

    Attributes:
        problem: Technicians (every shift of the day, from now on when the day is today), open
            requests (with their visit windows and SLA due times) and the time already taken
            (dispatched work and booked slots, pinned as ``held:`` jobs).
        left_out: Open requests not in the problem, with the reason.
    """

    problem: Problem
    left_out: tuple[LeftOut, ...]


@attrs.frozen
class DayPlan:
    """What planning a day did.

    Attributes:
        result: The scheduler's plan (unassigned requests with their reasons).
        orders: The dispatch orders made, one per new visit.
        left_out: Open requests the plan could not consider, with the reason.
    """

    result: Result
    orders: tuple[DispatchOrder, ...]
    left_out: tuple[LeftOut, ...]


def problem_for_day(
    uow: UnitOfWork,
    day: date,
    timezone: str,
    *,
    now: datetime | None = None,
    minutes: Callable[[ServiceRequest], int] | None = None,
    speed_kmh: float = 30.0,
) -> DayProblem:
    """Return ``day``'s problem: its technicians, open requests and the time already taken.

    Times are minutes from midnight of ``day`` in ``timezone``. Every shift of the day is
    planned; on the day of ``now`` only from ``now`` on (nothing is dispatched into the past).
    Work already dispatched and slots booked with a technician are pinned to their technician
    and time, so that the plan goes around them. A request with a visit window (a preventive
    maintenance visit) is served inside it; one whose window misses the day, or that has no
    location, is left out with the reason.

    Lateness is counted from the SLA due time, or from when the first planned shift opens if
    that is later (lateness already past helping weighs on no choice). Leaving a request out
    costs more than serving it at the end of the day, and more than leaving out one of lower
    priority in its place: overdue work is planned whenever a technician can reach it, the most
    urgent first.

    Raises:
        ValidationError: ``timezone`` is not a known time zone.
    """
    zone = time_zone(timezone)
    midnight = datetime.combine(day, time(0), zone)
    end_of_day = midnight + timedelta(days=1)
    earliest = 0 if now is None else max(0, _minutes(now, midnight))
    duration = minutes or (lambda r: DEFAULT_MINUTES[r.service_type])
    from servicecore.scheduling import ProblemBuilder, Shift, Travel

    builder = ProblemBuilder(
        name=f"{uow.tenant}-{day.isoformat()}", travel=Travel.haversine(speed_kmh)
    )
    shifts: dict[str, tuple[Shift, ...]] = {}
    homes: dict[str, GeoPoint] = {}
    open_requests = list(uow.requests.iterate(Query(equals={"status": "open"})))
    # Territories travel as skills: a job in territory X needs "territory:X", held by the
    # technicians serving X and by those serving anywhere (no territories).
    areas = {_territory(r.territory) for r in open_requests if r.territory}
    for tech in uow.technicians.iterate(Query(equals={"active": True})):
        found = tuple(
            Shift(max(_minutes(r.start, midnight), earliest), _minutes(r.end, midnight))
            for r in tech.shifts_on(day)
            if _minutes(r.end, midnight) > earliest
        )
        if not found:
            continue
        shifts[tech.id] = found
        homes[tech.id] = tech.home
        served = {_territory(t) for t in tech.territories} if tech.territories else areas
        builder.technician(
            tech.id,
            start=(tech.home.lat, tech.home.lon),
            shift=(found[0].start, found[0].end),
            skills=(*tech.skills, *sorted(served)),
        )
    # Lateness before the first shift opens is past helping when the day is planned: it is
    # counted from then, and no job is late by more than the planned day is long.
    planned = [s for found in shifts.values() for s in found]
    opens = min((s.start for s in planned), default=earliest)
    span = max((s.end for s in planned), default=opens) - opens
    taken = _taken_time(uow, midnight, end_of_day, homes)
    # A booking's own request is served in the booking: the request takes the booked time.
    booked_for: dict[str, ServiceRequest] = {
        r.booking_id: r for r in open_requests if r.booking_id is not None and r.location
    }
    served_in_booking: set[str] = set()
    for held in taken:
        segments = _inside(shifts.get(held.technician_id, ()), held.period, midnight)
        own = booked_for.get(held.record_id)
        for k, (start, end) in enumerate(segments):
            if own is not None and k == 0:
                served_in_booking.add(own.id)
                builder.job(
                    own.id,
                    location=(held.location.lat, held.location.lon),
                    duration=end - start,
                    skills=own.required_skills,
                    pinned_technician=held.technician_id,
                    pinned_start=start,
                    priority=_PRIORITY[own.priority],
                )
                continue
            builder.job(
                f"{HELD_PREFIX}{held.record_id}" + (f"#{k}" if k else ""),
                location=(held.location.lat, held.location.lon),
                duration=end - start,
                pinned_technician=held.technician_id,
                pinned_start=start,
                in_progress=held.in_progress and k == 0,
            )
    left_out: list[LeftOut] = []
    for request in open_requests:
        if request.id in served_in_booking:
            continue
        if request.location is None:
            left_out.append(LeftOut(request.id, "no_location"))
            continue
        window = None
        if request.window is not None:
            opens = max(_minutes(request.window.start, midnight), earliest)
            closes = min(_minutes(request.window.end, midnight), _DAY_MINUTES)
            if opens >= closes:
                left_out.append(LeftOut(request.id, "outside_window"))
                continue
            window = (opens, closes)
        due = request.resolution_due
        area = (_territory(request.territory),) if request.territory else ()
        builder.job(
            request.id,
            location=(request.location.lat, request.location.lon),
            duration=duration(request),
            skills=(*request.required_skills, *area),
            window=window,
            priority=_PRIORITY[request.priority],
            sla_due=None if due is None else max(opens, _minutes(due, midnight)),
            lateness_cost=_LATENESS[request.priority] if due is not None else 0,
            unserved_cost=_unserved_cost(
                request.priority, span, builder.unserved_cost_per_priority
            ),
        )
    problem = builder.build()
    problem = attrs.evolve(
        problem,
        technicians=tuple(attrs.evolve(t, shifts=shifts[t.id]) for t in problem.technicians),
    )
    return DayProblem(problem, tuple(left_out))


_DAY_MINUTES = 24 * 60


def _territory(code: str) -> str:
    return f"territory:{code}"


@attrs.frozen
class _Held:
    """Time already taken: a live dispatch order, or a slot booked with a technician."""

    record_id: str
    technician_id: str
    location: GeoPoint
    period: TimeRange
    in_progress: bool = False


def _inside(
    shifts: tuple[Shift, ...], period: TimeRange, midnight: datetime
) -> list[tuple[int, int]]:
    """The parts of ``period`` inside the planned shifts, in minutes.

    Held time outside the shifts (before now, overtime) takes nothing from the plan.
    """
    start, end = _minutes(period.start, midnight), _minutes(period.end, midnight)
    return [
        (max(start, s.start), min(end, s.end))
        for s in shifts
        if start < s.end and s.start < end and min(end, s.end) > max(start, s.start)
    ]


def _taken_time(
    uow: UnitOfWork, midnight: datetime, end_of_day: datetime, homes: Mapping[str, GeoPoint]
) -> list[_Held]:
    """The day's time already taken by live dispatch orders and booked slots.

    A job whose request has no location still holds its time; the plan places it at the
    technician's home (``homes``), the only place known for it.
    """
    taken: list[_Held] = []
    for order in uow.dispatches.iterate(
        Query(
            equals={"status": [s.value for s in DispatchStatus.live()]},
            before={"planned_start": end_of_day},
            later_than={"planned_end": midnight},
        )
    ):
        request = uow.requests.get(order.request_id)
        where = request.location or homes.get(order.technician_id)
        if where is not None:
            working = order.status is DispatchStatus.IN_PROGRESS
            taken.append(_Held(order.id, order.technician_id, where, order.planned, working))
    for booking in uow.bookings.iterate(
        Query(
            equals={"status": [s.value for s in BookingStatus.live()]},
            before={"slot_start": end_of_day},
            later_than={"slot_end": midnight},
        )
    ):
        if booking.technician_id is not None and booking.dispatch_id is None:
            taken.append(_Held(booking.id, booking.technician_id, booking.location, booking.slot))
    return taken


@command("assign")
def plan_day(
    cx: CommandContext,
    /,
    day: date,
    timezone: str,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    minutes: Callable[[ServiceRequest], int] | None = None,
) -> DayPlan:
    """Plan ``day`` with the scheduler and dispatch the plan (one dispatch order per new visit).

    The plan goes around dispatched work and booked slots, uses every shift of the day and, on
    the current day, only the time from now on.

    Returns:
        The scheduler's result (with unassigned requests and their reasons), the dispatch
        orders made and the requests left out of the plan.

    Raises:
        PermissionDenied: The actor may not assign.
        ValidationError: ``timezone`` is not a known time zone.
        DoubleBooking: A technician's time was taken meanwhile (the caller's unit of work rolls
            back; plan again).
    """
    day_problem = problem_for_day(cx.uow, day, timezone, now=cx.now(), minutes=minutes)
    from servicecore.scheduling import solve

    result = solve(day_problem.problem, time_limit=time_limit, seed=seed)
    fresh = attrs.evolve(
        result,
        routes=tuple(
            attrs.evolve(
                route,
                visits=tuple(v for v in route.visits if not v.job_id.startswith(HELD_PREFIX)),
            )
            for route in result.routes
        ),
    )
    orders = assign_from_plan(cx, fresh, day, timezone)
    return DayPlan(result, tuple(orders), day_problem.left_out)
