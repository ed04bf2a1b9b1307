"""The customer-care plan (客户关怀): reaching a category of customers, and what it achieved."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import CarePlanId, Money, TimeRange
from servicecore.model.enums import CareMethod
from servicecore.model.lines import MoneyLine, check_currency

__all__ = [
    "CareEffectiveness",
    "CareOutcome",
    "CarePlan",
    "CareStatus",
    "CareTask",
    "CareTaskStatus",
]

_PERCENT = v.decimal(min_value=Decimal(-100), max_value=Decimal(1000))


class CareStatus(enum.Enum):
    """Lifecycle of a care plan (计划、有效、执行中、关闭、无效)."""

    PLAN = "plan"
    ACTIVE = "active"
    EXECUTING = "executing"
    CLOSED = "closed"
    INVALID = "invalid"


class CareTaskStatus(enum.Enum):
    """Whether a care task (a call, a visit, another contact) is still to do."""

    OPEN = "open"
    DONE = "done"


class CareOutcome(enum.Enum):
    """What came of a care task; only :attr:`POSITIVE` counts as a customer response."""

    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"
    UNREACHABLE = "unreachable"


_TASK_METHODS = frozenset({CareMethod.PHONE, CareMethod.VISIT, CareMethod.OTHER})


@attrs.frozen(kw_only=True)
class CareTask:
    """One call, visit or other contact a participant owes one customer (a care plan's task).

    Attributes:
        id: The task's id, unique within its plan.
        customer_id: The host's id of the customer to contact.
        method: Phone, visit or other (SMS, e-mail and letters are not tasks).
        due: When it must be done by (the end of the plan's schedule).
        assignee: The participant who does it.
        status: Open or done.
        outcome: What came of it; set exactly when done.
        done_at: When it was done; set exactly when done.
        note: What the participant wrote down.

    Raises:
        ValidationError: A bad field, a method that is not a task method, or an outcome or
            completion time on an open task (or missing on a done one).
    """

    id: str = attrs.field(validator=v.identifier)
    customer_id: str = attrs.field(validator=v.identifier)
    method: CareMethod = attrs.field(validator=v.member(CareMethod))
    due: datetime = attrs.field(validator=v.aware_datetime)
    assignee: str = attrs.field(validator=v.identifier)
    status: CareTaskStatus = attrs.field(
        default=CareTaskStatus.OPEN, validator=v.member(CareTaskStatus)
    )
    outcome: CareOutcome | None = attrs.field(
        default=None, validator=v.optional(v.member(CareOutcome))
    )
    done_at: datetime | None = attrs.field(default=None, validator=v.optional(v.aware_datetime))
    note: str = attrs.field(default="", validator=v.text(2_000, allow_empty=True))

    def __attrs_post_init__(self) -> None:
        if self.method not in _TASK_METHODS:
            raise ValidationError.single(
                "method", self.method, "tasks are for phone, visit or other methods"
            )
        done = self.status is CareTaskStatus.DONE
        for name in ("outcome", "done_at"):
            value = getattr(self, name)
            if done and value is None:
                raise ValidationError.single(name, value, "a done task needs it")
            if not done and value is not None:
                raise ValidationError.single(name, value, "an open task has none")


@attrs.frozen(kw_only=True)
class CareEffectiveness:
    """What a care plan achieved (效果评估).

    Attributes:
        responses: Customer responses received (>= 0).
        leads: Leads generated (>= 0).
        opportunities: Sales opportunities generated (>= 0).
        expected_sales_uplift: Expected additional sales.
        satisfaction_uplift_pct: Customer-satisfaction change, in percent (-100 to 1000).
        loyalty_uplift_pct: Customer-loyalty change, in percent (-100 to 1000).

    Raises:
        ValidationError: A bad field.
    """

    responses: int = attrs.field(default=0, validator=v.integer(min_value=0))
    leads: int = attrs.field(default=0, validator=v.integer(min_value=0))
    opportunities: int = attrs.field(default=0, validator=v.integer(min_value=0))
    expected_sales_uplift: Money = attrs.field(validator=v.instance(Money))
    satisfaction_uplift_pct: Decimal = attrs.field(factory=Decimal, validator=_PERCENT)
    loyalty_uplift_pct: Decimal = attrs.field(factory=Decimal, validator=_PERCENT)


@attrs.define(eq=False, kw_only=True)
class CarePlan:
    """A planned contact with a category of customers: who takes part, how, when, at what cost.

    Attributes:
        id: The plan's id.
        customer_category: The category of customers addressed (e.g. ``"vip"``).
        method: How customers are reached.
        content: The message or script (template text; SMS and e-mail are sent from it).
        schedule: When the plan runs.
        currency: The currency of the costs and the effectiveness.
        participants: Ids of the actors taking part.
        cost_lines: Costs incurred (费用).
        tasks: Calls, visits and other contacts made from the plan when it was executed.
        effectiveness: What it achieved, once evaluated.
        status: Lifecycle state.
        version: Optimistic-locking counter.
        audit_head: Hash of the plan's last audit entry.

    Raises:
        ValidationError: A bad field, an amount in another currency than :attr:`currency`, two
            tasks with one id, or a task assigned to someone who is not a participant.
    """

    id: CarePlanId = attrs.field(validator=v.identifier)
    customer_category: str = attrs.field(validator=v.text(100))
    method: CareMethod = attrs.field(validator=v.member(CareMethod))
    content: str = attrs.field(validator=v.text(20_000))
    schedule: TimeRange = attrs.field(validator=v.instance(TimeRange))
    currency: str = attrs.field(validator=v.currency)
    participants: tuple[str, ...] = attrs.field(
        default=(), validator=[v.items(v.identifier), v.unique(lambda p: p, "participant")]
    )
    cost_lines: tuple[MoneyLine, ...] = attrs.field(
        default=(), validator=v.items(v.instance(MoneyLine))
    )
    effectiveness: CareEffectiveness | None = attrs.field(
        default=None, validator=v.optional(v.instance(CareEffectiveness))
    )
    tasks: tuple[CareTask, ...] = attrs.field(
        default=(), validator=[v.items(v.instance(CareTask)), v.unique(lambda t: t.id, "task id")]
    )
    status: CareStatus = attrs.field(default=CareStatus.PLAN, validator=v.member(CareStatus))
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))

    def __attrs_post_init__(self) -> None:
        check_currency(
            "cost_lines", ((i, x.amount) for i, x in enumerate(self.cost_lines)), self.currency
        )
        eff = self.effectiveness
        if eff is not None and eff.expected_sales_uplift.currency != self.currency:
            raise ValidationError.single(
                "effectiveness.expected_sales_uplift",
                eff.expected_sales_uplift,
                f"must be in {self.currency}",
            )
        for i, task in enumerate(self.tasks):
            if task.assignee not in self.participants:
                raise ValidationError.single(
                    f"tasks[{i}].assignee", task.assignee, "must be one of the participants"
                )

    def total_cost(self) -> Money:
        """Sum of the cost lines, exact.

        Raises:
            ValidationError: A line is in another currency (possible after a field was replaced).
        """
        return Money.total((x.amount for x in self.cost_lines), self.currency)

    @property
    def is_automatic(self) -> bool:
        """Whether the system sends the content itself (SMS, e-mail); other methods make tasks."""
        return self.method in (CareMethod.SMS, CareMethod.EMAIL)
