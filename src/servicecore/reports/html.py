"""An HTML page of reports, with bar charts (matplotlib), that a manager can open in a browser.

The page is one self-contained file: tables as HTML, charts as PNG images embedded in it.
"""

from __future__ import annotations

import base64
import enum
import html
import io
from collections.abc import Sequence
from datetime import datetime
from os import PathLike
from typing import Any

import attrs

from servicecore.errors import MissingExtraError, ValidationError
from servicecore.reports.money import income_cost_margin
from servicecore.reports.penalties import sla_penalties
from servicecore.reports.port import ReportingBackend, TimeUnit, check_as_of
from servicecore.reports.quality import quality_tracking
from servicecore.reports.report import Report, _text
from servicecore.reports.standard import (
    booking_report,
    dispatch_table,
    failure_causes,
    parts_usage,
    request_monitoring,
    sla_compliance,
    technician_performance,
)
from servicecore.reports.technicians import first_time_fix, technician_utilisation

__all__ = ["Chart", "Section", "render_html", "standard_sections", "write_html"]


@attrs.frozen
class Chart:
    """A bar chart of one report: ``y`` summed per value of ``x``.

    Attributes:
        x: The column whose values are the bars (enums by value, ``None`` as "none").
        y: A numeric column, summed per bar.
        title: The chart's title.
    """

    x: str
    y: str
    title: str


@attrs.frozen
class Section:
    """One report on the page, with its charts.

    Attributes:
        report: The report (its title heads the section; its rows make the table).
        charts: Bar charts drawn above the table.
        note: A sentence that says what the report counts.
    """

    report: Report[Any]
    charts: tuple[Chart, ...] = ()
    note: str = ""


def _bars(report: Report[Any], chart: Chart) -> dict[str, float]:
    for name in (chart.x, chart.y):
        if name not in report.columns:
            raise ValidationError.single("chart", name, f"is not a column of {report.title}")
    bars: dict[str, float] = {}
    for row in report.rows:
        x = getattr(row, chart.x)
        label = "none" if x is None else str(x.value if isinstance(x, enum.Enum) else x)
        bars[label] = bars.get(label, 0.0) + float(getattr(row, chart.y) or 0)
    return bars


def _png(chart: Chart, bars: dict[str, float]) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise MissingExtraError("a report chart", "plot", "matplotlib") from exc
    fig, ax = plt.subplots(figsize=(7, 3))
    try:
        ax.bar(list(bars), list(bars.values()), color="#4c72b0")
        ax.set_title(chart.title)
        ax.tick_params(axis="x", labelrotation=30)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=90)
    finally:
        plt.close(fig)
    return base64.b64encode(out.getvalue()).decode("ascii")


def render_html(sections: Sequence[Section], *, title: str, charts: bool = True) -> str:
    """Return the page: a heading, then per section its note, charts and table.

    Args:
        sections: The reports, in page order.
        title: The page's title.
        charts: Whether to draw the charts (``False`` needs no matplotlib).

    Raises:
        ValidationError: A chart names a column its report does not have (``chart`` is named).
        MissingExtraError: ``charts`` is true, a section has one, and matplotlib is not installed.
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
        "th{background:#eee}section{margin-bottom:2.5em}</style>",
        f"</head><body><h1>{html.escape(title)}</h1>",
    ]
    for section in sections:
        report = section.report
        parts.append(f"<section><h2>{html.escape(report.title)}</h2>")
        if section.note:
            parts.append(f"<p>{html.escape(section.note)}</p>")
        for chart in section.charts:
            bars = _bars(report, chart)
            if charts and bars:
                alt = html.escape(chart.title, quote=True)
                parts.append(f'<img alt="{alt}" src="data:image/png;base64,{_png(chart, bars)}">')
        if not report.rows:
            parts.append("<p><em>No rows.</em></p></section>")
            continue
        parts.append("<table><tr>")
        parts.extend(f"<th>{html.escape(c)}</th>" for c in report.columns)
        parts.append("</tr>")
        for row in report.rows:
            cells = "".join(
                f"<td>{html.escape(_text(getattr(row, c)))}</td>" for c in report.columns
            )
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(
    path: str | PathLike[str], sections: Sequence[Section], *, title: str, charts: bool = True
) -> None:
    """Write :func:`render_html`'s page to ``path`` (UTF-8).

    Raises:
        ValidationError: As for :func:`render_html`.
        MissingExtraError: As for :func:`render_html`.
    """
    text = render_html(sections, title=title, charts=charts)
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)


def standard_sections(backend: ReportingBackend, tenant: str, as_of: datetime) -> list[Section]:
    """Build every standard report of ``tenant`` at ``as_of``, with its charts, for a page.

    The booking report is by week; the time-ranged reports cover everything stored.

    Raises:
        ValidationError: ``as_of`` is not an aware datetime.
    """
    at = check_as_of(as_of)
    return [
        Section(
            booking_report(backend, tenant, period=TimeUnit.WEEK),
            (
                Chart("status", "count", "Bookings by status"),
                Chart("channel", "count", "Bookings by channel"),
            ),
            "Bookings by the week their slot starts in.",
        ),
        Section(
            sla_compliance(backend, tenant, at),
            (Chart("priority", "breached", "Breached SLA targets by priority"),),
            "Requests against their stored due times: met, breached, pending.",
        ),
        Section(
            sla_penalties(backend, tenant, at),
            (Chart("contract_id", "incurred", "Penalties incurred by contract"),),
            "Penalties incurred by breached contract requests (priced in working time), and at "
            "stake for the targets met: one started hour late each.",
        ),
        Section(
            request_monitoring(backend, tenant, at),
            (Chart("age", "count", "Unfinished requests by age"),),
            "Requests neither closed nor cancelled.",
        ),
        Section(
            technician_performance(backend, tenant),
            (Chart("technician_id", "completed", "Completed jobs by technician"),),
            "Dispatch orders by outcome, and satisfaction surveys.",
        ),
        Section(
            first_time_fix(backend, tenant),
            (Chart("technician_id", "rate", "First-time-fix rate by technician"),),
            "Closed requests each technician fixed, and those fixed with a single dispatch order.",
        ),
        Section(
            technician_utilisation(backend, tenant),
            (Chart("technician_id", "planned_minutes", "Planned minutes by technician"),),
            "Planned minutes of dispatch orders in progress or completed, over shift minutes.",
        ),
        Section(dispatch_table(backend, tenant), (), "Dispatch orders by technician and day."),
        Section(
            parts_usage(backend, tenant),
            (Chart("part_code", "quantity", "Requisitioned quantity by part"),),
            "Requisition lines by part, state and charging.",
        ),
        Section(
            failure_causes(backend, tenant),
            (Chart("fault_cause", "count", "Requests by fault cause"),),
            "Requests by product and recorded fault cause.",
        ),
        Section(
            quality_tracking(backend, tenant),
            (Chart("fault_cause", "repeat_repairs", "Repeat repairs by fault cause"),),
            "Requests by product and fault cause: reopened, repeat repairs within 30 days, "
            "and the mean survey score.",
        ),
        Section(
            income_cost_margin(backend, tenant),
            (),
            "Completed processing orders' income (lines and charged parts), cost and margin, "
            "in each order's own currency (never converted).",
        ),
    ]
