"""The booking lifecycle (seeds 000 and 003: reserve, confirm, change, check in, no-show).

Rescheduling keeps the booking in its state and needs the ``new_slot`` fact
(:class:`~servicecore.model.common.TimeRange`); a cancellation records the fee the policy charges at
that moment.
"""

from __future__ import annotations

from servicecore.lifecycle.engine import Guard, Lifecycle, Rule, TransitionContext
from servicecore.lifecycle.facts import required
from servicecore.model.booking import Booking, BookingStatus

__all__ = ["BOOKING"]


def _slot_ahead(booking: Booking, ctx: TransitionContext) -> str | None:
    if ctx.at < booking.slot.start:
        return None
    return f"the slot started at {booking.slot.start.isoformat()}"


def _change_allowed(booking: Booking, ctx: TransitionContext) -> str | None:
    if booking.reschedule_count >= booking.policy.max_reschedules:
        return f"already rescheduled {booking.reschedule_count} time(s), the policy's maximum"
    if not booking.can_change(ctx.at):
        cutoff = booking.slot.start - booking.policy.change_cutoff
        return f"changes close at {cutoff.isoformat()}"
    return None


def _new_slot_ahead(booking: Booking, ctx: TransitionContext) -> str | None:
    new = required(ctx.facts.new_slot, "new_slot")
    if new.start <= ctx.at:
        return f"the new slot starts at {new.start.isoformat()}, not in the future"
    if new == booking.slot:
        return "the new slot is the current slot"
    return None


def _before_slot_end(booking: Booking, ctx: TransitionContext) -> str | None:
    if ctx.at < booking.slot.end:
        return None
    return f"the slot ended at {booking.slot.end.isoformat()}"


def _grace_passed(booking: Booking, ctx: TransitionContext) -> str | None:
    if ctx.at >= booking.no_show_at:
        return None
    return f"the customer has until {booking.no_show_at.isoformat()} to check in"


def _payment_given(booking: Booking, ctx: TransitionContext) -> str | None:
    reference = required(ctx.facts.payment_reference, "payment_reference")
    if not reference.strip():
        return "the payment reference is blank"
    if booking.payment_reference is not None:
        return f"payment {booking.payment_reference} is already recorded"
    return None


def _record_payment(booking: Booking, ctx: TransitionContext) -> None:
    booking.payment_reference = required(ctx.facts.payment_reference, "payment_reference")


def _move(booking: Booking, ctx: TransitionContext) -> None:
    booking.slot = required(ctx.facts.new_slot, "new_slot")
    booking.reschedule_count += 1


def _cancel(booking: Booking, ctx: TransitionContext) -> None:
    booking.cancellation_fee = booking.cancellation_fee_at(ctx.at)
    booking.cancellation_reason = ctx.reason


PAYMENT_GIVEN = Guard(
    "payment_given",
    "A payment reference, and none recorded before.",
    _payment_given,
    needs=("payment_reference",),
)
SLOT_AHEAD = Guard("slot_ahead", "The slot has not started yet.", _slot_ahead)
CHANGE_ALLOWED = Guard(
    "change_allowed", "Before the change cut-off, with reschedules left.", _change_allowed
)
NEW_SLOT_AHEAD = Guard(
    "new_slot_ahead",
    "The new slot is a different, future slot.",
    _new_slot_ahead,
    needs=("new_slot",),
)
BEFORE_SLOT_END = Guard("before_slot_end", "The slot has not ended yet.", _before_slot_end)
GRACE_PASSED = Guard(
    "grace_passed", "The no-show grace after the slot start is over.", _grace_passed
)

S = BookingStatus

BOOKING: Lifecycle[Booking, BookingStatus] = Lifecycle(
    kind="Booking",
    entity_type=Booking,
    states=BookingStatus,
    initial=S.REQUESTED,
    rules=[
        Rule(
            trigger="confirm",
            sources=(S.REQUESTED,),
            dest=S.CONFIRMED,
            guards=(SLOT_AHEAD,),
            description="Confirmed to the customer (by e-mail or SMS).",
        ),
        Rule(
            trigger="reschedule",
            sources=(S.REQUESTED, S.CONFIRMED),
            guards=(CHANGE_ALLOWED, NEW_SLOT_AHEAD),
            effects=(_move,),
            needs=("new_slot",),
            description="Moved to another slot under the change policy.",
        ),
        Rule(
            trigger="check_in",
            sources=(S.CONFIRMED,),
            dest=S.CHECKED_IN,
            guards=(BEFORE_SLOT_END,),
            description="The customer arrived (QR check-in token or front desk).",
        ),
        Rule(
            trigger="complete",
            sources=(S.CHECKED_IN,),
            dest=S.COMPLETED,
            description="The booked service was delivered.",
        ),
        Rule(
            trigger="cancel",
            sources=(S.REQUESTED, S.CONFIRMED),
            dest=S.CANCELLED,
            needs_reason=True,
            effects=(_cancel,),
            description="Cancelled; a fee applies after the cancellation cut-off.",
        ),
        Rule(
            trigger="record_payment",
            sources=(S.REQUESTED, S.CONFIRMED, S.CHECKED_IN, S.COMPLETED),
            guards=(PAYMENT_GIVEN,),
            effects=(_record_payment,),
            needs=("payment_reference",),
            description="The payment is confirmed with its reference.",
        ),
        Rule(
            trigger="refund",
            sources=tuple(S),
            needs_reason=True,
            description="Money given back on a paid booking (never more than paid, less the "
            "cancellation fee charged).",
        ),
        Rule(
            trigger="no_show",
            sources=(S.CONFIRMED,),
            dest=S.NO_SHOW,
            guards=(GRACE_PASSED,),
            description="The customer did not come within the grace period (run by the clock).",
        ),
    ],
)
