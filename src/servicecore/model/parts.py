"""Spare parts: stocking plans, transfers between warehouses and requisitions for a request.

Seed terms: 备件计划 (spare-part plan), 配件调拨申请 (transfer request), 配件申领 (requisition).
"""

from __future__ import annotations

import enum
from collections import Counter
from datetime import date, datetime

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import (
    ArchiveId,
    PartCode,
    RequestId,
    RequisitionId,
    SparePartPlanId,
    TransferId,
    WarehouseId,
)

__all__ = [
    "PartsRequisition",
    "PlanLine",
    "RequisitionLine",
    "RequisitionStatus",
    "SparePartPlan",
    "SparePartPlanStatus",
    "TransferLine",
    "TransferRequest",
    "TransferStatus",
]


class SparePartPlanStatus(enum.Enum):
    """Lifecycle of a spare-part plan."""

    DRAFT = "draft"
    APPROVED = "approved"
    CLOSED = "closed"


class TransferStatus(enum.Enum):
    """Lifecycle of a transfer request."""

    REQUESTED = "requested"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    CANCELLED = "cancelled"

    @property
    def is_live(self) -> bool:
        """Whether a transfer in this status is still open (requested or in transit)."""
        return self in (TransferStatus.REQUESTED, TransferStatus.IN_TRANSIT)

    @classmethod
    def live(cls) -> tuple[TransferStatus, ...]:
        """The live statuses, e.g. for a storage query."""
        return tuple(s for s in cls if s.is_live)


class RequisitionStatus(enum.Enum):
    """Lifecycle of a parts requisition."""

    REQUESTED = "requested"
    ISSUED = "issued"
    RETURNED = "returned"
    CANCELLED = "cancelled"


@attrs.frozen(kw_only=True)
class PlanLine:
    """Parts to hold in stock at a warehouse by a date.

    Attributes:
        part_code: The part's material code.
        quantity: How many (> 0).
        warehouse_id: The (service) warehouse that should hold them.
        needed_by: The date they are needed by.

    Raises:
        ValidationError: A bad field.
    """

    part_code: PartCode = attrs.field(validator=v.identifier)
    quantity: int = attrs.field(validator=v.integer(min_value=1))
    warehouse_id: WarehouseId = attrs.field(validator=v.identifier)
    needed_by: date = attrs.field(validator=v.a_date)


@attrs.frozen(kw_only=True)
class TransferLine:
    """Parts to move between warehouses.

    Attributes:
        part_code: The part's material code.
        quantity: How many (> 0).

    Raises:
        ValidationError: A bad field.
    """

    part_code: PartCode = attrs.field(validator=v.identifier)
    quantity: int = attrs.field(validator=v.integer(min_value=1))


@attrs.frozen(kw_only=True)
class RequisitionLine:
    """Parts requested for a service request.

    Attributes:
        part_code: The part's material code.
        quantity: How many (> 0).
        charged: Whether the customer pays (the warehouse then books a sales issue, otherwise
            another kind of issue).

    Raises:
        ValidationError: A bad field.
    """

    part_code: PartCode = attrs.field(validator=v.identifier)
    quantity: int = attrs.field(validator=v.integer(min_value=1))
    charged: bool = attrs.field(default=False, validator=v.boolean)


