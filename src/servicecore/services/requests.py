"""Service request commands (seeds 001 and 004): open, hold, resume, close a consult, cancel.

A request is opened from a booking or directly. Its response and resolution due times come from
the contract's SLA terms on the contract's working calendar (or from a default
:class:`~servicecore.model.sla.SlaPolicy` for requests without a contract); time on hold pushes
the resolution due time out. :func:`sla_report` prices breaches under the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from servicecore.errors import ValidationError
from servicecore.lifecycle import REQUEST
from servicecore.lifecycle.facts import Facts
from servicecore.model.actor import Role
from servicecore.model.booking import Booking
from servicecore.model.common import GeoPoint, RequestId, TimeRange
from servicecore.model.contract import ServiceContract
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.enums import Priority, ServiceType
from servicecore.model.request import ServiceRequest
from servicecore.model.sla import SlaOutcome, SlaPolicy, request_due_times, sla_outcome
from servicecore.ports import Query, UnitOfWork
from servicecore.services.common import event, move
from servicecore.services.context import CommandContext, command, query

__all__ = [
    "cancel_request",
    "close_consult",
    "dispatches_of",
    "hold_request",
    "open_request",
    "outcome_of",
    "regrade_request",
    "reopen_request",
    "resume_request",
    "sla_report",
]


def _terms(
    uow: UnitOfWork, request: ServiceRequest, default: SlaPolicy | None
) -> ServiceContract | SlaPolicy | None:
    if request.contract_id is not None:
        return uow.contracts.get(request.contract_id)
    return default


def _refresh_due_times(
    uow: UnitOfWork, request: ServiceRequest, now: datetime, default: SlaPolicy | None
) -> None:
    terms = _terms(uow, request, default)
    if terms is None:
        return
    response, resolution = request_due_times(request, terms, now=now)
    request.response_due = response
    request.resolution_due = resolution


def _responsible(cx: CommandContext) -> str | None:
    """The staff member opening a request is responsible for it; nobody when the system opens it."""
    return None if cx.actor.roles <= {Role.SYSTEM, Role.CUSTOMER} else cx.actor.id


@command("open_request")
def open_request(
    cx: CommandContext,
    /,
    *,
    customer_id: str | None = None,
    service_type: ServiceType | None = None,
    symptoms: str,
    priority: Priority = Priority.NORMAL,
    archive_id: str | None = None,
    contract_id: str | None = None,
    location: GeoPoint | None = None,
    required_skills: Sequence[str] = (),
    window: TimeRange | None = None,
    responsible_id: str | None = None,
    territory: str | None = None,
    from_booking: str | None = None,
    request_id: str | None = None,
) -> ServiceRequest:
    """Open a service request, directly or from a booking, with its SLA due times.

    From a booking, the customer, service type and location come from it (and may not be given
    again). A request for an installed product needs its archive registered; with a contract, the
    contract must be active and cover the archive; the due times come from the contract's SLA term
    for the priority, else from ``default_sla``, else the request has none. The staff member
    opening it is responsible for it (``responsible_id``) unless another is named; a visit
    planned ahead (``window``) counts its SLA from when the window opens.

    Raises:
        PermissionDenied: The actor may not open requests.
        NotFound: The booking, archive or contract does not exist.
        ValidationError: Missing or conflicting fields; the product (``archive_id``) belongs to
            another customer; the contract does not cover the product; the booking was
            cancelled or not shown.
        TransitionRefused: The archive is not registered (an invalidated product takes no new
            requests).
    """
    now = cx.now()
    booking: Booking | None = None
    if from_booking is not None:
        booking = cx.uow.bookings.get(from_booking)
        if booking.status.value in ("cancelled", "no_show"):
            raise ValidationError.single(
                "from_booking", from_booking, f"the booking is {booking.status.value}"
            )
        for name, given in (("customer_id", customer_id), ("service_type", service_type)):
            if given is not None:
                raise ValidationError.single(name, given, "comes from the booking")
        customer_id = booking.customer.customer_id
        service_type = booking.service_type
        location = location or booking.location
    if customer_id is None:
        raise ValidationError.single("customer_id", None, "is required without a booking")
    if service_type is None:
        raise ValidationError.single("service_type", None, "is required without a booking")
    archive = cx.uow.archives.get(archive_id) if archive_id is not None else None
    if archive is not None and archive.customer_id != customer_id:
        raise ValidationError.single(
            "archive_id", archive_id, f"is customer {archive.customer_id}'s product"
        )
    if contract_id is not None:
        contract = cx.uow.contracts.get(contract_id)
        if archive_id is not None and not contract.covers(archive_id, now.date()):
            raise ValidationError.single(
                "contract_id", contract_id, f"does not cover archive {archive_id} today"
            )
        if contract.customer_id != customer_id:
            raise ValidationError.single(
                "contract_id", contract_id, f"belongs to customer {contract.customer_id}"
            )
    request = ServiceRequest(
        id=RequestId(request_id or cx.ids.new_id("ServiceRequest")),
        customer_id=customer_id,  # type: ignore[arg-type]
        service_type=service_type,
        priority=priority,
        symptoms=symptoms,
        reported_at=now,
        archive_id=archive_id,  # type: ignore[arg-type]
        contract_id=contract_id,  # type: ignore[arg-type]
        location=location,
        required_skills=tuple(required_skills),
        window=window,
        responsible_id=responsible_id or _responsible(cx),
        territory=territory,
        booking_id=booking.id if booking is not None else None,
    )
    _refresh_due_times(cx.uow, request, now, cx.settings.default_sla)
    # The grade the request opens with is kept on its first audit entry: the service log tells
    # it as it was, whatever re-grades change later.
    payload = {
        "priority": priority,
        "booking": from_booking,
        "service_type": service_type,
        "required_skills": request.required_skills,
        "response_due": request.response_due,
        "resolution_due": request.resolution_due,
    }
    cx.create(REQUEST, request, payload=payload, given=Facts(archive=archive))
    cx.uow.requests.add(request)
    event(
        cx,
        "RequestOpened",
        request,
        {"priority": priority, "resolution_due": request.resolution_due},
    )
    return request


def _load(uow: UnitOfWork, request_id: str) -> ServiceRequest:
    return uow.requests.get(request_id)


@command("hold_request")
def hold_request(
    cx: CommandContext,
    /,
    request_id: str,
    reason: str,
) -> ServiceRequest:
    """Put a request in progress on hold (waiting for parts or the customer): the SLA clock stops.

    Raises:
        NotFound, PermissionDenied: As usual.
        InvalidTransition: It is not in progress.
        TransitionRefused: No reason given.
    """
    held: ServiceRequest = move(
        cx,
        REQUEST,
        request_id,
        "hold",
        command="hold_request",
        event_name="RequestOnHold",
        reason=reason,
        event_payload=lambda _r: {"reason": reason},
    )
    return held


@command("resume_request")
def resume_request(
    cx: CommandContext,
    /,
    request_id: str,
) -> ServiceRequest:
    """Resume a request on hold; its resolution due time moves out by the working time held.

    Raises:
        NotFound, PermissionDenied: As usual.
        InvalidTransition: It is not on hold.
    """
    request = _load(cx.uow, request_id)
    cx.check("resume_request", request)
    cx.fire(REQUEST, request, "resume")
    _refresh_due_times(cx.uow, request, cx.now(), cx.settings.default_sla)
    cx.uow.requests.update(request)
    event(cx, "RequestResumed", request, {"resolution_due": request.resolution_due})
    return request


@command("close_request")
def close_consult(
    cx: CommandContext,
    /,
    request_id: str,
    answer: str,
) -> ServiceRequest:
    """Answer and close a consult request directly, without dispatch (seed 004).

    Raises:
        NotFound, PermissionDenied: As usual.
        TransitionRefused: It is not a consult request, or no answer is given.
        InvalidTransition: It is not open.
    """
    closed: ServiceRequest = move(
        cx,
        REQUEST,
        request_id,
        "close",
        command="close_request",
        event_name="RequestClosed",
        reason=answer,
        event_payload=lambda _r: {"consult": True},
    )
    return closed


@command("cancel_request")
def cancel_request(
    cx: CommandContext,
    /,
    request_id: str,
    reason: str,
) -> ServiceRequest:
    """Cancel a request that no dispatch order is working on.

    Raises:
        NotFound, PermissionDenied: As usual.
        TransitionRefused: A dispatch order is still live (revoke it first), or no reason.
        InvalidTransition: Work has started.
    """
    cancelled: ServiceRequest = move(
        cx,
        REQUEST,
        request_id,
        "cancel",
        command="cancel_request",
        event_name="RequestCancelled",
        reason=reason,
        event_payload=lambda _r: {"reason": reason},
    )
    return cancelled


@command("reopen_request")
def reopen_request(
    cx: CommandContext,
    /,
    request_id: str,
    reason: str,
) -> ServiceRequest:
    """Send a resolved request back to work (the fix did not hold).

    Raises:
        NotFound, PermissionDenied: As usual.
        InvalidTransition: It is not resolved.
        TransitionRefused: No reason given.
    """
    reopened: ServiceRequest = move(
        cx,
        REQUEST,
        request_id,
        "reopen",
        command="reopen_request",
        event_name="RequestReopened",
        reason=reason,
        event_payload=lambda _r: {"reason": reason},
    )
    return reopened


def _skills(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValidationError.single("required_skills", value, "must be a sequence of skill names")
    for skill in value:
        if not isinstance(skill, str) or not skill.strip():
            raise ValidationError.single(
                "required_skills", value, "holds a blank or non-text skill"
            )
    return tuple(dict.fromkeys(value))


@command("regrade_request")
def regrade_request(
    cx: CommandContext,
    /,
    request_id: str,
    *,
    reason: str,
    priority: Priority | None = None,
    service_type: ServiceType | None = None,
    required_skills: Sequence[str] | None = None,
) -> ServiceRequest:
    """Correct a live request's grade: priority, service type or required skills (seed 001).

    A photo or the technician's first look shows another kind of work than was reported: the
    request is re-graded and its SLA due times are recomputed from when its SLA started, under
    the new priority (time on hold still counts out), so a request made urgent may be overdue at
    once. The audit entry (trigger ``regrade``, the reason) keeps and seals each changed
    field's old and new value, the due times that moved included (its payload:
    ``{"priority": {"from": ..., "to": ...}, "resolution_due": {...}}``), so the service log
    tells the history as it happened; the ``RequestRegraded`` event carries the changed fields
    (``changes``) with the new due times. Fields not given stay as they are.

    Raises:
        NotFound, PermissionDenied: As usual.
        ValidationError: Nothing would change; a skill is blank; a technician on a live
            dispatch order of the request lacks a newly required skill (reassign the order
            first, ``required_skills``).
        InvalidTransition: The request is resolved, closed or cancelled.
        TransitionRefused: No reason given.
    """
    request = _load(cx.uow, request_id)
    cx.check("regrade_request", request)
    wanted: dict[str, object] = {}
    if priority is not None and priority is not request.priority:
        wanted["priority"] = priority
    if service_type is not None and service_type is not request.service_type:
        wanted["service_type"] = service_type
    if required_skills is not None:
        skills = _skills(required_skills)
        if set(skills) != set(request.required_skills):
            wanted["required_skills"] = skills
            for order in dispatches_of(cx.uow, request.id):
                if not order.status.is_live:
                    continue
                tech = cx.uow.technicians.get(order.technician_id)
                missing = sorted(set(skills) - set(tech.skills))
                if missing:
                    raise ValidationError.single(
                        "required_skills",
                        list(skills),
                        f"technician {tech.id} on live dispatch order {order.id} lacks "
                        f"{', '.join(missing)}: reassign the order first",
                    )
    if not wanted:
        raise ValidationError.single(
            "request_id", request_id, "nothing to re-grade: no field differs from the request's"
        )
    regraded = attrs.evolve(request)
    for name, new in wanted.items():
        setattr(regraded, name, new)
    _refresh_due_times(cx.uow, regraded, cx.now(), cx.settings.default_sla)
    changes = {name: {"from": getattr(request, name), "to": new} for name, new in wanted.items()}
    moved = {
        name: {"from": getattr(request, name), "to": getattr(regraded, name)}
        for name in ("response_due", "resolution_due")
        if getattr(request, name) != getattr(regraded, name)
    }
    cx.fire(REQUEST, request, "regrade", reason=reason, payload={**changes, **moved})
    for name in (*wanted, *moved):
        setattr(request, name, getattr(regraded, name))
    cx.uow.requests.update(request)
    event(
        cx,
        "RequestRegraded",
        request,
        {
            "changes": changes,
            "priority": request.priority,
            "response_due": request.response_due,
            "resolution_due": request.resolution_due,
        },
    )
    return request


def dispatches_of(uow: UnitOfWork, request_id: str) -> list[DispatchOrder]:
    """Return every dispatch order of a request, by id."""
    return list(uow.dispatches.iterate(Query(equals={"request_id": request_id})))


def outcome_of(
    uow: UnitOfWork, request: ServiceRequest, now: datetime, default_sla: SlaPolicy | None
) -> SlaOutcome | None:
    """Return how ``request`` stands against its SLA at ``now`` (no policy asked: for commands).

    Returns:
        The outcome, or ``None`` for a request without contract when no ``default_sla`` is given.

    Raises:
        NotFound: The request's contract does not exist, or it has no term for the request's
            priority.
    """
    terms = _terms(uow, request, default_sla)
    if terms is None:
        return None
    return sla_outcome(request, terms, now)


@query("view_sla")
def sla_report(
    cx: CommandContext, /, request_id: str, now: datetime | None = None
) -> SlaOutcome | None:
    """Return how a request stands against its SLA (at ``now``, the clock's by default).

    Requests without a contract are measured against the settings' default SLA.

    Returns:
        The outcome, or ``None`` for a request without contract when there is no default SLA.

    Raises:
        PermissionDenied: The actor may not view SLAs (``view_sla``).
        NotFound: The request or its contract does not exist, or the contract has no term for the
            request's priority.
    """
    request = _load(cx.uow, request_id)
    return outcome_of(cx.uow, request, now or cx.now(), cx.settings.default_sla)
