"""Booking commands (seeds 000 and 003): availability, booking, confirmation, changes, check-in.

A booking holds a technician's slot while requested, confirmed or checked in; storage refuses a
second overlapping claim (:class:`~servicecore.errors.DoubleBooking`). Confirmations go out
through the :class:`~servicecore.ports.Notifier` after commit (see
:mod:`servicecore.services.notifications`), with the reference number and a signed check-in token
whose QR payload the front desk scans.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import attrs

from servicecore.errors import NotFound, ValidationError
from servicecore.lifecycle import BOOKING
from servicecore.lifecycle.facts import Facts
from servicecore.model.booking import (
    Booking,
    BookingPolicy,
    BookingStatus,
    CustomerIdentity,
    PaymentMethod,
    Refund,
)
from servicecore.model.common import BookingId, GeoPoint, Money, TechnicianId, TimeRange
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import Channel, ServiceType
from servicecore.model.technician import Technician
from servicecore.ports import (
    Notification,
    NotificationChannel,
    Query,
    UnitOfWork,
)
from servicecore.services.common import event, move, notify
from servicecore.services.context import CommandContext, command, query
from servicecore.services.references import new_reference
from servicecore.services.tokens import QR_SCHEME

__all__ = [
    "Slot",
    "available_slots",
    "book",
    "cancel_booking",
    "check_in",
    "complete_booking",
    "confirm_booking",
    "mark_no_show",
    "record_payment",
    "record_refund",
    "reschedule_booking",
]

_HOLDING = [s.value for s in BookingStatus.live()]


@attrs.frozen
class Slot:
    """A bookable time and who could take it.

    Attributes:
        period: The slot.
        technicians: Free technicians with the skills asked for, by id, sorted.
        remaining: How many more bookings the slot takes (technicians free, capped by capacity).
    """

    period: TimeRange
    technicians: tuple[TechnicianId, ...]
    remaining: int


def _busy(uow: UnitOfWork, technician_id: str, start: datetime, end: datetime) -> list[TimeRange]:
    holds = uow.bookings.query(
        Query(
            equals={"technician_id": technician_id, "status": _HOLDING},
            before={"slot_start": end},
            later_than={"slot_end": start},
        )
    )
    dispatches = uow.dispatches.query(
        Query(
            equals={
                "technician_id": technician_id,
                "status": [s.value for s in DispatchStatus.live()],
            },
            before={"planned_start": end},
            later_than={"planned_end": start},
        )
    )
    return [b.slot for b in holds] + [d.planned for d in dispatches]


def _unassigned_bookings(uow: UnitOfWork, period: TimeRange) -> int:
    """Live bookings without a technician overlapping ``period``: each will need one."""
    return sum(
        1
        for b in uow.bookings.iterate(
            Query(
                equals={"status": _HOLDING},
                before={"slot_start": period.end},
                later_than={"slot_end": period.start},
            )
        )
        if b.technician_id is None
    )


def _works_through(technician: Technician, slot: TimeRange) -> bool:
    """Whether one of the technician's shifts holds the whole slot (their own time zone)."""
    day = slot.start.astimezone(ZoneInfo(technician.timezone)).date()
    return any(s.start <= slot.start and slot.end <= s.end for s in technician.shifts_on(day))


def _check_technician_time(
    cx: CommandContext, technician_id: str | None, slot: TimeRange
) -> Technician | None:
    """Refuse a booking no technician can serve (an unknown or inactive one, outside shifts).

    Without a named technician, the slot needs a free technician left over after the other
    bookings without one that overlap it.

    Returns:
        The named technician (``None`` without one).
    """
    if technician_id is not None:
        technician = cx.uow.technicians.find(technician_id)
        if technician is None:
            raise ValidationError.single("technician_id", technician_id, "is not a technician")
        if not technician.active:
            raise ValidationError.single("technician_id", technician_id, "is not active")
        if not _works_through(technician, slot):
            raise ValidationError.single(
                "slot", slot, f"is outside the shifts of technician {technician_id}"
            )
        return technician
    free = [
        t
        for t in cx.uow.technicians.iterate(Query(equals={"active": True}))
        if _works_through(t, slot)
        and not any(slot.overlaps(b) for b in _busy(cx.uow, t.id, slot.start, slot.end))
    ]
    if len(free) <= _unassigned_bookings(cx.uow, slot):
        raise ValidationError.single("slot", slot, "no technician is free then")
    return None


