from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicecore.errors import NotFound, ValidationError
from servicecore.model import (
    Closure,
    ContractStatus,
    Money,
    PenaltyTerm,
    Priority,
    RequestStatus,
    ServiceContract,
    ServiceRequest,
    ServiceType,
    SlaTerm,
    TimeRange,
    WeeklyWindow,
    WorkingCalendar,
)
from servicecore.model.sla import (
    SlaPolicy,
    SlaStatus,
    SlaTarget,
    add_working_time,
    at_risk,
    due_times,
    request_due_times,
    sla_holds,
    sla_outcome,
    working_time_between,
)

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
JKT = ZoneInfo("Asia/Jakarta")
BER = ZoneInfo("Europe/Berlin")
IDUL_ADHA = date(2025, 6, 6)  # a Friday


def window(day: int, start: str, end: str) -> WeeklyWindow:
    return WeeklyWindow(weekday=day, start=time.fromisoformat(start), end=time.fromisoformat(end))


def office(timezone: str = "Asia/Jakarta", holidays: tuple[date, ...] = ()) -> WorkingCalendar:
    hours = tuple(window(d, "08:00", "17:00") for d in range(5))
    return WorkingCalendar(timezone=timezone, hours=hours, holidays=holidays)


def jkt(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=JKT)


def ber(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=BER)


TERM = SlaTerm(priority=Priority.URGENT, response=2 * H, resolution=8 * H)
PENALTY = PenaltyTerm(
    priority=Priority.URGENT,
    per_started_hour=Money(Decimal(100_000), "IDR"),
    cap=Money(Decimal(1_000_000), "IDR"),
)


def contract(**over: Any) -> ServiceContract:
    fields: dict[str, Any] = {
        "id": "ct-1",
        "customer_id": "cust-1",
        "start": date(2025, 1, 1),
        "end": date(2025, 12, 31),
        "calendar": office(),
        "sla_terms": (TERM,),
        "penalty_terms": (PENALTY,),
        "status": ContractStatus.ACTIVE,
    }
    return ServiceContract(**{**fields, **over})


def request(**over: Any) -> ServiceRequest:
    fields: dict[str, Any] = {
        "id": "rq-1",
        "customer_id": "cust-1",
        "service_type": ServiceType.REPAIR,
        "priority": Priority.URGENT,
        "symptoms": "mesin cuci tidak berputar (washer does not spin)",
        "reported_at": jkt(6, 2, 9),  # Monday 09:00
        "archive_id": "ar-1",
        "contract_id": "ct-1",
    }
    return ServiceRequest(**{**fields, **over})


def closed(at: datetime) -> Closure:
    return Closure(closed_at=at, closed_by="tech-1", summary="bearing replaced")


# --- working time: known answers -------------------------------------------------------------


def test_between_counts_weekday_office_hours_only() -> None:
    # Monday 09:00 to the next Monday 09:00: 8 + 4 * 9 + 1 hours.
    assert working_time_between(jkt(6, 2, 9), jkt(6, 9, 9), office()) == 45 * H


def test_between_counts_nothing_on_a_holiday() -> None:
    cal = office(holidays=(IDUL_ADHA,))
    assert working_time_between(jkt(6, 6, 0), jkt(6, 7, 0), cal) == timedelta(0)
    assert working_time_between(jkt(6, 5, 16), jkt(6, 9, 9), cal) == 2 * H


def test_between_an_empty_span_is_zero() -> None:
    assert working_time_between(jkt(6, 2, 10), jkt(6, 2, 10), office()) == timedelta(0)


def test_between_is_exact_to_the_microsecond() -> None:
    start = jkt(6, 2, 9) + timedelta(microseconds=7)
    assert working_time_between(start, jkt(6, 2, 10), office()) == H - timedelta(microseconds=7)


def test_between_over_months_counts_every_working_day() -> None:
    # 2025-01-01 (Wed) to 2025-07-01: 129 weekdays of 9 hours, minus one holiday.
    cal = office(holidays=(IDUL_ADHA,))
    assert working_time_between(jkt(1, 1, 0), jkt(7, 1, 0), cal) == 128 * 9 * H


