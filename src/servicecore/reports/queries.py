"""The named queries the reports need, each written once over the query core.

Every function here takes any :class:`~servicecore.reports.port.ReportingBackend` and asks it
only core queries (:meth:`~servicecore.reports.port.ReportingBackend.count_by` and the rest), so
an integrator's backend that passes the reporting contract gets every report, and on SQL
storage each question is answered by grouped statements in the database.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from servicecore.model.booking import Booking
from servicecore.model.contract import ServiceContract
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import Priority
from servicecore.model.request import RequestStatus, ServiceRequest
from servicecore.model.technician import Technician
from servicecore.reports.port import (
    Another,
    AnyOf,
    Audited,
    Bucket,
    Case,
    Condition,
    Filter,
    GroupKey,
    Op,
    Other,
    Related,
    ReportingBackend,
    Seconds,
    Stored,
    TimeUnit,
    ValueRef,
    check_as_of,
    check_range,
    check_window,
)

__all__ = [
    "VISIT_STATUSES",
    "BookedRequest",
    "FixRow",
    "MoneyKind",
    "MoneyRow",
    "PlannedRow",
    "QualityCountRow",
    "SlaContractRow",
    "SlaCountRow",
    "SlaTargetStatus",
    "booked_requests",
    "classify_target",
    "contracts",
    "first_time_fixes",
    "money_totals",
    "planned_time",
    "quality_counts",
    "sla_breached",
    "sla_contract_counts",
    "sla_counts",
    "technicians",
]

VISIT_STATUSES = (DispatchStatus.IN_PROGRESS, DispatchStatus.COMPLETED)
"""The dispatch orders that are visits, as first-time fixes count them: work on them started.