@query("view_availability")
def available_slots(
    cx: CommandContext,
    /,
    day: date,
    *,
    duration: timedelta,
    step: timedelta = timedelta(minutes=30),
    skills: Sequence[str] = (),
    capacity: int | None = None,
    technicians: Sequence[Technician] | None = None,
) -> list[Slot]:
    """Return the slots of ``day`` that can still be booked, earliest first.

    A slot is free for a technician when it lies inside one of their shifts that day and overlaps
    none of their held bookings or live dispatch orders. Bookings made without a technician take
    one of the free technicians each. Slots start every ``step`` from each shift's start.

    Args:
        cx: Who acts, in which unit of work, under which settings.
        day: The day, in each technician's own timezone.
        duration: How long the service takes.
        step: Distance between slot starts.
        skills: Skills the technician must hold.
        capacity: At most this many bookings per slot (a service counter's bays), else one per
            free technician.
        technicians: Whom to consider (default: every active technician in storage).

    Raises:
        ValidationError: ``duration`` or ``step`` is not positive, or ``capacity`` < 1.
    """
    if duration <= timedelta(0):
        raise ValidationError.single("duration", duration, "must be positive")
    if step <= timedelta(0):
        raise ValidationError.single("step", step, "must be positive")
    if capacity is not None and capacity < 1:
        raise ValidationError.single("capacity", capacity, "must be at least 1")
    staff = (
        list(technicians)
        if technicians is not None
        else list(cx.uow.technicians.iterate(Query(equals={"active": True})))
    )
    free: dict[tuple[datetime, datetime], list[TechnicianId]] = {}
    for tech in staff:
        if not tech.active or not tech.has_skills(skills):
            continue
        for shift in tech.shifts_on(day):
            busy = _busy(cx.uow, tech.id, shift.start, shift.end)
            start = shift.start
            while start + duration <= shift.end:
                period = TimeRange(start, start + duration)
                if not any(period.overlaps(b) for b in busy):
                    free.setdefault((period.start, period.end), []).append(tech.id)
                start += step
    slots = []
    for (start, end), ids in sorted(free.items()):
        unassigned = _unassigned_bookings(cx.uow, TimeRange(start, end))
        remaining = len(ids) - unassigned
        if capacity is not None:
            remaining = min(remaining, capacity)
        if capacity is not None:
            taken = cx.uow.bookings.count(
                Query(
                    equals={"status": _HOLDING},
                    at_least={"slot_start": start},
                    before={"slot_start": start + timedelta(microseconds=1)},
                )
            )
            remaining = min(remaining, capacity - taken)
        if remaining > 0:
            slots.append(Slot(TimeRange(start, end), tuple(sorted(ids)), remaining))
    return slots


def _check_identity(customer: CustomerIdentity, channel: Channel) -> None:
    # SOP 1 and 2 of seed 003: an online booking is confirmed by e-mail, a call-centre one by SMS.
    if channel is Channel.ONLINE and customer.email is None:
        raise ValidationError.single("customer.email", None, "an online booking needs an e-mail")
    if channel is Channel.CALL_CENTRE and customer.phone is None:
        raise ValidationError.single("customer.phone", None, "a call-centre booking needs a phone")


def _settle_reference(uow: UnitOfWork, booking: Booking, prefix: str) -> None:
    """Draw the staged booking a new reference until no other booking holds its own.

    The booking is staged first, so that a booking refused for its technician's time costs no
    look-up of references; the count then includes the booking itself.

    Raises:
        ValidationError: Twenty draws in a row were taken (``reference``).
    """
    draws = 1
    while uow.bookings.count(Query(equals={"reference": booking.reference})) != 1:
        if draws == 20:
            message = "no free reference found; widen the prefix"
            raise ValidationError.single("reference", prefix, message)
        booking.reference = new_reference(prefix)
        uow.bookings.update(booking)
        draws += 1