def test_between_accepts_any_timezone_for_its_bounds() -> None:
    start = jkt(6, 2, 9).astimezone(ZoneInfo("America/New_York"))
    assert working_time_between(start, jkt(6, 2, 11).astimezone(UTC), office()) == 2 * H


def test_between_refuses_an_end_before_the_start() -> None:
    with pytest.raises(ValidationError) as caught:
        working_time_between(jkt(6, 2, 10), jkt(6, 2, 9), office())
    assert caught.value.errors[0].path == "end"


def test_between_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValidationError) as caught:
        working_time_between(datetime(2025, 6, 2, 9), jkt(6, 2, 10), office())
    assert caught.value.errors[0].path == "start"


def test_between_does_not_count_holds() -> None:
    hold = TimeRange(start=jkt(6, 2, 10), end=jkt(6, 2, 12))
    assert working_time_between(jkt(6, 2, 9), jkt(6, 2, 17), office(), [hold]) == 6 * H


def test_between_counts_overlapping_holds_once() -> None:
    holds = [
        TimeRange(start=jkt(6, 2, 10), end=jkt(6, 2, 12)),
        TimeRange(start=jkt(6, 2, 11), end=jkt(6, 2, 13)),
    ]
    assert working_time_between(jkt(6, 2, 9), jkt(6, 2, 17), office(), holds) == 5 * H


def test_between_refuses_a_hold_that_is_not_a_time_range() -> None:
    with pytest.raises(ValidationError) as caught:
        working_time_between(jkt(6, 2, 9), jkt(6, 2, 17), office(), ["10-12"])  # type: ignore[list-item]
    assert caught.value.errors[0].path == "holds[0]"


# --- adding working time: known answers ------------------------------------------------------


def test_add_zero_returns_the_start_itself() -> None:
    saturday = jkt(6, 7, 12)
    assert add_working_time(saturday, timedelta(0), office()) == saturday


def test_add_ends_at_the_end_of_a_stretch_not_the_next_morning() -> None:
    assert add_working_time(jkt(6, 6, 8), 9 * H, office()) == jkt(6, 6, 17)


def test_add_from_friday_evening_rolls_to_monday() -> None:
    assert add_working_time(jkt(6, 6, 19), 2 * H, office()) == jkt(6, 9, 10)


def test_add_skips_a_holiday() -> None:
    cal = office(holidays=(IDUL_ADHA,))
    assert add_working_time(jkt(6, 5, 16), 2 * H, cal) == jkt(6, 9, 9)


def test_add_returns_utc() -> None:
    assert add_working_time(jkt(6, 2, 9), H, office()).tzinfo is UTC


def test_add_waits_out_a_hold() -> None:
    hold = TimeRange(start=jkt(6, 2, 10), end=jkt(6, 2, 12))
    assert add_working_time(jkt(6, 2, 9), 2 * H, office(), [hold]) == jkt(6, 2, 13)


def test_add_refuses_a_negative_duration() -> None:
    with pytest.raises(ValidationError) as caught:
        add_working_time(jkt(6, 2, 9), -H, office())
    assert caught.value.errors[0].path == "duration"


def test_add_gives_up_when_ten_years_hold_no_working_time() -> None:
    mondays = tuple(date(2025, 6, 2) + timedelta(weeks=k) for k in range(540))
    cal = WorkingCalendar(
        timezone="Asia/Jakarta", hours=(window(0, "08:00", "17:00"),), holidays=mondays
    )
    with pytest.raises(ValidationError) as caught:
        add_working_time(jkt(6, 1, 0), H, cal)
    assert caught.value.errors[0].path == "calendar"


def test_add_gives_up_when_a_hold_covers_ten_years() -> None:
    hold = TimeRange(start=jkt(6, 1, 0), end=jkt(6, 1, 0) + timedelta(days=4000))
    with pytest.raises(ValidationError) as caught:
        add_working_time(jkt(6, 1, 0), H, WorkingCalendar.always(), [hold])
    assert caught.value.errors[0].path == "calendar"


