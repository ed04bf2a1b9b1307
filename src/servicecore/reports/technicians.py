"""Technician reports beyond the standard performance report: the first-time-fix rate."""

from __future__ import annotations

from datetime import datetime

import attrs

from servicecore.reports.port import ReportingBackend, check_range
from servicecore.reports.report import Report

__all__ = ["FirstTimeFixRow", "first_time_fix"]


@attrs.frozen
class FirstTimeFixRow:
    """One technician's first-time fixes.

    Attributes:
        technician_id: The technician.
        fixed: Closed requests on which the technician completed a dispatch order.
        first_time: Those of them the technician fixed the first time: the request has exactly
            one dispatch order in all, and it is this completed one.
        rate: ``first_time / fixed`` (``fixed`` is never 0 in a row).
    """

    technician_id: str
    fixed: int
    first_time: int
    rate: float


def first_time_fix(
    backend: ReportingBackend,
    tenant: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Report[FirstTimeFixRow]:
    """The first-time-fix rate per technician, over the closed requests reported in a range.

    Counts the ``closed`` requests reported in ``[start, end)`` (``None``: no bound). A request
    is *fixed* by each technician who completed one of its dispatch orders, and fixed *the first
    time* when it has exactly one dispatch order of any status (so no rejected, cancelled or
    revisit order) and that one is completed. Reopening is not looked at: a reopened request
    that needed no second dispatch order still counts as a first-time fix. One grouped query
    (dispatch orders grouped by request in the database, joined).

    Returns:
        Rows ordered by technician id.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not after
            ``start``.
    """
    check_range(start, end)
    rows = [
        FirstTimeFixRow(r.technician_id, r.fixed, r.first_time, r.first_time / r.fixed)
        for r in backend.first_time_fixes(tenant, start, end)
        if r.fixed
    ]
    rows.sort(key=lambda r: r.technician_id)
    return Report.of("First-time-fix rate", FirstTimeFixRow, rows)
