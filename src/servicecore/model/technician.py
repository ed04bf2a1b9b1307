"""The technician: a field engineer with skills, a home base, shifts, territories, absences."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.calendar import WeeklyWindow, check_no_overlap
from servicecore.model.common import CustomerId, GeoPoint, TechnicianId, TimeRange

__all__ = ["Absence", "AbsenceKind", "Shift", "Technician"]


class AbsenceKind(enum.Enum):
    """Why a technician is away."""

    LEAVE = "leave"
    SICK = "sick"
    PUBLIC_HOLIDAY = "public_holiday"
    """A public holiday where the technician works (holidays differ by region)."""
    TRAINING = "training"
    OTHER = "other"


@attrs.frozen(kw_only=True)
class Absence:
    """A time the technician does not work although a shift says so.

    Attributes:
        id: The absence's id (unique among the technician's absences).
        kind: Leave, sick, public holiday, training or other.
        period: When (aware; a whole day is its midnight to the next, in the technician's
            time zone).
        note: Free text, e.g. who approved the leave.

    Raises:
        ValidationError: A bad field.
    """

    id: str = attrs.field(validator=v.identifier)
    kind: AbsenceKind = attrs.field(validator=v.member(AbsenceKind))
    period: TimeRange = attrs.field(validator=v.instance(TimeRange))
    note: str = attrs.field(default="", validator=v.text(2000, allow_empty=True))


@attrs.frozen(kw_only=True)
class Shift(WeeklyWindow):
    """A weekly recurring shift, e.g. Tuesday 08:00-16:30, in the technician's timezone.

    Attributes:
        weekday: 0 (Monday) to 6 (Sunday).
        start: Naive wall-clock start time.
        end: Naive wall-clock end time; ``00:00`` means midnight at the end of the day. A night
            shift is two shifts, one each side of midnight.

    Raises:
        ValidationError: A bad field, or ``end`` not after ``start``.
    """


@attrs.define(eq=False, kw_only=True)
class Technician:
    """A field technician the scheduler can assign work to (master data: no lifecycle).

    Attributes:
        id: The technician's id.
        name: Display name.
        home: Where the technician's day starts and ends.
        timezone: IANA timezone the shifts are read in.
        skills: What the technician can do (matched against a request's required skills).
        shifts: Weekly shifts; shifts on one weekday may not overlap.
        territories: Areas the technician serves (free-form codes the host defines).
        account_customers: Customers the technician is the account specialist for (客户专员).
        active: Whether the technician can be assigned work.
        version: Optimistic-locking counter.

    Raises:
        ValidationError: A bad field, a repeated skill, territory or customer, or overlapping
            shifts (naming ``shifts[i]``).
    """

    id: TechnicianId = attrs.field(validator=v.identifier)
    name: str = attrs.field(validator=v.text(200))
    home: GeoPoint = attrs.field(validator=v.instance(GeoPoint))
    timezone: str = attrs.field(default="UTC", validator=v.timezone_name)
    skills: tuple[str, ...] = attrs.field(
        default=(), validator=[v.items(v.text(64)), v.unique(lambda s: s, "skill")]
    )
    shifts: tuple[Shift, ...] = attrs.field(default=(), validator=v.items(v.instance(Shift)))
    territories: tuple[str, ...] = attrs.field(
        default=(), validator=[v.items(v.text(64)), v.unique(lambda s: s, "territory")]
    )
    account_customers: tuple[CustomerId, ...] = attrs.field(
        default=(), validator=[v.items(v.identifier), v.unique(lambda c: c, "customer")]
    )
    active: bool = attrs.field(default=True, validator=v.boolean)
    absences: tuple[Absence, ...] = attrs.field(default=(), validator=v.items(v.instance(Absence)))
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))

    def __attrs_post_init__(self) -> None:
        check_no_overlap("shifts", self.shifts)
        seen: set[str] = set()
        for i, absence in enumerate(self.absences):
            if absence.id in seen:
                raise ValidationError.single(
                    f"absences[{i}].id", absence.id, "is the id of another absence"
                )
            seen.add(absence.id)

    def absent_during(self, period: TimeRange) -> Absence | None:
        """The first of the technician's absences that overlaps ``period``, or ``None``."""
        found = [a for a in self.absences if a.period.overlaps(period)]
        return min(found, key=lambda a: a.period.start) if found else None

    def has_skills(self, required: Iterable[str]) -> bool:
        """Whether the technician has every skill in ``required``."""
        return set(required) <= set(self.skills)

    def shifts_on(self, day: date) -> tuple[TimeRange, ...]:
        """The technician's working ranges on ``day``, aware in :attr:`timezone`, in order.

        The shifts of that weekday, less the absences: a day of leave has none, a sick
        afternoon leaves the morning. Bookings, day plans, utilisation and dispatch all read
        working time here.
        """
        zone = ZoneInfo(self.timezone)
        found = [s for s in self.shifts if s.weekday == day.weekday()]
        found.sort(key=WeeklyWindow.bounds)
        working: list[TimeRange] = []
        for shift in (s.on(day, zone) for s in found):
            pieces = [shift]
            for absence in self.absences:
                pieces = [p for piece in pieces for p in _without(piece, absence.period)]
            working += pieces
        return tuple(working)


def _without(r: TimeRange, gap: TimeRange) -> list[TimeRange]:
    """The parts of ``r`` outside ``gap``."""
    if not r.overlaps(gap):
        return [r]
    found = []
    if r.start < gap.start:
        found.append(TimeRange(r.start, gap.start))
    if gap.end < r.end:
        found.append(TimeRange(gap.end, r.end))
    return found
