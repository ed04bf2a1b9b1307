from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicecore.errors import ValidationError
from servicecore.model import WeeklyWindow, WorkingCalendar

MONDAY = date(2025, 3, 24)


def window(day: int, start: str, end: str) -> WeeklyWindow:
    return WeeklyWindow(weekday=day, start=time.fromisoformat(start), end=time.fromisoformat(end))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("weekday", 7),
        ("weekday", -1),
        ("start", "08:00"),
        ("start", time(8, tzinfo=UTC)),
        ("end", 17),
    ],
)
def test_window_refuses_bad_field(field: str, bad: object) -> None:
    fields: dict[str, object] = {"weekday": 0, "start": time(8), "end": time(17)}
    with pytest.raises(ValidationError) as caught:
        WeeklyWindow(**{**fields, field: bad})  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_window_end_not_after_start_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        window(0, "17:00", "08:00")
    assert caught.value.errors[0].path == "end"


def test_window_ending_at_midnight_lasts_to_the_end_of_the_day() -> None:
    assert window(0, "22:00", "00:00").length == timedelta(hours=2)
    assert window(0, "00:00", "00:00").length == timedelta(days=1)


def test_window_on_a_day_is_local_time_in_the_zone() -> None:
    rng = window(0, "08:00", "17:00").on(MONDAY, ZoneInfo("Asia/Jakarta"))
    assert rng.start == datetime(2025, 3, 24, 1, 0, tzinfo=UTC)
    assert rng.duration == timedelta(hours=9)


def test_window_on_another_weekday_is_refused() -> None:
    with pytest.raises(ValidationError):
        window(1, "08:00", "17:00").on(MONDAY, ZoneInfo("UTC"))


def test_calendar_refuses_an_unknown_timezone() -> None:
    with pytest.raises(ValidationError) as caught:
        WorkingCalendar(timezone="Mars/Olympus", hours=(window(0, "08:00", "17:00"),))
    assert caught.value.errors[0].path == "timezone"
    assert caught.value.errors[0].value == "Mars/Olympus"


@pytest.mark.parametrize("bad", ["America", "../etc/passwd", "", 5])
def test_calendar_refuses_timezone_names_that_are_not_zones(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        WorkingCalendar(timezone=bad, hours=(window(0, "08:00", "17:00"),))  # type: ignore[arg-type]
    assert caught.value.errors[0].path == "timezone"


def test_calendar_needs_at_least_one_window() -> None:
    with pytest.raises(ValidationError) as caught:
        WorkingCalendar(hours=())
    assert caught.value.errors[0].path == "hours"


def test_calendar_refuses_overlapping_windows_on_one_day() -> None:
    hours = (window(0, "08:00", "12:00"), window(1, "08:00", "12:00"), window(0, "11:00", "17:00"))
    with pytest.raises(ValidationError) as caught:
        WorkingCalendar(hours=hours)
    assert caught.value.errors[0].path == "hours[2]"


def test_calendar_allows_a_lunch_break_between_touching_windows() -> None:
    cal = WorkingCalendar(
        timezone="Europe/Paris",
        hours=(
            window(0, "13:00", "17:00"),
            window(0, "08:00", "12:00"),
            window(0, "17:00", "18:00"),
        ),
    )
    assert [r.start.hour for r in cal.windows_on(MONDAY)] == [8, 13, 17]


def test_calendar_refuses_repeated_holidays() -> None:
    with pytest.raises(ValidationError) as caught:
        WorkingCalendar(hours=(window(0, "08:00", "17:00"),), holidays=(MONDAY, MONDAY))
    assert caught.value.errors[0].path == "holidays"


def test_calendar_refuses_a_datetime_as_holiday() -> None:
    bad = datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError) as caught:
        WorkingCalendar(hours=(window(0, "08:00", "17:00"),), holidays=(bad,))
    assert caught.value.errors[0].path == "holidays[0]"
    assert caught.value.errors[0].value == bad


def test_calendar_has_no_hours_on_holidays_or_unworked_days() -> None:
    cal = WorkingCalendar(hours=(window(0, "08:00", "17:00"),), holidays=(MONDAY,))
    assert cal.is_holiday(MONDAY)
    assert cal.windows_on(MONDAY) == ()
    assert cal.windows_on(MONDAY + timedelta(days=1)) == ()
    assert len(cal.windows_on(MONDAY + timedelta(days=7))) == 1


def test_always_calendar_covers_every_hour_of_every_day() -> None:
    cal = WorkingCalendar.always("Asia/Shanghai")
    for offset in range(7):
        (whole,) = cal.windows_on(MONDAY + timedelta(days=offset))
        assert whole.duration == timedelta(days=1)


def test_a_window_on_a_daylight_saving_day_keeps_its_wall_clock_times() -> None:
    # 2025-03-30 is a Sunday; Paris clocks jump from 02:00 to 03:00.
    cal = WorkingCalendar(timezone="Europe/Paris", hours=(window(6, "01:00", "04:00"),))
    (rng,) = cal.windows_on(date(2025, 3, 30))
    assert (rng.start.hour, rng.end.hour) == (1, 4)
    assert rng.end.astimezone(UTC) - rng.start.astimezone(UTC) == timedelta(hours=2)
