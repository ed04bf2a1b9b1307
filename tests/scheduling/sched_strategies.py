"""Hypothesis strategies and small builders for the scheduling tests."""

from __future__ import annotations

from hypothesis import strategies as st

from servicecore.scheduling import (
    Break,
    Job,
    Problem,
    ProblemBuilder,
    Result,
    Shift,
    Technician,
    TimeWindow,
    Travel,
    solve,
)
from servicecore.scheduling.decompose import merge

SKILLS = ("a", "b", "c")


@st.composite
def technicians(draw: st.DrawFn, idx: int, days: int, plain: bool = False) -> Technician:
    skills = draw(st.frozensets(st.sampled_from(SKILLS), min_size=1, max_size=3))
    shifts = []
    for d in range(days):
        lo = d * 1440 + draw(st.integers(420, 540))
        hi = lo + draw(st.integers(240, 600))
        breaks = ()
        if not plain and draw(st.booleans()):
            earliest = draw(st.integers(lo, hi - 60))
            breaks = (Break(earliest, min(earliest + draw(st.integers(0, 60)), hi - 30), 30),)
        shifts.append(Shift(lo, hi, breaks))
    start = (draw(st.integers(0, 20)), draw(st.integers(0, 20)))
    end = draw(st.one_of(st.none(), st.just((10, 10))))
    return Technician(
        id=f"T{idx}",
        skills=skills,
        start=start,
        end=end,
        shifts=tuple(shifts),
        max_jobs=draw(st.one_of(st.none(), st.integers(1, 4))),
        max_work_minutes=None if plain else draw(st.one_of(st.none(), st.integers(120, 600))),
        cost_per_minute=draw(st.integers(1, 3)),
        capacity=draw(st.one_of(st.none(), st.integers(0, 10))),
    )


@st.composite
def jobs(draw: st.DrawFn, idx: int, tech_ids: list[str], days: int) -> Job:
    windows: list[TimeWindow] = []
    t = draw(st.integers(0, days * 1440 - 1440 + 420))
    for _ in range(draw(st.integers(0, 2))):
        lo = t + draw(st.integers(0, 300))
        hi = lo + draw(st.integers(0, 240))
        windows.append(TimeWindow(lo, hi))
        t = hi + 1
    sla = draw(st.one_of(st.none(), st.integers(480, 1100)))
    return Job(
        id=f"J{idx}",
        location=(draw(st.integers(0, 20)), draw(st.integers(0, 20))),
        duration=draw(st.integers(0, 90)),
        skills=draw(st.frozensets(st.sampled_from(SKILLS), max_size=2)),
        time_windows=tuple(windows),
        priority=draw(st.integers(1, 3)),
        sla_due=sla,
        lateness_cost=draw(st.integers(0, 20)) if sla is not None else 0,
        unserved_cost=draw(st.one_of(st.none(), st.integers(0, 2000))),
        preferred_technician=draw(st.one_of(st.none(), st.sampled_from(tech_ids))),
        preference_cost=draw(st.integers(0, 50)),
        demand=draw(st.integers(0, 4)),
    )


@st.composite
def problems(draw: st.DrawFn, max_jobs: int = 8, plain: bool = False) -> Problem:
    """Random problems; ``plain`` ones have no breaks and no span limits."""
    days = draw(st.integers(1, 2))
    n_t = draw(st.integers(1, 3))
    techs = [draw(technicians(i, days, plain)) for i in range(n_t)]
    ids = [t.id for t in techs]
    js = [draw(jobs(i, ids, days)) for i in range(draw(st.integers(0, max_jobs)))]
    speed = draw(st.sampled_from([15.0, 30.0, 60.0]))
    return Problem(
        technicians=tuple(techs),
        jobs=tuple(js),
        travel=Travel.euclidean(speed),
        unserved_cost_per_priority=draw(st.sampled_from([100, 1000])),
        name="random",
    )


HERE = (0, 0)


def two_technicians(*, y_priority: int = 1, ana_skills: tuple[str, ...] = ("x",)) -> Problem:
    """Ana and Bo at one place with a two-hour shift; X fills a shift, so does Y (only Bo)."""
    b = ProblemBuilder(name="tight")
    b.technician("ana", skills=set(ana_skills), start=HERE, shift=("08:00", "10:00"))
    b.technician("bo", skills={"x", "y"}, start=HERE, shift=("08:00", "10:00"))
    b.job("X", location=HERE, duration=120, skills={"x"}, window=("08:00", "08:00"))
    b.job(
        "Y",
        location=HERE,
        duration=120,
        skills={"y"},
        window=("08:00", "08:00"),
        priority=y_priority,
    )
    return b.build()


def merged_parts_leaving_y_out(problem: Problem) -> Result:
    """``two_technicians`` solved as two parts (Bo with X, Ana with Y she cannot do), merged."""
    part_bo = Problem(
        technicians=(problem.technician("bo"),), jobs=(problem.job("X"),), travel=problem.travel
    )
    part_ana = Problem(
        technicians=(problem.technician("ana"),), jobs=(problem.job("Y"),), travel=problem.travel
    )
    return merge(problem, [solve(p, time_limit=10, solution_limit=1) for p in (part_bo, part_ana)])


def one_costed_job() -> Problem:
    """Ana (2 per minute) and Bo at HERE; job A 5 km away, due at 08:00 (3 per minute late),
    preferred by Bo (7 for anyone else)."""
    b = ProblemBuilder(name="costs")
    b.technician("ana", skills={"x"}, start=HERE, shift=("08:00", "17:00"), cost_per_minute=2)
    b.technician("bo", skills={"x"}, start=HERE, shift=("08:00", "17:00"))
    b.job(
        "A",
        location=(5, 0),
        duration=30,
        skills={"x"},
        sla_due="08:00",
        lateness_cost=3,
        preferred_technician="bo",
        preference_cost=7,
    )
    return b.build()


def bo_at_work(
    *, until: str = "12:00", duration: int = 30, location: tuple[float, float] = HERE
) -> ProblemBuilder:
    """Bo (skill x, 08:00 to ``until``) already at work on job IP since 08:00 (in progress)."""
    b = ProblemBuilder(name="busy")
    b.technician("bo", skills={"x"}, start=HERE, shift=("08:00", until))
    b.job(
        "IP",
        location=location,
        duration=duration,
        skills={"x"},
        pinned_technician="bo",
        pinned_start=480,
        in_progress=True,
    )
    return b
