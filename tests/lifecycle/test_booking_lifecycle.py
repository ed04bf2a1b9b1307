from datetime import timedelta

import pytest
from factories import NOW, booking, ctx

from servicecore.errors import TransitionRefused
from servicecore.lifecycle import BOOKING
from servicecore.lifecycle.facts import Facts
from servicecore.model.audit import AuditLog
from servicecore.model.booking import BookingStatus
from servicecore.model.common import Money, TimeRange


def confirmed(trail: AuditLog, **kw: object):
    b = booking(**kw)
    BOOKING.create(b, ctx(), trail)
    BOOKING.fire(b, "confirm", ctx(), trail)
    return b


def slot(days: float, hours: float = 2) -> TimeRange:
    start = NOW + timedelta(days=days)
    return TimeRange(start, start + timedelta(hours=hours))


def test_a_booking_is_confirmed_before_its_slot():
    trail = AuditLog()
    b = booking()
    BOOKING.create(b, ctx(), trail)
    with pytest.raises(TransitionRefused, match="slot started"):
        BOOKING.fire(b, "confirm", ctx(at=b.slot.start), trail)
    BOOKING.fire(b, "confirm", ctx(), trail)
    assert b.status is BookingStatus.CONFIRMED


def test_reschedule_moves_the_slot_and_counts():
    trail = AuditLog()
    b = confirmed(trail)
    BOOKING.fire(b, "reschedule", ctx(facts=Facts(new_slot=slot(3))), trail)
    assert (b.status, b.slot, b.reschedule_count) == (BookingStatus.CONFIRMED, slot(3), 1)


def test_reschedule_is_refused_after_the_change_cutoff():
    trail = AuditLog()
    b = confirmed(trail)
    late = b.slot.start - timedelta(hours=23)
    with pytest.raises(TransitionRefused, match="changes close"):
        BOOKING.fire(b, "reschedule", ctx(at=late, facts=Facts(new_slot=slot(3))), trail)
    assert b.reschedule_count == 0


def test_reschedule_is_refused_beyond_the_policy_maximum():
    trail = AuditLog()
    b = confirmed(trail)
    BOOKING.fire(b, "reschedule", ctx(facts=Facts(new_slot=slot(3))), trail)
    BOOKING.fire(b, "reschedule", ctx(facts=Facts(new_slot=slot(4))), trail)
    with pytest.raises(TransitionRefused, match="maximum"):
        BOOKING.fire(b, "reschedule", ctx(facts=Facts(new_slot=slot(5))), trail)


@pytest.mark.parametrize("new", [slot(-1), slot(2)], ids=["past", "same"])
def test_reschedule_needs_a_different_future_slot(new):
    trail = AuditLog()
    b = confirmed(trail)
    with pytest.raises(TransitionRefused):
        BOOKING.fire(b, "reschedule", ctx(facts=Facts(new_slot=new)), trail)
    assert b.slot == slot(2)


def test_cancel_before_the_cutoff_is_free():
    trail = AuditLog()
    b = confirmed(trail)
    BOOKING.fire(b, "cancel", ctx(reason="customer travelling"), trail)
    assert b.status is BookingStatus.CANCELLED
    assert b.cancellation_fee == Money("0", "IDR")
    assert b.cancellation_reason == "customer travelling"


def test_cancel_after_the_cutoff_charges_the_fee():
    trail = AuditLog()
    b = confirmed(trail)
    BOOKING.fire(b, "cancel", ctx(at=b.slot.start - timedelta(hours=1), reason="x"), trail)
    assert b.cancellation_fee == Money("50000", "IDR")


def test_check_in_is_refused_after_the_slot_ended():
    trail = AuditLog()
    b = confirmed(trail)
    with pytest.raises(TransitionRefused, match="slot ended"):
        BOOKING.fire(b, "check_in", ctx(at=b.slot.end), trail)
    BOOKING.fire(b, "check_in", ctx(at=b.slot.start), trail)
    BOOKING.fire(b, "complete", ctx(at=b.slot.end), trail)
    assert b.status is BookingStatus.COMPLETED


def test_no_show_only_after_the_grace_period():
    trail = AuditLog()
    b = confirmed(trail)
    with pytest.raises(TransitionRefused, match="until"):
        BOOKING.fire(b, "no_show", ctx(at=b.slot.start + timedelta(minutes=29)), trail)
    BOOKING.fire(b, "no_show", ctx(at=b.slot.start + timedelta(minutes=30)), trail)
    assert b.status is BookingStatus.NO_SHOW


def test_a_payment_is_recorded_once_with_its_reference():
    trail = AuditLog()
    b = confirmed(trail)
    BOOKING.fire(b, "record_payment", ctx(facts=Facts(payment_reference="PAY-889")), trail)
    assert (b.status, b.payment_reference) == (BookingStatus.CONFIRMED, "PAY-889")
    with pytest.raises(TransitionRefused, match="already recorded"):
        BOOKING.fire(b, "record_payment", ctx(facts=Facts(payment_reference="PAY-890")), trail)


def test_a_blank_payment_reference_is_refused():
    trail = AuditLog()
    b = confirmed(trail)
    with pytest.raises(TransitionRefused, match="blank"):
        BOOKING.fire(b, "record_payment", ctx(facts=Facts(payment_reference=" ")), trail)
