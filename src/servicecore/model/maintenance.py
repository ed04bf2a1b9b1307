"""Preventive maintenance plans (seed 001): planned visits on a schedule both parties agreed.

A :class:`MaintenancePlan` sits on a :class:`~servicecore.model.contract.ServiceContract` and says
which products get which work how often. Its :class:`Recurrence` yields the visit dates:

- ``DAILY``: every ``interval`` days from ``start``;
- ``WEEKLY``: on ``weekday`` (0 = Monday), every ``interval`` weeks, from the first such day on
  or after ``start``;
- ``MONTHLY``: on ``day_of_month`` of every ``interval``-th calendar month counted from the month
  of ``start``. A day the month does not have falls on the month's last day (the 31st is the
  30th of April and the 28th or 29th of February), so a visit is never skipped;
- ``SEASONAL``: once a season, every ``interval`` years, on the first day of a yearly
  :class:`SeasonWindow` (e.g. 1 April to 31 May, or 1 November to 28 February across the year
  end); the window is the period in which the seasonal work is to be done.

Dates before ``start`` or after ``until`` never occur. :func:`due_visits` lists the visits in a
half-open range ``[start, end)``, so consecutive ranges never repeat nor miss one.
"""

from __future__ import annotations

import calendar
import enum
from datetime import date, timedelta

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import ArchiveId
from servicecore.model.enums import Priority, ServiceType

__all__ = [
    "MaintenancePlan",
    "Recurrence",
    "RecurrenceKind",
    "SeasonWindow",
    "add_months",
    "due_visits",
]