A rejected order (declined while only assigned) and a revoked one (withdrawn before work
started) never brought anyone to the job, so they are not attempts at fixing it; nor is an
order still assigned or accepted."""


class SlaTargetStatus(enum.Enum):
    """Where an SLA target of a request stands, judged on its stored due time."""

    MET = "met"
    BREACHED = "breached"
    PENDING = "pending"
    CANCELLED = "cancelled"
    UNMEASURED = "unmeasured"
    """The request has no due time for the target (no SLA applied)."""


@attrs.frozen
class SlaCountRow:
    """One group of :func:`sla_counts`.

    Attributes:
        priority: The requests' priority.
        target: ``"response"`` or ``"resolution"``.
        status: Where the target stands.
        count: How many requests.
    """

    priority: Priority
    target: str
    status: SlaTargetStatus
    count: int


@attrs.frozen
class SlaContractRow:
    """One group of :func:`sla_contract_counts`: as :class:`SlaCountRow`, by contract too.

    Attributes:
        contract_id: The requests' contract.
        priority: The requests' priority.
        target: ``"response"`` or ``"resolution"``.
        status: Where the target stands (judged on the stored due time).
        count: How many requests.
    """

    contract_id: str
    priority: Priority
    target: str
    status: SlaTargetStatus
    count: int


@attrs.frozen
class FixRow:
    """One technician's row of :func:`first_time_fixes`.

    Attributes:
        technician_id: The technician.
        fixed: Closed requests on which the technician completed a dispatch order.
        first_time: Those of them with exactly one visit (:data:`VISIT_STATUSES`) in all: the
            completed one.
    """

    technician_id: str
    fixed: int
    first_time: int


@attrs.frozen
class PlannedRow:
    """One group of :func:`planned_time`.

    Attributes:
        technician_id: The technician.
        day: The UTC day the dispatch orders were planned to start on.
        orders: How many dispatch orders.
        seconds: Their planned time in all (``planned_end - planned_start``), in whole seconds.
    """

    technician_id: str
    day: date
    orders: int
    seconds: int


@attrs.frozen
class QualityCountRow:
    """One group of :func:`quality_counts`.

    Attributes:
        product_code: The product code of the requests' product archive (``None`` without one).
        fault_cause: The requests' recorded fault cause (``None`` while none is recorded).
        requests: How many requests.
        reopened: How many of them have a ``reopen`` entry in their audit trail.
        repeats: How many of them are repeat repairs: another request on the same product
            archive was reported less than the window before them (and not after them).
        surveys: How many survey results rate these requests.
        score_total: The sum of those surveys' scores.
    """

    product_code: str | None
    fault_cause: str | None
    requests: int
    reopened: int
    repeats: int
    surveys: int
    score_total: int


class MoneyKind(enum.Enum):
    """Which amounts of a processing order a :class:`MoneyRow` sums."""

    INCOME = "income"
    """The income lines."""
    COST = "cost"
    """The cost lines."""
    PARTS = "parts"
    """The charged parts used: quantity x unit price."""


@attrs.frozen
class MoneyRow:
    """One group of :func:`money_totals`.

    Attributes:
        currency: The processing orders' currency.
        solution_type: The orders' solution type value, ``None`` when not recorded.
        month: First day of the UTC month the orders' dispatch orders were planned to start in.
        kind: Which amounts are summed.
        lines: How many lines (or charged parts) are in the group.
        total: Their exact sum (only of the amounts not refused).
        refused: How many amounts could not be summed exactly (see
            :func:`~servicecore.reports.port.money_refused`).
    """

    currency: str
    solution_type: str | None
    month: date
    kind: MoneyKind
    lines: int
    total: Decimal
    refused: int


@attrs.frozen
class BookedRequest:
    """One row of :func:`booked_requests`: a booking and a request opened from it.

    Attributes:
        booking: The booking.
        request: A service request opened from it (``ServiceRequest.booking_id``), ``None``
            when none was.
    """

    booking: Booking
    request: ServiceRequest | None


def classify_target(
    done_at: datetime | None, due: datetime | None, cancelled: bool, as_of: datetime
) -> SlaTargetStatus:
    """Return where one SLA target stands, as :func:`sla_counts` defines it."""
    if due is None:
        return SlaTargetStatus.UNMEASURED
    if done_at is not None and done_at <= as_of:
        return SlaTargetStatus.MET if done_at <= due else SlaTargetStatus.BREACHED
    if cancelled:
        return SlaTargetStatus.CANCELLED
    return SlaTargetStatus.BREACHED if due < as_of else SlaTargetStatus.PENDING


def _range(field: ValueRef, start: datetime | None, end: datetime | None) -> list[Filter]:
    found: list[Filter] = []
    if start is not None:
        found.append(Condition(field, Op.GE, start))
    if end is not None:
        found.append(Condition(field, Op.LT, end))
    return found


_TARGETS: tuple[tuple[str, Stored, str], ...] = (
    ("response", Stored(("responded_at",), datetime), "response_due"),
    ("resolution", Stored(("closure", "closed_at"), datetime), "resolution_due"),
)
_CANCELLED = Condition("status", Op.EQ, RequestStatus.CANCELLED)


def _target_status(done: Stored, due: str, as_of: datetime) -> Case:
    """The :func:`classify_target` rules as a group key (done after ``as_of`` is not done)."""
    done_by = Condition(done, Op.LE, as_of)
    return Case(
        (
            ((Condition(due, Op.IS_NULL),), SlaTargetStatus.UNMEASURED.value),
            ((done_by, Condition(done, Op.LE, Other(due))), SlaTargetStatus.MET.value),
            ((done_by,), SlaTargetStatus.BREACHED.value),
            ((_CANCELLED,), SlaTargetStatus.CANCELLED.value),
            ((Condition(due, Op.LT, as_of),), SlaTargetStatus.BREACHED.value),
        ),
        SlaTargetStatus.PENDING.value,
    )


def sla_counts(backend: ReportingBackend, tenant: str, as_of: datetime) -> list[SlaCountRow]:
    """Count service requests by priority, SLA target and target status at ``as_of``.

    A target is *met* when done (response: ``responded_at``; resolution: the closure's
    ``closed_at``; a time after ``as_of`` counts as not done) no later than its stored due
    time (``response_due``, ``resolution_due``), *breached* when done later or not done and
    due before ``as_of``, *cancelled* when not done and the request is cancelled, *pending*
    when not done and not yet due, and *unmeasured* when it has no due time. Requests
    reported after ``as_of`` are not counted. One grouped query.

    Raises:
        ValidationError: ``as_of`` is not an aware datetime.
    """
    check_as_of(as_of)
    keys: list[GroupKey] = [
        "priority",
        *(_target_status(done, due, as_of) for _, done, due in _TARGETS),
    ]
    rows = backend.count_by(tenant, "requests", keys, [Condition("reported_at", Op.LE, as_of)])
    counts: dict[tuple[str, str, str], int] = {}
    for row in rows:
        priority, *states = row.key
        for (target, _, _), state in zip(_TARGETS, states, strict=True):
            key = (str(priority), target, str(state))
            counts[key] = counts.get(key, 0) + row.count
    return [
        SlaCountRow(Priority(p), target, SlaTargetStatus(state), n)
        for (p, target, state), n in counts.items()
    ]


def sla_contract_counts(
    backend: ReportingBackend, tenant: str, as_of: datetime
) -> list[SlaContractRow]:
    """Like :func:`sla_counts`, for the requests under a contract, grouped by contract too.

    Raises:
        ValidationError: ``as_of`` is not an aware datetime.
    """
    check_as_of(as_of)
    keys: list[GroupKey] = [
        "contract_id",
        "priority",
        *(_target_status(done, due, as_of) for _, done, due in _TARGETS),
    ]
    where = [Condition("reported_at", Op.LE, as_of), Condition("contract_id", Op.NOT_NULL)]
    counts: dict[tuple[str, str, str, str], int] = {}
    for row in backend.count_by(tenant, "requests", keys, where):
        contract, priority, *states = row.key
        for (target, _, _), state in zip(_TARGETS, states, strict=True):
            key = (str(contract), str(priority), target, str(state))
            counts[key] = counts.get(key, 0) + row.count
    return [
        SlaContractRow(c, Priority(p), target, SlaTargetStatus(state), n)
        for (c, p, target, state), n in counts.items()
    ]


def sla_breached(backend: ReportingBackend, tenant: str, as_of: datetime) -> list[ServiceRequest]:
    """Return the requests under a contract with a target breached at ``as_of``.

    Breached as :func:`sla_counts` judges it, on the stored due times; the backend selects
    them, so only the (few) breached requests are read.

    Raises:
        ValidationError: ``as_of`` is not an aware datetime.
    """
    check_as_of(as_of)
    alternatives: list[tuple[Filter, ...]] = []
    for _, done, due in _TARGETS:
        due_set = Condition(due, Op.NOT_NULL)
        overdue = (
            due_set,
            Condition("status", Op.NE, RequestStatus.CANCELLED),
            Condition(due, Op.LT, as_of),
        )
        alternatives += [
            (due_set, Condition(done, Op.LE, as_of), Condition(done, Op.GT, Other(due))),
            (*overdue, Condition(done, Op.IS_NULL)),
            (*overdue, Condition(done, Op.GT, as_of)),
        ]
    where: list[Filter] = [
        Condition("reported_at", Op.LE, as_of),
        Condition("contract_id", Op.NOT_NULL),
        AnyOf(tuple(alternatives)),
    ]
    found: list[ServiceRequest] = backend.list_records(tenant, "requests", where)
    return found


def first_time_fixes(
    backend: ReportingBackend, tenant: str, start: datetime | None, end: datetime | None
) -> list[FixRow]:
    """Count, per technician, the closed requests they fixed and those fixed the first time.

    Counts the ``closed`` requests reported in ``[start, end)`` (``None``: no bound). A
    request is *fixed* by each technician who completed one of its dispatch orders, and
    fixed *the first time* when exactly one of its dispatch orders is a visit (in progress
    or completed: :data:`VISIT_STATUSES`) and that one is completed. Rejected, revoked and
    never-started orders are not visits: a job another technician rejected first, or that
    was taken off them before they started, is still a first-time fix for whoever then
    fixed it on one visit. Two grouped queries over the completed orders, counting distinct
    requests.

    Returns:
        One row per technician with at least one fix, in no particular order.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not
            after ``start``.
    """
    check_range(start, end)
    reported = Related("requests", "request_id", "reported_at")
    fixed: list[Filter] = [
        Condition("status", Op.EQ, DispatchStatus.COMPLETED),
        Condition(Related("requests", "request_id", "status"), Op.EQ, RequestStatus.CLOSED),
        *_range(reported, start, end),
    ]
    only_visit = Another("request_id", (Condition("status", Op.IN, VISIT_STATUSES),), present=False)
    first = {
        row.key[0]: row.count
        for row in backend.count_by(
            tenant, "dispatches", ["technician_id"], [*fixed, only_visit], distinct="request_id"
        )
    }
    return [
        FixRow(str(row.key[0]), row.count, first.get(row.key[0], 0))
        for row in backend.count_by(
            tenant, "dispatches", ["technician_id"], fixed, distinct="request_id"
        )
    ]


def booked_requests(
    backend: ReportingBackend, tenant: str, start: datetime | None, end: datetime | None
) -> list[BookedRequest]:
    """List the bookings whose slot starts in ``[start, end)``, each with its requests.

    ``None``: no bound. A booking with several requests opened from it gives one row per
    request; one without gives one row with ``request=None``. Two filtered reads: the bookings
    of the range, and the requests whose booking is in it.

    Returns:
        The rows, in no particular order.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not
            after ``start``.
    """
    check_range(start, end)
    bookings: list[Booking] = backend.list_records(
        tenant, "bookings", _range("slot_start", start, end)
    )
    slot = Related("bookings", "booking_id", "slot_start")
    opened: dict[str, list[ServiceRequest]] = {}
    request: ServiceRequest
    for request in backend.list_records(
        tenant,
        "requests",
        [
            Condition("booking_id", Op.NOT_NULL),
            Condition(slot, Op.NOT_NULL),
            *_range(slot, start, end),
        ],
    ):
        opened.setdefault(str(request.booking_id), []).append(request)
    rows = []
    for booking in bookings:
        found: list[ServiceRequest | None] = [*opened.get(booking.id, [])] or [None]
        rows += [BookedRequest(booking, r) for r in found]
    return rows


def planned_time(
    backend: ReportingBackend,
    tenant: str,
    statuses: Sequence[str],
    start: datetime | None,
    end: datetime | None,
) -> list[PlannedRow]:
    """Sum the planned time of dispatch orders per technician and UTC day of planned start.

    Counts the dispatch orders in one of ``statuses`` (status values) planned to start in
    ``[start, end)`` (``None``: no bound); the durations are summed by the backend.

    Returns:
        One row per technician and day with orders, in no particular order.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not
            after ``start``.
    """
    check_range(start, end)
    rows = backend.sum_by(
        tenant,
        "dispatches",
        ["technician_id", Bucket("planned_start", TimeUnit.DAY)],
        Seconds("planned_start", "planned_end"),
        [Condition("status", Op.IN, tuple(statuses)), *_range("planned_start", start, end)],
    )
    return [
        PlannedRow(str(r.key[0]), r.key[1], r.count, round(r.total))  # type: ignore[arg-type]
        for r in rows
    ]


def technicians(backend: ReportingBackend, tenant: str, ids: Sequence[str]) -> list[Technician]:
    """Return the technicians with these ids (unknown ids are skipped)."""
    found: list[Technician] = backend.list_records(
        tenant, "technicians", [Condition("id", Op.IN, tuple(ids))]
    )
    return found


def contracts(backend: ReportingBackend, tenant: str, ids: Sequence[str]) -> list[ServiceContract]:
    """Return the service contracts with these ids (unknown ids are skipped)."""
    found: list[ServiceContract] = backend.list_records(
        tenant, "contracts", [Condition("id", Op.IN, tuple(ids))]
    )
    return found


def quality_counts(
    backend: ReportingBackend,
    tenant: str,
    start: datetime | None,
    end: datetime | None,
    repeat_within: timedelta,
) -> list[QualityCountRow]:
    """Count reopened requests, repeat repairs and survey scores by product and fault cause.

    Counts the service requests reported in ``[start, end)`` (``None``: no bound): three
    grouped counts over the requests (all, reopened, repeats) and one grouped sum over the
    surveys of those requests.

    Returns:
        One row per product code and fault cause with requests, in no particular order.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, ``end`` is not after
            ``start``, or ``repeat_within`` is not a positive timedelta.
    """
    check_range(start, end)
    window = check_window(repeat_within)
    product = Related("archives", "archive_id", "product_code")
    cause = Stored(("fault_cause",))
    keys: list[GroupKey] = [product, cause]
    where = _range("reported_at", start, end)
    counts: dict[tuple[Any, ...], list[int]] = {}
    repeat = Another("archive_id", at="reported_at", within=window)
    for i, extra in enumerate((None, Audited("reopen"), repeat)):
        for row in backend.count_by(
            tenant, "requests", keys, where if extra is None else [*where, extra]
        ):
            counts.setdefault(row.key, [0, 0, 0, 0, 0])[i] = row.count
    rated = backend.sum_by(
        tenant,
        "surveys",
        [Related("requests", "request_id", product), Related("requests", "request_id", cause)],
        ("score",),
        _range(Related("requests", "request_id", "reported_at"), start, end),
    )
    for rating in rated:
        if rating.key in counts:
            counts[rating.key][3] = rating.valued
            counts[rating.key][4] = round(rating.total)
    return [QualityCountRow(key[0], key[1], *acc) for key, acc in counts.items()]


_MONEY: tuple[tuple[MoneyKind, str, tuple[str, ...], str | None, str | None], ...] = (
    (MoneyKind.INCOME, "income_lines", ("amount",), None, None),
    (MoneyKind.COST, "cost_lines", ("amount",), None, None),
    (MoneyKind.PARTS, "parts_used", ("unit_price",), "quantity", "charged"),
)


def money_totals(
    backend: ReportingBackend, tenant: str, start: datetime | None, end: datetime | None
) -> list[MoneyRow]:
    """Sum the money of completed processing orders exactly, grouped.

    A processing order is dated by the planned start of its dispatch order; orders dated in
    ``[start, end)`` count (``None``: no bound). Amounts are grouped by currency, solution
    type, month and :class:`MoneyKind`; one exact money sum per kind (see
    :meth:`~servicecore.reports.port.ReportingBackend.sum_money`).

    Returns:
        One row per non-empty group, in no particular order.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime.
    """
    check_range(start, end)
    planned = Related("dispatches", "dispatch_id", "planned_start")
    keys: list[GroupKey] = [
        Stored(("currency",)),
        Stored(("solution_type",)),
        Bucket(planned, TimeUnit.MONTH),
    ]
    where = [
        Condition("status", Op.EQ, "completed"),
        Condition(planned, Op.NOT_NULL),
        *_range(planned, start, end),
    ]
    found = []
    for kind, items, amount, times, only in _MONEY:
        for row in backend.sum_money(
            tenant, "processing", items, amount, keys, where, times=times, only=only
        ):
            currency, solution, month = row.key
            found.append(
                MoneyRow(
                    str(currency),
                    None if solution is None else str(solution),
                    month,  # type: ignore[arg-type]
                    kind,
                    row.lines,
                    row.total,
                    row.refused,
                )
            )
    return found
