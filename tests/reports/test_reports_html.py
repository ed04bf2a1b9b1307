"""The HTML page of reports: the period's header, readable figures, fitting charts, the plan."""

import builtins
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from report_times import AS_OF, NOW

from servicecore.errors import ValidationError
from servicecore.reports import Report, booking_report
from servicecore.reports.html import (
    Chart,
    Figures,
    Header,
    Section,
    _bars,
    _Format,
    header_for,
    period_figures,
    render_html,
    standard_sections,
    write_html,
)
from servicecore.reports.report import MissingExtra
from servicecore.scheduling import (
    CostBreakdown,
    Job,
    Problem,
    Result,
    Route,
    Shift,
    Technician,
    Travel,
    Visit,
)

DASH = "\u2013"  # en dash: ranges of days, empty cells
MINUS = "\u2212"


@attrs.frozen
class Money:
    contract_id: str
    currency: str
    incurred: Decimal


@attrs.frozen
class Rates:
    technician_id: str
    compliance: float | None
    sla_hit_rate: float
    planned_minutes: float


@attrs.frozen
class Counted:
    technician_id: str
    count: int


@attrs.frozen
class Quantity:
    part_code: str | None
    quantity: Decimal


def images(page: str) -> list[str]:
    return re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,', page)


def a_plan(late: bool = False) -> Result:
    problem = Problem(
        technicians=(
            Technician("T-ANA", skills=(), start=(0, 0), shifts=(Shift(8 * 60, 17 * 60),)),
            Technician("T-BAYU", skills=(), start=(0, 0), shifts=(Shift(8 * 60, 17 * 60),)),
        ),
        jobs=(
            Job("R-1", location=(1, 1), duration=60),
            Job(
                "held:B-1",
                location=(2, 2),
                duration=120,
                pinned_technician="T-ANA",
                pinned_start=13 * 60,
            ),
            Job("R-2", location=(3, 3), duration=60),
        ),
        travel=Travel.euclidean(30),
    )
    routes = (
        Route(
            "T-ANA",
            0,
            8 * 60,
            16 * 60,
            (
                Visit("R-1", 8 * 60 + 20, 8 * 60 + 20, 9 * 60 + 20, 20, 30 if late else 0),
                Visit("held:B-1", 13 * 60, 13 * 60, 15 * 60, 10, 0),
            ),
        ),
    )
    return Result(problem, routes, (), CostBreakdown())


def test_money_is_written_with_the_currency_symbol_for_the_locale():
    report = Report.of("Penalties", Money, [Money("K-1", "IDR", Decimal("185000.0000"))])
    indonesian = render_html([Section(report)], title="t", locale="en_ID", charts=False)
    assert "Rp185.000" in indonesian
    assert "185000.0000" not in indonesian
    euros = Report.of("Penalties", Money, [Money("K-1", "EUR", Decimal("1234.5"))])
    assert "1.234,50\xa0€" in render_html([Section(euros)], title="t", locale="de_DE")
    assert "€1,234.50" in render_html([Section(euros)], title="t", locale="en")


def test_rates_read_as_percentages_times_as_hours_and_headers_in_words():
    row = Rates("T-1", 2 / 9, 1.0, 450.0)
    page = render_html([Section(Report.of("Rates", Rates, [row]))], title="t")
    assert "22.2%" in page
    assert "0.2222222222222222" not in page
    assert "100%" in page
    assert "7 h 30 min" in page
    headers = re.findall(r"<th[^>]*>(.*?)</th>", page)
    assert headers == ["Technician", "Compliance", "SLA hit rate", "Planned time"]
    rows = [Rates("T-1", None, 0, 0), Rates("T-2", 0.5, 0, 0)]
    empty = render_html([Section(Report.of("Rates", Rates, rows))], title="t")
    assert f'<td class="num">{DASH}</td>' in empty


def test_numbers_are_right_aligned_and_text_left():
    page = render_html([Section(Report.of("Jobs", Counted, [Counted("T-1", 1200)]))], title="t")
    assert "<td>T-1</td>" in page
    assert '<td class="num">1,200</td>' in page


def test_a_count_chart_has_integer_ticks(monkeypatch):
    pytest.importorskip("matplotlib")
    import servicecore.reports.html as html

    drawn = []
    real = html._png

    def keep(figure):
        drawn.append(figure)
        return real(figure)

    monkeypatch.setattr(html, "_png", keep)
    report = Report.of("Jobs", Counted, [Counted("T-1", 1), Counted("T-2", 2)])
    page = render_html([Section(report, (Chart("technician_id", "count", "Jobs"),))], title="t")
    assert images(page) == ["Jobs"]
    ticks = drawn[0].axes[0].get_xticks()
    assert len(ticks) >= 2
    assert all(float(t).is_integer() for t in ticks)


def test_no_chart_has_a_single_bar():
    report = Report.of("Jobs", Counted, [Counted("T-1", 3), Counted("T-1", 4)])
    page = render_html([Section(report, (Chart("technician_id", "count", "Jobs"),))], title="t")
    assert images(page) == []
    assert "All in one: T-1 (7)." in page