def test_add_finds_working_time_after_a_long_gap() -> None:
    hold = TimeRange(start=jkt(6, 1, 0), end=jkt(6, 1, 0) + timedelta(days=3000))
    assert add_working_time(jkt(6, 1, 0), H, WorkingCalendar.always(), [hold]) == hold.end + H


# --- daylight saving and midnight ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "spring", "autumn"),
    [
        ("01:00", "04:00", 2 * H, 4 * H),
        ("02:00", "03:00", timedelta(0), 2 * H),
        ("02:30", "04:00", H, 2.5 * H),
        ("02:00", "02:30", timedelta(0), 0.5 * H),
        ("00:00", "00:00", 23 * H, 25 * H),
    ],
)
def test_berlin_window_on_a_clock_change_sunday_lasts(
    start: str, end: str, spring: timedelta, autumn: timedelta
) -> None:
    cal = WorkingCalendar(timezone="Europe/Berlin", hours=(window(6, start, end),))
    assert working_time_between(ber(3, 29, 12), ber(3, 31, 0), cal) == spring
    assert working_time_between(ber(10, 25, 12), ber(10, 27, 0), cal) == autumn


def test_add_across_the_berlin_march_change_counts_real_hours() -> None:
    # 24x7: 24 working hours from Saturday noon end at Sunday 13:00 (the clock skipped an hour).
    always = WorkingCalendar.always("Europe/Berlin")
    assert add_working_time(ber(3, 29, 12), 24 * H, always) == ber(3, 30, 13)


def test_office_hours_are_local_on_both_sides_of_the_march_change() -> None:
    cal = office("Europe/Berlin")
    assert add_working_time(ber(3, 28, 16), 2 * H, cal) == ber(3, 31, 9)
    assert working_time_between(ber(3, 28, 8), ber(3, 31, 17), cal) == 18 * H


def test_night_window_split_at_midnight_is_one_stretch() -> None:
    cal = WorkingCalendar(
        timezone="Asia/Jakarta", hours=(window(0, "22:00", "00:00"), window(1, "00:00", "06:00"))
    )
    assert add_working_time(jkt(6, 2, 21), 3 * H, cal) == jkt(6, 3, 1)
    assert working_time_between(jkt(6, 2, 23), jkt(6, 3, 12), cal) == 7 * H


def test_holiday_takes_the_part_of_a_night_shift_dated_that_day() -> None:
    cal = WorkingCalendar(
        timezone="Asia/Jakarta",
        hours=(window(0, "22:00", "00:00"), window(1, "00:00", "06:00")),
        holidays=(date(2025, 6, 3),),
    )
    assert working_time_between(jkt(6, 2, 0), jkt(6, 4, 0), cal) == 2 * H


def test_night_shift_over_the_autumn_change_gains_an_hour() -> None:
    cal = WorkingCalendar(
        timezone="Europe/Berlin", hours=(window(5, "22:00", "00:00"), window(6, "00:00", "06:00"))
    )
    assert working_time_between(ber(10, 25, 12), ber(10, 27, 0), cal) == 9 * H


# --- due times -----------------------------------------------------------------------------


def test_due_times_from_a_monday_morning_report() -> None:
    assert due_times(jkt(6, 2, 9), TERM, office()) == (jkt(6, 2, 11), jkt(6, 2, 17))


def test_due_times_of_a_friday_evening_report_fall_on_monday() -> None:
    assert due_times(jkt(6, 6, 19), TERM, office()) == (jkt(6, 9, 10), jkt(6, 9, 16))


def test_due_times_skip_a_holiday() -> None:
    cal = office(holidays=(IDUL_ADHA,))
    assert due_times(jkt(6, 5, 16), TERM, cal) == (jkt(6, 9, 9), jkt(6, 9, 15))


def test_hold_in_working_hours_moves_resolution_out_by_its_length() -> None:
    hold = TimeRange(start=jkt(6, 2, 13), end=jkt(6, 2, 16))
    assert due_times(jkt(6, 2, 9), TERM, office(), [hold]) == (jkt(6, 2, 11), jkt(6, 3, 11))


def test_hold_outside_working_hours_moves_nothing() -> None:
    weekend = TimeRange(start=jkt(6, 6, 17), end=jkt(6, 9, 8))
    assert due_times(jkt(6, 6, 14), TERM, office(), [weekend]) == due_times(
        jkt(6, 6, 14), TERM, office()
    )


