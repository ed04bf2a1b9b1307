"""The service plan report (服务计划报表, seed 004): the service work planned day by day.

For each day of a period: the visits planned (live dispatch orders by technician and service
type, with their planned hours) and the visits still to plan (open requests whose visit window
opens that day: preventive maintenance generated ahead, bookings not yet dispatched).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import attrs

from servicecore.errors import ValidationError
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import ServiceType
from servicecore.model.request import RequestStatus
from servicecore.reports.port import (
    Bucket,
    Condition,
    Op,
    Related,
    ReportingBackend,
    Seconds,
    Stored,
    TimeUnit,
    check_range,
)
from servicecore.reports.report import Report

__all__ = ["PlanState", "ServicePlanRow", "service_plan"]


class PlanState(enum.Enum):
    """Whether a row's visits are planned or still to plan."""

    PLANNED = "planned"
    """Live dispatch orders (assigned, accepted or in progress) planned to start that day."""
    TO_PLAN = "to_plan"
    """Open requests (no live dispatch order) whose visit window opens that day."""


@attrs.frozen
class ServicePlanRow:
    """The visits of one day, technician, service type and state.

    Attributes:
        day: The UTC day the visits are planned for (or whose window opens then).
        state: Planned, or still to plan.
        technician_id: The technician of planned visits; ``None`` for visits to plan.
        service_type: The requests' service type.
        visits: How many dispatch orders (planned) or requests (to plan).
        planned_hours: The planned time of the dispatch orders, in hours (two decimals); 0 for
            visits to plan.
    """

    day: date
    state: PlanState
    technician_id: str | None
    service_type: ServiceType
    visits: int
    planned_hours: float


_PLANNED = tuple(s for s in DispatchStatus if s.is_live)


def service_plan(
    backend: ReportingBackend, tenant: str, start: datetime, end: datetime
) -> Report[ServicePlanRow]:
    """The service plan of ``[start, end)``: visits planned and to plan, per day.

    Two grouped queries, counted in the database: the live dispatch orders planned to start in
    the period, by UTC day, technician and their request's service type, summing the planned
    time; and the open requests whose visit window opens in the period, by UTC day and service
    type.

    Returns:
        Rows ordered by day, then planned before to plan, then technician and service type.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not after
            ``start`` (both are required: a plan is of a period).
    """
    for name, value in (("start", start), ("end", end)):
        if value is None:
            raise ValidationError.single(name, value, "is required: a plan covers a period")
    check_range(start, end)
    service_type = Related("requests", "request_id", "service_type")
    planned = backend.sum_by(
        tenant,
        "dispatches",
        [Bucket("planned_start", TimeUnit.DAY), "technician_id", service_type],
        Seconds("planned_start", "planned_end"),
        [
            Condition("status", Op.IN, _PLANNED),
            Condition("planned_start", Op.GE, start),
            Condition("planned_start", Op.LT, end),
        ],
    )
    opens = Stored(("window", "start"), datetime)
    to_plan = backend.count_by(
        tenant,
        "requests",
        [Bucket(opens, TimeUnit.DAY), "service_type"],
        [
            Condition("status", Op.EQ, RequestStatus.OPEN),
            Condition(opens, Op.GE, start),
            Condition(opens, Op.LT, end),
        ],
    )
    rows = [
        ServicePlanRow(
            day=r.key[0],  # type: ignore[arg-type]
            state=PlanState.PLANNED,
            technician_id=str(r.key[1]),
            service_type=ServiceType(r.key[2]),
            visits=r.count,
            planned_hours=round(r.total / 3600, 2),
        )
        for r in planned
    ]
    rows += [
        ServicePlanRow(
            day=r.key[0],  # type: ignore[arg-type]
            state=PlanState.TO_PLAN,
            technician_id=None,
            service_type=ServiceType(r.key[1]),
            visits=r.count,
            planned_hours=0.0,
        )
        for r in to_plan
    ]
    order = {PlanState.PLANNED: 0, PlanState.TO_PLAN: 1}
    rows.sort(key=lambda r: (r.day, order[r.state], r.technician_id or "", r.service_type.value))
    return Report.of("Service plan", ServicePlanRow, rows)