@command("book")
def book(
    cx: CommandContext,
    /,
    *,
    customer: CustomerIdentity,
    service_type: ServiceType,
    channel: Channel,
    slot: TimeRange,
    location: GeoPoint,
    booking_policy: BookingPolicy,
    technician_id: str | None = None,
    booking_id: str | None = None,
    reference_prefix: str = "SB",
) -> Booking:
    """Book ``slot`` for ``customer``: a requested booking with a unique reference number.

    Raises:
        PermissionDenied: The actor may not book (a customer books only for themselves).
        ValidationError: A bad field, or the identity the channel needs is missing (an e-mail
            online, a phone number through the call centre), or the slot has begun; the
            technician is unknown, inactive or not working then (``technician_id``, ``slot``);
            without a technician, no technician is free then (``slot``).
        DoubleBooking: The technician's time is taken (raised here or at commit).
        DuplicateId: ``booking_id`` exists.
    """
    now = cx.now()
    _check_identity(customer, channel)
    if slot.start <= now:
        raise ValidationError.single("slot", slot, "must start in the future")
    if technician_id is None:
        # Checked before the booking is staged: staged, it would count as one more booking
        # waiting for a free technician.
        _check_technician_time(cx, None, slot)
    booking = Booking(
        id=BookingId(booking_id or cx.ids.new_id("Booking")),
        customer=customer,
        service_type=service_type,
        channel=channel,
        slot=slot,
        location=location,
        booked_at=now,
        reference=new_reference(reference_prefix),
        policy=booking_policy,
        technician_id=TechnicianId(technician_id) if technician_id else None,
    )
    cx.check("book", booking)
    cx.create(BOOKING, booking, payload={"channel": channel})
    # A named technician's time is checked as the booking is staged, before the technician is
    # read: a double booking (the common refusal) costs one look at the claims.
    cx.uow.bookings.add(booking)
    technician = None if technician_id is None else _check_technician_time(cx, technician_id, slot)
    _settle_reference(cx.uow, booking, reference_prefix)
    _tell(
        cx,
        booking,
        f"booking-requested:{booking.id}",
        f"Booking {booking.reference} received",
        f"we have your {booking.service_type.value} booking {booking.reference} for "
        f"{_when(cx, booking, technician)}; we will confirm it shortly.",
    )
    event(cx, "BookingRequested", booking, {"reference": booking.reference})
    return booking


def _load(uow: UnitOfWork, booking_id: str) -> Booking:
    return uow.bookings.get(booking_id)


def _channel_for(customer: CustomerIdentity) -> tuple[NotificationChannel, str]:
    if customer.email is not None:
        return NotificationChannel.EMAIL, customer.email
    assert customer.phone is not None  # CustomerIdentity requires one of the two
    return NotificationChannel.SMS, customer.phone


def _when(cx: CommandContext, booking: Booking, technician: Technician | None = None) -> str:
    """The slot in the booked technician's time zone (UTC when no technician is named).

    ``technician`` is the booked technician when the caller holds it already.
    """
    zone: tzinfo = UTC
    if booking.technician_id is not None:
        if technician is None or technician.id != booking.technician_id:
            technician = cx.uow.technicians.find(booking.technician_id)
        if technician is not None:
            zone = ZoneInfo(technician.timezone)
    start, end = booking.slot.start.astimezone(zone), booking.slot.end.astimezone(zone)
    return f"{start:%a %d %b %Y %H:%M}-{end:%H:%M} ({start.tzname()})"


def _issue_token(cx: CommandContext, booking: Booking) -> None:
    """Give the booking a check-in token valid until its slot ends (when the desk signs)."""
    if cx.settings.signer is not None:
        booking.check_in_token = cx.settings.signer.issue(
            cx.uow.tenant, booking.id, booking.reference, booking.slot.end
        )


def _tell(cx: CommandContext, booking: Booking, key: str, subject: str, text: str) -> None:
    """Send the customer one step of their booking (seed 003 confirms every step), after commit.

    The check-in code goes with every message while the booking has one, so that a re-issued
    token reaches the customer.
    """
    channel, to = _channel_for(booking.customer)
    lines = [f"Dear {booking.customer.name},", text]
    if booking.check_in_token and booking.status.is_live:
        lines.append(f"Check-in code: {QR_SCHEME}{booking.check_in_token}")
    notify(
        cx,
        booking,
        Notification(channel=channel, to=to, subject=subject, body="\n".join(lines), key=key),
    )


@command("confirm_booking")
def confirm_booking(
    cx: CommandContext,
    /,
    booking_id: str,
) -> Booking:
    """Confirm a requested booking and send the confirmation.

    With a ``signer``, the booking gets a check-in token valid until the slot ends, and the
    confirmation carries its QR payload.

    Raises:
        NotFound: No such booking.
        PermissionDenied: The actor may not confirm.
        InvalidTransition: It is not requested.
        TransitionRefused: The slot has begun.
    """
    booking = _load(cx.uow, booking_id)
    cx.check("confirm_booking", booking)
    cx.fire(BOOKING, booking, "confirm")
    _issue_token(cx, booking)
    cx.uow.bookings.update(booking)
    _tell(
        cx,
        booking,
        f"booking-confirmed:{booking.id}:{booking.reschedule_count}",
        f"Booking {booking.reference} confirmed",
        f"your {booking.service_type.value} booking {booking.reference} is confirmed for "
        f"{_when(cx, booking)}.",
    )
    event(cx, "BookingConfirmed", booking, {"reference": booking.reference})
    return booking


