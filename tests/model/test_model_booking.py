from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from servicecore.errors import ValidationError
from servicecore.model import (
    Booking,
    BookingPolicy,
    BookingStatus,
    Channel,
    CustomerId,
    CustomerIdentity,
    GeoPoint,
    Money,
    ServiceType,
    TimeRange,
)

START = datetime(2025, 5, 12, 9, tzinfo=UTC)
SLOT = TimeRange(start=START, end=START + timedelta(hours=2))
FEE = Money(Decimal("25.00"), "IDR")
POLICY = BookingPolicy(
    change_cutoff=timedelta(hours=24),
    cancellation_cutoff=timedelta(hours=12),
    cancellation_fee=FEE,
    no_show_grace=timedelta(minutes=15),
    max_reschedules=2,
)
CUSTOMER = CustomerIdentity(
    customer_id=CustomerId("c-1"),
    name="Budi Santoso",
    phone="+62 812-3456-7890",
    email="budi@example.id",
)


def kwargs(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "bk-1",
        "customer": CUSTOMER,
        "service_type": ServiceType.REPAIR,
        "channel": Channel.CALL_CENTRE,
        "slot": SLOT,
        "location": GeoPoint(lat=-6.2, lon=106.8, address="Jl. Sudirman 1, Jakarta"),
        "booked_at": START - timedelta(days=3),
        "reference": "SB-2025-0001",
        "policy": POLICY,
    }
    return {**base, **over}


def test_valid_booking_builds_as_requested() -> None:
    booking = Booking(**kwargs())
    assert booking.status is BookingStatus.REQUESTED
    assert booking.reschedule_count == 0


def test_status_values_are_the_lifecycle_names() -> None:
    assert [s.value for s in BookingStatus] == [
        "requested",
        "confirmed",
        "checked_in",
        "completed",
        "cancelled",
        "no_show",
    ]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("customer", "c-1"),
        ("service_type", "repair"),
        ("channel", "phone"),
        ("slot", (START, START + timedelta(hours=1))),
        ("location", (-6.2, 106.8)),
        ("booked_at", datetime(2025, 5, 9, 9)),
        ("reference", "SB 0001"),
        ("policy", None),
        ("technician_id", ""),
        ("check_in_token", " "),
        ("payment_reference", 42),
        ("reschedule_count", -1),
        ("cancellation_reason", ""),
        ("cancellation_fee", Decimal(25)),
        ("status", "cancelled"),
        ("version", 1.0),
    ],
)
def test_bad_field_is_refused_naming_it(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Booking(**kwargs(**{field: bad}))
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_more_reschedules_than_the_policy_allows_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Booking(**kwargs(reschedule_count=3))
    assert caught.value.errors[0].path == "reschedule_count"
    assert caught.value.errors[0].value == 3


def test_a_fee_charged_in_another_currency_than_the_policy_is_refused() -> None:
    bad = Money(Decimal(25), "EUR")
    with pytest.raises(ValidationError) as caught:
        Booking(**kwargs(cancellation_fee=bad, status=BookingStatus.CANCELLED))
    assert caught.value.errors[0].path == "cancellation_fee"
    assert caught.value.errors[0].value == bad


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("customer_id", "c 1"),
        ("name", ""),
        ("phone", "call me"),
        ("phone", "12"),
        ("email", "budi.example.id"),
        ("email", "budi@example"),
        ("email", "bu di@example.id"),
    ],
)
def test_customer_identity_refuses_bad_field(field: str, bad: object) -> None:
    fields: dict[str, object] = {
        "customer_id": "c-1",
        "name": "Budi",
        "phone": None,
        "email": "b@x.id",
    }
    with pytest.raises(ValidationError) as caught:
        CustomerIdentity(**{**fields, field: bad})  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


@pytest.mark.parametrize(
    ("phone", "email"), [("+86 (10) 6552-9988", None), ("(021) 555-1234", None), (None, "w@x.cn")]
)
def test_customer_identity_accepts_a_phone_or_an_email(
    phone: str | None, email: str | None
) -> None:
    assert (
        CustomerIdentity(customer_id=CustomerId("c"), name="Wang", phone=phone, email=email).name
        == "Wang"
    )


def test_customer_identity_needs_a_way_to_reach_the_customer() -> None:
    with pytest.raises(ValidationError) as caught:
        CustomerIdentity(customer_id=CustomerId("c"), name="Wang")
    assert caught.value.errors[0].path == "phone"


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("change_cutoff", timedelta(hours=-1)),
        ("cancellation_cutoff", 3600),
        ("cancellation_fee", Money(Decimal(-1), "IDR")),
        ("no_show_grace", None),
        ("max_reschedules", -1),
    ],
)
def test_policy_refuses_bad_field(field: str, bad: object) -> None:
    fields: dict[str, object] = {
        "change_cutoff": timedelta(hours=24),
        "cancellation_cutoff": timedelta(hours=12),
        "cancellation_fee": FEE,
        "no_show_grace": timedelta(minutes=15),
        "max_reschedules": 2,
    }
    with pytest.raises(ValidationError) as caught:
        BookingPolicy(**{**fields, field: bad})  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


@pytest.mark.parametrize(
    ("at", "count", "expected"),
    [
        (START - timedelta(hours=25), 0, True),
        (START - timedelta(hours=24), 1, True),
        (START - timedelta(hours=23), 0, False),
        (START - timedelta(days=5), 2, False),
    ],
)
def test_can_change_before_the_cutoff_while_reschedules_remain(
    at: datetime, count: int, expected: bool
) -> None:
    assert Booking(**kwargs(reschedule_count=count)).can_change(at) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (START - timedelta(hours=13), Money.zero("IDR")),
        (START - timedelta(hours=12), Money.zero("IDR")),
        (START - timedelta(hours=11, minutes=59), FEE),
        (START + timedelta(minutes=5), FEE),
    ],
)
def test_cancellation_is_free_until_the_cutoff_then_costs_the_fee(
    at: datetime, expected: Money
) -> None:
    assert Booking(**kwargs()).cancellation_fee_at(at) == expected


def test_no_show_starts_after_the_grace_period() -> None:
    assert Booking(**kwargs()).no_show_at == START + timedelta(minutes=15)
