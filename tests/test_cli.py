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
    assert str(summary.penalty) == "1500000 IDR"
    assert summary.alerts == 3
    assert summary.planned_visits == 5
    assert summary.care_responses == 3
    assert any("closure refused with 1 photo after, accepted with 3" in line for line in lines)


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


def test_the_demo_plans_as_many_days_as_asked(tmp_path):
    summary = run_demo(tmp_path / "demo.db", lambda _line: None, days=2, seed=3)
    assert summary.planned_visits == 10


def test_the_demo_refuses_an_unreasonable_number_of_days(tmp_path):
    from servicecore.errors import ValidationError

    with pytest.raises(ValidationError, match="days"):
        run_demo(tmp_path / "demo.db", lambda _line: None, days=0)


def test_the_demo_numbers_its_steps_as_it_goes(tmp_path):
    lines: list[str] = []
    run_demo(tmp_path / "demo.db", lines.append, days=1, out=tmp_path)
    steps = [line for line in lines if line.startswith("[")]
    assert steps[0].startswith("[ 1/14]")
    assert steps[-1].startswith("[14/14]")