def test_an_empty_section_and_an_all_zero_chart_show_an_empty_state():
    empty = Report("Empty", ("technician_id", "count"), ())
    zero = Report.of("Zero", Counted, [Counted("T-1", 0), Counted("T-2", 0)])
    chart = (Chart("technician_id", "count", "Jobs"),)
    page = render_html([Section(empty, chart), Section(zero, chart)], title="t")
    assert page.count("No data for this period.") == 1
    assert "Nothing to chart: every value is zero." in page
    assert images(page) == []
    assert page.count("<table>") == 1


def test_a_chart_of_whole_quantities_has_an_integer_axis():
    report = Report.of(
        "Parts", Quantity, [Quantity("RELAY-7", Decimal(3)), Quantity("FAN-2", Decimal(1))]
    )
    bars = _bars(report, Chart("part_code", "quantity", "Parts"), _Format("en"))
    assert bars.unit == "count"


def test_a_chart_category_with_no_value_reads_not_recorded():
    report = Report.of("Parts", Quantity, [Quantity(None, Decimal(2))])
    page = render_html([Section(report, (Chart("part_code", "quantity", "Parts"),))], title="t")
    assert "All in one: Not recorded (2)." in page


def test_a_rate_chart_divides_the_sums():
    pytest.importorskip("matplotlib")
    report = Report.of("Jobs", Counted, [Counted("T-1", 1), Counted("T-2", 2)])
    with pytest.raises(ValidationError):
        render_html(
            [Section(report, (Chart("technician_id", ("count", "count"), "x", "count"),))],
            title="t",
        )
    page = render_html(
        [Section(report, (Chart("technician_id", "count", "Rate", "count"),))], title="t"
    )
    assert images(page) == ["Rate"]


def test_the_gantt_is_there_when_a_plan_is_given():
    pytest.importorskip("matplotlib")
    monday, saturday = date(2026, 3, 9), date(2026, 3, 14)
    weekend = Result(Problem(technicians=(), jobs=()), (), (), CostBreakdown())
    page = render_html([], title="t", plans=[(monday, a_plan()), (saturday, weekend)])
    assert images(page) == ["Gantt chart of the plan for Monday, March 9, 2026: T-ANA, T-BAYU"]
    assert "1 visit planned" in page
    assert "1 booked or dispatched kept" in page
    assert "30 min driving" in page
    assert "Nobody works this day: there was nothing to plan." in page
    assert "Starts after its SLA due time" not in page
    late = render_html([], title="t", plans=[(monday, a_plan(late=True))])
    assert "Starts after its SLA due time" in late
    assert render_html([], title="t").count("The scheduler's plan") == 0


def test_the_gantt_rows_are_the_technicians_names_where_known():
    pytest.importorskip("matplotlib")
    monday = date(2026, 3, 9)
    page = render_html(
        [], title="t", plans=[(monday, a_plan())], technician_names={"T-ANA": "Ana Putri"}
    )
    assert images(page) == ["Gantt chart of the plan for Monday, March 9, 2026: Ana Putri, T-BAYU"]


def test_the_header_shows_the_period_and_the_headline_figures_with_deltas():
    now = Figures(
        12,
        10,
        9,
        1,
        (("IDR", Decimal(500000)),),
        8,
        6,
        (("IDR", Decimal(2000000)),),
        (("IDR", Decimal(800000)),),
    )
    before = Figures(10, 10, 8, 2, (("IDR", Decimal(250000)),), 4, 4, (), ())
    start = datetime(2026, 3, 9, tzinfo=UTC)
    header = Header("PT Sejuk Abadi", start, start + timedelta(days=5), now, before)
    page = render_html([], title="Service report", header=header, locale="en_ID")
    assert "PT Sejuk Abadi" in page
    assert f"9{DASH}13 Mar 2026" in page
    assert f"compared with 4{DASH}8 Mar 2026" in page
    cards = dict(re.findall(r'card-label">(.*?)</p>\s*<p class="card-value">(.*?)</p>', page))
    assert cards == {
        "Requests opened": "12",
        "Requests closed": "10",
        "SLA compliance": "90%",
        "SLA penalties": "Rp500.000",
        "First-time fix": "75%",
        "Income": "Rp2.000.000",
        "Margin": "Rp800.000",
    }
    deltas = re.findall(r'<p class="delta (\w+)">(.*?)</p>', page)
    assert ("good", "+2 vs 10") in deltas
    assert ("same", "±0 vs 10") in deltas
    assert ("good", "+10 pts vs 80%") in deltas
    assert ("bad", "+Rp250.000 vs Rp250.000") in deltas
    assert ("bad", f"{MINUS}25 pts vs 100%") in deltas
    assert "40% of income" in page