def test_due_times_refuse_something_else_than_a_term() -> None:
    with pytest.raises(ValidationError) as caught:
        due_times(jkt(6, 2, 9), PENALTY, office())  # type: ignore[arg-type]
    assert caught.value.errors[0].path == "term"


def test_request_due_times_under_its_contract() -> None:
    assert request_due_times(request(), contract()) == (jkt(6, 2, 11), jkt(6, 2, 17))


def test_request_due_times_without_contract_use_the_given_policy() -> None:
    policy = SlaPolicy(calendar=WorkingCalendar.always("Asia/Jakarta"), term=TERM, currency="IDR")
    due = request_due_times(request(contract_id=None), policy)
    assert due == (jkt(6, 2, 11), jkt(6, 2, 17))


def test_request_due_times_count_the_running_hold_up_to_now() -> None:
    held = request(status=RequestStatus.ON_HOLD, held_since=jkt(6, 2, 10))
    assert request_due_times(held, contract(), now=jkt(6, 2, 12))[1] == jkt(6, 3, 10)


def test_request_due_times_while_on_hold_need_now() -> None:
    held = request(status=RequestStatus.ON_HOLD, held_since=jkt(6, 2, 10))
    with pytest.raises(ValidationError) as caught:
        request_due_times(held, contract())
    assert caught.value.errors[0].path == "now"


def test_request_due_times_refuse_another_contract() -> None:
    with pytest.raises(ValidationError) as caught:
        request_due_times(request(contract_id="ct-2"), contract())
    assert caught.value.errors[0].path == "contract"


def test_request_due_times_refuse_a_priority_without_term() -> None:
    with pytest.raises(NotFound):
        request_due_times(request(priority=Priority.LOW), contract())


# --- holds of a request --------------------------------------------------------------------


def test_a_request_refuses_holds_out_of_order() -> None:
    later = TimeRange(start=jkt(6, 2, 12), end=jkt(6, 2, 13))
    earlier = TimeRange(start=jkt(6, 2, 10), end=jkt(6, 2, 11))
    with pytest.raises(ValidationError) as caught:
        request(holds=(later, earlier))
    assert caught.value.errors[0].path == "holds[1]"


def test_a_running_hold_starts_after_the_finished_ones() -> None:
    period = TimeRange(start=jkt(6, 2, 10), end=jkt(6, 2, 12))
    with pytest.raises(ValidationError) as caught:
        request(holds=(period,), held_since=jkt(6, 2, 11), status=RequestStatus.ON_HOLD)
    assert caught.value.errors[0].path == "held_since"


def test_sla_holds_add_the_running_hold() -> None:
    period = TimeRange(start=jkt(6, 2, 10), end=jkt(6, 2, 11))
    held = request(holds=(period,), held_since=jkt(6, 2, 12), status=RequestStatus.ON_HOLD)
    assert sla_holds(held, jkt(6, 2, 14)) == (
        period,
        TimeRange(start=jkt(6, 2, 12).astimezone(UTC), end=jkt(6, 2, 14).astimezone(UTC)),
    )


# --- policy --------------------------------------------------------------------------------


def test_policy_from_contract_takes_the_priority_terms() -> None:
    policy = SlaPolicy.from_contract(contract(), Priority.URGENT)
    assert (policy.term, policy.penalty, policy.currency) == (TERM, PENALTY, "IDR")


def test_policy_without_penalty_for_the_priority_uses_the_contracts_currency() -> None:
    low = SlaTerm(priority=Priority.LOW, response=8 * H, resolution=40 * H)
    policy = SlaPolicy.from_contract(contract(sla_terms=(TERM, low)), Priority.LOW)
    assert (policy.penalty, policy.currency) == (None, "IDR")


def test_policy_of_a_contract_without_penalties_prices_no_lateness() -> None:
    unpriced = SlaPolicy.from_contract(contract(penalty_terms=()), Priority.URGENT)
    assert unpriced.currency is None
    assert unpriced.penalty is None
    named = SlaPolicy.from_contract(contract(penalty_terms=()), Priority.URGENT, currency="EUR")
    assert named.currency == "EUR"


