import subprocess
import sys

import attrs
import pytest

from servicecore import __version__
from servicecore.adapters.memory_reporting import reporting_for
from servicecore.adapters.sqlalchemy import SQLAlchemyStorage
from servicecore.cli import main
from servicecore.demo import TENANT, DemoSummary, run_demo
from servicecore.reports import quality_tracking


def under(lines: list[str], words: str) -> list[str]:
    """The lines printed under the first step whose title holds ``words``, stripped."""
    start = next(i for i, line in enumerate(lines) if line.startswith("[") and words in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    return [line.strip() for line in lines[start + 1 : end]]


@attrs.frozen
class Told:
    summary: DemoSummary
    lines: list[str]

    def step(self, words: str) -> list[str]:
        return under(self.lines, words)


@pytest.fixture(scope="module")
def monday(tmp_path_factory):
    """One day of the demo, with its reports written."""
    where = tmp_path_factory.mktemp("monday")
    lines: list[str] = []
    summary = run_demo(where / "demo.db", lines.append, days=1, out=where / "out")
    return Told(summary, lines)


def test_the_demo_tells_the_story_on_sqlite_and_verifies_every_chain(tmp_path):
    lines: list[str] = []
    summary = run_demo(tmp_path / "demo.db", lines.append)
    assert summary.database.exists()
    assert [r.split(":")[0] for r in summary.refusals] == [
        "DoubleBooking",
        "PermissionDenied",
        "ClosurePolicyError",
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
    owner: dict[str, list[str]] = {}
    step = ""
    for line in lines:
        if line.startswith("["):
            step = line
        elif "refused (" in line:
            owner.setdefault(line.split("refused (")[1].split(")")[0], []).append(step)
    assert ["booking" in s for s in owner["DoubleBooking"]] == [True]
    assert ["Budi rejects" in s for s in owner["PermissionDenied"]] == [True]
    photos, checklist = owner["ClosurePolicyError"]
    assert "closing with 1 photo" in photos
    assert "Mon 09 Mar: the rest of the day" in checklist


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
    assert steps[0].startswith("[ 1/14]")
    assert steps[-1].startswith("[14/14]")


def test_the_first_look_regrades_the_repair_an_emergency_and_its_due_time_is_recomputed(monday):
    assert (
        "09:45 stock warming: Andi re-grades it urgent -> emergency, "
        "resolution due Mon 12:50 (was Tue 15:50)"
    ) in monday.step("09:40 Wayan starts")


def test_a_maintenance_visit_closed_before_its_checklist_is_refused_then_closed(monday):
    day = monday.step("Mon 09 Mar")
    refused = day.index(
        "refused (ClosurePolicyError): checklist not answered: pressure, coils, drain"
    )
    assert "before its checklist" in day[refused - 1]
    assert day[refused + 1].endswith(
        "answers the 3 items on the completed work (not reopened), closes"
    )
    assert "checklist not done" in monday.summary.refusals[-1]
    storage = SQLAlchemyStorage(monday.summary.database)
    try:
        quality = quality_tracking(reporting_for(storage), TENANT)
    finally:
        storage.close()
    assert sum(row.reopened for row in quality.rows) == 0


def test_a_unit_taken_to_the_workshop_leaves_a_loaner_and_its_request_open(monday):
    day = monday.step("Mon 09 Mar")
    assert any("takes the unit to the workshop" in line for line in day)
    assert "and lends PORTABLE-AC LN-0001; the request closes when it is back" in day
    assert "5 requests closed with photos before and after, checklists answered" in day


def test_the_service_log_of_mondays_repair_tells_each_step_with_technician_hours_and_parts(monday):
    log = monday.step("service log of Monday's repair")
    assert len(log) >= 15
    assert monday.summary.service_log >= len(log)
    assert log[0].startswith("08:50 Siti   request: create -> open (repair, urgent:")
    assert "08:55 Andi   dispatch: create -> assigned (Budi 09:00-11:00)" in log
    assert "09:00 Budi   dispatch: reject -> rejected: no refrigerant gauge with me today" in log
    (regrade,) = [line for line in log if "request: regrade" in line]
    assert regrade.startswith(
        "09:45 Andi   request: regrade (priority urgent -> emergency, "
        "response due Mon 12:50 -> Mon 10:50, resolution due Tue 15:50 -> Mon 12:50): first look"
    )
    assert "11:00 Wayan  work: complete -> completed (1.5 h, RELAY-7 x1 charged)" in log
    assert "09:50 Wayan  evidence: 3 photos before" in log
    assert log[-1] == "11:10 Toko Maju survey: 5/5, Fast, tidy, explained everything"


def test_the_next_day_is_planned_ahead_and_its_service_plan_printed_and_written(monday):
    plan = monday.step("ahead (")
    assert any(line.startswith("Tue 10 Mar planned: ") for line in plan)
    assert "Wed 11 Mar to plan: 3 maintenance" in plan
    written = (monday.summary.reports[1]).read_text().splitlines()
    assert written[0] == "day,state,technician_id,service_type,visits,planned_hours"
    assert len(written) - 1 == monday.summary.service_plan == len(plan)
    assert {row.split(",")[1] for row in written[1:]} == {"planned", "to_plan"}


def test_the_day_planned_ahead_leaves_no_open_request_unassigned(monday):
    header = next(line for line in monday.lines if line.startswith("[") and "ahead (" in line)
    assert ", 0 unassigned)" in header


def test_the_temporary_inventory_shows_the_loaner_out_but_not_the_relay_fitted_in_the_repair(
    monday,
):
    assert monday.step("temporary inventory") == [
        "loaner PORTABLE-AC LN-0001 at the customer's, out since Mon 09 Mar (0 days)",
    ]
    written = (monday.summary.reports[2]).read_text().splitlines()
    assert [row.split(",")[:2] + row.split(",")[-1:] for row in written[1:]] == [
        ["loaner", "PORTABLE-AC", "LN-0001"],
    ]
    assert monday.summary.temporary_stock == 1


def test_the_managers_page_holds_the_service_plan_and_the_temporary_inventory(monday):
    page, plan, stock = monday.summary.reports
    assert [p.name for p in (page, plan, stock)] == [
        "servicecore-report.html",
        "service-plan.csv",
        "temporary-inventory.csv",
    ]
    text = page.read_text()
    assert "Service plan" in text
    assert "Temporary inventory" in text
    assert "PORTABLE-AC" in text


@pytest.mark.slow
def test_a_technician_off_sick_gets_no_visits_and_her_customer_goes_to_a_colleague(tmp_path):
    lines: list[str] = []
    run_demo(tmp_path / "demo.db", lines.append, days=3)
    wednesday = under(lines, "Wed 11 Mar")
    assert wednesday[0] == (
        "07:00 Dewi calls in sick: Andi records the sick day; Dewi's booked customer goes to Wayan"
    )
    assert "the plan gives Dewi 0 visits (the absence leaves no shift that day)" in wednesday
