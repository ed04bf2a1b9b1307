"""The satisfaction survey result (满意度调查) for a closed request."""

from __future__ import annotations

from datetime import datetime

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import RequestId, SurveyId, TechnicianId

__all__ = ["SurveyItem", "SurveyResult"]


@attrs.frozen(kw_only=True)
class SurveyItem:
    """One follow-up element of a survey (回访要素): a question the customer scored or answered.

    Attributes:
        element: What was asked, e.g. ``"response_speed"``, ``"attitude"``, ``"price"``.
        score: 1 (very unsatisfied) to 5 (very satisfied), if the element is scored.
        answer: The customer's words, if any.

    Raises:
        ValidationError: A bad field, or neither a score nor an answer.
    """

    element: str = attrs.field(validator=v.identifier)
    score: int | None = attrs.field(
        default=None, validator=v.optional(v.integer(min_value=1, max_value=5))
    )
    answer: str = attrs.field(default="", validator=v.text(2000, allow_empty=True))

    def __attrs_post_init__(self) -> None:
        if self.score is None and not self.answer.strip():
            raise ValidationError.single(
                "score", None, f"element {self.element} needs a score or an answer"
            )


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
        items: The follow-up elements asked (回访要素), each element once.
        version: Optimistic-locking counter.

    Raises:
        ValidationError: A bad field, or an element asked twice.
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
    items: tuple[SurveyItem, ...] = attrs.field(
        default=(), validator=v.items(v.instance(SurveyItem))
    )
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for i, item in enumerate(self.items):
            if item.element in seen:
                raise ValidationError.single(f"items[{i}].element", item.element, "is asked twice")
            seen.add(item.element)
