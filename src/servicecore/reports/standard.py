"""The standard reports, each built from a few reporting-port queries.

On SQL storage the counting therefore happens in the database.

Every report takes the backend and the tenant first. Time buckets (``period``) are UTC days,
ISO weeks (starting Monday) or calendar months, identified by their first day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import attrs

from servicecore.errors import ValidationError
from servicecore.model.booking import BookingStatus
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import Channel, Priority, ServiceType
from servicecore.model.parts import RequisitionStatus
from servicecore.model.request import RequestStatus
from servicecore.reports import queries
from servicecore.reports.port import (
    Bucket,
    Condition,
    Op,
    Related,
    ReportingBackend,
    Stored,
    TimeUnit,
    check_as_of,
)
from servicecore.reports.queries import SlaTargetStatus
from servicecore.reports.report import Report

__all__ = [
    "AGE_BANDS",
    "BookingListRow",
    "BookingRow",
    "DispatchRow",
    "FailureCauseRow",
    "PartsUsageRow",
    "RequestMonitoringRow",
    "SlaComplianceRow",
    "TechnicianPerformanceRow",
    "booking_list",
    "booking_report",
    "dispatch_table",
    "failure_causes",
    "parts_usage",
    "request_monitoring",
    "sla_compliance",
    "technician_performance",
]

_PRIORITY_ORDER = {p: i for i, p in enumerate(Priority)}


def _range(field: str, start: datetime | None, end: datetime | None) -> list[Condition]:
    for name, value in (("start", start), ("end", end)):
        if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
            raise ValidationError.single(name, value, "must be a timezone-aware datetime")
    if start is not None and end is not None and end <= start:
        raise ValidationError.single("end", end, f"must be after start {start}")
    found = []
    if start is not None:
        found.append(Condition(field, Op.GE, start))
    if end is not None:
        found.append(Condition(field, Op.LT, end))
    return found


def _unit(period: object) -> TimeUnit:
    if not isinstance(period, TimeUnit):
        raise ValidationError.single("period", period, "must be a TimeUnit")
    return period


def _none_last(value: str | None) -> tuple[bool, str]:
    return (value is None, value or "")


@attrs.frozen
class BookingRow:
    """Bookings of one status, service type, technician and channel in one period.

    Attributes:
        period: First day of the bucket the booked slot starts in (UTC).
        status: The bookings' lifecycle state.
        service_type: The service booked.
        technician_id: The technician assigned, or ``None`` while unassigned.
        channel: How the bookings came in (online, call centre, walk-in: the location).
        count: How many bookings.
    """

    period: date
    status: BookingStatus
    service_type: ServiceType
    technician_id: str | None
    channel: Channel
    count: int


def booking_report(
    backend: ReportingBackend,
    tenant: str,
    *,
    period: TimeUnit = TimeUnit.DAY,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Report[BookingRow]:
    """The booking report (seed 000): bookings counted by period, status, type, technician, channel.

    A booking counts in the period its slot starts in; ``start`` and ``end`` keep the bookings
    whose slot starts in ``[start, end)``. One query, grouped in the database.

    Returns:
        One row per non-empty group, ordered by period, status, service type, technician
        (unassigned last) and channel.

    Raises:
        ValidationError: ``period`` is not a :class:`TimeUnit`, ``start`` or ``end`` is not an
            aware datetime, or ``end`` is not after ``start``.
    """
    unit = _unit(period)
    rows = [
        BookingRow(
            period=r.key[0],  # type: ignore[arg-type]
            status=BookingStatus(r.key[1]),
            service_type=ServiceType(r.key[2]),
            technician_id=r.key[3],  # type: ignore[arg-type]
            channel=Channel(r.key[4]),
            count=r.count,
        )
        for r in backend.count_by(
            tenant,
            "bookings",
            [Bucket("slot_start", unit), "status", "service_type", "technician_id", "channel"],
            _range("slot_start", start, end),
        )
    ]
    statuses = list(BookingStatus)
    types = list(ServiceType)
    channels = list(Channel)
    rows.sort(
        key=lambda r: (
            r.period,
            statuses.index(r.status),
            types.index(r.service_type),
            _none_last(r.technician_id),
            channels.index(r.channel),
        )
    )
    return Report.of("Bookings", BookingRow, rows)


@attrs.frozen
class BookingListRow:
    """One booking, who booked it, where, and what became of the request opened from it.

    Attributes:
        reference: The reference number the customer was given.
        booking_id: The booking's id.
        slot_start: When the booked slot starts.
        slot_end: When it ends.
        channel: How the booking came in.
        status: The booking's lifecycle state.
        customer_id: The host's id for the customer.
        customer_name: The customer's name.
        phone: The customer's phone number, or ``None``.
        email: The customer's e-mail address, or ``None``.
        address: Where the service happens (may be empty).
        latitude: Its latitude.
        longitude: Its longitude.
        request_id: The service request opened from the booking, ``None`` while none is.
        request_status: That request's lifecycle state, ``None`` without a request.
        closed_at: When the request was closed, ``None`` while it is not.
        closure_summary: What was done (the closure's summary), ``None`` while not closed.
        fault_cause: The cause found, ``None`` while none is recorded.
    """

    reference: str
    booking_id: str
    slot_start: datetime
    slot_end: datetime
    channel: Channel
    status: BookingStatus
    customer_id: str
    customer_name: str
    phone: str | None
    email: str | None
    address: str
    latitude: float
    longitude: float
    request_id: str | None
    request_status: RequestStatus | None
    closed_at: datetime | None
    closure_summary: str | None
    fault_cause: str | None


def booking_list(
    backend: ReportingBackend,
    tenant: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Report[BookingListRow]:
    """The booking list (seed 000): each booking with customer, location and service result.

    Lists the bookings whose slot starts in ``[start, end)`` (``None``: no bound) with their
    reference, slot, channel and status, the customer's identity (id, name, phone, e-mail), the
    location (address and coordinates) and the service request opened from the booking (its
    id and status, and once closed its closing time, summary and fault cause). A booking with
    no request has one row with empty request columns; one with several requests (a request
    cancelled and another opened) has one row per request. The counting report is
    :func:`booking_report`. One query on SQL storage: the bookings of the range outer-joined to
    their requests in the database.

    Returns:
        Rows ordered by slot start, reference and request id (a booking without request
        first).

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not after
            ``start``.
    """
    _range("slot_start", start, end)
    rows = []
    for found in queries.booked_requests(backend, tenant, start, end):
        booking, request = found.booking, found.request
        closure = None if request is None else request.closure
        rows.append(
            BookingListRow(
                reference=booking.reference,
                booking_id=booking.id,
                slot_start=booking.slot.start,
                slot_end=booking.slot.end,
                channel=booking.channel,
                status=booking.status,
                customer_id=booking.customer.customer_id,
                customer_name=booking.customer.name,
                phone=booking.customer.phone,
                email=booking.customer.email,
                address=booking.location.address,
                latitude=booking.location.lat,
                longitude=booking.location.lon,
                request_id=None if request is None else request.id,
                request_status=None if request is None else request.status,
                closed_at=None if closure is None else closure.closed_at,
                closure_summary=None if closure is None else closure.summary,
                fault_cause=None if request is None else request.fault_cause,
            )
        )
    rows.sort(key=lambda r: (r.slot_start, r.reference, _none_first(r.request_id)))
    return Report.of("Booking list", BookingListRow, rows)


def _none_first(value: str | None) -> tuple[bool, str]:
    return (value is not None, value or "")


@attrs.frozen
class SlaComplianceRow:
    """How one SLA target stands over the requests of one priority.

    Attributes:
        priority: The requests' priority.
        target: ``"response"`` or ``"resolution"``.
        met: Done no later than the stored due time.
        breached: Done after the due time, or not done and the due time passed.
        pending: Not done, not yet due.
        cancelled: Not done, and the request was cancelled (not measured).
        unmeasured: No due time (no SLA applied to the request).
        compliance: ``met / (met + breached)``, or ``None`` when both are zero.
    """

    priority: Priority
    target: str
    met: int
    breached: int
    pending: int
    cancelled: int
    unmeasured: int
    compliance: float | None


def sla_compliance(
    backend: ReportingBackend, tenant: str, as_of: datetime
) -> Report[SlaComplianceRow]:
    """SLA compliance at ``as_of``: requests by priority, met / breached / pending per target.

    The requests reported no later than ``as_of`` are judged on their *stored* due times
    (``response_due``, ``resolution_due``): response is done at ``responded_at``, resolution at
    the closure's ``closed_at`` (a time after ``as_of`` counts as not yet done). Instants are
    compared, so a target done after its due time but outside working hours counts as breached
    here, where :func:`servicecore.model.sla.sla_outcome` (which counts lateness in working
    time) would call it met. Two grouped queries in the database.

    Returns:
        Two rows per priority that has requests (response, then resolution), most urgent first.

    Raises:
        ValidationError: ``as_of`` is not an aware datetime.
    """
    counts: dict[tuple[Priority, str], dict[SlaTargetStatus, int]] = defaultdict(
        lambda: dict.fromkeys(SlaTargetStatus, 0)
    )
    for r in queries.sla_counts(backend, tenant, check_as_of(as_of)):
        counts[(r.priority, r.target)][r.status] += r.count
    rows = []
    for (priority, target), c in counts.items():
        met, breached = c[SlaTargetStatus.MET], c[SlaTargetStatus.BREACHED]
        rows.append(
            SlaComplianceRow(
                priority=priority,
                target=target,
                met=met,
                breached=breached,
                pending=c[SlaTargetStatus.PENDING],
                cancelled=c[SlaTargetStatus.CANCELLED],
                unmeasured=c[SlaTargetStatus.UNMEASURED],
                compliance=met / (met + breached) if met + breached else None,
            )
        )
    rows.sort(key=lambda r: (_PRIORITY_ORDER[r.priority], r.target != "response"))
    return Report.of("SLA compliance", SlaComplianceRow, rows)


AGE_BANDS: tuple[tuple[str, timedelta, timedelta | None], ...] = (
    ("under 1 day", timedelta(0), timedelta(days=1)),
    ("1-3 days", timedelta(days=1), timedelta(days=3)),
    ("3-7 days", timedelta(days=3), timedelta(days=7)),
    ("7 days or more", timedelta(days=7), None),
)
"""The age bands of :func:`request_monitoring`: ``(label, from, to)``, age in ``[from, to)``."""

_OPEN = (
    RequestStatus.OPEN,
    RequestStatus.ASSIGNED,
    RequestStatus.IN_PROGRESS,
    RequestStatus.ON_HOLD,
    RequestStatus.RESOLVED,
)


@attrs.frozen
class RequestMonitoringRow:
    """Unfinished service requests of one status, type and priority in one age band.

    Attributes:
        status: Open, assigned, in progress, on hold or resolved (not yet closed).
        service_type: The service asked for.
        priority: Their priority.
        age: The :data:`AGE_BANDS` label of ``as_of - reported_at``.
        count: How many requests.
    """

    status: RequestStatus
    service_type: ServiceType
    priority: Priority
    age: str
    count: int


def request_monitoring(
    backend: ReportingBackend, tenant: str, as_of: datetime
) -> Report[RequestMonitoringRow]:
    """Service request monitoring: unfinished requests by status, type, priority and age.

    Unfinished means not closed and not cancelled; requests reported after ``as_of`` are left
    out. One grouped query per age band.

    Returns:
        Rows ordered by status (lifecycle order), service type, priority (most urgent first) and
        age band (youngest first).

    Raises:
        ValidationError: ``as_of`` is not an aware datetime.
    """
    at = check_as_of(as_of)
    rows = []
    for label, low, high in AGE_BANDS:
        where = [
            Condition("status", Op.IN, tuple(s.value for s in _OPEN)),
            Condition("reported_at", Op.LT, at - low + timedelta.resolution),
        ]
        if high is not None:
            where.append(Condition("reported_at", Op.GE, at - high + timedelta.resolution))
        for r in backend.count_by(
            tenant, "requests", ["status", "service_type", "priority"], where
        ):
            rows.append(
                RequestMonitoringRow(
                    status=RequestStatus(r.key[0]),
                    service_type=ServiceType(r.key[1]),
                    priority=Priority(r.key[2]),
                    age=label,
                    count=r.count,
                )
            )
    statuses, types = list(RequestStatus), list(ServiceType)
    bands = [b[0] for b in AGE_BANDS]
    rows.sort(
        key=lambda r: (
            statuses.index(r.status),
            types.index(r.service_type),
            _PRIORITY_ORDER[r.priority],
            bands.index(r.age),
        )
    )
    return Report.of("Service request monitoring", RequestMonitoringRow, rows)


@attrs.frozen
class DispatchRow:
    """One technician's dispatch orders of one status planned to start on one day.

    Attributes:
        technician_id: The technician.
        day: The UTC day the planned work starts.
        status: The orders' lifecycle state.
        count: How many orders.
    """

    technician_id: str
    day: date
    status: DispatchStatus
    count: int


def dispatch_table(
    backend: ReportingBackend,
    tenant: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Report[DispatchRow]:
    """The technician dispatch table: dispatch orders by technician, day and status.

    ``start`` and ``end`` keep the orders planned to start in ``[start, end)``. One grouped query.

    Returns:
        Rows ordered by technician, day and status (lifecycle order).

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not after
            ``start``.
    """
    statuses = list(DispatchStatus)
    rows = [
        DispatchRow(
            technician_id=r.key[0],  # type: ignore[arg-type]
            day=r.key[1],  # type: ignore[arg-type]
            status=DispatchStatus(r.key[2]),
            count=r.count,
        )
        for r in backend.count_by(
            tenant,
            "dispatches",
            ["technician_id", Bucket("planned_start", TimeUnit.DAY), "status"],
            _range("planned_start", start, end),
        )
    ]
    rows.sort(key=lambda r: (r.technician_id, r.day, statuses.index(r.status)))
    return Report.of("Technician dispatch table", DispatchRow, rows)


@attrs.frozen
class TechnicianPerformanceRow:
    """One technician's jobs and ratings.

    Attributes:
        technician_id: The technician.
        jobs: Dispatch orders given to them, in any state.
        completed: Of those, completed.
        rejected: Of those, rejected by the technician.
        open: Of those, still assigned, accepted or in progress.
        surveys: Satisfaction surveys that rate them.
        average_score: The surveys' mean score (1 to 5), or ``None`` without surveys.
        sla_hit_rate: The share of those surveys whose request met its SLA (the survey's
            ``sla_met``), or ``None`` without surveys.
    """

    technician_id: str
    jobs: int
    completed: int
    rejected: int
    open: int
    surveys: int
    average_score: float | None
    sla_hit_rate: float | None


_OPEN_DISPATCH = frozenset(
    {DispatchStatus.ASSIGNED.value, DispatchStatus.ACCEPTED.value, DispatchStatus.IN_PROGRESS.value}
)


def technician_performance(
    backend: ReportingBackend,
    tenant: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Report[TechnicianPerformanceRow]:
    """Technician performance: jobs by outcome, satisfaction score and SLA hit rate.

    Jobs are the dispatch orders planned to start in ``[start, end)``; surveys are those
    answered in ``[start, end)`` that name a technician (the score and ``sla_met`` are summed in
    the database from the survey's stored data). Three grouped queries.

    Returns:
        One row per technician with a job or a survey, ordered by technician id.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not after
            ``start``.
    """
    jobs: dict[str, dict[str, int]] = defaultdict(dict)
    for r in backend.count_by(
        tenant, "dispatches", ["technician_id", "status"], _range("planned_start", start, end)
    ):
        jobs[str(r.key[0])][str(r.key[1])] = r.count
    rated = [*_range("answered_at", start, end), Condition("technician_id", Op.NOT_NULL)]
    scores = {
        str(r.key[0]): r
        for r in backend.sum_by(tenant, "surveys", ["technician_id"], ("score",), rated)
    }
    hits = {
        str(r.key[0]): r
        for r in backend.sum_by(tenant, "surveys", ["technician_id"], ("sla_met",), rated)
    }
    rows = []
    for technician in sorted(jobs.keys() | scores.keys()):
        states = jobs.get(technician, {})
        score, hit = scores.get(technician), hits.get(technician)
        rows.append(
            TechnicianPerformanceRow(
                technician_id=technician,
                jobs=sum(states.values()),
                completed=states.get(DispatchStatus.COMPLETED.value, 0),
                rejected=states.get(DispatchStatus.REJECTED.value, 0),
                open=sum(n for s, n in states.items() if s in _OPEN_DISPATCH),
                surveys=score.count if score is not None else 0,
                average_score=score.total / score.valued if score and score.valued else None,
                sla_hit_rate=hit.total / hit.valued if hit and hit.valued else None,
            )
        )
    return Report.of("Technician performance", TechnicianPerformanceRow, rows)


@attrs.frozen
class PartsUsageRow:
    """Requisitioned quantities of one part, in one requisition state, charged or free.

    Attributes:
        part_code: The part.
        status: The requisitions' state: *requested* is demand not yet met, *issued* is parts
            used (left the warehouse), *returned* came back, *cancelled* was never issued.
        charged: Whether the lines are charged to the customer (a sales outbound) or free.
        lines: How many requisition lines.
        quantity: Their total quantity.
    """

    part_code: str
    status: RequisitionStatus
    charged: bool
    lines: int
    quantity: int


def _flag(value: object) -> bool:
    # JSON booleans come back as 1 / 0 from SQLite and as "true" / "false" text from PostgreSQL.
    return value in (True, 1, "true")


def parts_usage(backend: ReportingBackend, tenant: str) -> Report[PartsUsageRow]:
    """Parts usage and demand: requisition lines by part, requisition state and charging.

    Usage is the ``issued`` rows, open demand the ``requested`` ones; demand in all is every
    state but ``cancelled``. One grouped query; the lines are unnested in the database.

    Returns:
        Rows ordered by part code, state (lifecycle order) and free before charged.
    """
    statuses = list(RequisitionStatus)
    rows = [
        PartsUsageRow(
            part_code=str(r.key[1]),
            status=RequisitionStatus(r.key[0]),
            charged=_flag(r.key[2]),
            lines=r.count,
            quantity=int(r.total),
        )
        for r in backend.sum_items(
            tenant, "requisitions", "lines", ["status"], ("part_code", "charged"), "quantity"
        )
    ]
    rows.sort(key=lambda r: (r.part_code, statuses.index(r.status), r.charged))
    return Report.of("Parts usage and demand", PartsUsageRow, rows)


@attrs.frozen
class FailureCauseRow:
    """Service requests of one product, fault cause and service type.

    Attributes:
        product_code: The product code of the request's product archive, or ``None`` for a
            request without one (e.g. a consultation).
        fault_cause: The request's recorded fault cause, or ``None`` while none is recorded.
        service_type: The service asked for.
        count: How many requests.
    """

    product_code: str | None
    fault_cause: str | None
    service_type: ServiceType
    count: int


def failure_causes(
    backend: ReportingBackend,
    tenant: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Report[FailureCauseRow]:
    """Failure cause analysis by product: requests by product code, fault cause and type.

    Counts the requests reported in ``[start, end)``. The product code comes from the request's
    product archive (an outer join in the database), the cause from the request's
    ``fault_cause`` as recorded (read from the stored record in the database). One grouped query.

    Returns:
        Rows ordered by product code, fault cause (each with unknown last) and service type.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not after
            ``start``.
    """
    types = list(ServiceType)
    rows = [
        FailureCauseRow(
            product_code=r.key[0],  # type: ignore[arg-type]
            fault_cause=r.key[1],  # type: ignore[arg-type]
            service_type=ServiceType(r.key[2]),
            count=r.count,
        )
        for r in backend.count_by(
            tenant,
            "requests",
            [
                Related("archives", "archive_id", "product_code"),
                Stored(("fault_cause",)),
                "service_type",
            ],
            _range("reported_at", start, end),
        )
    ]
    rows.sort(
        key=lambda r: (
            _none_last(r.product_code),
            _none_last(r.fault_cause),
            types.index(r.service_type),
        )
    )
    return Report.of("Failure causes by product", FailureCauseRow, rows)
