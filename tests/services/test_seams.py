"""Where the workflows meet: each defect found running a whole service week, one test each.

The numbers in the comments are the items of the service-week issue that each test pins down.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from desk_actors import CS, SUP, TECH

from servicecore.adapters.evidence import FilesystemEvidenceStore
from servicecore.adapters.notifiers import RecordingNotifier
from servicecore.basics import FixedClock
from servicecore.model.actor import SYSTEM, Actor, Role
from servicecore.model.calendar import WeeklyWindow, WorkingCalendar
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import Money, TimeRange
from servicecore.model.contract import SlaTerm
from servicecore.model.enums import Channel, EvidenceKind, Priority, ServiceType, SolutionType
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


def contract_without_penalties(desk, **kw):
    """Contract K-1 of C-1 on A-1: SLA terms for normal priority, no penalty terms."""
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
                response=timedelta(hours=kw.pop("response_hours", 2)),
                resolution=timedelta(hours=kw.pop("resolution_hours", 8)),
            )
        ],
        contract_id=kw.pop("contract_id", "K-1"),
        **kw,
    )
    desk.contracts.activate_contract(SUP, contract.id)
    return contract


def repair(desk, **kw):
    """A repair request of C-1 on A-1 opened by customer service (``kw`` overrides fields)."""
    fields = {
        "customer_id": "C-1",
        "service_type": ServiceType.REPAIR,
        "symptoms": "Warm air",
        "archive_id": "A-1",
    } | kw
    return desk.requests.open_request(CS, **fields)


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
    request = repair(desk, symptoms="Warm air", contract_id="K-1")
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
    repair(desk, symptoms="Warm air", contract_id="K-1")
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

    request = repair(desk, symptoms="x")
    with pytest.raises(TransitionRefused, match="without dispatch"):
        desk.requests.close_consult(CS, request.id, "told them to wait")


# Money is imported for the tests of later items.
_ = Money


# -- 1: the booked technician is dispatched to the booking's own request ----------------------


def _booked_request(desk):
    booking = _booking(desk)
    desk.bookings.confirm_booking(CS, booking.id)
    request = desk.requests.open_request(
        CS, from_booking=booking.id, symptoms="Leaking water", archive_id="A-1"
    )
    return booking, request


def test_the_booked_technician_is_dispatched_to_the_bookings_own_request_in_its_slot(desk):
    booking, request = _booked_request(desk)
    order = desk.dispatch.assign(SUP, request.id, "T-7", booking.slot)
    with desk.storage.unit_of_work(desk.tenant) as uow:
        assert uow.bookings.get(booking.id).dispatch_id == order.id
    desk.dispatch.accept_dispatch(TECH, order.id)


def test_another_request_still_cannot_take_the_booked_time(desk):
    from servicecore.errors import DoubleBooking

    booking, _ = _booked_request(desk)
    other = repair(desk, symptoms="x")
    with pytest.raises(DoubleBooking):
        desk.dispatch.assign(SUP, other.id, "T-7", booking.slot)


# -- 2: planning a day goes around booked time ---------------------------------------------------


def test_planning_a_day_goes_around_the_technicians_booked_time(desk):
    booking = _booking(desk)  # T-7, Tuesday 09:00-11:00
    request = repair(desk, symptoms="Warm air", location=f.HERE)
    tuesday = MONDAY + timedelta(days=1)
    plan = desk.dispatch.plan_day(SUP, tuesday, "Asia/Jakarta", time_limit=1, seed=1)
    result, orders = plan.result, plan.orders
    assert len(orders) == 1
    booked = booking.slot
    assert all(
        o.planned.end <= booked.start or o.planned.start >= booked.end
        for o in orders
        if o.technician_id == "T-7"
    )
    assert [o.request_id for o in orders] == [request.id]
    assert f"held:{booking.id}" in {v.job_id for r in result.routes for v in r.visits}


# -- 8: nothing is planned into the past ------------------------------------------------------


def test_planning_today_dispatches_nothing_before_now(desk):
    repair(desk, symptoms="Warm air", location=f.HERE)
    desk.clock.advance(timedelta(hours=7))  # Monday 14:00 in Jakarta
    plan = desk.dispatch.plan_day(SUP, MONDAY, "Asia/Jakarta", time_limit=1, seed=1)
    assert len(plan.orders) == 1
    assert all(o.planned.start >= desk.clock.now() for o in plan.orders)


# -- 14: requests the plan cannot consider are reported, not dropped ---------------------------


def test_a_request_without_a_location_is_reported_as_left_out(desk):
    request = repair(desk, symptoms="x")
    plan = desk.dispatch.plan_day(SUP, MONDAY, "Asia/Jakarta", time_limit=1, seed=1)
    assert [(x.request_id, x.reason) for x in plan.left_out] == [(request.id, "no_location")]


def test_every_shift_of_the_day_is_planned(desk, storage, tenant):
    from servicecore.model.technician import Shift

    split = tuple(Shift(weekday=0, start=time(h), end=time(h + 2)) for h in (8, 14))
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-9", skills=("solar",), shifts=split))
        uow.commit()
    for i in range(2):
        desk.requests.open_request(
            CS,
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms=f"panel {i}",
            archive_id="A-1",
            location=f.HERE,
            required_skills=("solar",),
        )
    plan = desk.dispatch.plan_day(SUP, MONDAY, "Asia/Jakarta", time_limit=1, seed=1)
    starts = sorted(o.planned.start.astimezone(JAKARTA).hour for o in plan.orders)
    assert len(starts) == 2
    assert starts[-1] >= 14  # the afternoon shift is used too


# -- 3: a preventive-maintenance visit counts its SLA from its window ----------------------------


def test_a_maintenance_visit_generated_ahead_counts_its_sla_from_its_window(desk):
    from servicecore.model.maintenance import MaintenancePlan, Recurrence, RecurrenceKind

    plan = MaintenancePlan(
        id="PM-1",
        recurrence=Recurrence(
            kind=RecurrenceKind.MONTHLY, start=date(2026, 3, 1), day_of_month=24, interval=3
        ),
        archive_ids=("A-1",),
        description="Quarterly coil cleaning",
        early_tolerance_days=2,
        late_tolerance_days=3,
        duration_minutes=60,
        required_skills=("hvac",),
    )
    contract_without_penalties(
        desk, response_hours=4, resolution_hours=16, maintenance_plans=[plan], contract_id="K-PM"
    )
    run = desk.jobs.generate_maintenance_requests(SYSTEM, horizon_days=30)
    (visit,) = run.generated
    with desk.storage.unit_of_work(desk.tenant) as uow:
        request = uow.requests.get(visit.request_id)
    assert request.window is not None
    assert request.window.start == at(date(2026, 3, 22), 0)
    assert request.resolution_due > request.window.start
    outcome = desk.requests.sla_report(SUP, request.id)
    assert outcome is not None
    assert outcome.breaches == ()
    alerts = desk.jobs.run_alerts(SYSTEM, [(NotificationChannel.EMAIL, "desk@example.com")])
    assert not [a for a in alerts.raised if a.entity_id == request.id]


# -- 8: bookings and dispatches only where someone can work ----------------------------------


def _book(desk, start, hours=2, technician_id="T-7"):
    return desk.bookings.book(
        CS,
        customer=f.booking().customer,
        service_type=ServiceType.REPAIR,
        channel=Channel.CALL_CENTRE,
        slot=TimeRange(start, start + timedelta(hours=hours)),
        location=f.HERE,
        booking_policy=f.booking().policy,
        technician_id=technician_id,
    )


def test_a_booking_for_an_unknown_technician_is_refused(desk):
    from servicecore.errors import ValidationError

    with pytest.raises(ValidationError) as info:
        _book(desk, at(MONDAY, 10), technician_id="T-404")
    assert info.value.errors[0].path == "technician_id"


def test_a_booking_outside_the_technicians_shifts_is_refused(desk):
    from servicecore.errors import ValidationError

    with pytest.raises(ValidationError, match="shift") as info:
        _book(desk, at(MONDAY, 18))  # T-7 works 08:00-17:00
    assert info.value.errors[0].path == "slot"


def test_bookings_without_a_technician_take_the_free_technicians_one_by_one(desk):
    from servicecore.errors import ValidationError

    start = at(MONDAY, 10)
    _book(desk, start, technician_id=None)
    _book(desk, start, technician_id=None)  # T-7 and T-8 work then: two bookings fit
    slots = desk.bookings.available_slots(CS, MONDAY, duration=timedelta(hours=2))
    assert all(s.period.start != start.astimezone(s.period.start.tzinfo) for s in slots)
    with pytest.raises(ValidationError, match="no technician is free") as info:
        _book(desk, start, technician_id=None)
    assert info.value.errors[0].path == "slot"


def test_a_dispatch_that_has_already_ended_is_refused(desk):
    from servicecore.errors import ValidationError

    request = repair(desk, symptoms="x")
    week_ago = at(MONDAY - timedelta(days=7), 9)
    with pytest.raises(ValidationError) as info:
        desk.dispatch.assign(
            SUP, request.id, "T-7", TimeRange(week_ago, week_ago + timedelta(hours=2))
        )
    assert info.value.errors[0].path == "planned"


# -- 6: a unit exchanged, and processing orders corrected or cancelled --------------------------


def _started(desk):
    request = repair(desk, symptoms="Dead")
    now = desk.clock.now()
    order = desk.dispatch.assign(
        SUP, request.id, "T-7", TimeRange(now + timedelta(hours=1), now + timedelta(hours=3))
    )
    desk.dispatch.accept_dispatch(TECH, order.id)
    return request, order, desk.dispatch.start_dispatch(TECH, order.id)


def test_a_request_whose_whole_unit_was_exchanged_closes(desk):
    from servicecore.model.processing import PartUsage, ReturnedPart

    request, order, processing = _started(desk)
    desk.work.record_processing(
        TECH,
        processing.id,
        WORK
        | {
            "solution_type": SolutionType.EXCHANGE,
            "parts_used": (
                PartUsage(
                    part_code="AC-9000", quantity=1, serial="SN-NEW", unit_price=Money("0", "EUR")
                ),
            ),
            "returned_parts": (
                ReturnedPart(part_code="AC-9000", quantity=1, serial="SN-1", condition="dead"),
            ),
        },
    )
    desk.work.complete_processing(TECH, processing.id)
    desk.dispatch.complete_dispatch(TECH, order.id)
    closed = desk.work.close_request(TECH, request.id, "unit exchanged")
    assert closed.status.value == "closed"
    with desk.storage.unit_of_work(desk.tenant) as uow:
        assert uow.archives.get("A-1").parts == ()  # the unit itself is not one of its parts


def test_a_completed_processing_order_is_reopened_for_a_correction(desk):
    request, order, processing = _started(desk)
    desk.work.record_processing(TECH, processing.id, WORK)
    desk.work.complete_processing(TECH, processing.id)
    desk.dispatch.complete_dispatch(TECH, order.id)
    desk.work.reopen_processing(SUP, processing.id, "wrong labour hours")
    with desk.storage.unit_of_work(desk.tenant) as uow:
        assert uow.requests.get(request.id).status.value == "in_progress"
    desk.work.record_processing(TECH, processing.id, {"labour_hours": Decimal("1.5")})
    desk.work.complete_processing(TECH, processing.id)
    with desk.storage.unit_of_work(desk.tenant) as uow:
        assert uow.requests.get(request.id).status.value == "resolved"
    assert desk.work.close_request(TECH, request.id, "done").status.value == "closed"


def test_an_open_processing_order_is_cancelled_and_its_visit_ends(desk):
    request, order, processing = _started(desk)
    desk.work.cancel_processing(SUP, processing.id, "customer not at home")
    ended = desk.dispatch.complete_dispatch(TECH, order.id)
    assert ended.status.value == "completed"
    again = desk.dispatch.assign(
        SUP,
        request.id,
        "T-7",
        TimeRange(
            desk.clock.now() + timedelta(days=1), desk.clock.now() + timedelta(days=1, hours=2)
        ),
    )
    assert again.status.value == "assigned"


# -- 10: evidence counts once, before photos before the work ---------------------------------


def _photos_policy_desk(desk):
    return ServiceDesk(
        desk.storage,
        desk.tenant,
        clock=desk.clock,
        settings=DeskSettings(
            evidence_store=desk.settings.evidence_store,
            closure_policy=ClosurePolicy(min_photos_before=1, min_photos_after=3),
        ),
    )


def test_one_photo_uploaded_three_times_counts_once(desk):
    from servicecore.errors import ClosurePolicyError

    strict = _photos_policy_desk(desk)
    request, order, processing = _started(strict)
    strict.work.add_evidence(TECH, request.id, EvidenceKind.PHOTO_BEFORE, "b.jpg", b"before")
    for i in range(3):
        strict.work.add_evidence(TECH, request.id, EvidenceKind.PHOTO_AFTER, f"a{i}.jpg", b"same")
    strict.work.record_processing(TECH, processing.id, WORK)
    strict.work.complete_processing(TECH, processing.id)
    strict.dispatch.complete_dispatch(TECH, order.id)
    with pytest.raises(ClosurePolicyError, match="photo_after: 1 on record"):
        strict.work.close_request(TECH, request.id, "done")


def test_a_before_photo_taken_after_the_work_does_not_count(desk):
    from servicecore.errors import ClosurePolicyError

    strict = _photos_policy_desk(desk)
    request, order, processing = _started(strict)
    for i in range(3):
        strict.work.add_evidence(
            TECH, request.id, EvidenceKind.PHOTO_AFTER, f"a{i}.jpg", bytes([i])
        )
    strict.work.record_processing(TECH, processing.id, WORK)
    strict.work.complete_processing(TECH, processing.id)
    strict.dispatch.complete_dispatch(TECH, order.id)
    strict.clock.advance(timedelta(minutes=5))
    strict.work.add_evidence(TECH, request.id, EvidenceKind.PHOTO_BEFORE, "late.jpg", b"late")
    with pytest.raises(ClosurePolicyError, match="photo_before: 0 on record"):
        strict.work.close_request(TECH, request.id, "done")


# -- 11: loaners come back before the request closes --------------------------------------------


def test_a_request_closes_only_when_its_loaner_is_back(desk):
    from servicecore.errors import ClosurePolicyError
    from servicecore.model.processing import Loaner

    request, order, processing = _started(desk)
    loaner = Loaner(item_code="FAN-LOAN-1", out_at=desk.clock.now())
    desk.work.record_processing(
        TECH,
        processing.id,
        WORK | {"solution_type": SolutionType.REPAIR_WITH_LOANER, "loaners": (loaner,)},
    )
    desk.work.complete_processing(TECH, processing.id)
    desk.dispatch.complete_dispatch(TECH, order.id)
    with pytest.raises(ClosurePolicyError, match="FAN-LOAN-1"):
        desk.work.close_request(TECH, request.id, "repaired")
    desk.clock.advance(timedelta(days=2))
    returned = desk.work.record_loaner_return(CS, processing.id, "FAN-LOAN-1")
    assert returned.loaners[0].back_at == desk.clock.now()
    assert desk.work.close_request(TECH, request.id, "repaired").status.value == "closed"


# -- 7: two clerks issuing one requisition move the stock once -----------------------------------


def test_two_clerks_issuing_the_same_requisition_at_once_move_the_stock_once(desk):
    from servicecore.errors import ConcurrencyError
    from servicecore.model.parts import RequisitionLine
    from servicecore.services import parts
    from servicecore.services.context import CommandContext
    from servicecore.testing.erp_stock import InMemoryInventory

    request, _, _ = _started(desk)
    requisition = desk.parts.requisition_parts(
        TECH, request.id, [RequisitionLine(part_code="RELAY-7", quantity=2)], warehouse_id="W-SVC"
    )
    stock = InMemoryInventory({"W-SVC": {"RELAY-7": 5}})
    clerk = Actor(id="wh-1", roles={Role.WAREHOUSE})
    first = desk.storage.unit_of_work(desk.tenant)
    second = desk.storage.unit_of_work(desk.tenant)
    with first, second:
        parts.issue_requisition(CommandContext(first, clerk, desk.clock), requisition.id, stock)
        parts.issue_requisition(CommandContext(second, clerk, desk.clock), requisition.id, stock)
        first.commit()
        with pytest.raises(ConcurrencyError):
            second.commit()
    assert stock.on_hand("W-SVC", "RELAY-7") == 3
    assert len(stock.movements(requisition.id)) == 1


def test_a_returned_part_the_parts_list_does_not_know_does_not_block_closing(desk):
    from servicecore.model.processing import ReturnedPart

    request, order, processing = _started(desk)
    unknown = ReturnedPart(part_code="FUSE-2", quantity=1, serial="F-9", condition="blown")
    desk.work.record_processing(TECH, processing.id, WORK | {"returned_parts": (unknown,)})
    desk.work.complete_processing(TECH, processing.id)
    desk.dispatch.complete_dispatch(TECH, order.id)
    assert desk.work.close_request(TECH, request.id, "fuse replaced").status.value == "closed"


def test_a_loaner_comes_back_even_when_its_processing_order_was_cancelled(desk):
    from servicecore.model.processing import Loaner

    _, _, processing = _started(desk)
    loaner = Loaner(item_code="FAN-LOAN-2", out_at=desk.clock.now())
    desk.work.record_processing(TECH, processing.id, {"loaners": (loaner,)})
    desk.work.cancel_processing(SUP, processing.id, "customer not at home after all")
    back = desk.work.record_loaner_return(CS, processing.id, "FAN-LOAN-2")
    assert back.loaners[0].back_at is not None


def test_planning_serves_a_bookings_own_request_in_the_booked_slot(desk):
    booking, request = _booked_request(desk)
    with desk.storage.unit_of_work(desk.tenant) as uow:
        located = uow.requests.get(request.id)
    assert located.location is not None  # it comes from the booking
    day = booking.slot.start.astimezone(JAKARTA).date()
    plan = desk.dispatch.plan_day(SUP, day, "Asia/Jakarta", time_limit=1, seed=1)
    (order,) = plan.orders
    assert (order.request_id, order.technician_id) == (request.id, "T-7")
    assert order.planned.start == booking.slot.start


def test_planning_today_goes_around_work_held_since_before_now(desk):
    booking, request = _booked_request(desk)
    order = desk.dispatch.assign(SUP, request.id, "T-7", booking.slot)
    desk.dispatch.accept_dispatch(TECH, order.id)
    desk.clock.advance(booking.slot.start + timedelta(hours=1) - desk.clock.now())
    desk.dispatch.start_dispatch(TECH, order.id)
    repair(desk, symptoms="Warm air", location=f.HERE)
    day = booking.slot.start.astimezone(JAKARTA).date()
    plan = desk.dispatch.plan_day(SUP, day, "Asia/Jakarta", time_limit=1, seed=1)
    assert len(plan.orders) == 1
    assert plan.orders[0].planned.start >= desk.clock.now()


# -- 5: warnings go to the person responsible (负责人), the list only as the fallback ----------


class Staff:
    """The host's staff directory: how to reach each person."""

    def __init__(self, book):
        self.book = book

    def reach(self, person_id):
        return self.book.get(person_id, ())