@command("reschedule_booking")
def reschedule_booking(
    cx: CommandContext,
    /,
    booking_id: str,
    new_slot: TimeRange,
) -> Booking:
    """Move a booking to ``new_slot`` under its change policy (cut-off, maximum reschedules).

    Raises:
        NotFound: No such booking.
        PermissionDenied: The actor may not change it.
        InvalidTransition: It is no longer requested or confirmed.
        TransitionRefused: Past the change cut-off, no reschedules left, or the new slot is past
            or the same.
        DoubleBooking: The technician is taken at the new time (here or at commit).
    """
    booking = _load(cx.uow, booking_id)
    cx.check("reschedule_booking", booking)
    old = booking.slot
    payload = {"from": old, "to": new_slot}
    cx.fire(BOOKING, booking, "reschedule", payload=payload, given=Facts(new_slot=new_slot))
    if booking.check_in_token is not None:
        _issue_token(cx, booking)  # the old token names the old slot's end: a new one
    cx.uow.bookings.update(booking)
    _tell(
        cx,
        booking,
        f"booking-rescheduled:{booking.id}:{booking.reschedule_count}",
        f"Booking {booking.reference} moved",
        f"your booking {booking.reference} is now for {_when(cx, booking)}.",
    )
    event(cx, "BookingRescheduled", booking, {"from": old, "to": new_slot})
    return booking


@command("cancel_booking")
def cancel_booking(
    cx: CommandContext,
    /,
    booking_id: str,
    reason: str,
) -> Booking:
    """Cancel a booking; past the cancellation cut-off the policy's fee is charged.

    Raises:
        NotFound: No such booking.
        PermissionDenied: The actor may not cancel it.
        InvalidTransition: It is checked in, completed or already ended.
        TransitionRefused: No reason given.
    """
    cancelled: Booking = move(
        cx,
        BOOKING,
        booking_id,
        "cancel",
        command="cancel_booking",
        event_name="BookingCancelled",
        reason=reason,
        event_payload=lambda b: {"fee": b.cancellation_fee},
    )
    fee = cancelled.cancellation_fee
    _tell(
        cx,
        cancelled,
        f"booking-cancelled:{cancelled.id}",
        f"Booking {cancelled.reference} cancelled",
        f"your booking {cancelled.reference} for {_when(cx, cancelled)} is cancelled"
        + (f"; a cancellation fee of {fee} applies." if fee is not None and fee.amount else "."),
    )
    return cancelled


@command("record_payment")
def record_payment(
    cx: CommandContext,
    /,
    booking_id: str,
    payment_reference: str,
    *,
    method: PaymentMethod | None = None,
    amount: Money | None = None,
) -> Booking:
    """Record the payment confirmation of a booking with its reference (seed 003, SOP 6).

    ``method`` and ``amount`` record how and how much was paid; a refund needs the amount.

    Raises:
        NotFound: No such booking.
        PermissionDenied: The actor may not record payments.
        ValidationError: ``method`` is not a :class:`PaymentMethod`, or ``amount`` is not
            Money, is negative or is in another currency than the booking policy's.
        TransitionRefused: Blank reference, or a payment is already recorded.
        InvalidTransition: The booking was cancelled or not shown.
    """
    if method is not None and not isinstance(method, PaymentMethod):
        raise ValidationError.single("method", method, "must be a PaymentMethod")
    if amount is not None:
        if not isinstance(amount, Money) or amount.amount < 0:
            raise ValidationError.single("amount", amount, "must be Money, not negative")
        currency = cx.uow.bookings.get(booking_id).policy.cancellation_fee.currency
        if amount.currency != currency:
            raise ValidationError.single("amount", amount, f"must be in {currency}")
    details: dict[str, object] = {"payment_reference": payment_reference}
    if method is not None:
        details["method"] = method
    if amount is not None:
        details["amount"] = amount
    paid: Booking = move(
        cx,
        BOOKING,
        booking_id,
        "record_payment",
        command="record_payment",
        event_name="PaymentRecorded",
        payload=details,
        given=Facts(payment_reference=payment_reference),
        event_payload=lambda _b: details,
    )
    if method is not None or amount is not None:
        paid.payment_method = method
        paid.paid = amount
        cx.uow.bookings.update(paid)
    _tell(
        cx,
        paid,
        f"booking-paid:{paid.id}",
        f"Payment for booking {paid.reference} received",
        f"we received your payment for booking {paid.reference} (reference {payment_reference}).",
    )
    return paid


