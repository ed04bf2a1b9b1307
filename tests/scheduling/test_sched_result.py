from __future__ import annotations

import attrs
import pytest

from servicecore.scheduling import ProblemBuilder, Result, check, solve


@pytest.fixture(scope="module")
def result() -> Result:
    b = ProblemBuilder(name="demo")
    b.technician("ana", skills={"hvac"}, start=(0, 0), breaks=[("12:00", "13:00", 30)])
    b.technician("bo", skills={"elec"}, start=(5, 5))
    for i in range(8):
        b.job(
            f"j{i}",
            location=(i, 8 - i),
            duration=45,
            skills={"hvac"} if i % 2 else {"elec"},
            sla_due="09:30" if i == 2 else None,
            lateness_cost=3,
        )
    b.job("gas", location=(1, 1), duration=10, skills={"gas"}, sla_due="10:00")
    return solve(b.build(), time_limit=5, solution_limit=40)


def test_summary_names_cost_routes_and_left_out_jobs(result):
    text = result.summary()
    assert text.splitlines()[0].startswith("Plan for demo: 8/9 jobs served")
    assert f"cost {result.cost.total}" in text
    assert "unassigned gas: no_skilled_technician" in text
    assert "SLA at risk" in text


def test_at_risk_lists_unserved_and_tight_sla_jobs(result):
    assert "gas" in result.at_risk()
    _, v = result.visit_of("j2")
    assert ("j2" in result.at_risk(margin=30)) == (v.start > 570 - 30)
    assert "j2" in result.at_risk(margin=10_000)


def test_utilisation(result):
    util = {u.technician_id: u for u in result.utilisation()}
    assert util["ana"].available_minutes == 540 - 30
    assert util["ana"].jobs == 4
    assert util["ana"].service_minutes == 180
    assert 0 < util["ana"].ratio < 1


def test_dataframe_has_one_row_per_visit_break_and_unassigned(result):
    df = result.to_dataframe()
    assert list(df["kind"].value_counts().sort_index().items()) == [
        ("break", 1),
        ("job", 8),
        ("unassigned", 1),
    ]
    assert df.loc[df["kind"] == "unassigned", "reason"].tolist() == ["no_skilled_technician"]


def test_dataframe_numbers_stay_integers_when_a_job_is_unassigned(result):
    import pandas as pd

    df = result.to_dataframe()
    for column in ("shift", "arrival", "start", "end", "travel", "late"):
        assert str(df[column].dtype) == "Int64", column
    left = df[df["kind"] == "unassigned"].iloc[0]
    assert left["start"] is pd.NA


def test_plots_draw_on_their_own_figures_without_touching_pyplot(result):
    import matplotlib
    import matplotlib.pyplot as plt

    backend = matplotlib.get_backend()
    open_figures = plt.get_fignums()
    ax = result.plot_gantt()
    assert len(ax.get_yticklabels()) == len(result.routes)
    ax2 = result.plot_map()
    assert ax2.get_title().startswith("demo")
    assert ax.figure is not ax2.figure
    assert plt.get_fignums() == open_figures
    assert matplotlib.get_backend() == backend


def test_a_notebook_shows_a_short_summary_table(result):
    page = result._repr_html_()
    assert page.startswith("<table>")
    assert "8 of 9 jobs" in page
    assert "left out: no_skilled_technician" in page
    assert len(repr(result)) < 200


def test_checker_catches_a_tampered_plan(result):
    route = result.routes[0]
    late = attrs.evolve(route.visits[0], start=route.visits[0].start - 1000)
    tampered = attrs.evolve(
        result, routes=(attrs.evolve(route, visits=(late, *route.visits[1:])), *result.routes[1:])
    )
    assert not check(result.problem, tampered).ok
    dup = attrs.evolve(
        result, routes=(attrs.evolve(route, visits=route.visits * 2), *result.routes[1:])
    )
    assert any("appears 2 times" in v for v in check(result.problem, dup).violations)
    swapped = attrs.evolve(
        result,
        routes=tuple(
            attrs.evolve(r, technician_id="bo" if r.technician_id == "ana" else "ana")
            for r in result.routes
        ),
    )
    assert any("needs" in v for v in check(result.problem, swapped).violations)
    cheap = attrs.evolve(result, cost=attrs.evolve(result.cost, travel=0))
    assert any("stated cost" in v for v in check(result.problem, cheap).violations)
    no_break = attrs.evolve(result, routes=tuple(attrs.evolve(r, breaks=()) for r in result.routes))
    assert any("breaks taken" in v for v in check(result.problem, no_break).violations)


def test_missing_extras_raise_a_clear_error(result, monkeypatch):
    import sys

    from servicecore.scheduling import MissingExtraError

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtraError, match="analysis"):
        result.to_dataframe()
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingExtraError, match="plot"):
        result.plot_gantt()


def test_with_an_epoch_the_dataframe_gives_timestamps_in_its_time_zone(result):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import pandas as pd

    jakarta = ZoneInfo("Asia/Jakarta")
    dated = attrs.evolve(
        result, problem=attrs.evolve(result.problem, epoch=datetime(2026, 3, 4, tzinfo=jakarta))
    )
    df = dated.to_dataframe()
    first = df[df["kind"] == "job"].iloc[0]
    visit = dated.routes[0].visits[0]
    assert first["start"] == pd.Timestamp(2026, 3, 4, tz=jakarta) + pd.Timedelta(
        minutes=visit.start
    )
    assert df[df["kind"] == "unassigned"].iloc[0]["start"] is pd.NaT


def test_an_epoch_must_carry_a_time_zone():
    from datetime import datetime

    from servicecore.errors import ValidationError

    with pytest.raises(ValidationError) as info:
        attrs.evolve(ProblemBuilder().build(), epoch=datetime(2026, 3, 4))
    assert info.value.errors[0].path == "epoch"
