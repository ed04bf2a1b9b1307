"""The closure policy: what must be true before a service request may close.

Seed 001's customer refused to pay for work closed without at least three photos BEFORE and three
AFTER, and fined requests closed with empty fields. The policy is set per customer or contract and
checked by the request lifecycle's ``close`` guard.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from servicecore.model import _validate as v
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.enums import EvidenceKind
from servicecore.model.evidence import Evidence
from servicecore.model.processing import ProcessingOrder, ProcessingStatus
from servicecore.model.request import ServiceRequest

__all__ = ["ClosurePolicy"]


@attrs.frozen(kw_only=True)
class ClosurePolicy:
    """What a request needs before it may close.

    Attributes:
        min_photos_before: Photos of the fault, taken before the work, that must be on record.
        min_photos_after: Photos of the finished work that must be on record.
        require_signature: Whether the customer's signature must be on record.
        require_fault_cause: Whether the fault cause must be filled (on the request or on a
            completed processing order).
        require_checklist: Whether every checklist item of the completed processing orders must
            be done.

    Raises:
        ValidationError: A count is negative or not an int.
    """

    min_photos_before: int = attrs.field(default=0, validator=v.integer(min_value=0, max_value=100))
    min_photos_after: int = attrs.field(default=0, validator=v.integer(min_value=0, max_value=100))
    require_signature: bool = attrs.field(default=False, validator=v.boolean)
    require_fault_cause: bool = attrs.field(default=True, validator=v.boolean)
    require_checklist: bool = attrs.field(default=False, validator=v.boolean)

    def problems(
        self,
        request: ServiceRequest,
        processing_orders: Sequence[ProcessingOrder],
        evidence: Sequence[Evidence],
        dispatches: Sequence[DispatchOrder] = (),
    ) -> tuple[str, ...]:
        """Return why ``request`` may not close yet (empty when it may).

        Only processing orders, evidence and dispatch orders of ``request`` count. A photo
        counts once however often it was uploaded (by its content hash); a photo "before" only
        when taken before the work ended, one "after" only when taken after it began (the
        dispatch orders' times, when known). Every lent item must be back.
        """
        found: list[str] = []
        mine = [p for p in processing_orders if p.request_id == request.id]
        open_orders = [p.id for p in mine if p.status is ProcessingStatus.OPEN]
        if open_orders:
            found.append(f"processing not complete: {', '.join(open_orders)}")
        done = [p for p in mine if p.status is ProcessingStatus.COMPLETED]
        if not done:
            found.append("no completed processing order")
        if self.require_checklist:
            for order in done:
                left = order.checklist_open()
                if left:
                    found.append(f"checklist not done on {order.id}: {', '.join(left)}")
        visits = [d for d in dispatches if d.request_id == request.id]
        ended = [d.completed_at for d in visits if d.completed_at is not None]
        began = [d.started_at for d in visits if d.started_at is not None]
        work_end, work_start = (min(ended) if ended else None), (min(began) if began else None)
        seen: dict[EvidenceKind, set[str]] = {kind: set() for kind in EvidenceKind}
        for item in evidence:
            if item.request_id != request.id:
                continue
            if item.kind is EvidenceKind.PHOTO_BEFORE and work_end and item.taken_at > work_end:
                continue  # taken after the work: not a photo of the fault
            if item.kind is EvidenceKind.PHOTO_AFTER and work_start and item.taken_at < work_start:
                continue  # taken before the work began: not a photo of the result
            seen[item.kind].add(item.content_hash)
        counts = {kind: len(hashes) for kind, hashes in seen.items()}
        for kind, needed in (
            (EvidenceKind.PHOTO_BEFORE, self.min_photos_before),
            (EvidenceKind.PHOTO_AFTER, self.min_photos_after),
            (EvidenceKind.SIGNATURE, 1 if self.require_signature else 0),
        ):
            if counts[kind] < needed:
                found.append(f"{kind.value}: {counts[kind]} on record, {needed} required")
        if self.require_fault_cause and not (
            request.fault_cause or any(p.fault_cause for p in done)
        ):
            found.append("fault cause is not filled")
        out = [x.item_code for p in done for x in p.loaners if x.is_out]
        if out:
            found.append(f"lent items still with the customer: {', '.join(out)}")
        return tuple(found)
