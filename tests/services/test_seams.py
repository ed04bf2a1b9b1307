"""Where the workflows meet: each defect found running a whole service week, one test each.

The numbers in the comments are the items of the service-week issue that each test pins down.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from conftest import CS, SUP, TECH

from servicecore.adapters.evidence import FilesystemEvidenceStore
from servicecore.adapters.notifiers import RecordingNotifier
from servicecore.basics import FixedClock
from servicecore.model.actor import SYSTEM, Actor, Role
from servicecore.model.calendar import WeeklyWindow, WorkingCalendar
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import Money, TimeRange
from servicecore.model.contract import SlaTerm
from servicecore.model.enums import Channel, Priority, ServiceType, SolutionType
from servicecore.ports import NotificationChannel
from servicecore.services.alerts import AlertSettings
from servicecore.services.context import DeskSettings
from servicecore.services.desk import ServiceDesk
from servicecore.services.notifications import NotifyingPublisher
from servicecore.services.tokens import TokenSigner
from servicecore.testing import factories as f

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY = date(2026, 3, 9)
OFFICE = WorkingCalendar(
    timezone="Asia/Jakarta",
    hours=tuple(WeeklyWindow(weekday=d, start=time(8), end=time(17)) for d in range(5)),
)
CUSTOMER = Actor(id="C-1", roles={Role.CUSTOMER})
WORK = {
    "solution_type": SolutionType.RETURN_REPAIR,
    "solution_text": "Cleared the drain",
    "labour_hours": Decimal("0.5"),
    "fault_cause": "Blocked drain",
}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), JAKARTA)


@pytest.fixture
def notifier():
    return RecordingNotifier()


@pytest.fixture
def desk(open_storage, tenant, notifier, tmp_path):
    clock = FixedClock(at(MONDAY, 7))
    storage = open_storage(publisher=NotifyingPublisher(notifier))
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.technicians.add(f.technician(id="T-8"))
        uow.commit()
    desk = ServiceDesk(
        storage,
        tenant,
        clock=clock,
        settings=DeskSettings(
            signer=TokenSigner(b"s" * 32),
            evidence_store=FilesystemEvidenceStore(tmp_path),
            closure_policy=ClosurePolicy(min_photos_before=0, min_photos_after=0),
        ),
    )
    desk.installed_base.register_archive(
        SUP,
        archive_id="A-1",
        serial_number="SN-1",
        product_code="AC-9000",
        customer_id="C-1",
        warranty_start=date(2026, 1, 1),
        warranty_end=date(2027, 1, 1),
    )
    return desk


def contract_without_penalties(desk):
    contract = desk.contracts.create_contract(
        SUP,
        customer_id="C-1",
        archive_ids=["A-1"],
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        calendar=OFFICE,
        sla_terms=[
            SlaTerm(
                priority=Priority.NORMAL,
                response=timedelta(hours=2),
                resolution=timedelta(hours=8),
            )
        ],
        contract_id="K-1",
    )
    desk.contracts.activate_contract(SUP, contract.id)
    return contract


def repaired(desk, **kw):
    """A request of C-1 on A-1, worked by T-7 and resolved: (request, order, processing)."""
    request = desk.requests.open_request(
        CS,
        customer_id="C-1",
        service_type=ServiceType.REPAIR,
        symptoms="Leaking water",
        archive_id="A-1",
        **kw,
    )
    clock = desk.clock
    order = desk.dispatch.assign(
        SUP,
        request.id,
        "T-7",
        TimeRange(clock.now() + timedelta(hours=1), clock.now() + timedelta(hours=3)),
    )
    desk.dispatch.accept_dispatch(TECH, order.id)
    processing = desk.dispatch.start_dispatch(TECH, order.id)
    desk.work.record_processing(TECH, processing.id, WORK)
    desk.work.complete_processing(TECH, processing.id)
    desk.dispatch.complete_dispatch(TECH, order.id)
    return request, order, processing


# -- 4: a contract with SLA terms but no penalty terms --------------------------------------------


def test_the_sla_of_a_contract_without_penalty_terms_prices_nothing(desk):
    contract_without_penalties(desk)
    request = desk.requests.open_request(
        CS,
        customer_id="C-1",
        service_type=ServiceType.REPAIR,
        symptoms="Warm air",
        archive_id="A-1",
        contract_id="K-1",
    )
    desk.clock.advance(timedelta(days=3))
    outcome = desk.requests.sla_report(CS, request.id)
    assert outcome is not None
    assert outcome.breaches  # late, and the lateness costs nothing
    assert outcome.penalty is None
    assert all(b.penalty is None for b in outcome.breaches)


def test_a_survey_is_recorded_under_a_contract_without_penalty_terms(desk):
    contract_without_penalties(desk)
    request, _, _ = repaired(desk, contract_id="K-1")
    desk.work.close_request(TECH, request.id, "drain cleared")
    survey = desk.work.record_survey(CUSTOMER, request.id, 4)
    assert survey.score == 4


# -- 5: the overdue warning after the due-soon warning ----------------------------------------


def test_a_warning_ahead_is_followed_by_the_overdue_warning(desk, notifier):
    contract_without_penalties(desk)
    desk.requests.open_request(
        CS,
        customer_id="C-1",
        service_type=ServiceType.REPAIR,
        symptoms="Warm air",
        archive_id="A-1",
        contract_id="K-1",
    )
    team = [(NotificationChannel.EMAIL, "desk@example.com")]
    settings = AlertSettings(response=timedelta(hours=1), resolution=timedelta(hours=1))
    desk.clock.advance(timedelta(hours=2, minutes=30))  # response due at 10:00: within the hour
    ahead = desk.jobs.run_alerts(SYSTEM, team, settings=settings)
    assert [(a.kind, a.overdue) for a in ahead.raised] == [("response-due", False)]
    desk.clock.advance(timedelta(hours=1))  # 10:30: the response is late
    late = desk.jobs.run_alerts(SYSTEM, team, settings=settings)
    assert [(a.kind, a.overdue) for a in late.raised] == [("response-due", True)]
    again = desk.jobs.run_alerts(SYSTEM, team, settings=settings)
    assert again.raised == ()


# -- 9: the fault cause reaches what the reports read ----------------------------------------


def test_closing_carries_the_fault_cause_of_the_work_to_the_request(desk):
    request, _, _ = repaired(desk)
    closed = desk.work.close_request(TECH, request.id, "drain cleared")
    assert closed.fault_cause == "Blocked drain"


# -- 12: every step of a booking is confirmed to the customer ---------------------------------


def _booking(desk):
    return desk.bookings.book(
        CS,
        customer=f.booking().customer,
        service_type=ServiceType.REPAIR,
        channel=Channel.CALL_CENTRE,
        slot=TimeRange(at(MONDAY + timedelta(days=1), 9), at(MONDAY + timedelta(days=1), 11)),
        location=f.HERE,
        booking_policy=f.booking().policy,
        technician_id="T-7",
    )


def test_a_booking_is_acknowledged_when_it_is_made(desk, notifier):
    booking = _booking(desk)
    assert [n.key for n in notifier.sent] == [f"booking-requested:{booking.id}"]


def test_a_reschedule_sends_the_new_time_and_the_new_check_in_code(desk, notifier):
    booking = _booking(desk)
    booking = desk.bookings.confirm_booking(CS, booking.id)
    new = TimeRange(at(MONDAY + timedelta(days=2), 13), at(MONDAY + timedelta(days=2), 15))
    moved = desk.bookings.reschedule_booking(CS, booking.id, new)
    last = notifier.sent[-1]
    assert last.key == f"booking-rescheduled:{booking.id}:1"
    assert moved.check_in_token is not None
    assert moved.check_in_token in last.body
    assert "Wed 11 Mar 2026 13:00-15:00 (WIB)" in last.body  # in the technician's time zone


def test_a_payment_and_a_cancellation_are_confirmed(desk, notifier):
    booking = _booking(desk)
    desk.bookings.record_payment(CS, booking.id, "PAY-1")
    desk.bookings.cancel_booking(CS, booking.id, "moved away")
    keys = [n.key for n in notifier.sent]
    assert f"booking-paid:{booking.id}" in keys
    assert f"booking-cancelled:{booking.id}" in keys


# -- 13: complaints and phone contacts close directly --------------------------------------------


@pytest.mark.parametrize("kind", [ServiceType.COMPLAINT, ServiceType.PHONE_CONTACT])
def test_a_request_that_needs_no_visit_closes_directly(desk, kind):
    request = desk.requests.open_request(
        CS, customer_id="C-1", service_type=kind, symptoms="The technician was rude"
    )
    closed = desk.requests.close_consult(CS, request.id, "apologised; coaching booked")
    assert closed.status.value == "closed"


def test_a_repair_does_not_close_without_a_visit(desk):
    from servicecore.errors import TransitionRefused

    request = desk.requests.open_request(
        CS, customer_id="C-1", service_type=ServiceType.REPAIR, symptoms="x", archive_id="A-1"
    )
    with pytest.raises(TransitionRefused, match="without dispatch"):
        desk.requests.close_consult(CS, request.id, "told them to wait")


# Money is imported for the tests of later items.
_ = Money
