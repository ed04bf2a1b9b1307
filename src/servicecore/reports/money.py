"""Service income, cost and margin: exact money summed in the database."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import attrs

from servicecore.errors import ValidationError
from servicecore.model.enums import SolutionType
from servicecore.reports import queries
from servicecore.reports.port import ReportingBackend, check_range
from servicecore.reports.queries import MoneyKind
from servicecore.reports.report import Report

__all__ = ["IncomeCostMarginRow", "income_cost_margin"]


@attrs.frozen
class IncomeCostMarginRow:
    """The money of completed processing orders of one currency, solution type and month.

    Attributes:
        currency: The processing orders' currency (amounts are never converted).
        solution_type: How the problems were solved, ``None`` when not recorded.
        month: First day of the UTC month the orders' dispatch orders were planned to start in.
        service_income: The sum of the income lines.
        parts_income: The sum of the charged parts used (quantity x unit price).
        income: ``service_income + parts_income``.
        cost: The sum of the cost lines.
        margin: ``income - cost``.
        margin_pct: ``margin / income`` as a percentage, ``None`` when ``income`` is 0.
    """

    currency: str
    solution_type: SolutionType | None
    month: date
    service_income: Decimal
    parts_income: Decimal
    income: Decimal
    cost: Decimal
    margin: Decimal
    margin_pct: Decimal | None


def income_cost_margin(
    backend: ReportingBackend,
    tenant: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Report[IncomeCostMarginRow]:
    """Service income, cost and margin by currency, solution type and month.

    Counts the completed processing orders whose dispatch order was planned to start in
    ``[start, end)`` (``None``: no bound). Three grouped queries (income lines, cost lines,
    charged parts) sum the amounts exactly in the database; only their group totals are
    combined here. ``margin_pct`` is rounded to two decimals (half even).

    Returns:
        Rows ordered by currency, month and solution type (unknown last).

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, ``end`` is not after
            ``start``, or a stored amount cannot be summed exactly (more than 4 decimals, an
            exponent, or 10^11 or more; ``amounts`` names the group).
    """
    check_range(start, end)
    totals: dict[tuple[str, str | None, date], dict[MoneyKind, Decimal]] = {}
    for row in queries.money_totals(backend, tenant, start, end):
        key = (row.currency, row.solution_type, row.month)
        if row.refused:
            raise ValidationError.single(
                "amounts",
                f"{row.currency} {row.solution_type} {row.month} {row.kind.value}",
                f"{row.refused} amount(s) have more than 4 decimals or are 10^11 or more",
            )
        by_kind = totals.setdefault(key, {})
        by_kind[row.kind] = by_kind.get(row.kind, Decimal(0)) + row.total
    rows = []
    for (currency, solution, month), by_kind in totals.items():
        service = by_kind.get(MoneyKind.INCOME, Decimal(0))
        parts = by_kind.get(MoneyKind.PARTS, Decimal(0))
        cost = by_kind.get(MoneyKind.COST, Decimal(0))
        income = service + parts
        margin = income - cost
        pct = None if income == 0 else (margin * 100 / income).quantize(Decimal("0.01"))
        rows.append(
            IncomeCostMarginRow(
                currency=currency,
                solution_type=None if solution is None else SolutionType(solution),
                month=month,
                service_income=service,
                parts_income=parts,
                income=income,
                cost=cost,
                margin=margin,
                margin_pct=pct,
            )
        )
    rows.sort(
        key=lambda r: (
            r.currency,
            r.month,
            r.solution_type is None,
            "" if r.solution_type is None else r.solution_type.value,
        )
    )
    return Report.of("Service income, cost and margin", IncomeCostMarginRow, rows)