def test_policy_refuses_a_penalty_in_another_currency() -> None:
    with pytest.raises(ValidationError) as caught:
        SlaPolicy(calendar=office(), term=TERM, penalty=PENALTY, currency="EUR")
    assert caught.value.errors[0].path == "penalty"


# --- outcomes, breaches, penalties ---------------------------------------------------------


def test_outcome_of_a_request_served_in_time_is_met_and_free() -> None:
    done = request(responded_at=jkt(6, 2, 10), closure=closed(jkt(6, 2, 16)))
    outcome = sla_outcome(done, contract(), jkt(6, 20, 0))
    assert outcome.met
    assert outcome.breaches == ()
    assert outcome.penalty == Money.zero("IDR")


def test_outcome_before_due_is_pending_with_working_time_left() -> None:
    outcome = sla_outcome(request(), contract(), jkt(6, 2, 10))
    assert outcome.response.status is SlaStatus.PENDING
    assert outcome.response.remaining == H
    assert outcome.resolution.remaining == 7 * H
    assert not outcome.breached


def test_late_response_is_a_breach_priced_per_started_hour() -> None:
    late = request(responded_at=jkt(6, 2, 13, 30))
    outcome = sla_outcome(late, contract(), jkt(6, 2, 14))
    [breach] = outcome.breaches
    assert breach.target is SlaTarget.RESPONSE
    assert (breach.lateness, breach.ongoing) == (2.5 * H, False)
    assert breach.penalty == Money(Decimal(300_000), "IDR")
    assert outcome.penalty == breach.penalty


def test_lateness_counts_working_time_only() -> None:
    # Due Friday 17:00, closed Monday 08:30: half an hour late, not a weekend.
    friday = request(reported_at=jkt(6, 6, 9), responded_at=jkt(6, 6, 10))
    outcome = sla_outcome(
        attrs.evolve(friday, closure=closed(jkt(6, 9, 8, 30))), contract(), jkt(6, 10, 0)
    )
    assert outcome.resolution.lateness == 0.5 * H
    assert outcome.penalty == Money(Decimal(100_000), "IDR")


def test_done_after_due_but_outside_working_hours_is_met() -> None:
    friday = request(reported_at=jkt(6, 6, 9), responded_at=jkt(6, 6, 10))
    outcome = sla_outcome(
        attrs.evolve(friday, closure=closed(jkt(6, 6, 20))), contract(), jkt(6, 9, 0)
    )
    assert outcome.resolution.status is SlaStatus.MET


def test_unmet_target_past_due_is_an_ongoing_breach_counted_to_now() -> None:
    outcome = sla_outcome(request(responded_at=jkt(6, 2, 10)), contract(), jkt(6, 3, 10))
    [breach] = outcome.breaches
    assert (breach.target, breach.ongoing, breach.lateness) == (SlaTarget.RESOLUTION, True, 2 * H)
    assert outcome.resolution.status is SlaStatus.BREACHED


def test_penalties_of_one_request_are_capped_together() -> None:
    # Response 7 hours late (700k), resolution a day late (capped 1M): together capped at 1M.
    slow = request(responded_at=jkt(6, 2, 18) + 15 * H, closure=closed(jkt(6, 4, 17)))
    outcome = sla_outcome(slow, contract(), jkt(6, 5, 0))
    assert [b.penalty.amount for b in outcome.breaches] == [Decimal(700_000), Decimal(1_000_000)]
    assert outcome.penalty == PENALTY.cap


def test_breach_without_penalty_term_costs_zero_in_the_contracts_currency() -> None:
    low_term = SlaTerm(priority=Priority.LOW, response=H, resolution=2 * H)
    terms = contract(sla_terms=(TERM, low_term))
    outcome = sla_outcome(request(priority=Priority.LOW), terms, jkt(6, 3, 9))
    assert len(outcome.breaches) == 2
    assert outcome.penalty == Money.zero("IDR")


