"""An HTML page of reports that a manager can open in a browser, print, or read on a phone.

The page is one self-contained file, made from Jinja2 templates (autoescaped): a header with the
period and its headline figures against the previous period, the scheduler's plan of each
planned day as a Gantt chart, then per report a sentence, its charts and its table. Numbers,
dates and money are formatted for a locale with Babel; charts (matplotlib, the ``plot`` extra)
are PNG images embedded in the page, so it needs no network.
"""

from __future__ import annotations

import base64
import enum
import io
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from os import PathLike
from typing import Any, Protocol

import attrs
import jinja2
from babel.dates import format_date, format_datetime, format_interval, format_time
from babel.numbers import format_currency, format_decimal, format_percent
from markupsafe import Markup

from servicecore.errors import MissingExtraError, ValidationError
from servicecore.reports.money import income_cost_margin
from servicecore.reports.penalties import sla_penalties
from servicecore.reports.port import Condition, Op, ReportingBackend, TimeUnit, check_as_of
from servicecore.reports.quality import quality_tracking
from servicecore.reports.report import Report
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

__all__ = [
    "Chart",
    "Figures",
    "Header",
    "Section",
    "header_for",
    "period_figures",
    "render_html",
    "standard_sections",
    "write_html",
]


@attrs.frozen
class Chart:
    """A horizontal bar chart of one report: ``y`` summed per value of ``x``.

    A chart with fewer than two bars is not drawn (the page says what the one value is), and
    one whose values are all zero shows an empty state instead.

    Attributes:
        x: The column whose values are the bars (in the report's row order).
        y: A numeric column summed per bar, or several, stacked (with a legend).
        title: The chart's title.
        per: A numeric column to divide the summed ``y`` by (also summed per bar): the chart
            then shows a rate, on a percent axis (``y`` must be one column).
    """

    x: str
    y: str | tuple[str, ...]
    title: str
    per: str | None = None

    @property
    def series(self) -> tuple[str, ...]:
        """The summed columns, one per stacked series."""
        return (self.y,) if isinstance(self.y, str) else self.y


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


@attrs.frozen
class Figures:
    """The headline figures of one period.

    Attributes:
        opened: Service requests reported in the period.
        closed: Of those, the ones closed by now.
        targets_met: SLA targets (response and resolution) met during the period.
        targets_breached: SLA targets breached during the period.
        penalties: SLA penalties incurred during the period, ``(currency, amount)`` per
            currency.
        fixed: Closed requests of the period fixed by a technician (see
            :func:`~servicecore.reports.technicians.first_time_fix`).
        first_time: Of those, fixed the first time.
        income: Income of the completed processing orders, ``(currency, amount)`` per currency.
        margin: Their margin (income - cost), ``(currency, amount)`` per currency.
    """

    opened: int
    closed: int
    targets_met: int
    targets_breached: int
    penalties: tuple[tuple[str, Decimal], ...]
    fixed: int
    first_time: int
    income: tuple[tuple[str, Decimal], ...]
    margin: tuple[tuple[str, Decimal], ...]

    @property
    def sla_compliance(self) -> float | None:
        """``targets_met / (targets_met + targets_breached)``, ``None`` when both are 0."""
        decided = self.targets_met + self.targets_breached
        return self.targets_met / decided if decided else None

    @property
    def first_time_fix(self) -> float | None:
        """``first_time / fixed``, ``None`` when nothing was fixed."""
        return self.first_time / self.fixed if self.fixed else None

    @property
    def has_data(self) -> bool:
        """Whether the period recorded anything at all.

        Anything is a request, a decided SLA target, a penalty, a fix, income or margin. A
        period with no data is no baseline: "+37 vs 0" against it would read as growth.
        """
        return bool(
            self.opened
            or self.closed
            or self.targets_met
            or self.targets_breached
            or any(amount for _, amount in self.penalties)
            or self.fixed
            or any(amount for _, amount in self.income)
            or any(amount for _, amount in self.margin)
        )


@attrs.frozen
class Header:
    """The page's header: who, which period, and its figures against the period before.

    Attributes:
        company: The company the report is for.
        start: The period's first instant (aware).
        end: The instant after the period (aware).
        current: The period's figures.
        previous: The figures of the period of equal length before, ``None`` to show no deltas.
            When it has no data (see :attr:`Figures.has_data`) every figure reads "no earlier
            data" instead of a delta.
    """

    company: str
    start: datetime
    end: datetime
    current: Figures
    previous: Figures | None = None


