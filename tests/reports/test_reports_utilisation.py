"""Technician utilisation on its own hand-built dispatch orders and technicians."""

import datetime as dt

import pytest
from report_times import NOW

from servicecore.errors import ValidationError
from servicecore.model.common import TimeRange
from servicecore.model.dispatch import DispatchStatus as DS  # noqa: N817
from servicecore.model.technician import Shift
from servicecore.reports.technicians import UtilisationRow, shift_minutes, technician_utilisation
from servicecore.testing import factories as f

MON = NOW.replace(hour=0)  # Monday 2026-03-02 00:00 UTC


def at(day: int, hour: float, minutes: int) -> TimeRange:
    start = MON + dt.timedelta(days=day, hours=hour)
    return TimeRange(start, start + dt.timedelta(minutes=minutes))


def order(i: int, technician: str, planned: TimeRange, status: DS = DS.COMPLETED) -> object:
    return f.dispatch(id=f"D-{i}", technician_id=technician, planned=planned, status=status)


# T-1 works Monday to Friday 08:00-17:00 UTC (540 minutes); T-2 works Tuesday 05:00-10:00 in
# Jakarta (UTC+7), that is Monday 22:00 to Tuesday 03:00 UTC.
def t1() -> object:
    return f.technician(
        id="T-1",
        timezone="UTC",
        shifts=tuple(Shift(weekday=d, start=dt.time(8), end=dt.time(17)) for d in range(5)),
    )


def t2() -> object:
    jakarta = (Shift(weekday=1, start=dt.time(5), end=dt.time(10)),)
    return f.technician(id="T-2", timezone="Asia/Jakarta", shifts=jakarta)


@pytest.fixture
def work(storage, tenant):
    orders = [
        order(1, "T-1", at(0, 9, 120)),
        order(2, "T-1", at(0, 13, 90), DS.IN_PROGRESS),
        order(3, "T-1", at(0, 15, 60), DS.ASSIGNED),  # not started: not counted
        order(4, "T-1", at(1, 9, 270)),
        order(5, "T-2", at(0, 22, 60)),
        order(6, "T-2", at(1, 1, 60)),
        order(7, "T-1", at(5, 10, 60)),  # Saturday: no shift
        order(8, "T-9", at(0, 10, 60)),  # a technician no longer stored
    ]
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(t1())
        uow.technicians.add(t2())
        for o in orders:
            uow.dispatches.add(o)
        uow.commit()


def test_shift_minutes_are_taken_in_the_utc_day():
    assert shift_minutes(t2(), dt.date(2026, 3, 2)) == 120
    assert shift_minutes(t2(), dt.date(2026, 3, 3)) == 180
    assert shift_minutes(t1(), dt.date(2026, 3, 7)) == 0


def test_utilisation_known_answers(backend, tenant, work):
    day = dt.date
    assert technician_utilisation(backend, tenant).rows == (
        UtilisationRow("T-1", day(2026, 3, 2), 2, 210.0, 540.0, 210 / 540),
        UtilisationRow("T-1", day(2026, 3, 3), 1, 270.0, 540.0, 0.5),
        UtilisationRow("T-1", day(2026, 3, 7), 1, 60.0, 0.0, None),
        UtilisationRow("T-2", day(2026, 3, 2), 1, 60.0, 120.0, 0.5),
        UtilisationRow("T-2", day(2026, 3, 3), 1, 60.0, 180.0, 1 / 3),
        UtilisationRow("T-9", day(2026, 3, 2), 1, 60.0, 0.0, None),
    )


def test_utilisation_within_a_range(backend, tenant, work):
    rows = technician_utilisation(
        backend, tenant, start=MON + dt.timedelta(days=1), end=MON + dt.timedelta(days=2)
    ).rows
    assert [(r.technician_id, r.planned_minutes) for r in rows] == [("T-1", 270.0), ("T-2", 60.0)]


def test_a_bad_range_is_refused(backend, tenant):
    with pytest.raises(ValidationError, match="start"):
        technician_utilisation(backend, tenant, start=dt.datetime(2026, 3, 2))
