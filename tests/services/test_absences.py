"""Technicians' absences (leave, sick days, public holidays) and agendas.

An absence takes its time out of everything that reads working time: free booking slots, the
day plan, dispatching by hand. Recording one over work already given returns that work.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from desk_actors import CS, SUP, TECH, TECH8

from servicecore.basics import FixedClock
from servicecore.errors import NotFound, PermissionDenied, ValidationError
from servicecore.model.archive import ArchiveStatus
from servicecore.model.common import TimeRange
from servicecore.model.enums import ServiceType
from servicecore.model.technician import Absence, AbsenceKind
from servicecore.services.desk import ServiceDesk
from servicecore.services.planning import problem_for_day
from servicecore.services.technicians import AgendaKind
from servicecore.testing import factories as f

JAKARTA = ZoneInfo("Asia/Jakarta")
TUESDAY = date(2026, 3, 3)
H = timedelta(hours=1)


def jkt(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), JAKARTA)


WHOLE_TUESDAY = TimeRange(jkt(TUESDAY, 0), jkt(TUESDAY + timedelta(days=1), 0))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(f.NOW)  # Monday 16:00 in Jakarta


@pytest.fixture
def desk(storage, tenant, clock) -> ServiceDesk:
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.technicians.add(f.technician(id="T-8"))
        uow.archives.add(f.archive(id="A-1", status=ArchiveStatus.REGISTERED))
        uow.commit()
    return ServiceDesk(storage, tenant, clock=clock)


def _request(desk: ServiceDesk) -> str:
    return str(
        desk.requests.open_request(
            CS,
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms="noise",
            archive_id="A-1",
        ).id
    )


def test_a_day_of_leave_has_no_working_time() -> None:
    leave = Absence(id="a1", kind=AbsenceKind.LEAVE, period=WHOLE_TUESDAY)
    assert f.technician(absences=(leave,)).shifts_on(TUESDAY) == ()


def test_a_sick_afternoon_leaves_the_morning() -> None:
    sick = Absence(
        id="a1", kind=AbsenceKind.SICK, period=TimeRange(jkt(TUESDAY, 12), jkt(TUESDAY, 23))
    )
    assert f.technician(absences=(sick,)).shifts_on(TUESDAY) == (
        TimeRange(jkt(TUESDAY, 8), jkt(TUESDAY, 12)),
    )


def test_an_absence_in_the_middle_splits_the_shift() -> None:
    away = Absence(
        id="a1", kind=AbsenceKind.OTHER, period=TimeRange(jkt(TUESDAY, 10), jkt(TUESDAY, 11))
    )
    assert f.technician(absences=(away,)).shifts_on(TUESDAY) == (
        TimeRange(jkt(TUESDAY, 8), jkt(TUESDAY, 10)),
        TimeRange(jkt(TUESDAY, 11), jkt(TUESDAY, 17)),
    )


def test_two_absences_with_one_id_are_refused() -> None:
    leave = Absence(id="a1", kind=AbsenceKind.LEAVE, period=WHOLE_TUESDAY)
    with pytest.raises(ValidationError) as info:
        f.technician(absences=(leave, leave))
    assert info.value.errors[0].path == "absences[1].id"


def test_recording_an_absence_returns_the_work_it_hits(desk, storage, tenant) -> None:
    order = desk.dispatch.assign(
        SUP, _request(desk), "T-7", TimeRange(jkt(TUESDAY, 9), jkt(TUESDAY, 11))
    )
    recorded = desk.technicians.record_absence(
        SUP, "T-7", kind=AbsenceKind.SICK, period=WHOLE_TUESDAY, absence_id="sick-1"
    )
    assert recorded.dispatches == (order.id,)
    assert recorded.technician.absences == (recorded.absence,)
    (told,) = [e for e in storage.pending_events(tenant) if e.name == "TechnicianAbsent"]
    assert told.payload["dispatches"] == [order.id]


def test_an_absence_over_another_is_refused(desk) -> None:
    desk.technicians.record_absence(SUP, "T-7", kind=AbsenceKind.LEAVE, period=WHOLE_TUESDAY)
    half = TimeRange(jkt(TUESDAY, 12), jkt(TUESDAY, 14))
    with pytest.raises(ValidationError) as info:
        desk.technicians.record_absence(SUP, "T-7", kind=AbsenceKind.SICK, period=half)
    assert info.value.errors[0].path == "period"


def test_an_absent_technician_is_not_dispatched(desk) -> None:
    desk.technicians.record_absence(SUP, "T-7", kind=AbsenceKind.LEAVE, period=WHOLE_TUESDAY)
    with pytest.raises(ValidationError) as info:
        desk.dispatch.assign(
            SUP, _request(desk), "T-7", TimeRange(jkt(TUESDAY, 9), jkt(TUESDAY, 11))
        )
    assert info.value.errors[0].path == "technician_id"
    assert "leave" in str(info.value)


def test_an_order_is_not_moved_into_an_absence(desk) -> None:
    monday_evening = TimeRange(jkt(TUESDAY - timedelta(days=1), 16), jkt(TUESDAY, 0) - H * 6)
    order = desk.dispatch.assign(SUP, _request(desk), "T-7", monday_evening)
    desk.technicians.record_absence(SUP, "T-7", kind=AbsenceKind.LEAVE, period=WHOLE_TUESDAY)
    with pytest.raises(ValidationError) as info:
        desk.dispatch.adjust_dispatch(
            SUP, order.id, reason="later", planned=TimeRange(jkt(TUESDAY, 9), jkt(TUESDAY, 10))
        )
    assert info.value.errors[0].path == "technician_id"


def test_free_slots_leave_out_the_absent_technician(desk) -> None:
    desk.technicians.record_absence(SUP, "T-7", kind=AbsenceKind.LEAVE, period=WHOLE_TUESDAY)
    slots = desk.bookings.available_slots(CS, TUESDAY, duration=2 * H)
    assert slots
    assert all(s.technicians == ("T-8",) for s in slots)


def test_the_day_plan_gives_the_absent_technician_no_shift(desk, storage, tenant) -> None:
    desk.technicians.record_absence(SUP, "T-7", kind=AbsenceKind.LEAVE, period=WHOLE_TUESDAY)
    with storage.unit_of_work(tenant) as uow:
        day = problem_for_day(uow, TUESDAY, "Asia/Jakarta", now=f.NOW)
    shifts = {t.id: t.shifts for t in day.problem.technicians}
    assert shifts.get("T-7", ()) == ()
    assert shifts["T-8"]


def test_cancelling_an_absence_gives_the_time_back(desk) -> None:
    desk.technicians.record_absence(
        SUP, "T-7", kind=AbsenceKind.LEAVE, period=WHOLE_TUESDAY, absence_id="leave-1"
    )
    technician = desk.technicians.cancel_absence(SUP, "T-7", "leave-1")
    assert technician.shifts_on(TUESDAY) == (TimeRange(jkt(TUESDAY, 8), jkt(TUESDAY, 17)),)


def test_cancelling_an_unknown_absence_is_not_found(desk) -> None:
    with pytest.raises(NotFound):
        desk.technicians.cancel_absence(SUP, "T-7", "nope")


def test_a_technician_may_not_record_absences(desk) -> None:
    with pytest.raises(PermissionDenied):
        desk.technicians.record_absence(TECH, "T-7", kind=AbsenceKind.SICK, period=WHOLE_TUESDAY)


def test_the_agenda_lists_orders_bookings_and_absences_in_time_order(desk) -> None:
    order = desk.dispatch.assign(
        SUP, _request(desk), "T-7", TimeRange(jkt(TUESDAY, 9), jkt(TUESDAY, 11))
    )
    booking = desk.bookings.book(
        CS,
        customer=f.booking().customer,
        service_type=ServiceType.REPAIR,
        channel=f.booking().channel,
        slot=TimeRange(jkt(TUESDAY, 13), jkt(TUESDAY, 15)),
        location=f.HERE,
        booking_policy=f.booking().policy,
        technician_id="T-7",
    )
    desk.technicians.record_absence(
        SUP,
        "T-7",
        kind=AbsenceKind.TRAINING,
        period=TimeRange(jkt(TUESDAY, 15), jkt(TUESDAY, 17)),
        absence_id="course",
    )
    agenda = desk.technicians.technician_agenda(TECH, "T-7", jkt(TUESDAY, 0), jkt(TUESDAY, 23))
    assert [(i.kind, i.id) for i in agenda] == [
        (AgendaKind.DISPATCH, order.id),
        (AgendaKind.BOOKING, booking.id),
        (AgendaKind.ABSENCE, "course"),
    ]
    assert agenda[0].request_id == order.request_id


def test_the_agenda_of_another_day_is_empty(desk) -> None:
    desk.dispatch.assign(SUP, _request(desk), "T-7", TimeRange(jkt(TUESDAY, 9), jkt(TUESDAY, 11)))
    friday = TUESDAY + timedelta(days=3)
    assert desk.technicians.technician_agenda(SUP, "T-7", jkt(friday, 0), jkt(friday, 23)) == ()


def test_a_technician_may_not_read_another_technicians_agenda(desk) -> None:
    with pytest.raises(PermissionDenied):
        desk.technicians.technician_agenda(TECH8, "T-7", jkt(TUESDAY, 0), jkt(TUESDAY, 23))


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (datetime(2026, 3, 3), jkt(TUESDAY, 23), "start"),
        (jkt(TUESDAY, 23), jkt(TUESDAY, 0), "end"),
    ],
)
def test_a_bad_agenda_period_names_the_field(desk, start, end, field) -> None:
    with pytest.raises(ValidationError) as info:
        desk.technicians.technician_agenda(SUP, "T-7", start, end)
    assert info.value.errors[0].path == field