class RecurrenceKind(enum.Enum):
    """How often a maintenance visit recurs."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    SEASONAL = "seasonal"


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by ``months`` calendar months, clamped to the target month's last day.

    ``add_months(date(2026, 1, 31), 1)`` is 28 February 2026.
    """
    index = day.year * 12 + day.month - 1 + months
    return _clamped(index // 12, index % 12 + 1, day.day)


def _valid_month_day(what: str, month: int, day: int) -> None:
    if not 1 <= month <= 12:
        raise ValidationError.single(f"{what}_month", month, "must be 1 to 12")
    # 2000 is a leap year: 29 February is a valid season boundary (28 February in other years).
    if not 1 <= day <= calendar.monthrange(2000, month)[1]:
        raise ValidationError.single(f"{what}_day", day, f"is not a day of month {month}")


@attrs.frozen(kw_only=True)
class SeasonWindow:
    """A yearly window, e.g. 1 April to 31 May; it may run across the year end.

    Attributes:
        start_month: Month of the first day (1-12).
        start_day: Day of the first day; 29 February means 28 February in common years.
        end_month: Month of the last day (1-12).
        end_day: Day of the last day (inclusive), as for ``start_day``.

    Raises:
        ValidationError: A month outside 1-12, or a day its month never has.
    """

    start_month: int = attrs.field(validator=v.integer(min_value=1, max_value=12))
    start_day: int = attrs.field(validator=v.integer(min_value=1, max_value=31))
    end_month: int = attrs.field(validator=v.integer(min_value=1, max_value=12))
    end_day: int = attrs.field(validator=v.integer(min_value=1, max_value=31))

    def __attrs_post_init__(self) -> None:
        _valid_month_day("start", self.start_month, self.start_day)
        _valid_month_day("end", self.end_month, self.end_day)

    def first_day(self, year: int) -> date:
        """The window's first day in ``year``."""
        return _clamped(year, self.start_month, self.start_day)

    def last_day(self, year: int) -> date:
        """The last day of the window that opens in ``year`` (in the next year if it wraps)."""
        wraps = (self.end_month, self.end_day) < (self.start_month, self.start_day)
        return _clamped(year + 1 if wraps else year, self.end_month, self.end_day)


def _check_kind_fields(rec: Recurrence) -> None:
    needs = {
        RecurrenceKind.WEEKLY: "weekday",
        RecurrenceKind.MONTHLY: "day_of_month",
        RecurrenceKind.SEASONAL: "season",
    }
    for kind, name in needs.items():
        value = getattr(rec, name)
        if rec.kind is kind and value is None:
            raise ValidationError.single(name, value, f"is required for a {kind.value} recurrence")
        if rec.kind is not kind and value is not None:
            raise ValidationError.single(
                name, value, f"applies only to a {kind.value} recurrence, not {rec.kind.value}"
            )


@attrs.frozen(kw_only=True)
class Recurrence:
    """When visits recur (see the module documentation for each kind).

    Attributes:
        kind: Daily, weekly, monthly or seasonal.
        start: No visit before this day; it anchors the interval.
        interval: Every ``interval`` days, weeks, months or years (>= 1).
        until: No visit after this day (inclusive), if set.
        weekday: For weekly: 0 (Monday) to 6 (Sunday).
        day_of_month: For monthly: 1-31, clamped to shorter months' last day.
        season: For seasonal: the yearly window; the visit is on its first day.

    Raises:
        ValidationError: A bad field, ``until`` before ``start``, a kind's field missing, or a
            field given for another kind.
    """

    kind: RecurrenceKind = attrs.field(validator=v.member(RecurrenceKind))
    start: date = attrs.field(validator=v.a_date)
    interval: int = attrs.field(default=1, validator=v.integer(min_value=1, max_value=1000))
    until: date | None = attrs.field(default=None, validator=v.optional(v.a_date))
    weekday: int | None = attrs.field(
        default=None, validator=v.optional(v.integer(min_value=0, max_value=6))
    )
    day_of_month: int | None = attrs.field(
        default=None, validator=v.optional(v.integer(min_value=1, max_value=31))
    )
    season: SeasonWindow | None = attrs.field(
        default=None, validator=v.optional(v.instance(SeasonWindow))
    )

    def __attrs_post_init__(self) -> None:
        if self.until is not None and self.until < self.start:
            raise ValidationError.single("until", self.until, f"must not be before {self.start}")
        _check_kind_fields(self)

    def occurrences(self, start: date, end: date) -> list[date]:
        """Return the visit dates in ``[start, end)``, ascending (empty when ``end <= start``)."""
        lo = max(start, self.start)
        hi = end if self.until is None else min(end, self.until + timedelta(days=1))
        if hi <= lo:
            return []
        if self.kind is RecurrenceKind.DAILY or self.kind is RecurrenceKind.WEEKLY:
            return self._by_days(lo, hi)
        return self._by_months(lo, hi)

    def _by_days(self, lo: date, hi: date) -> list[date]:
        step = self.interval
        first = self.start
        if self.kind is RecurrenceKind.WEEKLY:
            assert self.weekday is not None  # checked at construction
            step *= 7
            first += timedelta(days=(self.weekday - first.weekday()) % 7)
        skip = max(0, -(-(lo - first).days // step))  # ceiling: the first visit on or after lo
        day = first + timedelta(days=skip * step)
        found: list[date] = []
        while day < hi:
            found.append(day)
            day += timedelta(days=step)
        return found

    def _visit_in(self, period: int) -> date:
        """The visit of the ``period``-th month (monthly) or year (seasonal) after the start's."""
        if self.kind is RecurrenceKind.MONTHLY:
            assert self.day_of_month is not None
            index = self.start.year * 12 + self.start.month - 1 + period * self.interval
            return _clamped(index // 12, index % 12 + 1, self.day_of_month)
        assert self.season is not None
        return self.season.first_day(self.start.year + period * self.interval)

    def _by_months(self, lo: date, hi: date) -> list[date]:
        if self.kind is RecurrenceKind.MONTHLY:
            elapsed = (lo.year - self.start.year) * 12 + lo.month - self.start.month
        else:
            elapsed = lo.year - self.start.year
        # Every earlier period's visit lies in an earlier month (year), so before lo.
        period = max(0, elapsed // self.interval)
        found: list[date] = []
        while (day := self._visit_in(period)) < hi:
            if day >= lo:
                found.append(day)
            period += 1
        return found


@attrs.frozen(kw_only=True)
class MaintenancePlan:
    """Preventive work a contract promises: which products, what, how often, how exactly.

    Attributes:
        id: The plan's id, unique within its contract.
        recurrence: When visits are due.
        archive_ids: The products visited; empty means every product the contract covers.
        service_type: The kind of work (maintenance unless an installation or the like).
        description: What to do, shown on the generated request.
        early_tolerance_days: A visit may be done this many days before its date.
        late_tolerance_days: A visit may still be done this many days after its date; a visit
            missed by the generation job is still generated within it.
        duration_minutes: How long a visit takes.
        required_skills: Skills the technician needs.
        priority: The priority of the generated requests.

    Raises:
        ValidationError: A bad field, a repeated archive or skill, or a service type that is not
            done on a product (consult, complaint).
    """

    id: str = attrs.field(validator=v.identifier)
    recurrence: Recurrence = attrs.field(validator=v.instance(Recurrence))
    archive_ids: tuple[ArchiveId, ...] = attrs.field(
        default=(), validator=[v.items(v.identifier), v.unique(lambda a: a, "archive")]
    )
    service_type: ServiceType = attrs.field(
        default=ServiceType.MAINTENANCE, validator=v.member(ServiceType)
    )
    description: str = attrs.field(default="Preventive maintenance", validator=v.text(2000))
    early_tolerance_days: int = attrs.field(
        default=0, validator=v.integer(min_value=0, max_value=366)
    )
    late_tolerance_days: int = attrs.field(
        default=0, validator=v.integer(min_value=0, max_value=366)
    )
    duration_minutes: int = attrs.field(
        default=60, validator=v.integer(min_value=1, max_value=24 * 60)
    )
    required_skills: tuple[str, ...] = attrs.field(
        default=(), validator=[v.items(v.identifier), v.unique(lambda s: s, "skill")]
    )
    priority: Priority = attrs.field(default=Priority.NORMAL, validator=v.member(Priority))

    def __attrs_post_init__(self) -> None:
        if not self.service_type.needs_archive:
            raise ValidationError.single(
                "service_type", self.service_type, "must be work done on a product"
            )

    def window(self, due: date) -> tuple[date, date]:
        """Return the first and last day (inclusive) a visit due on ``due`` may be done.

        The tolerances widen the day itself; a seasonal visit may also be done until its
        season window closes.
        """
        first = due - timedelta(days=self.early_tolerance_days)
        last = due + timedelta(days=self.late_tolerance_days)
        season = self.recurrence.season
        if season is not None:
            last = max(last, season.last_day(due.year))
        return first, last

    def applies_to(self, covered: tuple[ArchiveId, ...]) -> tuple[ArchiveId, ...]:
        """Return the products visited, given those the contract covers (all when none named)."""
        return self.archive_ids or covered


def due_visits(plan: MaintenancePlan, start: date, end: date) -> list[date]:
    """Return the dates visits of ``plan`` are due in ``[start, end)``, ascending, no repeats."""
    return plan.recurrence.occurrences(start, end)
