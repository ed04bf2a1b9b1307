"""Technician reports beyond the standard performance report: first-time fixes, utilisation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import attrs

from servicecore.model.dispatch import DispatchStatus
from servicecore.model.technician import Technician
from servicecore.reports import queries
from servicecore.reports.port import ReportingBackend, check_range
from servicecore.reports.report import Report

__all__ = [
    "UTILISED_STATUSES",
    "FirstTimeFixRow",
    "UtilisationRow",
    "first_time_fix",
    "shift_minutes",
    "technician_utilisation",
]

UTILISED_STATUSES = (DispatchStatus.IN_PROGRESS, DispatchStatus.COMPLETED)
"""The dispatch orders whose planned time counts as used: in progress or completed."""


@attrs.frozen
class FirstTimeFixRow:
    """One technician's first-time fixes.

    Attributes:
        technician_id: The technician.
        fixed: Closed requests on which the technician completed a dispatch order.
        first_time: Those of them the technician fixed the first time: this completed order
            is the request's only visit (its only order in progress or completed).
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
    time* when it was fixed on its first visit: exactly one of its dispatch orders is a visit
    (work on it started: in progress or completed, :data:`~servicecore.reports.port.VISIT_STATUSES`)
    and that one is completed. Orders nobody worked on are not visits: a job another technician
    rejected first, or that was revoked before work started, counts as a first-time fix for the
    technician who then fixed it on one visit (and no row for the one who rejected it). Two
    completed orders (a revisit, by the same technician or another) make it no first-time fix
    for either. Reopening is not looked at: a reopened request that needed no second visit
    still counts as a first-time fix. One grouped query (visits grouped by request in the
    database, joined).

    Returns:
        Rows ordered by technician id.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not after
            ``start``.
    """
    check_range(start, end)
    rows = [
        FirstTimeFixRow(r.technician_id, r.fixed, r.first_time, r.first_time / r.fixed)
        for r in queries.first_time_fixes(backend, tenant, start, end)
        if r.fixed
    ]
    rows.sort(key=lambda r: r.technician_id)
    return Report.of("First-time-fix rate", FirstTimeFixRow, rows)


@attrs.frozen
class UtilisationRow:
    """One technician's planned work on one UTC day, against their shifts.

    Attributes:
        technician_id: The technician.
        day: The UTC day the dispatch orders were planned to start on.
        orders: Dispatch orders in progress or completed planned to start that day.
        planned_minutes: Their planned time in all (``planned_end - planned_start``).
        shift_minutes: The technician's shift time falling in that UTC day.
        utilisation: ``planned_minutes / shift_minutes``, ``None`` without shift time (a day
            off, or a technician no longer stored); may exceed 1 (overtime).
    """

    technician_id: str
    day: date
    orders: int
    planned_minutes: float
    shift_minutes: float
    utilisation: float | None


def shift_minutes(technician: Technician, day: date) -> float:
    """Return the minutes of ``technician``'s shifts that fall in the UTC day ``day``.

    The shifts are read in the technician's timezone, so the shifts of the local days before
    and after ``day`` may overlap the UTC day too.
    """
    lo = datetime.combine(day, time(0), tzinfo=UTC)
    hi = lo + timedelta(days=1)
    total = timedelta(0)
    for offset in (-1, 0, 1):
        for window in technician.shifts_on(day + timedelta(days=offset)):
            overlap = min(window.end, hi) - max(window.start, lo)
            if overlap > timedelta(0):
                total += overlap
    return total.total_seconds() / 60


def technician_utilisation(
    backend: ReportingBackend,
    tenant: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Report[UtilisationRow]:
    """Technician utilisation: planned minutes of work per technician and day over shift time.

    Takes the dispatch orders in progress or completed (:data:`UTILISED_STATUSES`) planned to
    start in ``[start, end)``; an order counts wholly on the UTC day it is planned to start. The
    planned minutes are summed per technician and day in the database; the shift minutes of the
    few technician-days found are computed here from the technicians' weekly shifts
    (:func:`shift_minutes`).

    Returns:
        Rows ordered by technician id and day.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, or ``end`` is not after
            ``start``.
    """
    check_range(start, end)
    planned = queries.planned_time(
        backend, tenant, [s.value for s in UTILISED_STATUSES], start, end
    )
    wanted = sorted({p.technician_id for p in planned})
    people: dict[str, Technician] = {
        str(t.id): t for t in queries.technicians(backend, tenant, wanted)
    }
    rows = []
    for p in planned:
        person = people.get(p.technician_id)
        available = 0.0 if person is None else shift_minutes(person, p.day)
        minutes = p.seconds / 60
        rows.append(
            UtilisationRow(
                technician_id=p.technician_id,
                day=p.day,
                orders=p.orders,
                planned_minutes=minutes,
                shift_minutes=available,
                utilisation=minutes / available if available else None,
            )
        )
    rows.sort(key=lambda r: (r.technician_id, r.day))
    return Report.of("Technician utilisation", UtilisationRow, rows)
