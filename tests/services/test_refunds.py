"""Payment method and amount on bookings, and refunds (seed 003: refund policy told clearly)."""

from datetime import timedelta

import pytest
from desk_actors import CS, SUP

from servicecore.basics import FixedClock
from servicecore.errors import PermissionDenied, ValidationError
from servicecore.model.actor import Actor, Role
from servicecore.model.booking import PaymentMethod
from servicecore.model.common import Money, TimeRange
from servicecore.model.enums import Channel, ServiceType
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f

FIN = Actor(id="fin-1", roles={Role.FINANCE})
H = timedelta(hours=1)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(f.NOW)


@pytest.fixture
def desk(storage, tenant, clock) -> ServiceDesk:
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.commit()
    return ServiceDesk(storage, tenant, clock=clock)


@pytest.fixture
def booking_id(desk) -> str:
    slot = TimeRange(f.NOW + 42 * H, f.NOW + 44 * H)  # Wednesday 10:00 in Jakarta
    booking = desk.bookings.book(
        CS,
        customer=f.booking().customer,
        service_type=ServiceType.REPAIR,
        channel=Channel.CALL_CENTRE,
        slot=slot,
        location=f.HERE,
        booking_policy=f.booking().policy,  # fee 50,000 IDR after the 12 h cut-off
        technician_id="T-7",
    )
    return str(booking.id)


def test_a_payment_keeps_its_method_and_amount(desk, booking_id) -> None:
    paid = desk.bookings.record_payment(
        CS, booking_id, "PAY-1", method=PaymentMethod.E_WALLET, amount=Money("200000", "IDR")
    )
    assert (paid.payment_method, paid.paid) == (PaymentMethod.E_WALLET, Money("200000", "IDR"))


def test_a_payment_in_another_currency_is_refused(desk, booking_id) -> None:
    with pytest.raises(ValidationError) as info:
        desk.bookings.record_payment(CS, booking_id, "PAY-1", amount=Money("20", "EUR"))
    assert info.value.errors[0].path == "amount"


def test_a_refund_is_recorded_and_told(desk, booking_id, storage, tenant) -> None:
    desk.bookings.record_payment(CS, booking_id, "PAY-1", amount=Money("200000", "IDR"))
    booking = desk.bookings.record_refund(
        FIN, booking_id, amount=Money("80000", "IDR"), reference="RF-1", reason="goodwill"
    )
    assert [r.amount for r in booking.refunds] == [Money("80000", "IDR")]
    assert booking.refundable() == Money("120000", "IDR")
    names = [e.name for e in storage.pending_events(tenant)]
    assert "RefundRecorded" in names


def test_a_late_cancellation_keeps_the_fee(desk, booking_id, clock) -> None:
    desk.bookings.record_payment(CS, booking_id, "PAY-1", amount=Money("200000", "IDR"))
    clock.advance(34 * H)  # 8 h before the slot: after the 12 h cut-off
    desk.bookings.cancel_booking(CS, booking_id, "plans changed")
    with pytest.raises(ValidationError) as info:
        desk.bookings.record_refund(
            FIN, booking_id, amount=Money("200000", "IDR"), reference="RF-1", reason="cancelled"
        )
    assert info.value.errors[0].path == "amount"
    refunded = desk.bookings.record_refund(
        FIN, booking_id, amount=Money("150000", "IDR"), reference="RF-1", reason="cancelled"
    )
    assert refunded.refundable() == Money("0", "IDR")


def test_refunds_never_add_up_to_more_than_paid(desk, booking_id) -> None:
    desk.bookings.record_payment(CS, booking_id, "PAY-1", amount=Money("100000", "IDR"))
    desk.bookings.record_refund(
        FIN, booking_id, amount=Money("60000", "IDR"), reference="RF-1", reason="a"
    )
    with pytest.raises(ValidationError) as info:
        desk.bookings.record_refund(
            FIN, booking_id, amount=Money("60000", "IDR"), reference="RF-2", reason="b"
        )
    assert "40000" in str(info.value)


def test_an_unpaid_booking_has_nothing_to_refund(desk, booking_id) -> None:
    with pytest.raises(ValidationError) as info:
        desk.bookings.record_refund(
            FIN, booking_id, amount=Money("1", "IDR"), reference="RF-1", reason="x"
        )
    assert info.value.errors[0].path == "booking_id"


def test_a_payment_without_its_amount_cannot_be_refunded(desk, booking_id) -> None:
    desk.bookings.record_payment(CS, booking_id, "PAY-1")
    with pytest.raises(ValidationError) as info:
        desk.bookings.record_refund(
            FIN, booking_id, amount=Money("1", "IDR"), reference="RF-1", reason="x"
        )
    assert info.value.errors[0].path == "booking_id"


@pytest.mark.parametrize("amount", [Money("0", "IDR"), Money("-5", "IDR"), Money("5", "EUR")])
def test_a_refund_amount_must_be_positive_in_the_currency_paid(desk, booking_id, amount) -> None:
    desk.bookings.record_payment(CS, booking_id, "PAY-1", amount=Money("100", "IDR"))
    with pytest.raises(ValidationError) as info:
        desk.bookings.record_refund(FIN, booking_id, amount=amount, reference="RF", reason="x")
    assert info.value.errors[0].path == "amount"


def test_a_refund_needs_a_reason(desk, booking_id) -> None:
    desk.bookings.record_payment(CS, booking_id, "PAY-1", amount=Money("100", "IDR"))
    with pytest.raises(ValidationError) as info:
        desk.bookings.record_refund(
            FIN, booking_id, amount=Money("10", "IDR"), reference="RF", reason=""
        )
    assert info.value.errors[0].path == "reason"


def test_customer_service_may_not_refund(desk, booking_id) -> None:
    desk.bookings.record_payment(CS, booking_id, "PAY-1", amount=Money("100", "IDR"))
    with pytest.raises(PermissionDenied):
        desk.bookings.record_refund(
            CS, booking_id, amount=Money("10", "IDR"), reference="RF", reason="x"
        )
    assert desk.bookings.record_refund(
        SUP, booking_id, amount=Money("10", "IDR"), reference="RF", reason="x"
    ).refunds
