"""The HTML page of reports."""

import builtins
import re

import pytest
from conftest import AS_OF

from servicecore.errors import ValidationError
from servicecore.reports import Report, booking_report
from servicecore.reports.html import Chart, Section, render_html, standard_sections, write_html
from servicecore.reports.report import MissingExtra


@pytest.mark.usefixtures("data")
def test_the_standard_page(backend, tenant, tmp_path):
    pytest.importorskip("matplotlib")
    sections = standard_sections(backend, tenant, AS_OF)
    target = tmp_path / "report.html"
    write_html(target, sections, title="Service <weekly>")
    page = target.read_text(encoding="utf-8")
    assert "<title>Service &lt;weekly&gt;</title>" in page
    titles = re.findall(r"<h2>(.*?)</h2>", page)
    assert titles == [s.report.title for s in sections]
    assert len(titles) == 12
    assert titles[-1] == "Service income, cost and margin"
    images = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,', page)
    assert "Bookings by status" in images
    assert len(images) == sum(len(s.charts) for s in sections if s.report.rows)
    # One table row per report row, plus a header row per non-empty report.
    rows = sum(len(s.report.rows) for s in sections)
    headers = sum(1 for s in sections if s.report.rows)
    assert page.count("<tr>") == rows + headers


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
    assert "<td>confirmed</td>" in page
    with pytest.raises(MissingExtra) as info:
        render_html([section], title="Bookings")
    assert info.value.package == "matplotlib"
    assert "servicecore[plot]" in str(info.value)


def test_a_chart_must_name_columns():
    empty = Report("Empty", ("a", "count"), ())
    with pytest.raises(ValidationError) as info:
        render_html([Section(empty, (Chart("colour", "count", "x"),))], title="t")
    assert info.value.errors[0].path == "chart"
    assert "<em>No rows.</em>" in render_html([Section(empty)], title="t")
