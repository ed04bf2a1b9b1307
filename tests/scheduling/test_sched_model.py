from __future__ import annotations

import math

import attrs
import pytest

from servicecore.errors import ValidationError
from servicecore.scheduling import (
    Break,
    Job,
    Problem,
    ProblemBuilder,
    Shift,
    Technician,
    TimeWindow,
    Travel,
    UnassignedReason,
    hm,
    solve,
)


def paths(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [e.path for e in exc.value.errors]


def test_builder_names_the_bad_field_with_its_index():
    b = ProblemBuilder()
    b.technician("t", start=(0, 0))
    b.job("ok", location=(0, 0), duration=10)
    b.job("bad", location=(0, 0), duration=-5)
    with pytest.raises(ValidationError) as exc:
        b.build()
    assert paths(exc) == ["jobs[1].duration"]
    assert exc.value.errors[0].value == -5


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(ValidationError) as exc:
        Job(id="", location=(0, 0), duration=1.5, priority=0)  # type: ignore[arg-type]
    assert paths(exc) == ["id", "duration", "priority"]


@pytest.mark.parametrize(
    ("make", "path"),
    [
        (lambda: TimeWindow(10, 5), "end"),
        (lambda: Break(100, 50, 10), "latest"),
        (lambda: Break(100, 150, 0), "duration"),
        (lambda: Shift(480, 1020, (Break(1000, 1010, 30),)), "breaks[0]"),
        (lambda: Technician(id="t", skills={"a"}, start=(0, 0), shifts=()), "shifts"),
        (lambda: Technician(id="t", skills={"a"}, start="home", shifts=(Shift(0, 1),)), "start"),
        (
            lambda: Technician(
                id="t", skills=set(), start=(0, 0), shifts=(Shift(0, 100), Shift(50, 200))
            ),
            "shifts[1].start",
        ),
        (
            lambda: Job(
                id="j",
                location=(0, 0),
                duration=1,
                time_windows=(TimeWindow(0, 10), TimeWindow(5, 20)),
            ),
            "time_windows",
        ),
        (lambda: Job(id="j", location=(0, 0), duration=1, in_progress=True), "in_progress"),
        (lambda: Travel.euclidean(0), "speed_kmh"),
        (lambda: Travel.from_matrix([(0, 0), (1, 1)], [[0, 1]]), "minutes"),
        (lambda: Travel.from_matrix([(0, 0)], [[-1]]), "minutes[0][0]"),
    ],
)
def test_bad_values_are_refused_with_their_path(make, path):
    with pytest.raises(ValidationError) as exc:
        make()
    assert path in paths(exc)


def test_problem_checks_references_and_duplicates():
    t = Technician(id="t", skills=set(), start=(0, 0), shifts=(Shift(480, 600),))
    jobs = (
        Job(id="a", location=(0, 0), duration=1),
        Job(id="a", location=(0, 0), duration=1),
        Job(id="b", location=(0, 0), duration=1, pinned_technician="ghost"),
        Job(id="c", location=(0, 0), duration=1, pinned_technician="t", pinned_start=900),
    )
    with pytest.raises(ValidationError) as exc:
        Problem(technicians=(t, t), jobs=jobs)
    assert paths(exc) == [
        "technicians[1].id",
        "jobs[1].id",
        "jobs[2].pinned_technician",
        "jobs[3].pinned_start",
    ]


def test_matrix_travel_needs_every_point():
    travel = Travel.from_matrix([(0, 0), (1, 1)], [[0, 3], [4, 0]])
    t = Technician(id="t", skills=set(), start=(0, 0), shifts=(Shift(0, 100),))
    with pytest.raises(ValidationError) as exc:
        Problem(technicians=(t,), jobs=(Job(id="j", location=(2, 2), duration=1),), travel=travel)
    assert paths(exc) == ["jobs[0].location"]
    assert travel.between((0, 0), (1, 1)) == 3
    assert travel.matrix([(1, 1), (0, 0)]) == [[0, 4], [3, 0]]


def test_euclidean_travel_rounds_up_to_whole_minutes():
    travel = Travel.euclidean(30)
    assert travel.between((0, 0), (3, 4)) == 10  # 5 km at 30 km/h
    assert travel.between((0, 0), (0, 5.01)) == 11
    pts = [(0.0, 0.0), (3.0, 4.0), (1.234, 5.678)]
    assert travel.matrix(pts) == [[travel.between(a, b) for b in pts] for a in pts]


def test_haversine_travel():
    travel = Travel.haversine(60)
    paris, london = (48.8566, 2.3522), (51.5074, -0.1278)
    minutes = travel.between(paris, london)
    assert 340 <= minutes <= 346  # about 344 km
    assert travel.matrix([paris, london]) == [[0, minutes], [minutes, 0]]
    assert math.isclose(travel.between(london, paris), minutes)


def test_hm_and_multi_day_builder():
    assert hm("08:30") == 510
    assert hm("00:00", day=2) == 2880
    with pytest.raises(ValidationError):
        hm("8h30")
    b = ProblemBuilder()
    b.technician("t", start=(0, 0), days=3, breaks=[("12:00", "13:00", 30)])
    (tech,) = b.build().technicians
    assert [s.start for s in tech.shifts] == [480, 1920, 3360]
    assert tech.shifts[2].breaks == (Break(720 + 2880, 780 + 2880, 30),)


@pytest.mark.parametrize("x", [1e300, -1e8, math.inf, math.nan])
def test_a_job_location_beyond_any_map_is_a_validation_error_naming_it(x):
    with pytest.raises(ValidationError) as info:
        Job(id="J", location=(x, 0), duration=30)
    assert [e.path for e in info.value.errors] == ["location"]


@pytest.mark.parametrize("x", [1e300, math.inf, math.nan])
def test_a_technician_start_beyond_any_map_is_a_validation_error_naming_it(x):
    with pytest.raises(ValidationError) as info:
        Technician(id="T", skills=(), start=(0, x), shifts=(Shift(480, 1020),))
    assert [e.path for e in info.value.errors] == ["start"]


def test_the_largest_coordinates_allowed_still_plan_without_overflow():
    b = ProblemBuilder(name="far")
    b.technician("ana", skills={"x"}, start=(-10_000_000, -10_000_000))
    b.job("J", location=(10_000_000, 10_000_000), duration=30, skills={"x"})
    result = solve(b.build(), time_limit=1)
    assert [(u.job_id, u.reason) for u in result.unassigned] == [
        ("J", UnassignedReason.UNREACHABLE_WINDOW)
    ]


def test_an_epoch_given_as_text_with_a_misspelt_zone_is_a_validation_error_naming_it():
    with pytest.raises(ValidationError) as info:
        attrs.evolve(ProblemBuilder().build(), epoch="2026-03-04T00:00 Asia/Jakrta")
    assert [e.path for e in info.value.errors] == ["epoch"]
