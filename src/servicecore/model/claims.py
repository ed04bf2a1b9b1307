"""The supplier claim: faulty parts sent back under the supplier's warranty (seed 000).

Seed 000: when a service uses parts from a supplier, or runs while the supplier's warranty
holds, the service record is the basis of a claim to the supplier. A claim gathers returned
parts (taken back on processing orders) for one supplier, is submitted, and is answered:
accepted (then settled with the credit received) or rejected.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import ClaimId, Money, PartCode, ProcessingId, RequestId

__all__ = ["ClaimLine", "ClaimStatus", "SupplierClaim"]


class ClaimStatus(enum.Enum):
    """Lifecycle of a supplier claim."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SETTLED = "settled"


@attrs.frozen(kw_only=True)
class ClaimLine:
    """A returned part claimed, and where it came back from.

    Attributes:
        part_code: The part's material code.
        quantity: How many (> 0).
        condition: Its state in words, as recorded when it came back.
        serial: Its serial number, if any.
        processing_id: The processing order that took it back.
        request_id: The service request of that order.
    """

    part_code: PartCode = attrs.field(validator=v.identifier)
    quantity: int = attrs.field(validator=v.integer(min_value=1))
    condition: str = attrs.field(validator=v.text(500))
    serial: str | None = attrs.field(default=None, validator=v.optional(v.text(128)))
    processing_id: ProcessingId = attrs.field(validator=v.identifier)
    request_id: RequestId = attrs.field(validator=v.identifier)

    @property
    def key(self) -> tuple[str, str, str | None]:
        """``(processing_id, part_code, serial)``: a returned part is claimed once."""
        return (self.processing_id, self.part_code, self.serial)


@attrs.define(eq=False, kw_only=True)
class SupplierClaim:
    """Returned parts claimed from one supplier under its warranty.

    Attributes:
        id: The claim's id.
        supplier_id: The supplier claimed from (the host's id).
        lines: The parts claimed (at least one, each returned part once).
        created_at: When the claim was drawn up.
        reference: The supplier's reference (an RMA number), once submitted.
        answer: The supplier's answer in words, once answered.
        credit: What the supplier credited, once settled.
        status: Lifecycle state.
        version: Optimistic-locking counter.
        audit_head: Hash of the claim's last audit entry.

    Raises:
        ValidationError: A bad field, or a returned part listed twice.
    """

    id: ClaimId = attrs.field(validator=v.identifier)
    supplier_id: str = attrs.field(validator=v.identifier)
    lines: tuple[ClaimLine, ...] = attrs.field(validator=v.items(v.instance(ClaimLine), min_len=1))
    created_at: datetime = attrs.field(validator=v.aware_datetime)
    reference: str | None = attrs.field(default=None, validator=v.optional(v.text(128)))
    answer: str | None = attrs.field(default=None, validator=v.optional(v.text(2000)))
    credit: Money | None = attrs.field(default=None, validator=v.optional(v.instance(Money)))
    status: ClaimStatus = attrs.field(default=ClaimStatus.DRAFT, validator=v.member(ClaimStatus))
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))

    def __attrs_post_init__(self) -> None:
        seen: set[tuple[str, str, str | None]] = set()
        for i, line in enumerate(self.lines):
            if line.key in seen:
                raise ValidationError.single(
                    f"lines[{i}]", line.part_code, "claims a returned part twice"
                )
            seen.add(line.key)
