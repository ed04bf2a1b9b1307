"""Quality tracking (seed 004): reopened requests, repeat repairs and satisfaction by product."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from servicecore.errors import ValidationError
from servicecore.reports import queries
from servicecore.reports.port import ReportingBackend, check_range
from servicecore.reports.report import Report

__all__ = ["QualityRow", "quality_tracking"]


@attrs.frozen
class QualityRow:
    """Service requests of one product and fault cause, with their quality signals.

    Attributes:
        product_code: The product code of the requests' product archive (``None`` without one).
        fault_cause: The requests' recorded fault cause (``None`` while none is recorded).
        requests: How many requests.
        reopened: How many were reopened: a ``reopen`` entry in their audit trail.
        repeat_repairs: How many are repeat repairs: another request on the same product
            archive was reported less than ``repeat_days`` days before, or at the same instant
            (requests outside the report's range count as the earlier one too).
        surveys: How many survey results rate these requests.
        mean_score: Their mean score, ``None`` without surveys.
    """

    product_code: str | None
    fault_cause: str | None
    requests: int
    reopened: int
    repeat_repairs: int
    surveys: int
    mean_score: float | None


def quality_tracking(
    backend: ReportingBackend,
    tenant: str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    repeat_days: int = 30,
) -> Report[QualityRow]:
    """Quality tracking: per product and fault cause, reopened requests, repeats and scores.

    Counts the service requests reported in ``[start, end)`` (``None``: no bound). A request is
    a *repeat repair* when another request on the same product archive was reported less than
    ``repeat_days`` days before it (or at the same instant). Two grouped queries in the
    database: one counting requests, reopened ones (``EXISTS`` on the audit trail) and repeats
    (``EXISTS`` on the requests of the same archive), one over the surveys joined to their
    requests.

    Returns:
        Rows ordered by product code and fault cause, unknown last.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, ``end`` is not after
            ``start``, or ``repeat_days`` is not a positive int.
    """
    check_range(start, end)
    if isinstance(repeat_days, bool) or not isinstance(repeat_days, int) or repeat_days < 1:
        raise ValidationError.single("repeat_days", repeat_days, "must be a positive int")
    rows = [
        QualityRow(
            product_code=r.product_code,
            fault_cause=r.fault_cause,
            requests=r.requests,
            reopened=r.reopened,
            repeat_repairs=r.repeats,
            surveys=r.surveys,
            mean_score=r.score_total / r.surveys if r.surveys else None,
        )
        for r in queries.quality_counts(backend, tenant, start, end, timedelta(days=repeat_days))
    ]
    rows.sort(
        key=lambda r: (
            r.product_code is None,
            r.product_code or "",
            r.fault_cause is None,
            r.fault_cause or "",
        )
    )
    return Report.of("Quality tracking", QualityRow, rows)
