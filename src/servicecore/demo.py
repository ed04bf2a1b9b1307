"""The demo scenario: one service request from the call to the closed, audited record.

A scripted day at an air-conditioning service company in Jakarta (the seeds' setting), run
in memory on the domain model and the lifecycles: a registered unit breaks down, the request is
opened, the first technician rejects the dispatch, the second accepts and fixes it, the closure
is refused for missing photos (seed 001's customer demands three before and three after), then
accepted; a quote goes through two versions; finally every audit chain is verified.

Later issues grow this into the full demo on embedded SQLite (storage, scheduler, reports).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs

from servicecore.errors import ServicecoreError
from servicecore.lifecycle import ARCHIVE, DISPATCH, PROCESSING, QUOTE, REQUEST, TransitionContext
from servicecore.model.actor import Actor, Role
from servicecore.model.archive import ProductArchive
from servicecore.model.audit import AuditLog, verify_chain
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import (
    ArchiveId,
    CustomerId,
    DispatchId,
    EvidenceId,
    GeoPoint,
    Money,
    PartCode,
    ProcessingId,
    QuoteId,
    RequestId,
    TechnicianId,
    TimeRange,
)
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.enums import EvidenceKind, Priority, ServiceType, SolutionType
from servicecore.model.evidence import Evidence
from servicecore.model.processing import PartUsage, ProcessingOrder
from servicecore.model.quote import PartLine, Quote, ServiceLine
from servicecore.model.request import ServiceRequest

__all__ = ["DemoSummary", "run_demo"]

DAY = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 in Jakarta
CUSTOMER = CustomerId("C-TOKO-MAJU")
RELAY = PartCode("RELAY-7")


@attrs.frozen
class DemoSummary:
    """What the demo did.

    Attributes:
        transitions: Audit entries written (every create and every state change).
        refusals: Commands refused, with the error each raised.
        chains_verified: Entities whose audit chain verified.
        request_status: The request's final state.
        quote_versions: Versions the quote went through.
    """

    transitions: int
    refusals: tuple[str, ...]
    chains_verified: int
    request_status: str
    quote_versions: int


def _photo(n: int, kind: EvidenceKind, at: datetime) -> Evidence:
    content = f"{kind.value}-{n}".encode()
    return Evidence(
        id=EvidenceId(f"E-{kind.value}-{n}"),
        request_id=RequestId("R-1001"),
        kind=kind,
        content_hash=hashlib.sha256(content).hexdigest(),
        uri=f"evidence://R-1001/{kind.value}-{n}.jpg",
        taken_at=at,
        taken_by="u-wayan",
    )


def run_demo(say: Callable[[str], None] = print) -> DemoSummary:
    """Run the scripted scenario, telling what happens through ``say``.

    Returns:
        A summary of what happened.

    Raises:
        ServicecoreError: Only if the library misbehaves; every refusal in the script is expected
            and reported through ``say``.
    """
    trail = AuditLog()
    refusals: list[str] = []
    cs = Actor(id="cs-siti", roles={Role.CUSTOMER_SERVICE}, name="Siti (call centre)")
    sup = Actor(id="sup-andi", roles={Role.SUPERVISOR}, name="Andi (supervisor)")
    budi = Actor(
        id="u-budi", roles={Role.TECHNICIAN}, technician_id=TechnicianId("T-BUDI"), name="Budi"
    )
    wayan = Actor(
        id="u-wayan", roles={Role.TECHNICIAN}, technician_id=TechnicianId("T-WAYAN"), name="Wayan"
    )

    def at(minutes: int) -> datetime:
        return DAY + timedelta(minutes=minutes)

    def ctx(actor: Actor, minutes: int, reason: str = "", **facts: object) -> TransitionContext:
        return TransitionContext(actor=actor, at=at(minutes), reason=reason, facts=facts)

    def refused(what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except ServicecoreError as exc:
            refusals.append(f"{type(exc).__name__}: {exc}")
            say(f"  refused ({type(exc).__name__}): {exc}")
        else:
            raise AssertionError(f"{what} should have been refused")

    say("servicecore demo: one air-conditioner repair, from the call to the audited record")
    unit = ProductArchive(
        id=ArchiveId("A-77"),
        serial_number="SN-AC9-000777",
        product_code=PartCode("AC-9000"),
        customer_id=CUSTOMER,
        install_date=date(2025, 6, 1),
        warranty_start=date(2025, 6, 1),
        warranty_end=date(2027, 6, 1),
    )
    ARCHIVE.create(unit, ctx(sup, 0), trail)
    ARCHIVE.fire(unit, "register", ctx(sup, 0), trail)
    say(
        f"- product archive {unit.id} ({unit.serial_number}) registered; in warranty: "
        f"{unit.in_warranty(DAY.date())}"
    )

    request = ServiceRequest(
        id=RequestId("R-1001"),
        customer_id=CUSTOMER,
        archive_id=unit.id,
        service_type=ServiceType.REPAIR,
        priority=Priority.URGENT,
        symptoms="Cold room unit blows warm air, compressor clicks",
        required_skills=("hvac",),
        location=GeoPoint(lat=-6.2, lon=106.82, address="Jl. Sudirman 1, Jakarta"),
        reported_at=at(5),
    )
    REQUEST.create(request, ctx(cs, 5, archive=unit), trail)
    say(f"- {cs.name} opened request {request.id} ({request.priority.value}): {request.symptoms}")

    first = DispatchOrder(
        id=DispatchId("D-1"),
        request_id=request.id,
        technician_id=TechnicianId("T-BUDI"),
        planned=TimeRange(at(60), at(180)),
    )
    DISPATCH.create(first, ctx(sup, 10, request=request), trail)
    REQUEST.fire(request, "assign", ctx(sup, 10, dispatches=[first]), trail)
    say(f"- {sup.name} dispatched {first.id} to Budi")
    refused(
        "Wayan accepting Budi's dispatch",
        lambda: DISPATCH.fire(first, "accept", ctx(wayan, 12), trail),
    )
    DISPATCH.fire(first, "reject", ctx(budi, 15, "no refrigerant gauge with me today"), trail)
    REQUEST.fire(request, "unassign", ctx(sup, 16, dispatches=[first]), trail)
    say(f"- Budi rejected {first.id} ({first.reject_reason}); the request is assignable again")

    second = DispatchOrder(
        id=DispatchId("D-2"),
        request_id=request.id,
        technician_id=TechnicianId("T-WAYAN"),
        planned=TimeRange(at(75), at(195)),
    )
    DISPATCH.create(second, ctx(sup, 20, request=request), trail)
    REQUEST.fire(request, "assign", ctx(sup, 20, dispatches=[first, second]), trail)
    DISPATCH.fire(second, "accept", ctx(wayan, 22), trail)
    DISPATCH.fire(second, "start", ctx(wayan, 80), trail)
    REQUEST.fire(request, "start", ctx(wayan, 80, dispatches=[first, second]), trail)
    say(f"- Wayan accepted {second.id} and started work at 09:20 (response time met)")

    order = ProcessingOrder(
        id=ProcessingId("P-1"), request_id=request.id, dispatch_id=second.id, currency="IDR"
    )
    PROCESSING.create(order, ctx(wayan, 81), trail)
    refused(
        "completing an empty processing order",
        lambda: PROCESSING.fire(order, "complete", ctx(wayan, 82), trail),
    )
    order.solution_type = SolutionType.REPLACEMENT
    order.solution_text = "Replaced the burnt compressor start relay; refrigerant pressure normal"
    order.fault_cause = "Start relay contacts burnt"
    order.labour_hours = Decimal("1.5")
    order.parts_used = (
        PartUsage(part_code=RELAY, quantity=1, unit_price=Money("0", "IDR"), charged=False),
    )
    PROCESSING.fire(order, "complete", ctx(wayan, 170), trail)
    DISPATCH.fire(second, "complete", ctx(wayan, 170), trail)
    REQUEST.fire(request, "resolve", ctx(wayan, 171, processing_orders=[order]), trail)
    say(f"- {order.id}: {order.solution_text} ({order.labour_hours} h, RELAY-7 free in warranty)")

    policy = ClosurePolicy(min_photos_before=3, min_photos_after=3)
    evidence = [_photo(i, EvidenceKind.PHOTO_BEFORE, at(85)) for i in range(3)]
    evidence.append(_photo(0, EvidenceKind.PHOTO_AFTER, at(168)))

    def close() -> object:
        facts = {"processing_orders": [order], "evidence": evidence, "closure_policy": policy}
        return REQUEST.fire(request, "close", ctx(wayan, 175, "relay replaced", **facts), trail)

    refused("closing with one photo after", close)
    evidence += [_photo(i, EvidenceKind.PHOTO_AFTER, at(172)) for i in (1, 2)]
    close()
    say(f"- request {request.id} closed with 3 photos before and 3 after")

    quote = Quote(
        id=QuoteId("Q-55"),
        customer_id=CUSTOMER,
        request_id=request.id,
        currency="IDR",
        valid_until=at(14 * 24 * 60),
        service_lines=(
            ServiceLine(
                description="Annual preventive maintenance, 4 visits",
                quantity=Decimal(4),
                unit_price=Money("450000", "IDR"),
                unit_cost=Money("260000", "IDR"),
            ),
        ),
    )
    QUOTE.create(quote, ctx(cs, 200), trail)
    QUOTE.fire(quote, "issue", ctx(cs, 200), trail)
    QUOTE.fire(quote, "change", ctx(cs, 240, "customer wants a spare relay on the van"), trail)
    quote.part_lines = (
        PartLine(
            part_code=RELAY,
            description="Compressor start relay",
            quantity=Decimal(1),
            unit_price=Money("185000", "IDR"),
            unit_cost=Money("95000", "IDR"),
        ),
    )
    QUOTE.fire(quote, "issue", ctx(cs, 241), trail)
    QUOTE.fire(quote, "accept", ctx(cs, 300), trail)
    say(
        f"- quote {quote.id} v{quote.quote_version} accepted: {quote.total_price()}, "
        f"estimated profit {quote.estimated_profit()}"
    )

    heads = [
        (type(e).__name__, e.id, e.audit_head) for e in (unit, request, first, second, order)
    ] + [("Quote", quote.id, quote.audit_head)]
    verified = 0
    for kind, entity_id, head in heads:
        verdict = verify_chain(trail.entries(kind, entity_id), head=head)
        verdict.raise_for_problems()
        verified += 1
    say(f"- audit trail: {len(trail)} entries, {verified} chains verified")
    for entry in trail.entries("ServiceRequest", request.id):
        local = entry.at + timedelta(hours=7)
        say(
            f"    {local:%H:%M} {entry.actor_id:<9} {entry.trigger:<9} "
            f"{entry.from_state or '-':>11} -> {entry.to_state}"
        )
    return DemoSummary(
        transitions=len(trail),
        refusals=tuple(refusals),
        chains_verified=verified,
        request_status=request.status.value,
        quote_versions=quote.quote_version,
    )
