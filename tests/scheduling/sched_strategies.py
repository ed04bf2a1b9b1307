"""Hypothesis strategies and small builders for the scheduling tests."""

from __future__ import annotations

from hypothesis import strategies as st

from servicecore.scheduling import Break, Job, Problem, Shift, Technician, TimeWindow, Travel

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