def test_hold_stops_the_resolution_clock_and_lateness() -> None:
    period = TimeRange(start=jkt(6, 2, 12), end=jkt(6, 3, 12))
    worked = request(responded_at=jkt(6, 2, 10), holds=(period,), closure=closed(jkt(6, 4, 11)))
    outcome = sla_outcome(worked, contract(), jkt(6, 5, 0))
    assert outcome.resolution.due == jkt(6, 3, 17)
    assert outcome.resolution.lateness == 3 * H


def test_running_hold_keeps_a_pending_request_pending() -> None:
    held = request(
        responded_at=jkt(6, 2, 10), held_since=jkt(6, 2, 12), status=RequestStatus.ON_HOLD
    )
    outcome = sla_outcome(held, contract(), jkt(6, 9, 12))
    assert outcome.resolution.status is SlaStatus.PENDING
    assert outcome.resolution.remaining == 5 * H


def test_cancelled_request_open_targets_are_not_measured() -> None:
    gone = request(status=RequestStatus.CANCELLED)
    outcome = sla_outcome(gone, contract(), jkt(6, 20, 0))
    assert (outcome.response.status, outcome.resolution.status) == (SlaStatus.CANCELLED,) * 2
    assert outcome.breaches == ()


def test_outcome_refuses_now_before_the_report() -> None:
    with pytest.raises(ValidationError) as caught:
        sla_outcome(request(), contract(), jkt(6, 1, 0))
    assert caught.value.errors[0].path == "now"


def test_outcome_refuses_something_else_than_terms() -> None:
    with pytest.raises(ValidationError) as caught:
        sla_outcome(request(), office(), jkt(6, 2, 10))  # type: ignore[arg-type]
    assert caught.value.errors[0].path == "terms"


def test_outcome_under_a_policy_prices_with_its_penalty() -> None:
    policy = SlaPolicy(calendar=office(), term=TERM, penalty=PENALTY, currency="IDR")
    outcome = sla_outcome(request(contract_id=None), policy, jkt(6, 2, 12))
    assert outcome.penalty == Money(Decimal(100_000), "IDR")


# --- at risk -------------------------------------------------------------------------------


def test_at_risk_when_a_pending_target_is_due_within_the_margin() -> None:
    assert at_risk(request(), contract(), jkt(6, 2, 10), H)
    assert not at_risk(request(), contract(), jkt(6, 2, 9), H)


def test_at_risk_counts_the_margin_in_working_time() -> None:
    friday = request(reported_at=jkt(6, 6, 15, 30))
    assert at_risk(friday, contract(), jkt(6, 6, 16, 30), H)  # response due Monday 08:30


def test_breached_or_met_targets_are_not_at_risk() -> None:
    assert not at_risk(
        request(), contract(), jkt(6, 2, 12), H
    )  # response breached, resolution 5h off
    met = request(responded_at=jkt(6, 2, 9, 30), closure=closed(jkt(6, 2, 10)))
    assert not at_risk(met, contract(), jkt(6, 2, 10, 30), 10 * H)


def test_at_risk_refuses_a_negative_margin() -> None:
    with pytest.raises(ValidationError) as caught:
        at_risk(request(), contract(), jkt(6, 2, 10), -H)
    assert caught.value.errors[0].path == "within"


# --- properties against a minute-by-minute reference -------------------------------------------

ZONES = (
    "Asia/Jakarta",
    "Asia/Kathmandu",
    "Europe/Berlin",
    "America/New_York",
    "America/St_Johns",
    "America/Santiago",  # changes at midnight
    "America/Havana",  # changes at midnight
    "Australia/Lord_Howe",  # half-hour shift
    "Pacific/Chatham",
    "Africa/Casablanca",
)
SPAN_MINUTES = 21 * 24 * 60


@functools.cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """Every instant in 2024-2026 at which the zone's offset changes, to the minute."""
    zone = ZoneInfo(zone_name)
    found = []
    t = datetime(2024, 1, 1, tzinfo=UTC)
    while t.year < 2027:
        if (t + H).astimezone(zone).utcoffset() != t.astimezone(zone).utcoffset():
            change = t + MIN
            while change.astimezone(zone).utcoffset() == t.astimezone(zone).utcoffset():
                change += MIN
            found.append(change)
        t += H
    return tuple(found)