@attrs.define(eq=False, kw_only=True)
class SparePartPlan:
    """Which parts to stock where over a period, planned from the product archives.

    Attributes:
        id: The plan's id.
        period_start: First day of the period planned.
        period_end: Last day of the period planned (inclusive).
        lines: What to stock (at least one line); each ``needed_by`` within the period.
        archive_ids: The archives the plan was derived from.
        status: Lifecycle state.
        version: Optimistic-locking counter.
        audit_head: Hash of the plan's last audit entry.

    Raises:
        ValidationError: A bad field, ``period_end`` before ``period_start``, or a line needed
            outside the period (naming ``lines[i].needed_by``).
    """

    id: SparePartPlanId = attrs.field(validator=v.identifier)
    period_start: date = attrs.field(validator=v.a_date)
    period_end: date = attrs.field(validator=v.a_date)
    lines: tuple[PlanLine, ...] = attrs.field(validator=v.items(v.instance(PlanLine), min_len=1))
    archive_ids: tuple[ArchiveId, ...] = attrs.field(
        default=(), validator=[v.items(v.identifier), v.unique(lambda a: a, "archive")]
    )
    status: SparePartPlanStatus = attrs.field(
        default=SparePartPlanStatus.DRAFT, validator=v.member(SparePartPlanStatus)
    )
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))

    def __attrs_post_init__(self) -> None:
        if self.period_end < self.period_start:
            raise ValidationError.single(
                "period_end", self.period_end, f"must not be before {self.period_start}"
            )
        for i, line in enumerate(self.lines):
            if not self.period_start <= line.needed_by <= self.period_end:
                raise ValidationError.single(
                    f"lines[{i}].needed_by",
                    line.needed_by,
                    f"must be within {self.period_start}..{self.period_end}",
                )

    def transfer_lines_for(self, warehouse_id: str) -> tuple[TransferLine, ...]:
        """The lines of a transfer request stocking ``warehouse_id`` per this plan (下推调拨).

        Quantities of the same part are added up; parts come in the order they first appear.
        """
        totals: Counter[str] = Counter()
        for line in self.lines:
            if line.warehouse_id == warehouse_id:
                totals[line.part_code] += line.quantity
        return tuple(TransferLine(part_code=PartCode(c), quantity=q) for c, q in totals.items())


@attrs.define(eq=False, kw_only=True)
class TransferRequest:
    """A request to move parts from one warehouse to another (e.g. into the service warehouse).

    Attributes:
        id: The transfer request's id.
        from_warehouse: Where the parts leave from.
        to_warehouse: Where they go (not ``from_warehouse``).
        lines: What moves (at least one line, each part once).
        requested_at: When it was requested.
        plan_id: The spare-part plan it was made from, if any.
        status: Lifecycle state.
        version: Optimistic-locking counter.
        audit_head: Hash of the request's last audit entry.

    Raises:
        ValidationError: A bad field, the same warehouse at both ends, or a part repeated.
    """

    id: TransferId = attrs.field(validator=v.identifier)
    from_warehouse: WarehouseId = attrs.field(validator=v.identifier)
    to_warehouse: WarehouseId = attrs.field(validator=v.identifier)
    lines: tuple[TransferLine, ...] = attrs.field(
        validator=[
            v.items(v.instance(TransferLine), min_len=1),
            v.unique(lambda x: x.part_code, "part"),
        ]
    )
    requested_at: datetime = attrs.field(validator=v.aware_datetime)
    plan_id: SparePartPlanId | None = attrs.field(default=None, validator=v.optional(v.identifier))
    status: TransferStatus = attrs.field(
        default=TransferStatus.REQUESTED, validator=v.member(TransferStatus)
    )
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))

    def __attrs_post_init__(self) -> None:
        if self.to_warehouse == self.from_warehouse:
            raise ValidationError.single(
                "to_warehouse", self.to_warehouse, "must differ from from_warehouse"
            )


@attrs.define(eq=False, kw_only=True)
class PartsRequisition:
    """Parts requested from a warehouse for a service request.

    Attributes:
        id: The requisition's id.
        request_id: The request the parts are for.
        lines: What is requested (at least one line).
        requested_at: When it was requested.
        warehouse_id: The warehouse asked, if the host routes by warehouse.
        status: Lifecycle state.
        version: Optimistic-locking counter.
        audit_head: Hash of the requisition's last audit entry.

    Raises:
        ValidationError: A bad field.
    """

    id: RequisitionId = attrs.field(validator=v.identifier)
    request_id: RequestId = attrs.field(validator=v.identifier)
    lines: tuple[RequisitionLine, ...] = attrs.field(
        validator=v.items(v.instance(RequisitionLine), min_len=1)
    )
    requested_at: datetime = attrs.field(validator=v.aware_datetime)
    warehouse_id: WarehouseId | None = attrs.field(default=None, validator=v.optional(v.identifier))
    status: RequisitionStatus = attrs.field(
        default=RequisitionStatus.REQUESTED, validator=v.member(RequisitionStatus)
    )
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))

    def charged_lines(self) -> tuple[RequisitionLine, ...]:
        """The lines the customer pays for (issued as sales)."""
        return tuple(x for x in self.lines if x.charged)
