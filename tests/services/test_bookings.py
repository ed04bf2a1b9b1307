"""Bookings (seeds 000 and 003), on every storage backend."""

from datetime import date, datetime, time, timedelta

import pytest
from desk_actors import CS, CUSTOMER, HOUR, SUP, TECH

from servicecore.adapters.notifiers import RecordingNotifier
from servicecore.errors import (
    DoubleBooking,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    TransitionRefused,
    ValidationError,
)
from servicecore.model.booking import BookingStatus, CustomerIdentity
from servicecore.model.common import Money, TimeRange
from servicecore.model.enums import Channel, ServiceType
from servicecore.services import bookings as b
from servicecore.services.notifications import NotifyingPublisher
from servicecore.services.references import is_valid_reference
from servicecore.services.tokens import QR_SCHEME, TokenError, TokenSigner
from servicecore.testing import factories as f
from servicecore.testing.factories import command_context as cx

SIGNER = TokenSigner(b"s" * 32)
MONDAY = date(2026, 3, 9)  # a Monday, a week after factories.NOW
BUDI = CustomerIdentity(customer_id="C-1", name="Budi", phone="+62 812 555 0101")
SITI = CustomerIdentity(customer_id="C-2", name="Siti", email="siti@example.id")


def at_jakarta(day: date, hour: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hour), ZoneInfo("Asia/Jakarta"))


def slot(hour: int, hours: int = 2) -> TimeRange:
    start = at_jakarta(MONDAY, hour)
    return TimeRange(start, start + timedelta(hours=hours))


def make_booking(
    uow, clock, *, customer=BUDI, channel=Channel.CALL_CENTRE, hour=9, tech="T-7", actor=CS
):
    return b.book(
        cx(uow, actor, clock),
        customer=customer,
        service_type=ServiceType.REPAIR,
        channel=channel,
        slot=slot(hour),
        location=f.HERE,
        booking_policy=f.booking().policy,
        technician_id=tech,
    )


def seed_technicians(storage, tenant):
    with storage.unit_of_work(tenant) as uow:
        if uow.technicians.find("T-7") is not None:
            return
        uow.technicians.add(f.technician(id="T-7"))
        uow.technicians.add(f.technician(id="T-8", skills=("hvac", "electrical")))
        uow.technicians.add(f.technician(id="T-9", active=False))
        uow.commit()


@pytest.fixture(autouse=True)
def technicians(storage, tenant):
    """Every booking test runs with T-7 and T-8 working (a booking needs someone to serve it)."""
    seed_technicians(storage, tenant)


def test_availability_follows_shifts_and_skips_held_time(storage, tenant, clock):
    seed_technicians(storage, tenant)
    with storage.unit_of_work(tenant) as uow:
        make_booking(uow, clock, hour=9)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        slots = b.available_slots(cx(uow), MONDAY, duration=2 * HOUR, step=HOUR)
    starts = {s.period.start.astimezone(slot(8).start.tzinfo).hour: s for s in slots}
    assert sorted(starts) == [8, 9, 10, 11, 12, 13, 14, 15]
    assert starts[9].technicians == ("T-8",)  # T-7 is booked 9-11
    assert starts[11].technicians == ("T-7", "T-8")
    assert starts[8].technicians == ("T-8",)  # 8-10 overlaps T-7's booking
    assert all(s.period.end <= at_jakarta(MONDAY, 17) for s in slots)


def test_availability_filters_by_skill_and_caps_by_capacity(storage, tenant, clock):
    seed_technicians(storage, tenant)
    with storage.unit_of_work(tenant) as uow:
        electrical = b.available_slots(cx(uow), MONDAY, duration=HOUR, skills=["electrical"])
        capped = b.available_slots(cx(uow), MONDAY, duration=HOUR, capacity=1)
    assert {s.technicians for s in electrical} == {("T-8",)}
    assert all(s.remaining == 1 for s in capped)


def test_no_slots_on_a_day_without_shifts(storage, tenant, clock):
    seed_technicians(storage, tenant)
    with storage.unit_of_work(tenant) as uow:
        assert b.available_slots(cx(uow), date(2026, 3, 8), duration=HOUR) == []


@pytest.mark.parametrize(("duration", "step"), [(timedelta(0), HOUR), (HOUR, timedelta(0))])
def test_availability_refuses_empty_durations(storage, tenant, duration, step):
    with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError):
        b.available_slots(cx(uow), MONDAY, duration=duration, step=step)


def test_a_call_centre_booking_gets_a_unique_valid_reference(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        first = make_booking(uow, clock, hour=9)
        second = make_booking(uow, clock, hour=13)
        uow.commit()
    assert is_valid_reference(first.reference)
    assert first.reference != second.reference
    with storage.unit_of_work(tenant) as uow:
        assert uow.bookings.get(first.id).status is BookingStatus.REQUESTED
        entries = uow.audit.entries("Booking", first.id)
    assert [e.trigger for e in entries] == ["create"]
    assert entries[0].actor_id == "cs-1"


def test_an_online_booking_needs_an_email(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError) as info:
        make_booking(uow, clock, channel=Channel.ONLINE)
    assert info.value.errors[0].path == "customer.email"


def test_a_call_centre_booking_needs_a_phone(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError) as info:
        make_booking(uow, clock, customer=SITI)
    assert info.value.errors[0].path == "customer.phone"


def test_a_slot_in_the_past_is_refused(storage, tenant, clock):
    clock.advance(timedelta(days=30))
    with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError, match="future"):
        make_booking(uow, clock)


