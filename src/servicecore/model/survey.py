"""The satisfaction survey result (满意度调查) for a closed request."""

from __future__ import annotations

from datetime import datetime

import attrs

from servicecore.model import _validate as v
from servicecore.model.common import RequestId, SurveyId, TechnicianId

__all__ = ["SurveyResult"]


@attrs.define(eq=False, kw_only=True)
class SurveyResult:
    """A customer's rating of the service on one request.

    Attributes:
        id: The result's id.
        request_id: The request rated.
        score: 1 (very unsatisfied) to 5 (very satisfied).
        answered_at: When the customer answered.
        sla_met: Whether the request met its SLA (copied for reports on satisfaction vs SLA).
        technician_id: The technician rated, if any.
        comment: The customer's words (may be empty).
        version: Optimistic-locking counter.

    Raises:
        ValidationError: A bad field.
    """

    id: SurveyId = attrs.field(validator=v.identifier)
    request_id: RequestId = attrs.field(validator=v.identifier)
    score: int = attrs.field(validator=v.integer(min_value=1, max_value=5))
    answered_at: datetime = attrs.field(validator=v.aware_datetime)
    sla_met: bool = attrs.field(validator=v.boolean)
    technician_id: TechnicianId | None = attrs.field(
        default=None, validator=v.optional(v.identifier)
    )
    comment: str = attrs.field(default="", validator=v.text(5000, allow_empty=True))
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
