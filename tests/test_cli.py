import subprocess
import sys

import pytest

from servicecore import __version__
from servicecore.cli import main
from servicecore.demo import run_demo


def test_the_demo_tells_the_story_and_verifies_every_chain():
    lines: list[str] = []
    summary = run_demo(lines.append)
    assert summary.request_status == "closed"
    assert summary.quote_versions == 2
    assert summary.chains_verified == 6
    assert len(summary.refusals) == 3
    assert summary.refusals[2].startswith("ClosurePolicyError")
    assert any("3 photos before and 3 after" in line for line in lines)


def test_servicecore_demo_exits_zero(capsys):
    assert main(["demo"]) == 0
    assert "chains verified; request closed" in capsys.readouterr().out


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


def test_db_upgrade_then_current(tmp_path, capsys):
    path = str(tmp_path / "service.db")
    assert main(["db", "upgrade", path]) == 0
    assert main(["db", "current", path]) == 0
    assert "up to date" in capsys.readouterr().out


def test_db_without_the_sql_extra_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "servicecore.adapters.sqlalchemy.cli", None)
    assert main(["db", "upgrade", "x.db"]) == 2
    assert "servicecore[sql]" in capsys.readouterr().err