def test_a_warning_goes_to_the_person_responsible_for_the_record(desk, notifier):
    contract_without_penalties(desk)
    request = repair(desk, symptoms="Warm air", contract_id="K-1")
    assert request.responsible_id == CS.id
    staff = Staff({CS.id: [(NotificationChannel.EMAIL, "siti@example.com")]})
    team = [(NotificationChannel.EMAIL, "desk@example.com")]
    desk.clock.advance(timedelta(hours=2, minutes=30))
    run = desk.jobs.run_alerts(
        SYSTEM, team, settings=AlertSettings(response=timedelta(hours=1)), staff=staff
    )
    (alert,) = [a for a in run.raised if a.entity_id == request.id]
    assert CS.id in alert.responsible
    sent = [n.to for n in notifier.sent if n.key == alert.key]
    assert sent == ["siti@example.com"]


def test_a_warning_nobody_is_responsible_for_goes_to_the_fallback_list(desk, notifier):
    team = [(NotificationChannel.EMAIL, "desk@example.com")]
    with desk.storage.unit_of_work(desk.tenant) as uow:
        archive = uow.archives.get("A-1")
        archive.service_expiry = date(2026, 3, 20)
        uow.archives.update(archive)
        uow.commit()
    run = desk.jobs.run_alerts(SYSTEM, team, staff=Staff({}))
    (alert,) = [a for a in run.raised if a.kind == "service-expiry"]
    assert [n.to for n in notifier.sent if n.key == alert.key] == ["desk@example.com"]


# -- 14: territories reach the scheduler ------------------------------------------------------


def test_a_request_in_a_territory_is_planned_for_a_technician_of_that_territory(
    desk, storage, tenant
):
    with storage.unit_of_work(tenant) as uow:
        for tid, area in (("T-7", "north"), ("T-8", "south")):
            tech = uow.technicians.get(tid)
            tech.territories = (area,)
            uow.technicians.update(tech)
        uow.commit()
    request = repair(desk, symptoms="Warm air", location=f.HERE, territory="south")
    plan = desk.dispatch.plan_day(SUP, MONDAY, "Asia/Jakarta", time_limit=1, seed=1)
    assert [(o.request_id, o.technician_id) for o in plan.orders] == [(request.id, "T-8")]
