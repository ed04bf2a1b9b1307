"""Preventive-maintenance recurrences: never a duplicated or skipped visit, over any horizon."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicecore.errors import ValidationError
from servicecore.model.contract import ServiceContract
from servicecore.model.enums import ServiceType
from servicecore.model.maintenance import (
    MaintenancePlan,
    Recurrence,
    RecurrenceKind,
    SeasonWindow,
    add_months,
    due_visits,
)
from servicecore.testing import factories as f
from servicecore.testing import strategies as sst

K = RecurrenceKind


def _reference(rec: Recurrence, start: date, end: date) -> list[date]:
    """Day by day: whether each day is a visit, written independently of the fast path."""
    found = []
    day = start
    while day < end:
        if rec.start <= day and (rec.until is None or day <= rec.until) and _is_visit(rec, day):
            found.append(day)
        day += timedelta(days=1)
    return found


def _is_visit(rec: Recurrence, day: date) -> bool:
    if rec.kind is K.DAILY:
        return (day - rec.start).days % rec.interval == 0
    if rec.kind is K.WEEKLY:
        first = next(
            rec.start + timedelta(days=n)
            for n in range(7)
            if (rec.start + timedelta(days=n)).weekday() == rec.weekday
        )
        return day.weekday() == rec.weekday and ((day - first).days // 7) % rec.interval == 0
    if rec.kind is K.MONTHLY:
        months = (day.year - rec.start.year) * 12 + day.month - rec.start.month
        last = calendar.monthrange(day.year, day.month)[1]
        assert rec.day_of_month is not None
        return months % rec.interval == 0 and day.day == min(rec.day_of_month, last)
    assert rec.season is not None
    season = rec.season
    last = calendar.monthrange(day.year, season.start_month)[1]
    return (
        (day.year - rec.start.year) % rec.interval == 0
        and day.month == season.start_month
        and day.day == min(season.start_day, last)
    )


def _plan(rec: Recurrence, **kw: object) -> MaintenancePlan:
    return MaintenancePlan(id="P-1", recurrence=rec, **kw)  # type: ignore[arg-type]


@st.composite
def _ranges(draw: st.DrawFn, around: date) -> tuple[date, date, date]:
    a = around + timedelta(days=draw(st.integers(-60, 500)))
    b = a + timedelta(days=draw(st.integers(0, 400)))
    c = b + timedelta(days=draw(st.integers(0, 400)))
    return a, b, c


@st.composite
def _cases(draw: st.DrawFn) -> tuple[Recurrence, date, date, date]:
    rec = draw(sst.recurrences())
    return (rec, *draw(_ranges(rec.start)))


@settings(max_examples=300, deadline=None)
@given(_cases())
def test_due_visits_match_a_day_by_day_reference_and_split_without_gaps_or_repeats(
    case: tuple[Recurrence, date, date, date],
) -> None:
    rec, a, b, c = case
    plan = _plan(rec)
    whole = due_visits(plan, a, c)
    assert whole == _reference(rec, a, c)
    assert whole == due_visits(plan, a, b) + due_visits(plan, b, c)
    assert whole == sorted(set(whole))
    assert all(a <= d < c for d in whole)


@settings(max_examples=100, deadline=None)
@given(_cases())
def test_a_longer_horizon_only_adds_visits(case: tuple[Recurrence, date, date, date]) -> None:
    rec, a, b, c = case
    plan = _plan(rec)
    shorter, longer = due_visits(plan, a, b), due_visits(plan, a, c)
    assert longer[: len(shorter)] == shorter


@pytest.mark.parametrize("kind", list(K))
def test_every_kind_is_compared_with_the_reference(kind: RecurrenceKind) -> None:
    @settings(max_examples=50, deadline=None)
    @given(sst.recurrences(kind), st.integers(-30, 800), st.integers(0, 800))
    def check(rec: Recurrence, offset: int, length: int) -> None:
        a = rec.start + timedelta(days=offset)
        assert due_visits(_plan(rec), a, a + timedelta(days=length)) == _reference(
            rec, a, a + timedelta(days=length)
        )

    check()


def test_monthly_on_the_31st_falls_on_the_last_day_of_shorter_months() -> None:
    rec = Recurrence(kind=K.MONTHLY, start=date(2026, 1, 1), day_of_month=31)
    assert due_visits(_plan(rec), date(2026, 1, 1), date(2026, 6, 1)) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]
    leap = Recurrence(kind=K.MONTHLY, start=date(2028, 2, 1), day_of_month=30, interval=12)
    assert due_visits(_plan(leap), date(2028, 1, 1), date(2030, 1, 1)) == [
        date(2028, 2, 29),
        date(2029, 2, 28),
    ]


def test_monthly_skips_the_first_month_when_its_day_is_before_the_start() -> None:
    rec = Recurrence(kind=K.MONTHLY, start=date(2026, 3, 20), day_of_month=10, interval=2)
    assert due_visits(_plan(rec), date(2026, 1, 1), date(2026, 9, 1)) == [
        date(2026, 5, 10),
        date(2026, 7, 10),
    ]


def test_weekly_and_daily_with_interval_and_until() -> None:
    weekly = Recurrence(
        kind=K.WEEKLY, start=date(2026, 3, 2), weekday=4, interval=2, until=date(2026, 4, 10)
    )
    assert due_visits(_plan(weekly), date(2026, 1, 1), date(2027, 1, 1)) == [
        date(2026, 3, 6),
        date(2026, 3, 20),
        date(2026, 4, 3),
    ]
    daily = Recurrence(kind=K.DAILY, start=date(2026, 3, 1), interval=3)
    assert due_visits(_plan(daily), date(2026, 3, 2), date(2026, 3, 11)) == [
        date(2026, 3, 4),
        date(2026, 3, 7),
        date(2026, 3, 10),
    ]


def test_seasonal_visits_once_a_season_at_the_window_start() -> None:
    spring = SeasonWindow(start_month=4, start_day=1, end_month=5, end_day=31)
    rec = Recurrence(kind=K.SEASONAL, start=date(2026, 4, 2), season=spring)
    plan = _plan(rec, late_tolerance_days=3)
    assert due_visits(plan, date(2026, 1, 1), date(2029, 1, 1)) == [
        date(2027, 4, 1),
        date(2028, 4, 1),
    ]
    assert plan.window(date(2027, 4, 1)) == (date(2027, 4, 1), date(2027, 5, 31))
    winter = SeasonWindow(start_month=11, start_day=15, end_month=2, end_day=29)
    assert winter.last_day(2026) == date(2027, 2, 28)
    assert winter.last_day(2027) == date(2028, 2, 29)


def test_tolerances_make_the_window() -> None:
    rec = Recurrence(kind=K.DAILY, start=date(2026, 1, 1))
    plan = _plan(rec, early_tolerance_days=2, late_tolerance_days=5)
    assert plan.window(date(2026, 3, 10)) == (date(2026, 3, 8), date(2026, 3, 15))


def test_add_months_clamps() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), 2) == date(2027, 2, 15)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": K.WEEKLY}, "weekday"),
        ({"kind": K.MONTHLY}, "day_of_month"),
        ({"kind": K.SEASONAL}, "season"),
        ({"kind": K.DAILY, "weekday": 1}, "weekday"),
        ({"kind": K.WEEKLY, "weekday": 1, "day_of_month": 3}, "day_of_month"),
        ({"kind": K.DAILY, "until": date(2025, 12, 31)}, "until"),
        ({"kind": K.DAILY, "interval": 0}, "interval"),
        ({"kind": K.WEEKLY, "weekday": 7}, "weekday"),
    ],
)
def test_a_bad_recurrence_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Recurrence(start=date(2026, 1, 1), **kwargs)  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field


def test_bad_season_and_plan_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="start_day"):
        SeasonWindow(start_month=4, start_day=31, end_month=5, end_day=31)
    with pytest.raises(ValidationError, match="end_month"):
        SeasonWindow(start_month=4, start_day=1, end_month=13, end_day=1)
    rec = Recurrence(kind=K.DAILY, start=date(2026, 1, 1))
    with pytest.raises(ValidationError, match="service_type"):
        _plan(rec, service_type=ServiceType.CONSULT)
    with pytest.raises(ValidationError, match="required_skills"):
        _plan(rec, required_skills=("hvac", "hvac"))


def test_a_contract_refuses_two_plans_with_one_id_and_plans_for_products_it_does_not_cover() -> (
    None
):
    rec = Recurrence(kind=K.DAILY, start=date(2026, 1, 1))
    with pytest.raises(ValidationError, match="maintenance_plans"):
        f.contract(maintenance_plans=(_plan(rec), _plan(rec)))
    with pytest.raises(ValidationError, match=r"maintenance_plans\[0\].archive_ids"):
        f.contract(maintenance_plans=(_plan(rec, archive_ids=("A-9",)),))
    ok = f.contract(maintenance_plans=(_plan(rec, archive_ids=("A-1",)),))
    assert isinstance(ok, ServiceContract)
    assert ok.maintenance_plans[0].applies_to(ok.archive_ids) == ("A-1",)
