"""Technicians' absences and agendas (what ERPNext and Odoo field-service users expect).

An absence (leave, a sick day, a public holiday where the technician works, training) takes its
time out of the technician's working time everywhere servicecore reads it: free booking slots,
day plans, utilisation, and dispatching by hand (an absent technician is refused). Recording one
over work already given to the technician does not refuse the absence - people fall ill - but
returns the live dispatch orders and bookings it hits, so the planner reassigns them
(:func:`~servicecore.services.dispatch.adjust_dispatch`). The agenda lists a technician's
dispatch orders, bookings not yet dispatched and absences over a period.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from servicecore.errors import NotFound, ValidationError
from servicecore.model.booking import Booking
from servicecore.model.common import TimeRange
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.technician import Absence, AbsenceKind, Technician
from servicecore.ports import Query, UnitOfWork
from servicecore.services.common import event
from servicecore.services.context import CommandContext, command, query

__all__ = [
    "AbsenceRecorded",
    "AgendaItem",
    "AgendaKind",
    "cancel_absence",
    "record_absence",
    "technician_agenda",
]


@attrs.frozen
class AbsenceRecorded:
    """What :func:`record_absence` did.

    Attributes:
        technician: The technician, with the absence.
        absence: The absence recorded.
        dispatches: Live dispatch orders of the technician planned in the absence (reassign
            or move them).
        bookings: Live bookings naming the technician in the absence, not yet dispatched.
    """

    technician: Technician
    absence: Absence
    dispatches: tuple[str, ...]
    bookings: tuple[str, ...]


def _orders(uow: UnitOfWork, technician_id: str, period: TimeRange) -> list[DispatchOrder]:
    found: list[DispatchOrder] = list(
        uow.dispatches.iterate(
            Query(
                equals={"technician_id": technician_id},
                before={"planned_start": period.end},
                later_than={"planned_end": period.start},
            )
        )
    )
    return [d for d in found if d.planned.overlaps(period)]


def _bookings(uow: UnitOfWork, technician_id: str, period: TimeRange) -> list[Booking]:
    found: list[Booking] = list(
        uow.bookings.iterate(
            Query(
                equals={"technician_id": technician_id},
                before={"slot_start": period.end},
                later_than={"slot_end": period.start},
            )
        )
    )
    return [b for b in found if b.slot.overlaps(period)]


@command("manage_absences")
def record_absence(
    cx: CommandContext,
    /,
    technician_id: str,
    *,
    kind: AbsenceKind,
    period: TimeRange,
    note: str = "",
    absence_id: str | None = None,
) -> AbsenceRecorded:
    """Record that a technician is away for ``period``.

    Raises:
        NotFound: No such technician.
        PermissionDenied: The actor may not manage absences.
        ValidationError: A bad field; ``absence_id`` is taken; the period overlaps another
            absence of the technician (``period``, naming it).
    """
    technician = cx.uow.technicians.get(technician_id)
    cx.check("manage_absences", technician)
    absence = Absence(
        id=absence_id or cx.ids.new_id("Absence"), kind=kind, period=period, note=note
    )
    clash = technician.absent_during(period)
    if clash is not None:
        raise ValidationError.single(
            "period", period, f"overlaps absence {clash.id} ({clash.kind.value})"
        )
    changed = attrs.evolve(technician, absences=(*technician.absences, absence))
    cx.uow.technicians.update(changed)
    hit = [d.id for d in _orders(cx.uow, technician.id, period) if d.status.is_live]
    booked = [
        b.id
        for b in _bookings(cx.uow, technician.id, period)
        if b.status.is_live and b.dispatch_id is None
    ]
    event(
        cx,
        "TechnicianAbsent",
        changed,
        {
            "absence_id": absence.id,
            "kind": kind,
            "start": period.start,
            "end": period.end,
            "dispatches": hit,
            "bookings": booked,
        },
    )
    return AbsenceRecorded(changed, absence, tuple(hit), tuple(booked))


@command("manage_absences")
def cancel_absence(cx: CommandContext, /, technician_id: str, absence_id: str) -> Technician:
    """Remove an absence recorded by mistake (or leave taken back): the time is working again.

    Raises:
        NotFound: No such technician, or no such absence of theirs.
        PermissionDenied: The actor may not manage absences.
    """
    technician = cx.uow.technicians.get(technician_id)
    cx.check("manage_absences", technician)
    kept = tuple(a for a in technician.absences if a.id != absence_id)
    if len(kept) == len(technician.absences):
        raise NotFound("Absence", absence_id)
    changed = attrs.evolve(technician, absences=kept)
    cx.uow.technicians.update(changed)
    event(cx, "TechnicianAbsenceCancelled", changed, {"absence_id": absence_id})
    return changed


class AgendaKind(enum.Enum):
    """What an agenda item is."""

    DISPATCH = "dispatch"
    BOOKING = "booking"
    ABSENCE = "absence"


@attrs.frozen(kw_only=True)
class AgendaItem:
    """One entry of a technician's agenda.

    Attributes:
        kind: A dispatch order, a booking not yet dispatched, or an absence.
        id: The dispatch order's, booking's or absence's id.
        period: When.
        status: The order's or booking's status, or the absence's kind.
        request_id: The dispatch order's request (``None`` otherwise).
        customer_id: The booking's customer (``None`` otherwise).
    """

    kind: AgendaKind
    id: str
    period: TimeRange
    status: str
    request_id: str | None = None
    customer_id: str | None = None


@query("view_agenda")
def technician_agenda(
    cx: CommandContext, /, technician_id: str, start: datetime, end: datetime
) -> tuple[AgendaItem, ...]:
    """Return a technician's agenda for ``[start, end)``: today, tomorrow or any period.

    Live and finished dispatch orders (not rejected or revoked ones), live bookings naming the
    technician that no dispatch order has taken over yet, and absences, in time order.

    Raises:
        NotFound: No such technician.
        PermissionDenied: The actor may not read agendas (a technician: only their own).
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not after
            ``start``.
    """
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValidationError.single(name, value, "must be a timezone-aware datetime")
    if end <= start:
        raise ValidationError.single("end", end, f"must be after start {start}")
    technician = cx.uow.technicians.get(technician_id)
    cx.check("view_agenda", technician)
    period = TimeRange(start, end)
    items = [
        AgendaItem(
            kind=AgendaKind.DISPATCH,
            id=d.id,
            period=d.planned,
            status=d.status.value,
            request_id=d.request_id,
        )
        for d in _orders(cx.uow, technician.id, period)
        if d.status.value not in ("rejected", "revoked")
    ]
    items += [
        AgendaItem(
            kind=AgendaKind.BOOKING,
            id=b.id,
            period=b.slot,
            status=b.status.value,
            customer_id=b.customer.customer_id,
        )
        for b in _bookings(cx.uow, technician.id, period)
        if b.status.is_live and b.dispatch_id is None
    ]
    items += [
        AgendaItem(kind=AgendaKind.ABSENCE, id=a.id, period=a.period, status=a.kind.value)
        for a in technician.absences
        if a.period.overlaps(period)
    ]
    items.sort(key=lambda i: (i.period.start, i.kind.value, i.id))
    return tuple(items)