class _Visit(Protocol):
    @property
    def job_id(self) -> str: ...
    @property
    def arrival(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def travel_minutes(self) -> int: ...
    @property
    def late_minutes(self) -> int: ...


class _Span(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class _Route(Protocol):
    @property
    def technician_id(self) -> str: ...
    @property
    def visits(self) -> Sequence[_Visit]: ...
    @property
    def breaks(self) -> Sequence[_Span]: ...
    @property
    def travel_minutes(self) -> int: ...


class _Technician(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def shifts(self) -> Sequence[_Span]: ...


class _Job(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def pinned_start(self) -> int | None: ...


class _Problem(Protocol):
    @property
    def technicians(self) -> Sequence[_Technician]: ...
    @property
    def jobs(self) -> Sequence[_Job]: ...


class _Unassigned(Protocol):
    @property
    def job_id(self) -> str: ...
    @property
    def reason(self) -> enum.Enum: ...


class Plan(Protocol):
    """What the page needs of a scheduler plan: a :class:`servicecore.scheduling.Result`.

    Its minutes count from midnight of the planned day (as
    :func:`servicecore.services.planning.plan_day` plans).
    """

    @property
    def problem(self) -> _Problem:
        """The problem solved."""
        ...

    @property
    def routes(self) -> Sequence[_Route]:
        """One route per technician shift used."""
        ...

    @property
    def unassigned(self) -> Sequence[_Unassigned]:
        """Jobs left out, with the reason."""
        ...


# --- formatting -------------------------------------------------------------------------------

_LABELS = {
    "sla_hit_rate": "SLA hit rate",
    "margin_pct": "Margin %",
    "planned_minutes": "Planned time",
    "shift_minutes": "Shift time",
    "first_time": "First time",
    "repeat_repairs": "Repeat repairs",
    "targets_met": "Targets met",
    "targets_breached": "Targets breached",
    "requests_breached": "Requests breached",
}
_PERCENT = frozenset({"compliance", "rate", "utilisation", "sla_hit_rate"})
_PERCENT_POINTS = frozenset({"margin_pct"})
_SCORES = frozenset({"average_score", "mean_score"})


def _header(column: str) -> str:
    if column in _LABELS:
        return _LABELS[column]
    words = column.removesuffix("_id").split("_")
    text = " ".join("SLA" if w == "sla" else w for w in words)
    return text[:1].upper() + text[1:]


def _words(value: str) -> str:
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def _duration(minutes: float) -> str:
    whole = round(minutes)
    hours, rest = divmod(whole, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest:02d} min"


@attrs.frozen
class _Format:
    locale: str

    def number(self, value: float | Decimal | int) -> str:
        return format_decimal(value, format="#,##0.##", locale=self.locale)

    def percent(self, value: float | Decimal) -> str:
        return format_percent(value, format="#,##0.#%", locale=self.locale)

    def money(self, value: Decimal, currency: str) -> str:
        return format_currency(value, currency, locale=self.locale)

    def day(self, value: date) -> str:
        return format_date(value, "medium", locale=self.locale)

    def label(self, value: object) -> str:
        """A chart category: enums in words, dates for the locale, nothing as "Not recorded"."""
        if value is None:
            return "Not recorded"
        if isinstance(value, enum.Enum):
            return _words(str(value.value))
        if isinstance(value, datetime):
            return format_datetime(value, "short", locale=self.locale)
        if isinstance(value, date):
            return self.day(value)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return str(value)

    def cell(self, row: object, column: str) -> tuple[str, bool]:
        """The text of one table cell, and whether it is a number (aligned right)."""
        value = getattr(row, column)
        if isinstance(value, tuple | list):
            return (", ".join(self.label(v) for v in value) or _DASH), False
        if value is None:
            return _DASH, False
        if isinstance(value, bool | enum.Enum | date | str):
            return self.label(value), False
        if column in _PERCENT:
            return self.percent(value), True
        if column in _PERCENT_POINTS:
            return self.percent(Decimal(value) / 100), True
        if column.endswith("_minutes"):
            return _duration(float(value)), True
        if isinstance(value, Decimal):
            currency = getattr(row, "currency", None)
            if isinstance(currency, str):
                return self.money(value, currency), True
            return self.number(value), True
        if column in _SCORES:
            return format_decimal(value, format="0.0", locale=self.locale), True
        if isinstance(value, int | float):
            return self.number(value), True
        return str(value), False


# --- charts -----------------------------------------------------------------------------------

_DASH = "\u2013"  # an empty cell
_MINUS = "\u2212"  # a typographic minus, as wide as the plus

_INK = "#1f2937"
_MUTED = "#6b7280"
_GRID = "#e5e7eb"
_PALETTE = ("#2563eb", "#dc2626", "#f59e0b", "#10b981", "#8b5cf6", "#64748b")
_DPI = 192
# The Gantt chart's colours; the page's legend (templates/report.css) uses the same.
_BOOKED = "#64748b"
_DRIVING = "#cbd5e1"
_SHIFT = "#f1f5f9"


@contextmanager
def _matplotlib(what: str) -> Iterator[Any]:
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MissingExtraError(what, "plot", "matplotlib") from exc
    style: Any = {
        "font.family": "sans-serif",
        "font.size": 10,
        "text.color": _INK,
        "axes.labelcolor": _INK,
        "axes.edgecolor": _GRID,
        "xtick.color": _MUTED,
        "ytick.color": _INK,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with matplotlib.rc_context(style):
        yield Figure


def _png(figure: Any) -> Markup:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=_DPI, metadata={"Software": None})
    width = round(figure.get_figwidth() * 96)
    data = base64.b64encode(out.getvalue()).decode("ascii")
    return Markup('src="data:image/png;base64,{}" width="{}"').format(data, width)


@attrs.frozen
class _Bars:
    labels: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]  # per series, one value per label
    unit: str  # "count", "percent", "money" or "number"
    currency: str | None


def _bars(report: Report[Any], chart: Chart, fmt: _Format) -> _Bars:
    for name in (chart.x, *chart.series, *((chart.per,) if chart.per else ())):
        if name not in report.columns:
            raise ValidationError.single("chart", name, f"is not a column of {report.title}")
    if chart.per is not None and len(chart.series) != 1:
        raise ValidationError.single("chart", chart.y, "a rate divides one column")
    sums: dict[object, list[float]] = {}
    below: dict[object, float] = {}
    kinds: set[str] = set()
    currencies: set[str] = set()
    for row in report.rows:
        x = getattr(row, chart.x)
        totals = sums.setdefault(x, [0.0] * len(chart.series))
        for i, name in enumerate(chart.series):
            value = getattr(row, name)
            currency = getattr(row, "currency", None)
            if isinstance(value, Decimal) and isinstance(currency, str):
                kinds.add("money")
                currencies.add(currency)
            elif isinstance(value, Decimal) and value != value.to_integral_value():
                kinds.add("float")  # a quantity with a fraction; a whole one counts
            elif isinstance(value, float) or name in _PERCENT:
                kinds.add("float")
            totals[i] += float(value or 0)
        if chart.per is not None:
            below[x] = below.get(x, 0.0) + float(getattr(row, chart.per) or 0)
    keys = list(sums)
    if isinstance(next(iter(keys), None), date):
        keys.sort()  # a time axis reads in time order
    if chart.per is not None:
        keys = [k for k in keys if below[k]]
        values: tuple[tuple[float, ...], ...] = (tuple(sums[k][0] / below[k] for k in keys),)
        unit = "percent"
    else:
        if len(chart.series) > 1:  # a stacked bar of nothing is noise
            keys = [k for k in keys if any(sums[k])]
        values = tuple(tuple(sums[k][i] for k in keys) for i in range(len(chart.series)))
        unit = "money" if "money" in kinds else "number" if "float" in kinds else "count"
        if chart.series[0] in _PERCENT and len(chart.series) == 1:
            unit = "percent"
    currency = next(iter(currencies)) if len(currencies) == 1 else None
    return _Bars(tuple(fmt.label(k) for k in keys), values, unit, currency)


def _value_text(bars: _Bars, value: float, fmt: _Format) -> str:
    if bars.unit == "percent":
        return fmt.percent(value)
    if bars.unit == "money" and bars.currency:
        return fmt.money(Decimal(str(value)), bars.currency)
    return fmt.number(value)


def _draw_bars(bars: _Bars, chart: Chart, fmt: _Format) -> Markup:
    with _matplotlib("a report chart") as figure_type:
        from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

        n = len(bars.labels)
        figure = figure_type(figsize=(5, 0.34 * n + 0.9), layout="constrained")
        ax = figure.add_subplot()
        positions = range(n)
        left = [0.0] * n
        stacked = len(bars.values) > 1
        for i, series in enumerate(bars.values):
            if stacked and not any(series):
                continue  # a series of zeros would only add a legend entry
            drawn = ax.barh(
                positions,
                series,
                left=left,
                height=0.62,
                color=_PALETTE[i % len(_PALETTE)],
                label=_header(chart.series[i]),
            )
            if not stacked:
                ax.bar_label(
                    drawn,
                    labels=[_value_text(bars, v, fmt) for v in series],
                    padding=3,
                    fontsize=9,
                    color=_INK,
                )
            left = [a + b for a, b in zip(left, series, strict=True)]
        ax.set_yticks(list(positions), [textwrap.fill(t, 24) for t in bars.labels])
        ax.invert_yaxis()
        ax.grid(axis="x", color=_GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)
        if bars.unit == "percent":
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            ax.set_xlim(0, max(1.0, max(left) * 1.15))
        else:
            if bars.unit == "count":
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.xaxis.set_major_formatter(
                FuncFormatter(lambda v, _pos: _value_text(bars, v, fmt) if v else "0")
            )
            ax.set_xlim(0, max(left) * (1.05 if stacked else 1.22))
        if stacked:
            ax.legend(
                loc="lower left",
                bbox_to_anchor=(0, 1.0),
                ncols=len(bars.values),
                frameon=False,
                fontsize=9,
            )
        return _png(figure)


@attrs.frozen
class _ChartView:
    title: str
    image: Markup | None = None  # the chart, when drawn
    summary: str = ""  # one bar: what it is, said in words
    empty: str = ""  # nothing to draw: the empty state


def _chart_view(report: Report[Any], chart: Chart, fmt: _Format, draw: bool) -> _ChartView:
    bars = _bars(report, chart, fmt)
    totals = [sum(column) for column in zip(*bars.values, strict=True)]
    if not totals or not any(totals):
        return _ChartView(chart.title, empty="Nothing to chart: every value is zero.")
    if len(bars.labels) == 1:
        parts = [
            f"{_header(name)} {_value_text(bars, series[0], fmt)}"
            for name, series in zip(chart.series, bars.values, strict=True)
        ]
        what = ", ".join(parts) if len(parts) > 1 else _value_text(bars, bars.values[0][0], fmt)
        return _ChartView(chart.title, summary=f"All in one: {bars.labels[0]} ({what}).")
    if not draw:
        return _ChartView(chart.title)
    return _ChartView(chart.title, image=_draw_bars(bars, chart, fmt))


# --- the plan ---------------------------------------------------------------------------------


def _clock(minute: float) -> str:
    whole = round(minute)
    return f"{whole // 60 % 24:02d}:{whole % 60:02d}"


def _draw_gantt(plan: Plan, hours: tuple[int, int], rows: Sequence[str]) -> Markup:
    technicians = list(plan.problem.technicians)
    pinned = {job.id for job in plan.problem.jobs if job.pinned_start is not None}
    with _matplotlib("the plan's Gantt chart") as figure_type:
        from matplotlib.ticker import FixedLocator, FuncFormatter

        figure = figure_type(figsize=(10, 0.4 * len(technicians) + 0.5), layout="constrained")
        ax = figure.add_subplot()
        row_of = {t.id: i for i, t in enumerate(technicians)}
        for t in technicians:
            for shift in t.shifts:
                ax.broken_barh(
                    [(shift.start, shift.end - shift.start)],
                    (row_of[t.id] - 0.4, 0.8),
                    facecolors=_SHIFT,
                )
        for route in plan.routes:
            row = row_of.get(route.technician_id, 0)
            for visit in route.visits:
                if visit.travel_minutes:
                    ax.broken_barh(
                        [(visit.arrival - visit.travel_minutes, visit.travel_minutes)],
                        (row - 0.1, 0.2),
                        facecolors=_DRIVING,
                    )
                ax.broken_barh(
                    [(visit.start, max(visit.end - visit.start, 1))],
                    (row - 0.3, 0.6),
                    facecolors=_BOOKED if visit.job_id in pinned else _PALETTE[0],
                    edgecolors=_PALETTE[1] if visit.late_minutes else "white",
                    linewidth=2 if visit.late_minutes else 1,
                )
            for pause in route.breaks:
                ax.broken_barh(
                    [(pause.start, pause.end - pause.start)],
                    (row - 0.3, 0.6),
                    facecolors="white",
                    edgecolors=_MUTED,
                    hatch="///",
                )
        low, high = hours
        ax.set_xlim(low, high)
        ax.xaxis.set_major_locator(FixedLocator(list(range(low, high + 1, 60))))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _clock(v)))
        ax.set_yticks(range(len(technicians)), list(rows))
        ax.set_ylim(len(technicians) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color=_GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        return _png(figure)


@attrs.frozen
class _PlanView:
    day: str
    facts: tuple[str, ...]
    image: Markup | None
    empty: str
    rows: str = ""  # the Gantt's rows, top to bottom, for its text alternative


def _hours(plans: Sequence[tuple[date, Plan]]) -> tuple[int, int]:
    """The minutes every Gantt chart spans (whole hours), so that the days line up."""
    shifts = [s for _, p in plans for t in p.problem.technicians for s in t.shifts]
    if not shifts:
        return 8 * 60, 17 * 60
    return min(s.start for s in shifts) // 60 * 60, -(-max(s.end for s in shifts) // 60) * 60


def _plan_view(
    day: date,
    plan: Plan,
    fmt: _Format,
    draw: bool,
    hours: tuple[int, int],
    names: Mapping[str, str],
) -> _PlanView:
    pinned = {job.id for job in plan.problem.jobs if job.pinned_start is not None}
    visits = [v for r in plan.routes for v in r.visits]
    new = sum(1 for v in visits if v.job_id not in pinned)
    reasons: dict[str, int] = {}
    for job in plan.unassigned:
        reason = _words(str(job.reason.value)).lower()
        reasons[reason] = reasons.get(reason, 0) + 1
    left = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    facts = (
        f"{fmt.number(new)} {'visit' if new == 1 else 'visits'} planned",
        f"{fmt.number(len(visits) - new)} booked or dispatched kept",
        f"{_duration(sum(r.travel_minutes for r in plan.routes))} driving",
        f"{fmt.number(len(plan.unassigned))} left unassigned" + (f" ({left})" if left else ""),
    )
    title = format_date(day, "full", locale=fmt.locale)
    if not plan.problem.technicians:
        return _PlanView(title, (), None, "Nobody works this day: there was nothing to plan.")
    rows = [names.get(t.id, t.id) for t in plan.problem.technicians]
    image = _draw_gantt(plan, hours, rows) if draw else None
    return _PlanView(title, facts, image, "", ", ".join(rows))


# --- the header -------------------------------------------------------------------------------


def _money_sums(pairs: Iterator[tuple[str, Decimal]]) -> tuple[tuple[str, Decimal], ...]:
    sums: dict[str, Decimal] = {}
    for currency, amount in pairs:
        sums[currency] = sums.get(currency, Decimal(0)) + amount
    return tuple(sorted(sums.items()))


def _sla_totals(backend: ReportingBackend, tenant: str, at: datetime) -> tuple[int, int]:
    rows = sla_compliance(backend, tenant, at).rows
    return sum(r.met for r in rows), sum(r.breached for r in rows)


def period_figures(
    backend: ReportingBackend, tenant: str, start: datetime, end: datetime
) -> Figures:
    """Compute the headline figures of ``[start, end)`` from the standard reports.

    Requests opened are those reported in the period, closed those of them closed by now. SLA
    targets and penalties are what the period added: met and breached targets (and penalties
    incurred) at ``end`` less those at ``start``. First-time fixes are over the closed requests
    reported in the period; income and margin over the processing orders whose dispatch order
    was planned to start in it.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not after
            ``start``.
    """
    opened = sum(r.count for r in failure_causes(backend, tenant, start=start, end=end).rows)
    closed = sum(
        r.count
        for r in backend.count_by(
            tenant,
            "requests",
            ["status"],
            [Condition("reported_at", Op.GE, start), Condition("reported_at", Op.LT, end)],
        )
        if r.key[0] == "closed"
    )
    met_before, breached_before = _sla_totals(backend, tenant, start)
    met, breached = _sla_totals(backend, tenant, end)
    before = dict(
        _money_sums(
            (r.currency, r.incurred)
            for r in sla_penalties(backend, tenant, start).rows
            if r.currency is not None
        )
    )
    penalties = tuple(
        (currency, max(Decimal(0), amount - before.get(currency, Decimal(0))))
        for currency, amount in _money_sums(
            (r.currency, r.incurred)
            for r in sla_penalties(backend, tenant, end).rows
            if r.currency is not None
        )
    )
    fixes = first_time_fix(backend, tenant, start, end).rows
    money = income_cost_margin(backend, tenant, start, end).rows
    return Figures(
        opened=opened,
        closed=closed,
        # A target judged again after a reopening can leave its count: never below zero.
        targets_met=max(0, met - met_before),
        targets_breached=max(0, breached - breached_before),
        penalties=penalties,
        fixed=sum(r.fixed for r in fixes),
        first_time=sum(r.first_time for r in fixes),
        income=_money_sums((r.currency, r.income) for r in money),
        margin=_money_sums((r.currency, r.margin) for r in money),
    )


def header_for(
    backend: ReportingBackend,
    tenant: str,
    company: str,
    start: datetime,
    end: datetime,
    *,
    compare: bool = True,
) -> Header:
    """Build the header of ``[start, end)``, with the period of equal length before it.

    Args:
        backend: The reporting backend.
        tenant: Whose records.
        company: The company's name, shown above the title.
        start: The period's first instant (aware).
        end: The instant after the period (aware).
        compare: Whether to compute the previous period's figures (the deltas).

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not after
            ``start``.
    """
    current = period_figures(backend, tenant, start, end)
    previous = period_figures(backend, tenant, start - (end - start), start) if compare else None
    return Header(company, start, end, current, previous)


@attrs.frozen
class _Card:
    label: str
    values: tuple[str, ...]
    detail: str = ""
    delta: str = ""
    tone: str = "same"  # "good", "bad" or "same"


def _signed(text: str, amount: float | Decimal) -> str:
    return ("+" if amount > 0 else _MINUS if amount < 0 else "±") + text


def _tone(change: float | Decimal, higher_is_better: bool) -> str:
    if not change:
        return "same"
    return "good" if (change > 0) == higher_is_better else "bad"


def _count_card(label: str, now: int, before: int | None, fmt: _Format, detail: str) -> _Card:
    card = _Card(label, (fmt.number(now),), detail)
    if before is None:
        return card
    change = now - before
    return attrs.evolve(
        card,
        delta=f"{_signed(fmt.number(abs(change)), change)} vs {fmt.number(before)}",
        tone=_tone(change, True),
    )


def _rate_card(
    label: str, now: float | None, before: float | None, fmt: _Format, detail: str, compare: bool
) -> _Card:
    card = _Card(label, (fmt.percent(now) if now is not None else _DASH,), detail)
    if not compare:
        return card
    if now is None or before is None:
        return attrs.evolve(card, delta="no figure to compare")
    points = round((now - before) * 100, 1)
    number = format_decimal(abs(points), format="0.#", locale=fmt.locale)
    return attrs.evolve(
        card,
        delta=f"{_signed(number, points)} pts vs {fmt.percent(before)}",
        tone=_tone(points, True),
    )


def _money_card(
    label: str,
    now: tuple[tuple[str, Decimal], ...],
    before: tuple[tuple[str, Decimal], ...] | None,
    fmt: _Format,
    detail: str,
    higher_is_better: bool,
) -> _Card:
    values = tuple(fmt.money(a, c) for c, a in now) or (_DASH,)
    card = _Card(label, values, detail)
    if before is None:
        return card
    current, earlier = dict(now), dict(before)
    deltas = []
    tone = "same"
    for currency in sorted(current.keys() | earlier.keys()):
        was = earlier.get(currency, Decimal(0))
        change = current.get(currency, Decimal(0)) - was
        money = fmt.money(abs(change), currency)
        deltas.append(f"{_signed(money, change)} vs {fmt.money(was, currency)}")
        tone = _tone(change, higher_is_better) if change else tone
    return attrs.evolve(card, delta=" · ".join(deltas) or "nothing to compare", tone=tone)


_NO_EARLIER_DATA = "no earlier data"


def _cards(header: Header, fmt: _Format) -> list[_Card]:
    now, before = header.current, header.previous
    if before is not None and not before.has_data:
        blank = attrs.evolve(header, previous=None)
        return [attrs.evolve(card, delta=_NO_EARLIER_DATA) for card in _cards(blank, fmt)]
    compare = before is not None
    margin_rate = ""
    if len(now.income) == 1 and len(now.margin) == 1 and now.income[0][1]:
        margin_rate = f"{fmt.percent(now.margin[0][1] / now.income[0][1])} of income"
    return [
        _count_card(
            "Requests opened",
            now.opened,
            before.opened if before else None,
            fmt,
            "reported in the period",
        ),
        _count_card(
            "Requests closed",
            now.closed,
            before.closed if before else None,
            fmt,
            f"of those opened ({fmt.percent(now.closed / now.opened)})"
            if now.opened
            else "of those opened",
        ),
        _rate_card(
            "SLA compliance",
            now.sla_compliance,
            before.sla_compliance if before else None,
            fmt,
            f"{fmt.number(now.targets_met)} targets met, "
            f"{fmt.number(now.targets_breached)} breached",
            compare,
        ),
        _money_card(
            "SLA penalties",
            now.penalties,
            before.penalties if before else None,
            fmt,
            "incurred in the period",
            higher_is_better=False,
        ),
        _rate_card(
            "First-time fix",
            now.first_time_fix,
            before.first_time_fix if before else None,
            fmt,
            f"{fmt.number(now.first_time)} of {fmt.number(now.fixed)} fixes",
            compare,
        ),
        _money_card(
            "Income", now.income, before.income if before else None, fmt, "completed work", True
        ),
        _money_card(
            "Margin", now.margin, before.margin if before else None, fmt, margin_rate, True
        ),
    ]


def _period(start: datetime, end: datetime, locale: str) -> str:
    last = (end - timedelta(microseconds=1)).astimezone(start.tzinfo)
    first = start.date()
    if first == last.date():
        return format_date(first, "long", locale=locale)
    return format_interval(first, last.date(), "yMMMd", locale=locale)


def _moment(moment: datetime, locale: str) -> str:
    when = format_date(moment, "medium", locale=locale)
    return f"{when} {format_time(moment, 'short', locale=locale)}"


def _legend(plans: Sequence[tuple[date, Plan]]) -> list[tuple[str, str]]:
    """The Gantt charts' key, as ``(css class, label)``: breaks and lateness only when shown."""
    routes = [route for _, plan in plans for route in plan.routes]
    found = [
        ("planned", "Visit planned by the scheduler"),
        ("booked", "Booked or already dispatched"),
        ("driving", "Driving"),
        ("shift", "Shift"),
    ]
    if any(route.breaks for route in routes):
        found.append(("break", "Break"))
    if any(visit.late_minutes for route in routes for visit in route.visits):
        found.append(("late", "Starts after its SLA due time"))
    return found


# --- the page ---------------------------------------------------------------------------------

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("servicecore.reports", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


@attrs.frozen
class _SectionView:
    anchor: str
    title: str
    note: str
    charts: tuple[_ChartView, ...]
    headers: tuple[str, ...]
    numeric: tuple[bool, ...]
    rows: tuple[tuple[str, ...], ...]


def _section_view(number: int, section: Section, fmt: _Format, draw: bool) -> _SectionView:
    report = section.report
    charts = tuple(_chart_view(report, chart, fmt, draw) for chart in section.charts)
    cells = [[fmt.cell(row, column) for column in report.columns] for row in report.rows]
    numeric = tuple(
        any(cell[i][1] for cell in cells)
        and all(cell[i][1] or cell[i][0] == _DASH for cell in cells)
        for i in range(len(report.columns))
    )
    return _SectionView(
        anchor=f"section-{number}",
        title=report.title,
        note=section.note,
        charts=charts,
        headers=tuple(_header(c) for c in report.columns),
        numeric=numeric,
        rows=tuple(tuple(text for text, _ in row) for row in cells),
    )


def render_html(
    sections: Sequence[Section],
    *,
    title: str,
    charts: bool = True,
    header: Header | None = None,
    plans: Sequence[tuple[date, Plan]] = (),
    technician_names: Mapping[str, str] | None = None,
    locale: str = "en",
    generated: datetime | None = None,
) -> str:
    """Return the page: the header, the plans' Gantt charts, then per section its charts and table.

    Args:
        sections: The reports, in page order.
        title: The page's title.
        charts: Whether to draw the charts and Gantt charts (``False`` needs no matplotlib).
        header: The period and its headline figures (see :func:`header_for`); ``None`` shows
            the title alone.
        plans: The scheduler's plans to show, ``(day, result)`` in day order: a
            :class:`servicecore.scheduling.Result` whose minutes count from the day's midnight
            (as ``desk.dispatch.plan_day(...).result``).
        technician_names: The names the Gantt rows show, by technician id (an id with no name
            shows as the id).
        locale: The Babel locale numbers, money and dates are written for, e.g. ``"en_ID"``.
        generated: When the page was made, shown under the title (``None``: not shown).

    Raises:
        ValidationError: A chart names a column its report does not have (``chart`` is named).
        MissingExtraError: ``charts`` is true, something is to be drawn, and matplotlib is not
            installed.
        babel.core.UnknownLocaleError: ``locale`` is not a locale Babel knows.
    """
    fmt = _Format(locale)
    views = [_section_view(n, s, fmt, charts) for n, s in enumerate(sections, 1)]
    return _ENVIRONMENT.get_template("report.html.j2").render(
        title=title,
        lang=locale.split("_")[0],
        company=header.company if header else "",
        period=_period(header.start, header.end, locale) if header else "",
        previous=(
            _period(header.start - (header.end - header.start), header.start, locale)
            if header and header.previous and header.previous.has_data
            else ""
        ),
        generated=_moment(generated, locale) if generated else "",
        legend=_legend(plans),
        cards=_cards(header, fmt) if header else [],
        plans=[
            _plan_view(day, plan, fmt, charts, _hours(plans), technician_names or {})
            for day, plan in plans
        ],
        sections=views,
    )


def write_html(
    path: str | PathLike[str],
    sections: Sequence[Section],
    *,
    title: str,
    charts: bool = True,
    header: Header | None = None,
    plans: Sequence[tuple[date, Plan]] = (),
    technician_names: Mapping[str, str] | None = None,
    locale: str = "en",
    generated: datetime | None = None,
) -> None:
    """Write :func:`render_html`'s page to ``path`` (UTF-8); the arguments are the same.

    Raises:
        ValidationError: As for :func:`render_html`.
        MissingExtraError: As for :func:`render_html`.
    """
    text = render_html(
        sections,
        title=title,
        charts=charts,
        header=header,
        plans=plans,
        technician_names=technician_names,
        locale=locale,
        generated=generated,
    )
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)


def standard_sections(
    backend: ReportingBackend,
    tenant: str,
    as_of: datetime,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Section]:
    """Build every standard report of ``tenant`` at ``as_of``, with its charts, for a page.

    The time-ranged reports cover ``[start, end)`` (``None``: no bound); the booking report is
    by day over a period of up to two weeks, by week otherwise. SLA compliance, penalties and
    request monitoring are as at ``as_of``; parts usage covers everything stored.

    Raises:
        ValidationError: ``as_of``, ``start`` or ``end`` is not an aware datetime, or ``end``
            is not after ``start``.
    """
    at = check_as_of(as_of)
    daily = start is not None and end is not None and end - start <= timedelta(days=14)
    unit, bucket = (TimeUnit.DAY, "day") if daily else (TimeUnit.WEEK, "week")
    span = {"start": start, "end": end}
    return [
        Section(
            booking_report(backend, tenant, period=unit, **span),
            (
                Chart("technician_id", "count", "Bookings by technician"),
                Chart("status", "count", "Bookings by status"),
                Chart("channel", "count", "Bookings by channel"),
            ),
            f"Bookings by the {bucket} their slot starts in.",
        ),
        Section(
            sla_compliance(backend, tenant, at),
            (Chart("priority", ("met", "breached", "pending"), "SLA targets by priority"),),
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
            (
                Chart("age", "count", "Unfinished requests by age"),
                Chart("status", "count", "Unfinished requests by status"),
            ),
            "Requests neither closed nor cancelled.",
        ),
        Section(
            technician_performance(backend, tenant, **span),
            (
                Chart(
                    "technician_id",
                    ("completed", "rejected", "open"),
                    "Dispatch orders by technician and outcome",
                ),
            ),
            "Dispatch orders by outcome, and satisfaction surveys.",
        ),
        Section(
            first_time_fix(backend, tenant, start, end),
            (Chart("technician_id", "first_time", "First-time-fix rate by technician", "fixed"),),
            "Closed requests each technician fixed, and those fixed with a single dispatch order.",
        ),
        Section(
            technician_utilisation(backend, tenant, start, end),
            (
                Chart(
                    "technician_id",
                    "planned_minutes",
                    "Utilisation by technician",
                    "shift_minutes",
                ),
                Chart("day", "planned_minutes", "Utilisation by day", "shift_minutes"),
            ),
            "Planned time of dispatch orders in progress or completed, over shift time.",
        ),
        Section(
            dispatch_table(backend, tenant, **span),
            (Chart("day", "count", "Dispatch orders by day"),),
            "Dispatch orders by technician and day.",
        ),
        Section(
            parts_usage(backend, tenant),
            (Chart("part_code", "quantity", "Requisitioned quantity by part"),),
            "Requisition lines by part, state and charging.",
        ),
        Section(
            failure_causes(backend, tenant, **span),
            (Chart("fault_cause", "count", "Requests by fault cause"),),
            "Requests by product and recorded fault cause.",
        ),
        Section(
            quality_tracking(backend, tenant, start, end),
            (Chart("fault_cause", ("repeat_repairs", "reopened"), "Repeat repairs and reopened"),),
            "Requests by product and fault cause: reopened, repeat repairs within 30 days, "
            "and the mean survey score.",
        ),
        Section(
            income_cost_margin(backend, tenant, start, end),
            (Chart("solution_type", "income", "Income by solution type"),),
            "Completed processing orders' income (lines and charged parts), cost and margin, "
            "in each order's own currency (never converted).",
        ),
    ]
