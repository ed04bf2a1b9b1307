"""Commands racing on one record, and commands that fail inside a caller's unit of work.

Races are made deterministic: the competing change is committed from inside the first
command (its policy check runs after it loaded the record), never by timing.
"""

import pytest
from desk_actors import CS, SUP
from test_bookings import BUDI, make_booking, seed_technicians, slot

from servicecore.errors import ConcurrencyError, DoubleBooking
from servicecore.model.audit import verify_chain
from servicecore.model.booking import BookingStatus
from servicecore.model.enums import Channel, ServiceType
from servicecore.services import bookings as b
from servicecore.services.context import DeskSettings
from servicecore.services.desk import ServiceDesk
from servicecore.services.permissions import DEFAULT_POLICY
from servicecore.testing import factories as f
from servicecore.testing.factories import command_context as cx


class ConfirmsFirst:
    """The default policy, which on ``command`` with a subject first lets another desk
    confirm the booking (the race: a change committed after the command loaded it)."""

    def __init__(self, storage, tenant, clock, command):
        self.storage, self.tenant, self.clock, self.command = storage, tenant, clock, command
        self.raced = False

    def check(self, actor, command, subject=None):
        if command == self.command and subject is not None and not self.raced:
            self.raced = True
            with self.storage.unit_of_work(self.tenant) as other:
                b.confirm_booking(cx(other, SUP, self.clock), subject.id)
                other.commit()
        DEFAULT_POLICY.check(actor, command, subject)


@pytest.fixture
def booked(storage, tenant, clock):
    seed_technicians(storage, tenant)
    with storage.unit_of_work(tenant) as uow:
        booking = make_booking(uow, clock)
        uow.commit()
    return booking


def test_a_command_racing_a_committed_change_of_its_record_is_a_concurrency_error(
    storage, tenant, clock, booked
):
    racing = ConfirmsFirst(storage, tenant, clock, "cancel_booking")
    desk = ServiceDesk(storage, tenant, clock=clock, settings=DeskSettings(policy=racing))
    with pytest.raises(ConcurrencyError):
        desk.bookings.cancel_booking(CS, booked.id, reason="customer called")
    assert racing.raced
    with storage.unit_of_work(tenant) as uow:
        stored = uow.bookings.get(booked.id)
        entries = uow.audit.entries("Booking", booked.id)
    assert stored.status is BookingStatus.CONFIRMED
    assert [e.trigger for e in entries] == ["create", "confirm"]
    assert verify_chain(entries, head=stored.audit_head).ok


def test_a_raced_command_run_again_succeeds(storage, tenant, clock, booked):
    racing = ConfirmsFirst(storage, tenant, clock, "cancel_booking")
    desk = ServiceDesk(storage, tenant, clock=clock, settings=DeskSettings(policy=racing))
    with pytest.raises(ConcurrencyError):
        desk.bookings.cancel_booking(CS, booked.id, reason="customer called")
    cancelled = desk.bookings.cancel_booking(CS, booked.id, reason="customer called")
    assert cancelled.status is BookingStatus.CANCELLED


def book_at(uow, clock, hour, booking_id):
    return b.book(
        cx(uow, CS, clock),
        customer=BUDI,
        service_type=ServiceType.REPAIR,
        channel=Channel.CALL_CENTRE,
        slot=slot(hour),
        location=f.HERE,
        booking_policy=f.booking().policy,
        technician_id="T-7",
        booking_id=booking_id,
    )


def test_a_failed_command_leaves_nothing_in_the_callers_unit_of_work(storage, tenant, clock):
    seed_technicians(storage, tenant)
    with storage.unit_of_work(tenant) as uow:
        book_at(uow, clock, 9, "B-HELD")
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(DoubleBooking):
            book_at(uow, clock, 10, "B-REFUSED")  # T-7 holds 9 to 11
        book_at(uow, clock, 14, "B-KEPT")
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        assert uow.bookings.find("B-REFUSED") is None
        assert uow.audit.entries("Booking", "B-REFUSED") == ()
        assert uow.audit.entries("Booking", "B-KEPT")
    assert "B-REFUSED" not in {e.entity_id for e in storage.pending_events(tenant)}


def test_a_failed_command_keeps_what_the_unit_of_work_held_before(storage, tenant, clock):
    seed_technicians(storage, tenant)
    with storage.unit_of_work(tenant) as uow:
        make_booking(uow, clock, hour=9)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        first = make_booking(uow, clock, hour=14)
        with pytest.raises(DoubleBooking):
            b.book(
                cx(uow, CS, clock),
                customer=first.customer,
                service_type=ServiceType.REPAIR,
                channel=first.channel,
                slot=slot(9),
                location=f.HERE,
                booking_policy=f.booking().policy,
                technician_id="T-7",
            )
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        stored = uow.bookings.get(first.id)
        entries = uow.audit.entries("Booking", first.id)
    assert verify_chain(entries, head=stored.audit_head).ok