@attrs.frozen
class Scenario:
    calendar: WorkingCalendar
    holds: tuple[TimeRange, ...]
    base: datetime  # minute 0 of the span the reference covers
    focus: int  # a minute of the span worth starting near: just before a clock change, if any


@st.composite
def day_windows(draw: st.DrawFn, weekday: int) -> list[WeeklyWindow]:
    point = st.one_of(st.integers(0, 48).map(lambda k: 30 * k), st.integers(0, 1440))
    points = sorted(draw(st.lists(point, unique=True, max_size=6)))
    found = []
    for a, b in zip(points[::2], points[1::2], strict=False):
        start = time(a // 60, a % 60)
        end = time(0) if b == 1440 else time(b // 60, b % 60)
        found.append(WeeklyWindow(weekday=weekday, start=start, end=end))
    return found


@st.composite
def scenarios(draw: st.DrawFn, *, at_change: bool = False) -> Scenario:
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    hours = [w for d in range(7) for w in draw(day_windows(d))]
    changes = transitions(zone_name)
    near_change = at_change or draw(st.integers(0, 3)) > 0  # clock changes are where bugs hide
    if changes and near_change:
        change = draw(st.sampled_from(changes))
        base = change - draw(st.integers(0, 18 * 24 * 60)) * MIN
        # A window with a bound or two near the wall time the clock jumps from, on that day.
        jump = (change - MIN).astimezone(zone).replace(tzinfo=None) + MIN
        at = jump.hour * 60 + jump.minute
        a, b = sorted(
            min(1440, max(0, at + k))
            for k in draw(st.lists(st.integers(-90, 90), min_size=2, max_size=2, unique=True))
        )
        if a < b:
            hours = [w for w in hours if w.weekday != jump.weekday()]
            end = time(0) if b == 1440 else time(b // 60, b % 60)
            hours.append(WeeklyWindow(weekday=jump.weekday(), start=time(a // 60, a % 60), end=end))
        focus = (change - base) // MIN
    else:
        base = datetime(2024, 1, 1, tzinfo=UTC) + draw(st.integers(0, 3 * 365 * 24 * 60)) * MIN
        focus = draw(st.integers(0, SPAN_MINUTES))
    if not hours:
        hours = [draw(day_windows(draw(st.integers(0, 6))).filter(bool))[0]]
    first_day = base.astimezone(zone).date()
    holidays = draw(
        st.lists(st.integers(-2, 23).map(lambda k: first_day + timedelta(days=k)), unique=True)
    )
    holds = tuple(
        TimeRange(start=base + a * MIN, end=base + (a + n) * MIN)
        for a, n in draw(
            st.lists(
                st.tuples(st.integers(-1440, SPAN_MINUTES), st.integers(1, 5 * 1440)), max_size=4
            )
        )
    )
    calendar = WorkingCalendar(timezone=zone_name, hours=tuple(hours), holidays=tuple(holidays))
    return Scenario(calendar=calendar, holds=holds, base=base, focus=focus)


def reference(scenario: Scenario, first: int) -> Iterator[bool]:
    """Whether each minute of the span from minute ``first`` on works, decided minute by minute.

    A minute works when the latest local clock reading so far (the clock may go back) falls in a
    window of its weekday on a date that is no holiday, and no hold covers it.
    """
    cal = scenario.calendar
    zone = cal.zone
    works = [bytearray(1440) for _ in range(7)]  # per weekday, per minute of the day
    for w in cal.hours:
        a, b = (x // MIN for x in w.bounds())
        works[w.weekday][a:b] = b"\1" * (b - a)
    free = bytearray(b"\1" * SPAN_MINUTES)
    for h in scenario.holds:
        a = max(0, (h.start - scenario.base) // MIN)
        b = max(a, min(SPAN_MINUTES, (h.end - scenario.base) // MIN))
        free[a:b] = bytes(b - a)
    moment = scenario.base + (first - 1440) * MIN
    latest = moment.astimezone(zone)
    for i in range(first - 1440, SPAN_MINUTES):
        # Aware datetimes sharing one tzinfo compare by wall clock, which is what is wanted here.
        latest = max(latest, moment.astimezone(zone))
        moment += MIN
        if i >= first:
            day = latest.date()
            yield bool(
                free[i]
                and day not in cal.holidays
                and works[day.weekday()][latest.hour * 60 + latest.minute]
            )


def starts(scenario: Scenario) -> st.SearchStrategy[int]:
    """Minutes of the span to start from: anywhere, or within two days before the focus."""
    near = st.integers(max(0, scenario.focus - 2 * 1440), scenario.focus)
    return st.one_of(st.integers(0, SPAN_MINUTES), near)


PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(scenario=scenarios(), data=st.data())
def test_between_equals_the_minute_by_minute_reference(
    scenario: Scenario, data: st.DataObject
) -> None:
    i = data.draw(starts(scenario))
    j = data.draw(st.integers(i, SPAN_MINUTES))
    start, end = scenario.base + i * MIN, scenario.base + j * MIN
    expected = sum(itertools.islice(reference(scenario, i), j - i)) * MIN
    assert working_time_between(start, end, scenario.calendar, scenario.holds) == expected


@settings(PROPERTY, max_examples=300)  # short spans: cheap, and clock changes deserve more
@given(scenario=scenarios(at_change=True), data=st.data())
def test_between_equals_the_reference_across_a_clock_change(
    scenario: Scenario, data: st.DataObject
) -> None:
    i = data.draw(st.integers(max(0, scenario.focus - 1440), scenario.focus))
    j = data.draw(st.integers(scenario.focus, min(SPAN_MINUTES, scenario.focus + 1440)))
    start, end = scenario.base + i * MIN, scenario.base + j * MIN
    expected = sum(itertools.islice(reference(scenario, i), j - i)) * MIN
    assert working_time_between(start, end, scenario.calendar, scenario.holds) == expected


@PROPERTY
@given(scenario=scenarios(), data=st.data())
def test_add_equals_the_minute_by_minute_reference(scenario: Scenario, data: st.DataObject) -> None:
    i = data.draw(starts(scenario))
    minutes = data.draw(st.integers(0, 4 * 1440))
    start = scenario.base + i * MIN
    found = add_working_time(start, minutes * MIN, scenario.calendar, scenario.holds)
    expected: datetime | None = start if minutes == 0 else None
    count = 0
    for k, works in enumerate(reference(scenario, i), start=i):
        if expected is not None:
            break
        count += works
        if count == minutes:
            expected = scenario.base + (k + 1) * MIN
    if expected is None:  # not within the span the reference covers: the answer lies beyond it
        assert found > scenario.base + SPAN_MINUTES * MIN
    else:
        assert found == expected


durations = st.integers(0, 10 * 24 * 3600 * 10**6).map(lambda us: timedelta(microseconds=us))


@PROPERTY
@given(scenario=scenarios(), offset=durations, duration=durations)
def test_between_undoes_add(scenario: Scenario, offset: timedelta, duration: timedelta) -> None:
    start, cal = scenario.base + offset, scenario.calendar
    end = add_working_time(start, duration, cal, scenario.holds)
    assert working_time_between(start, end, cal, scenario.holds) == duration


@PROPERTY
@given(scenario=scenarios(), offset=durations, span=durations)
def test_add_undoes_between_at_the_earliest_instant(
    scenario: Scenario, offset: timedelta, span: timedelta
) -> None:
    start, cal, holds = scenario.base + offset, scenario.calendar, scenario.holds
    worked = working_time_between(start, start + span, cal, holds)
    earliest = add_working_time(start, worked, cal, holds)
    assert earliest <= start + span
    assert working_time_between(start, earliest, cal, holds) == worked


@PROPERTY
@given(scenario=scenarios(), offset=durations, lengths=st.lists(durations, min_size=2, max_size=4))
def test_add_is_monotonic_in_the_duration(
    scenario: Scenario, offset: timedelta, lengths: Sequence[timedelta]
) -> None:
    start = scenario.base + offset
    ends = [add_working_time(start, d, scenario.calendar, scenario.holds) for d in sorted(lengths)]
    assert ends == sorted(ends)