def test_a_period_before_with_no_data_is_no_comparison():
    now = Figures(37, 30, 20, 2, (("IDR", Decimal(50000)),), 8, 6, (("IDR", Decimal(900)),), ())
    empty = Figures(0, 0, 0, 0, (), 0, 0, (), ())
    start = datetime(2026, 3, 9, tzinfo=UTC)
    header = Header("PT Sejuk Abadi", start, start + timedelta(days=7), now, empty)
    page = render_html([], title="Service report", header=header, locale="en_ID")
    deltas = re.findall(r'<p class="delta (\w+)">(.*?)</p>', page)
    assert deltas == [("same", "no earlier data")] * 7
    assert "vs 0" not in page
    assert "compared with" not in page


def test_a_count_of_zero_in_a_period_with_data_is_compared():
    now = Figures(5, 2, 0, 0, (), 0, 0, (), ())
    before = Figures(0, 3, 0, 0, (), 0, 0, (), ())
    start = datetime(2026, 3, 9, tzinfo=UTC)
    header = Header("PT Sejuk Abadi", start, start + timedelta(days=7), now, before)
    page = render_html([], title="Service report", header=header, locale="en_ID")
    deltas = re.findall(r'<p class="delta (\w+)">(.*?)</p>', page)
    assert ("good", "+5 vs 0") in deltas


@pytest.mark.usefixtures("data")
def test_the_figures_of_a_period_come_from_the_standard_reports(backend, tenant):
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=6)
    figures = period_figures(backend, tenant, start, end)
    assert figures.opened > 0
    assert figures.closed <= figures.opened
    assert figures.first_time <= figures.fixed
    header = header_for(backend, tenant, "Acme", start, end)
    assert header.current == figures
    assert header.previous == period_figures(backend, tenant, start - (end - start), start)
    assert header_for(backend, tenant, "Acme", start, end, compare=False).previous is None


@pytest.mark.usefixtures("data")
def test_the_standard_page_needs_no_network(backend, tenant, tmp_path):
    pytest.importorskip("matplotlib")
    sections = standard_sections(backend, tenant, AS_OF)
    target = tmp_path / "report.html"
    write_html(target, sections, title="Service <weekly>", plans=[(date(2026, 3, 9), a_plan())])
    page = target.read_text(encoding="utf-8")
    assert "<title>Service &lt;weekly&gt;</title>" in page
    titles = re.findall(r"<h2>(.*?)</h2>", page)
    assert titles == ["The scheduler's plan", *(s.report.title for s in sections)]
    assert len(sections) == 12
    assert "Bookings by technician" in images(page)
    assert "_" not in "".join(re.findall(r"<th[^>]*>(.*?)</th>", page))
    assert all(src.startswith("data:") for src in re.findall(r'src="([^"]*)"', page))
    assert "<link" not in page
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page
    rows = sum(len(s.report.rows) for s in sections)
    headers = sum(1 for s in sections if s.report.rows)
    assert page.count("<tr>") == rows + headers


@pytest.mark.usefixtures("data")
def test_standard_sections_keep_to_the_period(backend, tenant):
    start, end = NOW, NOW + timedelta(days=1)
    everything = {s.report.title: s.report for s in standard_sections(backend, tenant, AS_OF)}
    day = {
        s.report.title: s.report
        for s in standard_sections(backend, tenant, AS_OF, start=start, end=end)
    }
    assert day["Bookings"].rows == booking_report(backend, tenant, start=start, end=end).rows
    assert len(day["Bookings"].rows) < len(everything["Bookings"].rows)


@attrs.frozen
class Lent:
    item_code: str
    serials: tuple[str, ...]


def test_a_list_of_values_reads_as_plain_text_and_an_empty_one_as_a_dash():
    report = Report.of("Lent", Lent, [Lent("FAN", ("S1", "S2")), Lent("HEAT", ())])
    page = render_html([Section(report)], title="t", charts=False)
    assert "<td>S1, S2</td>" in page
    assert f"<td>{DASH}</td>" in page
    assert "<td>()</td>" not in page


def test_values_are_escaped():
    report = Report.of("Jobs", Counted, [Counted("<b>T-1</b>", 1)])
    page = render_html([Section(report)], title="<i>t</i>", charts=False)
    assert "&lt;b&gt;T-1&lt;/b&gt;" in page
    assert "<b>" not in page
    assert "<i>" not in page


@pytest.mark.usefixtures("data")
def test_without_charts_or_matplotlib(backend, tenant, monkeypatch):
    section = Section(booking_report(backend, tenant), (Chart("status", "count", "By status"),))
    real = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib here")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    page = render_html([section], title="Bookings", charts=False)
    assert "<img" not in page
    assert "<td>Confirmed</td>" in page
    with pytest.raises(MissingExtra) as info:
        render_html([section], title="Bookings")
    assert info.value.package == "matplotlib"
    assert "servicecore[plot]" in str(info.value)


def test_a_chart_must_name_columns():
    empty = Report("Empty", ("a", "count"), ())
    with pytest.raises(ValidationError) as info:
        render_html([Section(empty, (Chart("colour", "count", "x"),))], title="t")
    assert info.value.errors[0].path == "chart"