@command("record_refund")
def record_refund(
    cx: CommandContext,
    /,
    booking_id: str,
    *,
    amount: Money,
    reference: str,
    reason: str,
) -> Booking:
    """Record money given back on a paid booking (seed 003: refunds told transparently).

    A refund never exceeds what was paid, less the cancellation fee charged and the refunds
    already given (:meth:`Booking.refundable`). The customer is told.

    Raises:
        NotFound: No such booking.
        PermissionDenied: The actor may not record refunds.
        ValidationError: No payment with its amount is recorded (``booking_id``); ``amount``
            is not positive Money in the currency paid, or more than is refundable (``amount``);
            a blank reference or reason.
    """
    booking = cx.uow.bookings.get(booking_id)
    cx.check("record_refund", booking)
    if booking.payment_reference is None or booking.paid is None:
        raise ValidationError.single(
            "booking_id", booking_id, "has no payment with its amount recorded"
        )
    if not isinstance(amount, Money) or amount.amount <= 0:
        raise ValidationError.single("amount", amount, "must be positive Money")
    if amount.currency != booking.paid.currency:
        raise ValidationError.single("amount", amount, f"must be in {booking.paid.currency}")
    left = booking.refundable()
    if amount.amount > left.amount:
        raise ValidationError.single(
            "amount",
            amount,
            f"is more than the {left} refundable (paid {booking.paid}, fee "
            f"{booking.cancellation_fee or 'none'}, {len(booking.refunds)} refund(s) given)",
        )
    refund = Refund(reference=reference, amount=amount, refunded_at=cx.now(), reason=reason)
    cx.fire(
        BOOKING,
        booking,
        "refund",
        reason=reason,
        payload={"amount": amount, "reference": reference},
    )
    booking.refunds = (*booking.refunds, refund)
    cx.uow.bookings.update(booking)
    event(cx, "RefundRecorded", booking, {"amount": amount, "reference": reference})
    _tell(
        cx,
        booking,
        f"booking-refund:{booking.id}:{reference}",
        f"Refund for booking {booking.reference}",
        f"we refunded {amount} for booking {booking.reference} (reference {reference}): {reason}.",
    )
    return booking


@command("check_in")
def check_in(
    cx: CommandContext,
    /,
    token: str,
) -> Booking:
    """Check a customer in with the token from their confirmation (or its QR payload).

    Raises:
        TokenError: The token is forged, altered or expired.
        NotFound: The token is for another tenant, or the booking does not exist.
        PermissionDenied: The actor may not check customers in.
        ValidationError: The token is not the booking's current token (it was re-issued).
        InvalidTransition: The booking is not confirmed.
        TransitionRefused: The slot has ended.
    """
    found = cx.settings.require_signer().verify(token, cx.now())
    if found.tenant != cx.uow.tenant:
        raise NotFound("Booking", found.booking_id)
    booking = _load(cx.uow, found.booking_id)
    cx.check("check_in", booking)
    if booking.check_in_token != token.removeprefix(QR_SCHEME):
        raise ValidationError.single("token", found.reference, "was replaced by a newer token")
    cx.fire(BOOKING, booking, "check_in")
    cx.uow.bookings.update(booking)
    event(cx, "BookingCheckedIn", booking, {"reference": booking.reference})
    return booking


@command("complete_booking")
def complete_booking(
    cx: CommandContext,
    /,
    booking_id: str,
) -> Booking:
    """Mark a checked-in booking's service delivered.

    Raises:
        NotFound, PermissionDenied, InvalidTransition: As for the other commands.
    """
    completed: Booking = move(
        cx,
        BOOKING,
        booking_id,
        "complete",
        command="complete_booking",
        event_name="BookingCompleted",
    )
    return completed


@command("mark_no_show")
def mark_no_show(
    cx: CommandContext,
    /,
    booking_id: str,
) -> Booking:
    """Mark a confirmed booking whose customer did not come within the grace period.

    Raises:
        NotFound, PermissionDenied, InvalidTransition: As for the other commands.
        TransitionRefused: The grace period is not over.
    """
    missed: Booking = move(
        cx,
        BOOKING,
        booking_id,
        "no_show",
        command="mark_no_show",
        event_name="BookingNoShow",
        event_payload=lambda b: {"fee": b.policy.cancellation_fee},
    )
    return missed
