"""Planning a day from storage (seed 001): the scheduler fed with technicians and open requests.

:func:`problem_for_day` turns the technicians' shifts of a day and the open requests into a
:class:`~servicecore.scheduling.Problem` (haversine travel on the records' coordinates, SLA due
times with lateness costs, priorities); work already dispatched that day is pinned to its
technician and time so the plan goes around it. :func:`plan_day` solves it and dispatches the
plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import attrs

from servicecore.model.dispatch import DispatchOrder, DispatchStatus
from servicecore.model.enums import Priority, ServiceType
from servicecore.model.request import ServiceRequest
from servicecore.ports import Query, UnitOfWork
from servicecore.services.context import CommandContext, command
from servicecore.services.dispatch import assign_from_plan

if TYPE_CHECKING:  # the scheduler (OR-Tools) is imported when a day is planned, not before
    from servicecore.scheduling import ProblemBuilder, Result

__all__ = ["DEFAULT_MINUTES", "HELD_PREFIX", "plan_day", "problem_for_day"]

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


def _minutes(moment: datetime, midnight: datetime) -> int:
    return int((moment - midnight).total_seconds() // 60)


def problem_for_day(
    uow: UnitOfWork,
    day: date,
    timezone: str,
    *,
    minutes: Callable[[ServiceRequest], int] | None = None,
    speed_kmh: float = 30.0,
) -> ProblemBuilder:
    """Return a builder holding ``day``'s technicians, open requests and already dispatched work.

    Times are minutes from midnight of ``day`` in ``timezone``. Requests without a location are
    left out (they cannot be routed). Call ``.build()`` for the problem, or add to it first.

    Raises:
        ValidationError: The timezone is unknown.
    """
    zone = ZoneInfo(timezone)
    midnight = datetime.combine(day, time(0), zone)
    end_of_day = midnight + timedelta(days=1)
    duration = minutes or (lambda r: DEFAULT_MINUTES[r.service_type])
    from servicecore.scheduling import ProblemBuilder, Travel

    builder = ProblemBuilder(
        name=f"{uow.tenant}-{day.isoformat()}", travel=Travel.haversine(speed_kmh)
    )
    for tech in uow.technicians.iterate(Query(equals={"active": True})):
        for shift in tech.shifts_on(day):
            builder.technician(
                tech.id,
                start=(tech.home.lat, tech.home.lon),
                shift=(_minutes(shift.start, midnight), _minutes(shift.end, midnight)),
                skills=tech.skills,
            )
            break  # one shift a day in the plan: the first
    held: list[DispatchOrder] = list(
        uow.dispatches.iterate(
            Query(
                equals={"status": [s.value for s in DispatchStatus.live()]},
                before={"planned_start": end_of_day},
                at_least={"planned_start": midnight},
            )
        )
    )
    for order in held:
        request = uow.requests.get(order.request_id)
        if request.location is None:
            continue
        builder.job(
            HELD_PREFIX + order.id,
            location=(request.location.lat, request.location.lon),
            duration=_minutes(order.planned.end, order.planned.start),
            pinned_technician=order.technician_id,
            pinned_start=_minutes(order.planned.start, midnight),
            in_progress=order.status.value == "in_progress",
        )
    for request in uow.requests.iterate(Query(equals={"status": "open"})):
        if request.location is None:
            continue
        due = request.resolution_due
        builder.job(
            request.id,
            location=(request.location.lat, request.location.lon),
            duration=duration(request),
            skills=request.required_skills,
            priority=_PRIORITY[request.priority],
            sla_due=None if due is None else max(0, _minutes(due, midnight)),
            lateness_cost=_LATENESS[request.priority] if due is not None else 0,
        )
    return builder


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
) -> tuple[Result, list[DispatchOrder]]:
    """Plan ``day`` with the scheduler and dispatch the plan (one dispatch order per new visit).

    Returns:
        The scheduler's result (with unassigned requests and their reasons) and the dispatch
        orders made.

    Raises:
        PermissionDenied: The actor may not assign.
        DoubleBooking: A technician's time was taken meanwhile (the caller's unit of work rolls
            back; plan again).
    """
    problem = problem_for_day(cx.uow, day, timezone, minutes=minutes).build()
    from servicecore.scheduling import solve

    result = solve(problem, time_limit=time_limit, seed=seed)
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
    return result, assign_from_plan(
        cx,
        fresh,
        day,
        timezone,
    )
