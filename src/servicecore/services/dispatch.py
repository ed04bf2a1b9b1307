"""Dispatch commands (seed 004, 派工单): assign, accept, reject, revoke, start, complete.

Assigning creates a dispatch order that holds the technician's planned time (storage refuses an
overlap: :class:`~servicecore.errors.DoubleBooking`). Several dispatch orders may be live for one
request. A rejected or revoked order leaves the request assignable again; starting work opens the
order's processing order (one per dispatch order); completing the last live order resolves the
request once its processing is complete. Every step is in the service log (the audit trail).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from servicecore.errors import NotFound, TransitionRefused, ValidationError
from servicecore.lifecycle import DISPATCH, PROCESSING, REQUEST
from servicecore.lifecycle.facts import Facts
from servicecore.model.common import DispatchId, ProcessingId, RequestId, TechnicianId, TimeRange
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.processing import ProcessingOrder, ProcessingStatus
from servicecore.model.request import RequestStatus, ServiceRequest
from servicecore.model.technician import Technician
from servicecore.ports import Query, UnitOfWork
from servicecore.services.common import event, move, time_zone
from servicecore.services.context import CommandContext, command
from servicecore.services.requests import dispatches_of

if TYPE_CHECKING:  # the scheduler (OR-Tools) is imported when a day is planned, not before
    from servicecore.scheduling import Result

__all__ = [
    "accept_dispatch",
    "adjust_dispatch",
    "assign",
    "assign_account_specialist",
    "assign_from_plan",
    "complete_dispatch",
    "processing_of",
    "reject_dispatch",
    "revoke_dispatch",
    "start_dispatch",
]


def processing_of(uow: UnitOfWork, request_id: str) -> list[ProcessingOrder]:
    """Return every processing order of a request."""
    return list(uow.processing.iterate(Query(equals={"request_id": request_id})))


def _technician(
    uow: UnitOfWork, technician_id: str, request: ServiceRequest, planned: TimeRange | None = None
) -> Technician:
    tech = uow.technicians.get(technician_id)
    if not tech.active:
        raise ValidationError.single("technician_id", technician_id, "is not active")
    away = None if planned is None else tech.absent_during(planned)
    if away is not None:
        raise ValidationError.single(
            "technician_id",
            technician_id,
            f"is away ({away.kind.value}, absence {away.id}) from {away.period.start} "
            f"to {away.period.end}",
        )
    if not tech.has_skills(request.required_skills):
        missing = sorted(set(request.required_skills) - set(tech.skills))
        raise ValidationError.single(
            "technician_id", technician_id, f"lacks the skills {', '.join(missing)}"
        )
    return tech


def _take_over_booked_time(
    cx: CommandContext, request: ServiceRequest, order: DispatchOrder
) -> None:
    """A request's own booking hands its hold on the technician's time to the dispatch order.

    Only when the order sends the booked technician within the booked slot: the customer is
    served in the time they booked, by the one they booked. Any other request still finds the
    time taken.
    """
    if request.booking_id is None:
        return
    booking = cx.uow.bookings.find(request.booking_id)
    if (
        booking is None
        or booking.dispatch_id is not None
        or not booking.status.is_live
        or booking.technician_id != order.technician_id
        or not booking.slot.overlaps(order.planned)
    ):
        return
    booking.dispatch_id = order.id
    cx.uow.bookings.update(booking)


@command("assign")
def assign(
    cx: CommandContext,
    /,
    request_id: str,
    technician_id: str,
    planned: TimeRange,
    *,
    dispatch_id: str | None = None,
) -> DispatchOrder:
    """Send ``technician_id`` to the request for ``planned``: a new dispatch order.

    Raises:
        PermissionDenied: The actor may not assign.
        NotFound: No such request or technician.
        ValidationError: The technician is inactive, lacks the request's skills or is away
            then, or the planned time has ended already.
        TransitionRefused: The request is closed, cancelled or resolved.
        DoubleBooking: The technician is busy then (here or at commit).
    """
    request = cx.uow.requests.get(request_id)
    cx.check("assign", request)
    _technician(cx.uow, technician_id, request, planned)
    if planned.end <= cx.now():
        raise ValidationError.single("planned", planned, "has ended already")
    order = DispatchOrder(
        id=DispatchId(dispatch_id or cx.ids.new_id("DispatchOrder")),
        request_id=request.id,
        technician_id=TechnicianId(technician_id),
        planned=planned,
    )
    payload = {"technician_id": technician_id, "planned": planned}
    cx.create(DISPATCH, order, payload=payload, given=Facts(request=request))
    _take_over_booked_time(cx, request, order)
    cx.uow.dispatches.add(order)
    request.dispatch_ids = (*request.dispatch_ids, order.id)
    if request.status is RequestStatus.OPEN:
        cx.fire(REQUEST, request, "assign", payload=payload)
    cx.uow.requests.update(request)
    event(cx, "DispatchAssigned", order, payload)
    return order


@command("assign")
def assign_account_specialist(
    cx: CommandContext,
    /,
    request_id: str,
    planned: TimeRange,
) -> DispatchOrder:
    """Assign the request to the customer's account specialist (按客户专员派工).

    The specialist is the active technician whose account customers include the request's
    customer, who has the skills and is not away then; the first by id when several are.

    Raises:
        NotFound: No such request, or the customer has no such specialist.
        DoubleBooking: The specialist is busy then (and as :func:`assign` otherwise).
    """
    request = cx.uow.requests.get(request_id)
    for tech in cx.uow.technicians.iterate(Query(equals={"active": True})):
        if (
            request.customer_id in tech.account_customers
            and tech.has_skills(request.required_skills)
            and tech.absent_during(planned) is None
        ):
            return assign(
                cx,
                request_id,
                tech.id,
                planned,
            )
    raise NotFound("AccountSpecialist", request.customer_id)


@command("assign")
def assign_from_plan(
    cx: CommandContext,
    /,
    plan: Result,
    day: date,
    timezone: str,
) -> list[DispatchOrder]:
    """Turn a scheduler plan of ``day`` into dispatch orders: one per planned visit.

    Job ids in the plan are request ids; times are minutes from midnight of ``day`` in
    ``timezone``. Requests already assigned to the same technician are skipped.

    Raises:
        NotFound: A planned job is not a request, or a technician does not exist.
        DoubleBooking: A technician is busy at a planned time (and as :func:`assign` otherwise);
            nothing of the plan is kept if one visit fails: the caller's unit of work rolls back.
        ValidationError: ``plan`` is not a scheduler result, or ``timezone`` is not a known
            time zone.
    """
    from servicecore.scheduling.result import Result  # the scheduler loads only when planning

    if not isinstance(plan, Result):
        raise ValidationError.single(
            "plan", plan, "must be a servicecore.scheduling.Result (what solve returns)"
        )
    zone = time_zone(timezone)
    midnight = datetime.combine(day, time(0), zone)
    made = []
    for route in plan.routes:
        for visit in route.visits:
            existing = dispatches_of(cx.uow, visit.job_id)
            if any(d.technician_id == route.technician_id and d.status.is_live for d in existing):
                continue
            planned = TimeRange(
                midnight + timedelta(minutes=visit.start), midnight + timedelta(minutes=visit.end)
            )
            made.append(
                assign(
                    cx,
                    visit.job_id,
                    route.technician_id,
                    planned,
                )
            )
    return made


def _load(uow: UnitOfWork, dispatch_id: str) -> DispatchOrder:
    return uow.dispatches.get(dispatch_id)


@command("accept_dispatch")
def accept_dispatch(
    cx: CommandContext,
    /,
    dispatch_id: str,
) -> DispatchOrder:
    """The assigned technician takes the job.

    Raises:
        NotFound: No such dispatch order.
        PermissionDenied: The actor is not its technician.
        InvalidTransition: It is not assigned.
    """
    accepted: DispatchOrder = move(
        cx,
        DISPATCH,
        dispatch_id,
        "accept",
        command="accept_dispatch",
        event_name="DispatchAccepted",
    )
    return accepted


def _release(cx: CommandContext, order: DispatchOrder) -> None:
    """After a rejection or revocation: no live order left means the request is assignable."""
    request = cx.uow.requests.get(order.request_id)
    orders = dispatches_of(cx.uow, request.id)
    if request.status is RequestStatus.ASSIGNED and not any(d.status.is_live for d in orders):
        cx.fire(REQUEST, request, "unassign", given=Facts(dispatches=orders))
        cx.uow.requests.update(request)


_WITHDRAWN = {"reject": "DispatchRejected", "revoke": "DispatchRevoked"}


def _withdraw(
    cx: CommandContext,
    dispatch_id: str,
    trigger: str,
    reason: str,
) -> DispatchOrder:
    """Reject or revoke an order, then make its request assignable if nothing else is live."""
    order: DispatchOrder = move(
        cx,
        DISPATCH,
        dispatch_id,
        trigger,
        command=f"{trigger}_dispatch",
        event_name=_WITHDRAWN[trigger],
        reason=reason,
        event_payload=lambda _o: {"reason": reason},
    )
    _release(cx, order)
    return order


@command("reject_dispatch")
def reject_dispatch(
    cx: CommandContext,
    /,
    dispatch_id: str,
    reason: str,
) -> DispatchOrder:
    """The assigned technician declines, saying why; the request becomes assignable again.

    Raises:
        NotFound: No such dispatch order.
        PermissionDenied: The actor is not its technician.
        InvalidTransition: It is not assigned (accepted orders are revoked, not rejected).
        TransitionRefused: No reason given.
    """
    return _withdraw(cx, dispatch_id, "reject", reason)


@command("revoke_dispatch")
def revoke_dispatch(
    cx: CommandContext,
    /,
    dispatch_id: str,
    reason: str,
) -> DispatchOrder:
    """Withdraw a dispatch order before work started (wrong assignment, technician left).

    Raises:
        NotFound: No such dispatch order.
        PermissionDenied: The actor is not a supervisor.
        InvalidTransition: Work on it has started or it has ended.
        TransitionRefused: No reason given.
    """
    return _withdraw(cx, dispatch_id, "revoke", reason)


@command("adjust_dispatch")
def adjust_dispatch(
    cx: CommandContext,
    /,
    dispatch_id: str,
    *,
    reason: str,
    technician_id: str | None = None,
    planned: TimeRange | None = None,
) -> DispatchOrder:
    """Reassign a dispatch order to another technician or move it in time, before work starts.

    One order keeps the request's history in one place, instead of a revoked order and a new
    one. Another technician must be active with the request's skills and free then; the order
    goes back to *assigned* for them to accept (and leaves the first technician's agenda).
    Moving it only keeps its state: the technician is told by the ``DispatchMoved`` event.

    Raises:
        NotFound: No such dispatch order or technician.
        PermissionDenied: The actor may not adjust dispatch orders.
        ValidationError: Nothing would change; the technician is inactive, lacks the skills or
            is away then; the new planned time has ended already.
        InvalidTransition: Work on it has started, or it has ended.
        TransitionRefused: No reason given.
        DoubleBooking: The technician is busy then (here or at commit).
    """
    order = _load(cx.uow, dispatch_id)
    cx.check("adjust_dispatch", order)
    request = cx.uow.requests.get(order.request_id)
    reassigned = technician_id is not None and technician_id != order.technician_id
    moved = planned is not None and planned != order.planned
    if not reassigned and not moved:
        raise ValidationError.single(
            "dispatch_id", dispatch_id, "nothing to adjust: same technician and planned time"
        )
    _technician(
        cx.uow,
        str(technician_id) if reassigned else order.technician_id,
        request,
        planned if moved else order.planned,
    )
    if moved and planned is not None and planned.end <= cx.now():
        raise ValidationError.single("planned", planned, "has ended already")
    payload: dict[str, object] = {}
    if reassigned:
        payload["technician_id"] = {"from": order.technician_id, "to": technician_id}
    if moved:
        payload["planned"] = {"from": order.planned, "to": planned}
    cx.fire(DISPATCH, order, "reassign" if reassigned else "move", reason=reason, payload=payload)
    if reassigned:
        order.technician_id = TechnicianId(str(technician_id))
    if moved and planned is not None:
        order.planned = planned
    cx.uow.dispatches.update(order)
    event(
        cx,
        "DispatchReassigned" if reassigned else "DispatchMoved",
        order,
        {**payload, "reason": reason},
    )
    return order


@command("start_dispatch")
def start_dispatch(
    cx: CommandContext,
    /,
    dispatch_id: str,
) -> ProcessingOrder:
    """The technician starts work: the order is in progress and its processing order opens.

    The request moves to in progress with its first started order (its response is met then).

    Returns:
        The new processing order (one per dispatch order), in ``currency``.

    Raises:
        NotFound: No such dispatch order.
        PermissionDenied: The actor is not its technician.
        InvalidTransition: It is not accepted.
    """
    order = _load(cx.uow, dispatch_id)
    cx.check("start_dispatch", order)
    cx.fire(DISPATCH, order, "start")
    cx.uow.dispatches.update(order)
    request = cx.uow.requests.get(order.request_id)
    processing = ProcessingOrder(
        id=ProcessingId(cx.ids.new_id("ProcessingOrder")),
        request_id=RequestId(request.id),
        dispatch_id=order.id,
        currency=cx.settings.currency,
        checklist=cx.settings.checklists.get(request.service_type, ()),
    )
    cx.create(PROCESSING, processing)
    cx.uow.processing.add(processing)
    request.processing_ids = (*request.processing_ids, processing.id)
    if request.status is RequestStatus.ASSIGNED:
        cx.fire(REQUEST, request, "start")
    cx.uow.requests.update(request)
    event(cx, "WorkStarted", order, {"processing_id": processing.id})
    return processing


def resolve_if_done(
    cx: CommandContext, request_id: str, processing: Sequence[ProcessingOrder]
) -> None:
    """Resolve a request in progress once no dispatch order is live and some work is complete.

    A visit whose processing order was cancelled (nothing was done) leaves the request in
    progress, to be dispatched again.
    """
    request = cx.uow.requests.get(request_id)
    if request.status is not RequestStatus.IN_PROGRESS:
        return
    if any(d.status.is_live for d in dispatches_of(cx.uow, request.id)):
        return
    if not any(p.status is ProcessingStatus.COMPLETED for p in processing):
        return
    cx.fire(REQUEST, request, "resolve", given=Facts(processing_orders=processing))
    cx.uow.requests.update(request)


@command("complete_dispatch")
def complete_dispatch(
    cx: CommandContext,
    /,
    dispatch_id: str,
) -> DispatchOrder:
    """The technician finishes: needs the order's processing order completed (or cancelled).

    When no other order of the request is live and some work is complete, the request is
    resolved; when the processing order was cancelled (nothing done), the request waits for
    another dispatch.

    Raises:
        NotFound: No such dispatch order.
        PermissionDenied: The actor is not its technician.
        InvalidTransition: It is not in progress.
        TransitionRefused: Its processing order is still open.
    """
    order = _load(cx.uow, dispatch_id)
    cx.check("complete_dispatch", order)
    mine_all = processing_of(cx.uow, order.request_id)
    mine = [p for p in mine_all if p.dispatch_id == order.id]
    if not mine or any(p.status is ProcessingStatus.OPEN for p in mine):
        raise TransitionRefused(
            f"DispatchOrder {order.id}",
            order.status.value,
            "complete",
            "processing_complete",
            "record and complete (or cancel) its processing order first",
        )
    cx.fire(DISPATCH, order, "complete")
    cx.uow.dispatches.update(order)
    resolve_if_done(cx, order.request_id, mine_all)
    event(cx, "DispatchCompleted", order)
    return order
