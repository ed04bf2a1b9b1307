"""Weekly time windows and working calendars: when a contract's SLA clock runs, when people work.

Windows are wall-clock times on a weekday (Monday is 0, as in :meth:`datetime.date.weekday`) read in
a named IANA timezone, so a calendar stays right across daylight-saving changes. An ``end`` of
``00:00`` means midnight at the end of the day, so ``00:00-00:00`` is a whole day.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import TimeRange

__all__ = ["WeeklyWindow", "WorkingCalendar", "check_no_overlap"]

_DAY = timedelta(days=1)


def _offset(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


@attrs.frozen(kw_only=True)
class WeeklyWindow:
    """A recurring window of wall-clock time on one weekday, e.g. Monday 08:00-17:00.

    Attributes:
        weekday: 0 (Monday) to 6 (Sunday).
        start: Naive wall-clock start time.
        end: Naive wall-clock end time; ``00:00`` means midnight at the end of the day.

    Raises:
        ValidationError: ``weekday`` is outside 0-6, a time is not a naive ``time``, or ``end`` is
            not after ``start``.
    """

    weekday: int = attrs.field(validator=v.integer(min_value=0, max_value=6))
    start: time = attrs.field(validator=v.time_of_day)
    end: time = attrs.field(validator=v.time_of_day)

    def __attrs_post_init__(self) -> None:
        if self.bounds()[1] <= self.bounds()[0]:
            raise ValidationError.single("end", self.end, f"must be after start {self.start}")

    def bounds(self) -> tuple[timedelta, timedelta]:
        """Return (start, end) as offsets from the day's midnight; ``end`` 00:00 gives 24 hours."""
        end = _offset(self.end)
        return _offset(self.start), end if end else _DAY

    @property
    def length(self) -> timedelta:
        """Length of the window (wall-clock)."""
        start, end = self.bounds()
        return end - start

    def on(self, day: date, zone: ZoneInfo) -> TimeRange:
        """Return this window on ``day`` as an aware range in ``zone``.

        Raises:
            ValidationError: ``day`` is not this window's weekday.
        """
        if day.weekday() != self.weekday:
            raise ValidationError.single("day", day, f"is not weekday {self.weekday}")
        start, end = self.bounds()
        midnight = datetime.combine(day, time(0))
        # Wall-clock arithmetic first, zone attached after: the window is local time on that day.
        return TimeRange(
            start=(midnight + start).replace(tzinfo=zone),
            end=(midnight + end).replace(tzinfo=zone),
        )


def check_no_overlap(path: str, windows: Iterable[WeeklyWindow]) -> None:
    """Refuse two windows on the same weekday that overlap (touching ends are fine).

    Raises:
        ValidationError: Naming ``path[i]`` of the later of two overlapping windows.
    """
    ordered = sorted(enumerate(windows), key=lambda p: (p[1].weekday, p[1].bounds()))
    for (_, a), (j, b) in itertools.pairwise(ordered):
        if a.weekday == b.weekday and b.bounds()[0] < a.bounds()[1]:
            raise ValidationError.single(f"{path}[{j}]", b, f"overlaps {a}")


@attrs.frozen(kw_only=True)
class WorkingCalendar:
    """When the SLA clock runs: weekly working hours in a timezone, minus holidays.

    This is data only; due times are computed from it elsewhere.

    Attributes:
        timezone: IANA timezone name the hours are read in, e.g. ``"Asia/Shanghai"``.
        hours: Weekly working windows; several per weekday are allowed (a lunch break splits a
            day) but they may not overlap. A weekday without windows is not worked.
        holidays: Dates (in ``timezone``) on which no hours count, whatever their weekday.

    Raises:
        ValidationError: Unknown timezone, windows of another type or overlapping, holidays not
            dates or repeated.
    """

    timezone: str = attrs.field(default="UTC", validator=v.timezone_name)
    hours: tuple[WeeklyWindow, ...] = attrs.field(
        validator=v.items(v.instance(WeeklyWindow), min_len=1)
    )
    holidays: tuple[date, ...] = attrs.field(
        default=(), validator=[v.items(v.a_date), v.unique(lambda d: d, "holiday")]
    )

    def __attrs_post_init__(self) -> None:
        check_no_overlap("hours", self.hours)

    @classmethod
    def always(cls, timezone: str = "UTC") -> WorkingCalendar:
        """Return a 24x7 calendar (every hour of every day counts)."""
        whole = time(0)
        return cls(
            timezone=timezone,
            hours=tuple(WeeklyWindow(weekday=d, start=whole, end=whole) for d in range(7)),
        )

    @property
    def zone(self) -> ZoneInfo:
        """The :class:`~zoneinfo.ZoneInfo` for :attr:`timezone`."""
        return ZoneInfo(self.timezone)

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is a holiday."""
        return day in self.holidays

    def windows_on(self, day: date) -> tuple[TimeRange, ...]:
        """Return the working ranges on ``day`` (none on holidays), as aware ranges, in order."""
        if self.is_holiday(day):
            return ()
        found = [w for w in self.hours if w.weekday == day.weekday()]
        found.sort(key=WeeklyWindow.bounds)
        return tuple(w.on(day, self.zone) for w in found)
