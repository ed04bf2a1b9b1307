"""A repair request from opening to closure, with the refusals a real day brings.

Run: ``python examples/request_story.py``. Uses only the public API: the model, the lifecycles,
the in-memory audit trail and the JSON converter.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from servicecore import (
    ARCHIVE,
    DISPATCH,
    PROCESSING,
    REQUEST,
    Actor,
    ArchiveId,
    AuditLog,
    ClosurePolicy,
    ClosurePolicyError,
    CustomerId,
    DispatchId,
    DispatchOrder,
    Evidence,
    EvidenceId,
    EvidenceKind,
    Facts,
    PartCode,
    ProcessingId,
    ProcessingOrder,
    ProductArchive,
    RequestId,
    Role,
    ServiceRequest,
    ServiceType,
    SolutionType,
    TechnicianId,
    TimeRange,
    TransitionContext,
    available_triggers,
    unstructure,
    verify_chain,
)

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
office = Actor(id="cs-1", roles={Role.CUSTOMER_SERVICE})
tech = Actor(id="u-ana", roles={Role.TECHNICIAN}, technician_id=TechnicianId("T-ANA"))
trail = AuditLog()


def at(minutes: int, actor: Actor = office, reason: str = "", **facts: Any) -> TransitionContext:
    return TransitionContext(
        actor=actor, at=T0 + timedelta(minutes=minutes), reason=reason, facts=Facts(**facts)
    )


unit = ProductArchive(
    id=ArchiveId("A-1"),
    serial_number="EL-2231-0042",
    product_code=PartCode("LIFT-600"),
    customer_id=CustomerId("C-TOWER"),
    warranty_start=date(2024, 1, 1),
    warranty_end=date(2026, 12, 31),
)
ARCHIVE.create(unit, at(0), trail)
ARCHIVE.fire(unit, "register", at(0), trail)

request = ServiceRequest(
    id=RequestId("R-1"),
    customer_id=CustomerId("C-TOWER"),
    archive_id=unit.id,
    service_type=ServiceType.REPAIR,
    symptoms="Lift stops between floors 3 and 4",
    reported_at=T0,
)
REQUEST.create(request, at(1, archive=unit), trail)
print("request opened; next:", available_triggers(request))

order = DispatchOrder(
    id=DispatchId("D-1"),
    request_id=request.id,
    technician_id=TechnicianId("T-ANA"),
    planned=TimeRange(T0 + timedelta(hours=1), T0 + timedelta(hours=3)),
)
DISPATCH.create(order, at(2, request=request), trail)
REQUEST.fire(request, "assign", at(2, dispatches=[order]), trail)
for trigger in ("accept", "start"):
    DISPATCH.fire(order, trigger, at(60, tech), trail)
REQUEST.fire(request, "start", at(61, tech, dispatches=[order]), trail)

work = ProcessingOrder(
    id=ProcessingId("P-1"),
    request_id=request.id,
    dispatch_id=order.id,
    currency="EUR",
    solution_type=SolutionType.REPLACEMENT,
    solution_text="Replaced the door interlock switch",
    fault_cause="Worn interlock contact",
    labour_hours=Decimal("2"),
)
PROCESSING.create(work, at(62, tech), trail)
PROCESSING.fire(work, "complete", at(170, tech), trail)
DISPATCH.fire(order, "complete", at(170, tech), trail)
REQUEST.fire(request, "resolve", at(171, tech, processing_orders=[work]), trail)


def photo(i: int, kind: EvidenceKind) -> Evidence:
    return Evidence(
        id=EvidenceId(f"E-{kind.value}-{i}"),
        request_id=request.id,
        kind=kind,
        content_hash=f"{i:064x}",
        uri=f"s3://evidence/R-1/{kind.value}-{i}.jpg",
        taken_at=T0 + timedelta(hours=2),
        taken_by=tech.id,
    )


policy = ClosurePolicy(min_photos_before=2, min_photos_after=2)
evidence = [photo(1, EvidenceKind.PHOTO_BEFORE), photo(2, EvidenceKind.PHOTO_BEFORE)]
close_facts = {
    "processing_orders": [work],
    "evidence": evidence,
    "dispatches": [order],
    "closure_policy": policy,
}
try:
    REQUEST.fire(request, "close", at(172, tech, "switch replaced", **close_facts), trail)
except ClosurePolicyError as exc:
    print("closure refused:", exc.reason)
evidence += [photo(3, EvidenceKind.PHOTO_AFTER), photo(4, EvidenceKind.PHOTO_AFTER)]
REQUEST.fire(request, "close", at(175, tech, "switch replaced", **close_facts), trail)
print("request", request.status.value, "by", request.closure.closed_by if request.closure else "-")

entries = trail.entries("ServiceRequest", "R-1")
assert verify_chain(entries, head=request.audit_head).ok
print("audit:", " -> ".join(e.to_state for e in entries))
print(json.dumps(unstructure(request)["closure"]))
