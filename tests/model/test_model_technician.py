from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from servicecore.errors import ValidationError
from servicecore.model import GeoPoint, Shift, Technician

MONDAY = date(2025, 3, 24)


def shift(day: int, start: str, end: str) -> Shift:
    return Shift(weekday=day, start=time.fromisoformat(start), end=time.fromisoformat(end))


def kwargs(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "tech-1",
        "name": "Andi",
        "home": GeoPoint(lat=-6.9, lon=107.6, address="Bandung"),
        "timezone": "Asia/Jakarta",
        "skills": ("hvac", "electrical"),
        "shifts": (
            shift(0, "13:00", "17:00"),
            shift(0, "08:00", "12:00"),
            shift(1, "08:00", "17:00"),
        ),
        "territories": ("west-java",),
        "account_customers": ("cust-1",),
    }
    return {**base, **over}


def test_valid_technician_builds_active_with_version_but_no_status() -> None:
    tech = Technician(**kwargs())
    assert tech.active
    assert tech.version == 0
    assert not hasattr(tech, "status")


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("name", " "),
        ("home", None),
        ("timezone", "Jakarta"),
        ("skills", ("hvac", "hvac")),
        ("skills", ["hvac"]),
        ("shifts", [shift(0, "08:00", "12:00")]),
        ("territories", ("a", "a")),
        ("account_customers", ("c1", "c1")),
        ("active", 1),
        ("version", -1),
    ],
)
def test_bad_field_is_refused_naming_it(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Technician(**kwargs(**{field: bad}))
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_a_bad_item_is_refused_naming_its_index() -> None:
    with pytest.raises(ValidationError) as caught:
        Technician(**kwargs(account_customers=("c1", "c 2")))
    assert caught.value.errors[0].path == "account_customers[1]"
    assert caught.value.errors[0].value == "c 2"


def test_overlapping_shifts_are_refused_naming_the_later_one() -> None:
    shifts = (shift(2, "08:00", "16:00"), shift(2, "15:00", "23:00"))
    with pytest.raises(ValidationError) as caught:
        Technician(**kwargs(shifts=shifts))
    assert caught.value.errors[0].path == "shifts[1]"
    assert caught.value.errors[0].value == shifts[1]


def test_a_night_shift_is_two_shifts_around_midnight() -> None:
    tech = Technician(
        **kwargs(shifts=(shift(0, "22:00", "00:00"), shift(1, "00:00", "06:00")), timezone="UTC")
    )
    (monday,) = tech.shifts_on(MONDAY)
    (tuesday,) = tech.shifts_on(date(2025, 3, 25))
    assert monday.end == tuesday.start == datetime(2025, 3, 25, tzinfo=UTC)


def test_shifts_on_a_day_are_ordered_and_in_the_technicians_zone() -> None:
    ranges = Technician(**kwargs()).shifts_on(MONDAY)
    assert [r.start.astimezone(UTC).hour for r in ranges] == [1, 6]
    assert Technician(**kwargs()).shifts_on(date(2025, 3, 26)) == ()


@pytest.mark.parametrize(
    ("required", "expected"),
    [((), True), (("hvac",), True), (["electrical", "hvac"], True), (("hvac", "gas"), False)],
)
def test_has_skills_needs_every_required_skill(required: tuple[str, ...], expected: bool) -> None:
    assert Technician(**kwargs()).has_skills(required) is expected
