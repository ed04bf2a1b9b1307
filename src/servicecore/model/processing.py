"""The processing order (处理单): what was done for one dispatch order, with its money and parts."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import DispatchId, Money, PartCode, ProcessingId, RequestId
from servicecore.model.enums import SolutionType
from servicecore.model.lines import MoneyLine, check_currency

__all__ = [
    "ChecklistItem",
    "Loaner",
    "PartUsage",
    "ProcessingOrder",
    "ProcessingStatus",
    "ReturnedPart",
]


class ProcessingStatus(enum.Enum):
    """Lifecycle of a processing order."""

    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@attrs.frozen(kw_only=True)
class PartUsage:
    """Parts used in the work (配件使用).

    Attributes:
        part_code: The part's material code.
        quantity: How many (> 0).
        unit_price: Price per unit charged to the customer when ``charged``.
        serial: The part's serial number, for serialised parts.
        charged: Whether the customer pays for it (warranty and contract work is often free).

    Raises:
        ValidationError: A bad field.
    """

    part_code: PartCode = attrs.field(validator=v.identifier)
    quantity: int = attrs.field(validator=v.integer(min_value=1))
    unit_price: Money = attrs.field(validator=v.instance(Money))
    serial: str | None = attrs.field(default=None, validator=v.optional(v.text(128)))
    charged: bool = attrs.field(default=True, validator=v.boolean)

    @property
    def charge(self) -> Money:
        """What the customer pays for this line: quantity x unit price, or zero if not charged."""
        if not self.charged:
            return Money.zero(self.unit_price.currency)
        return self.unit_price * self.quantity


@attrs.frozen(kw_only=True)
class ReturnedPart:
    """A part taken back from the customer (返回件), e.g. the faulty one that was replaced.

    Attributes:
        part_code: The part's material code.
        quantity: How many (> 0).
        condition: Its state in words (``"faulty"``, ``"burnt connector"``, ...).
        serial: The part's serial number, if any.

    Raises:
        ValidationError: A bad field.
    """

    part_code: PartCode = attrs.field(validator=v.identifier)
    quantity: int = attrs.field(validator=v.integer(min_value=1))
    condition: str = attrs.field(validator=v.text(500))
    serial: str | None = attrs.field(default=None, validator=v.optional(v.text(128)))


@attrs.frozen(kw_only=True)
class Loaner:
    """An item lent to the customer while theirs is repaired (租借物).

    Attributes:
        item_code: The lent item's code.
        out_at: When it was handed out.
        serial: The lent item's serial number, if any.
        back_at: When it came back, once returned (not before ``out_at``).

    Raises:
        ValidationError: A bad field, or ``back_at`` before ``out_at``.
    """

    item_code: str = attrs.field(validator=v.identifier)
    out_at: datetime = attrs.field(validator=v.aware_datetime)
    serial: str | None = attrs.field(default=None, validator=v.optional(v.text(128)))
    back_at: datetime | None = attrs.field(default=None, validator=v.optional(v.aware_datetime))

    def __attrs_post_init__(self) -> None:
        if self.back_at is not None and self.back_at < self.out_at:
            raise ValidationError.single(
                "back_at", self.back_at, f"must not be before out_at {self.out_at}"
            )

    @property
    def is_out(self) -> bool:
        """Whether the item is still with the customer."""
        return self.back_at is None


@attrs.frozen(kw_only=True)
class ChecklistItem:
    """One inspection item of a job's checklist, and its answer.

    Attributes:
        code: The item's code (unique within the checklist), e.g. ``"pressure_checked"``.
        question: What is to be checked, e.g. ``"Refrigerant pressure within range?"``.
        answer: What the technician found (a reading, a remark), if anything.
        done: Whether the item was checked.

    Raises:
        ValidationError: A bad field.
    """

    code: str = attrs.field(validator=v.identifier)
    question: str = attrs.field(validator=v.text(500))
    answer: str = attrs.field(default="", validator=v.text(2000, allow_empty=True))
    done: bool = attrs.field(default=False, validator=v.boolean)


def checklist_problems(items: Sequence[ChecklistItem]) -> str | None:
    """Why ``items`` is not a checklist (an item code twice), or ``None``."""
    seen: set[str] = set()
    for item in items:
        if item.code in seen:
            return f"checklist item {item.code} appears twice"
        seen.add(item.code)
    return None


@attrs.define(eq=False, kw_only=True)
class ProcessingOrder:
    """The record of the work done under one dispatch order: solution, hours, parts and money.

    Attributes:
        id: The processing order's id.
        request_id: The request served.
        dispatch_id: The dispatch order it belongs to (one processing order per dispatch).
        currency: The currency of every amount on the order.
        solution_type: How the problem was solved; required to complete.
        solution_text: The solution in words; required to complete.
        fault_cause: The cause found.
        labour_hours: Hours worked (>= 0; > 0 required to complete).
        parts_used: Parts used.
        returned_parts: Parts taken back.
        loaners: Items lent; a ``repair_with_loaner`` solution needs at least one.
        income_lines: What is charged (labour, call-out, parts, ...).
        cost_lines: What the work cost (travel, subcontracting, ...).
        checklist: The job's inspection items (per-job checklist), each code once.
        in_warranty: Whether the product was in warranty when the parts were recorded (derived
            from its archive; ``None`` until parts are recorded, or without an archive).
        status: Lifecycle state.
        version: Optimistic-locking counter.
        audit_head: Hash of the order's last audit entry.

    Raises:
        ValidationError: A bad field, or an amount (a line, a part price) in another currency than
            :attr:`currency` (naming e.g. ``income_lines[1]``).
    """

    id: ProcessingId = attrs.field(validator=v.identifier)
    request_id: RequestId = attrs.field(validator=v.identifier)
    dispatch_id: DispatchId = attrs.field(validator=v.identifier)
    currency: str = attrs.field(validator=v.currency)
    solution_type: SolutionType | None = attrs.field(
        default=None, validator=v.optional(v.member(SolutionType))
    )
    solution_text: str | None = attrs.field(default=None, validator=v.optional(v.text(5000)))
    fault_cause: str | None = attrs.field(default=None, validator=v.optional(v.text(2000)))
    labour_hours: Decimal = attrs.field(
        factory=Decimal, validator=v.decimal(min_value=Decimal(0), max_value=Decimal(10_000))
    )
    parts_used: tuple[PartUsage, ...] = attrs.field(
        default=(), validator=v.items(v.instance(PartUsage))
    )
    returned_parts: tuple[ReturnedPart, ...] = attrs.field(
        default=(), validator=v.items(v.instance(ReturnedPart))
    )
    loaners: tuple[Loaner, ...] = attrs.field(default=(), validator=v.items(v.instance(Loaner)))
    income_lines: tuple[MoneyLine, ...] = attrs.field(
        default=(), validator=v.items(v.instance(MoneyLine))
    )
    cost_lines: tuple[MoneyLine, ...] = attrs.field(
        default=(), validator=v.items(v.instance(MoneyLine))
    )
    checklist: tuple[ChecklistItem, ...] = attrs.field(
        default=(), validator=v.items(v.instance(ChecklistItem))
    )
    in_warranty: bool | None = attrs.field(default=None, validator=v.optional(v.boolean))
    status: ProcessingStatus = attrs.field(
        default=ProcessingStatus.OPEN, validator=v.member(ProcessingStatus)
    )
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))

    def __attrs_post_init__(self) -> None:
        check_currency(
            "parts_used", ((i, p.unit_price) for i, p in enumerate(self.parts_used)), self.currency
        )
        check_currency(
            "income_lines", ((i, x.amount) for i, x in enumerate(self.income_lines)), self.currency
        )
        check_currency(
            "cost_lines", ((i, x.amount) for i, x in enumerate(self.cost_lines)), self.currency
        )
        twice = checklist_problems(self.checklist)
        if twice is not None:
            raise ValidationError.single("checklist", [i.code for i in self.checklist], twice)

    def checklist_open(self) -> tuple[str, ...]:
        """The codes of the checklist items not done yet, in order."""
        return tuple(i.code for i in self.checklist if not i.done)

    def total_income(self) -> Money:
        """Sum of the income lines, exact.

        Raises:
            ValidationError: A line is in another currency (possible after a field was replaced).
        """
        return Money.total((x.amount for x in self.income_lines), self.currency)

    def total_cost(self) -> Money:
        """Sum of the cost lines, exact.

        Raises:
            ValidationError: A line is in another currency (possible after a field was replaced).
        """
        return Money.total((x.amount for x in self.cost_lines), self.currency)

    def parts_charge(self) -> Money:
        """What the customer is charged for parts: the sum of the charged parts' lines.

        Raises:
            ValidationError: A part price is in another currency.
        """
        return Money.total((p.charge for p in self.parts_used), self.currency)

    def missing_for_completion(self) -> tuple[str, ...]:
        """Names of the fields that must be filled before the order can be completed, in order.

        ``solution_type``, ``solution_text`` and ``labour_hours`` (> 0) are always required;
        ``loaners`` when the solution is a repair with a loaner. Empty when nothing is missing.
        """
        missing: list[str] = []
        if self.solution_type is None:
            missing.append("solution_type")
        if self.solution_text is None:
            missing.append("solution_text")
        if self.labour_hours <= 0:
            missing.append("labour_hours")
        if self.solution_type is SolutionType.REPAIR_WITH_LOANER and not self.loaners:
            missing.append("loaners")
        return tuple(missing)