def test_two_bookings_of_one_technician_slot_cannot_both_commit(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        make_booking(uow, clock, hour=9)
        uow.commit()
    with pytest.raises(DoubleBooking), storage.unit_of_work(tenant) as uow:
        make_booking(uow, clock, hour=10)
        uow.commit()


def test_a_customer_books_only_for_themselves(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        make_booking(uow, clock, actor=CUSTOMER)
        with pytest.raises(PermissionDenied):
            make_booking(uow, clock, actor=CUSTOMER, customer=SITI, channel=Channel.ONLINE, hour=13)


def test_a_refused_command_writes_nothing(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(PermissionDenied):
            make_booking(uow, clock, actor=TECH)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        assert uow.bookings.count() == 0
    assert storage.pending_events(tenant) == ()


def booked(storage, tenant, clock, **kw):
    with storage.unit_of_work(tenant) as uow:
        booking = make_booking(uow, clock, **kw)
        uow.commit()
    return booking


def _draws(monkeypatch, *references):
    """Make the booking command draw ``references`` in turn (then fresh ones)."""
    queue = list(references)
    fresh = b.new_reference
    monkeypatch.setattr(
        b, "new_reference", lambda prefix="SB": queue.pop(0) if queue else fresh(prefix)
    )


def test_a_reference_drawn_twice_is_drawn_again(storage, tenant, clock, monkeypatch):
    with storage.unit_of_work(tenant) as uow:
        first = make_booking(uow, clock, hour=9)
        uow.commit()
    _draws(monkeypatch, first.reference, first.reference)
    with storage.unit_of_work(tenant) as uow:
        second = make_booking(uow, clock, hour=13)
        uow.commit()
    assert is_valid_reference(second.reference)
    assert second.reference != first.reference
    with storage.unit_of_work(tenant) as uow:
        assert uow.bookings.get(second.id).reference == second.reference


def test_a_reference_taken_in_the_same_unit_of_work_is_drawn_again(
    storage, tenant, clock, monkeypatch
):
    with storage.unit_of_work(tenant) as uow:
        first = make_booking(uow, clock, hour=9)
        _draws(monkeypatch, first.reference)
        second = make_booking(uow, clock, hour=13)
        uow.commit()
    assert second.reference != first.reference
    with storage.unit_of_work(tenant) as uow:
        stored = {uow.bookings.get(x.id).reference for x in (first, second)}
    assert stored == {first.reference, second.reference}


def test_no_free_reference_is_a_validation_error_and_books_nothing(
    storage, tenant, clock, monkeypatch
):
    with storage.unit_of_work(tenant) as uow:
        first = make_booking(uow, clock, hour=9)
        uow.commit()
    _draws(monkeypatch, *[first.reference] * 20)
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(ValidationError) as caught:
            make_booking(uow, clock, hour=13)
        uow.commit()
    assert caught.value.errors[0].path == "reference"
    with storage.unit_of_work(tenant) as uow:
        assert uow.bookings.count() == 1


def test_confirmation_is_sent_after_commit_with_reference_and_check_in_code(
    open_storage, tenant, clock
):
    notifier = RecordingNotifier()
    storage = open_storage(publisher=NotifyingPublisher(notifier))
    booking = booked(storage, tenant, clock)
    acknowledged = notifier.sent
    with storage.unit_of_work(tenant) as uow:
        b.confirm_booking(cx(uow, CS, clock, signer=SIGNER), booking.id)
        assert notifier.sent == acknowledged  # nothing leaves before the commit
        uow.commit()
    (sent,) = notifier.sent[len(acknowledged) :]
    assert sent.to == "+62 812 555 0101"
    assert booking.reference in sent.subject
    assert QR_SCHEME in sent.body
    assert storage.pending_events(tenant) == ()


def test_a_failed_notification_stays_pending_and_goes_out_later(open_storage, tenant, clock):
    notifier = RecordingNotifier()
    storage = open_storage(publisher=NotifyingPublisher(notifier))
    booking = booked(storage, tenant, clock)
    assert [n.key for n in notifier.sent] == [f"booking-requested:{booking.id}"]
    notifier.fail_next(1)
    with storage.unit_of_work(tenant) as uow:
        b.confirm_booking(cx(uow, CS, clock), booking.id)
        uow.commit()
    assert len(notifier.sent) == 1
    pending = storage.pending_events(tenant)
    assert [e.name for e in pending] == ["NotificationRequested", "BookingConfirmed"]
    NotifyingPublisher(notifier)(tenant, pending)
    storage.acknowledge(tenant, [e.id for e in pending])
    assert len(notifier.sent) == 2


def confirmed(storage, tenant, clock, **kw):
    booking = booked(storage, tenant, clock, **kw)
    with storage.unit_of_work(tenant) as uow:
        booking = b.confirm_booking(cx(uow, CS, clock, signer=SIGNER), booking.id)
        uow.commit()
    return booking


def test_check_in_with_the_qr_payload(storage, tenant, clock):
    booking = confirmed(storage, tenant, clock)
    clock.advance(at_jakarta(MONDAY, 9) - clock.now())
    with storage.unit_of_work(tenant) as uow:
        done = b.check_in(cx(uow, TECH, clock, signer=SIGNER), QR_SCHEME + booking.check_in_token)
        uow.commit()
    assert done.status is BookingStatus.CHECKED_IN


def test_check_in_with_a_token_of_another_tenant_is_not_found(storage, tenant, clock):
    booking = confirmed(storage, tenant, clock)
    with storage.unit_of_work("t-other-tenant") as uow, pytest.raises(NotFound):
        b.check_in(cx(uow, TECH, clock, signer=SIGNER), booking.check_in_token)


def test_check_in_with_an_expired_token_is_refused(storage, tenant, clock):
    booking = confirmed(storage, tenant, clock)
    clock.advance(timedelta(days=30))
    with storage.unit_of_work(tenant) as uow, pytest.raises(TokenError, match="expired"):
        b.check_in(cx(uow, TECH, clock, signer=SIGNER), booking.check_in_token)


def test_a_rescheduled_booking_gets_a_new_token_and_the_old_one_is_refused(storage, tenant, clock):
    booking = confirmed(storage, tenant, clock)
    old = booking.check_in_token
    with storage.unit_of_work(tenant) as uow:
        moved = b.reschedule_booking(cx(uow, CS, clock, signer=SIGNER), booking.id, slot(13))
        uow.commit()
    assert moved.slot == slot(13)
    assert moved.check_in_token != old
    clock.advance(at_jakarta(MONDAY, 10) - clock.now())  # the old token has not expired yet
    with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError, match="newer"):
        b.check_in(cx(uow, TECH, clock, signer=SIGNER), old)


def test_reschedule_onto_a_taken_slot_is_refused(storage, tenant, clock):
    booked(storage, tenant, clock, hour=13)
    booking = confirmed(storage, tenant, clock, hour=9)
    with pytest.raises(DoubleBooking), storage.unit_of_work(tenant) as uow:
        b.reschedule_booking(cx(uow, CS, clock), booking.id, slot(14))
        uow.commit()


def test_reschedule_after_the_cutoff_is_refused(storage, tenant, clock):
    booking = confirmed(storage, tenant, clock)
    clock.advance(at_jakarta(MONDAY, 8) - clock.now())
    with storage.unit_of_work(tenant) as uow, pytest.raises(TransitionRefused, match="changes"):
        b.reschedule_booking(cx(uow, CS, clock), booking.id, slot(13))


def test_late_cancellation_charges_the_fee(storage, tenant, clock):
    booking = confirmed(storage, tenant, clock)
    clock.advance(at_jakarta(MONDAY, 7) - clock.now())
    with storage.unit_of_work(tenant) as uow:
        done = b.cancel_booking(cx(uow, CUSTOMER, clock), booking.id, "stuck in traffic")
        uow.commit()
    assert done.cancellation_fee == Money("50000", "IDR")
    with storage.unit_of_work(tenant) as uow:
        assert uow.bookings.get(booking.id).status is BookingStatus.CANCELLED


def test_a_cancelled_booking_frees_the_technician(storage, tenant, clock):
    booking = booked(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        b.cancel_booking(cx(uow, CS, clock), booking.id, "customer travelling")
        make_booking(uow, clock)
        uow.commit()


def test_payment_is_recorded_with_its_reference(storage, tenant, clock):
    booking = confirmed(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        b.record_payment(cx(uow, CS, clock), booking.id, "QRIS-20260309-77")
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        assert uow.bookings.get(booking.id).payment_reference == "QRIS-20260309-77"
        assert uow.audit.head("Booking", booking.id).trigger == "record_payment"


def test_no_show_after_the_grace_period(storage, tenant, clock):
    booking = confirmed(storage, tenant, clock)
    clock.advance(at_jakarta(MONDAY, 9) + timedelta(minutes=10) - clock.now())
    with storage.unit_of_work(tenant) as uow, pytest.raises(TransitionRefused, match="until"):
        b.mark_no_show(cx(uow, SUP, clock), booking.id)
    clock.advance(timedelta(minutes=25))
    with storage.unit_of_work(tenant) as uow:
        b.mark_no_show(cx(uow, SUP, clock), booking.id)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        assert uow.bookings.get(booking.id).status is BookingStatus.NO_SHOW


def test_complete_only_after_check_in(storage, tenant, clock):
    booking = confirmed(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow, pytest.raises(InvalidTransition):
        b.complete_booking(cx(uow, TECH, clock), booking.id)
