import subprocess
import sys

import pytest

from servicecore import __version__
from servicecore.cli import main
from servicecore.demo import run_demo


def test_the_demo_tells_the_story_on_sqlite_and_verifies_every_chain(tmp_path):
    lines: list[str] = []
    summary = run_demo(tmp_path / "demo.db", lines.append)
    assert summary.database.exists()
    assert [r.split(":")[0] for r in summary.refusals] == [
        "DoubleBooking",
        "PermissionDenied",
        "ClosurePolicyError",
    ]
    assert summary.chains_verified >= 8
    assert summary.invoice_total == "185000 IDR"
    assert summary.breaches == 1
    assert summary.penalty is not None
    assert summary.penalty.amount > 0
    assert summary.planned_visits >= 3
    assert summary.care_responses == 3


def test_each_refusal_prints_under_its_own_step(tmp_path):
    lines: list[str] = []
    run_demo(tmp_path / "demo.db", lines.append)
    owner = {}
    step = ""
    for line in lines:
        if line.startswith("["):
            step = line
        elif "refused (" in line:
            owner[line.split("refused (")[1].split(")")[0]] = step
    assert "booking" in owner["DoubleBooking"]
    assert "Budi rejects" in owner["PermissionDenied"]
    assert "closing with 1 photo" in owner["ClosurePolicyError"]


def test_the_demo_prints_times_in_the_company_time_zone_and_one_id_per_booking(tmp_path):
    lines: list[str] = []
    run_demo(tmp_path / "demo.db", lines.append)
    text = "\n".join(lines)
    assert "+00:00" not in text
    assert "Booking-" not in text
    assert "09:00-11:00 with Budi" in text


@pytest.mark.slow
def test_a_fortnight_books_plans_works_breaches_and_rests_on_weekends(tmp_path):
    lines: list[str] = []
    summary = run_demo(tmp_path / "demo.db", lines.append, days=14)
    weekend = [line for line in lines if line.startswith("    weekend")]
    assert len(weekend) == 4
    assert all("no_shift" in line for line in weekend)
    assert summary.bookings >= 1 + 2 + 9 * 3
    assert summary.planned_visits >= 30
    assert summary.breaches >= 3
    assert summary.closed >= 60
    assert summary.alerts >= 1


def test_the_closing_summary_points_to_the_report(tmp_path, capsys):
    assert main(["demo", "--db", str(tmp_path / "d.db"), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert str(tmp_path / "out" / "servicecore-report.html") in out[-1]


def test_the_demo_replaces_an_earlier_database(tmp_path):
    first = run_demo(tmp_path / "demo.db", lambda _line: None)
    second = run_demo(tmp_path / "demo.db", lambda _line: None)
    assert first.audit_entries == second.audit_entries


def test_servicecore_demo_exits_zero_and_writes_the_report(tmp_path, capsys):
    assert main(["demo", "--db", str(tmp_path / "d.db"), "--out", str(tmp_path / "out")]) == 0
    assert "verified chains" in capsys.readouterr().out
    page = (tmp_path / "out" / "servicecore-report.html").read_text()
    assert "Bookings by status" in page
    assert "data:image/png;base64," in page


def test_version_is_printed(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_a_bad_schedule_instance_exits_2_naming_the_bad_fields(tmp_path, capsys):
    instance = tmp_path / "bad.json"
    instance.write_text('{"format": "fsm-json/1", "name": "x"}')
    code = main(["schedule", str(instance), "--time-limit", "1", "-o", str(tmp_path / "o.json")])
    assert code == 2
    err = capsys.readouterr().err
    assert "travel=None" in err
    assert "jobs=None" in err


def test_the_console_script_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "servicecore.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert __version__ in done.stdout


def test_python_dash_m_servicecore_shows_the_help():
    done = subprocess.run(
        [sys.executable, "-m", "servicecore", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "demo" in done.stdout


def test_the_demo_without_its_extra_is_one_line_naming_the_pip_command(monkeypatch, capsys):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert main(["demo"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert 'pip install "servicecore[demo]"' in err


def test_db_upgrade_then_current(tmp_path, capsys):
    path = str(tmp_path / "service.db")
    assert main(["db", "upgrade", path]) == 0
    assert main(["db", "current", path]) == 0
    assert "up to date" in capsys.readouterr().out


def test_db_without_the_sql_extra_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "servicecore.adapters.sqlalchemy.cli", None)
    assert main(["db", "upgrade", "x.db"]) == 2
    assert "servicecore[sql]" in capsys.readouterr().err


@pytest.mark.parametrize("days", [2, 6])
def test_the_demo_runs_as_many_days_as_asked(tmp_path, days):
    lines: list[str] = []
    run_demo(tmp_path / "demo.db", lines.append, days=days, seed=3)
    assert sum(1 for line in lines if "the day" in line and line.startswith("[")) == days


def test_the_demo_refuses_an_unreasonable_number_of_days(tmp_path):
    from servicecore.errors import ValidationError

    with pytest.raises(ValidationError, match="days"):
        run_demo(tmp_path / "demo.db", lambda _line: None, days=0)


def test_the_demo_numbers_its_steps_as_it_goes(tmp_path):
    lines: list[str] = []
    run_demo(tmp_path / "demo.db", lines.append, days=1, out=tmp_path)
    steps = [line for line in lines if line.startswith("[")]
    assert steps[0].startswith("[ 1/11]")
    assert steps[-1].startswith("[11/11]")
