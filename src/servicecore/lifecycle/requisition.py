"""The parts requisition lifecycle (配件申领: requested, issued, returned or cancelled).

A requisition is made for a request that is still open for work; the warehouse issues it only
when every part is on hand, and what comes back from the field can never exceed what was issued.
"""

from __future__ import annotations

from collections import Counter

from servicecore.lifecycle.engine import Guard, Lifecycle, Rule, TransitionContext
from servicecore.lifecycle.facts import required
from servicecore.model.parts import PartsRequisition, RequisitionStatus
from servicecore.model.request import RequestStatus

__all__ = ["REQUISITION", "requested_quantities"]

_NOT_FOR_WORK = (RequestStatus.RESOLVED, RequestStatus.CLOSED, RequestStatus.CANCELLED)


def requested_quantities(requisition: PartsRequisition) -> Counter[str]:
    """Return the quantity requested per part code (a part may appear on several lines)."""
    totals: Counter[str] = Counter()
    for line in requisition.lines:
        totals[line.part_code] += line.quantity
    return totals


def _request_open(requisition: PartsRequisition, ctx: TransitionContext) -> str | None:
    request = required(ctx.facts.request, "request")
    if request.id != requisition.request_id:
        return f"the facts name request {request.id}, not {requisition.request_id}"
    if request.status in _NOT_FOR_WORK:
        return f"request {request.id} is {request.status.value}"
    return None


def _stock_available(requisition: PartsRequisition, ctx: TransitionContext) -> str | None:
    on_hand = required(ctx.facts.on_hand, "on_hand")
    short = [
        f"{code} ({on_hand.get(code, 0)} on hand, {wanted} wanted)"
        for code, wanted in requested_quantities(requisition).items()
        if on_hand.get(code, 0) < wanted
    ]
    return f"not enough stock: {', '.join(short)}" if short else None


def _returns_within_issue(requisition: PartsRequisition, ctx: TransitionContext) -> str | None:
    returned = required(ctx.facts.returned, "returned")
    if not returned:
        return "nothing is returned"
    issued = requested_quantities(requisition)
    back: Counter[str] = Counter()
    for item in returned:
        back[item.part_code] += item.quantity
    over = [
        f"{code} ({qty} returned, {issued.get(code, 0)} issued)"
        for code, qty in back.items()
        if qty > issued.get(code, 0)
    ]
    return f"more returned than issued: {', '.join(over)}" if over else None


REQUEST_OPEN = Guard(
    "request_open_for_work",
    "The request the parts are for is not resolved, closed or cancelled.",
    _request_open,
    needs=("request",),
)
STOCK_AVAILABLE = Guard(
    "stock_available",
    "Every part is on hand in the warehouse in the quantity asked.",
    _stock_available,
    needs=("on_hand",),
)
RETURNS_WITHIN_ISSUE = Guard(
    "returns_within_issue",
    "Something is returned, and never more of a part than was issued.",
    _returns_within_issue,
    needs=("returned",),
)

S = RequisitionStatus

REQUISITION: Lifecycle[PartsRequisition, RequisitionStatus] = Lifecycle(
    kind="PartsRequisition",
    entity_type=PartsRequisition,
    states=RequisitionStatus,
    initial=S.REQUESTED,
    create_guards=(REQUEST_OPEN,),
    rules=[
        Rule(
            trigger="issue",
            sources=(S.REQUESTED,),
            dest=S.ISSUED,
            guards=(REQUEST_OPEN, STOCK_AVAILABLE),
            description="The warehouse issues the parts (sales or other outbound).",
        ),
        Rule(
            trigger="return",
            sources=(S.ISSUED,),
            dest=S.RETURNED,
            guards=(RETURNS_WITHIN_ISSUE,),
            description="Unused or replaced parts come back from the field into the warehouse.",
        ),
        Rule(
            trigger="cancel",
            sources=(S.REQUESTED,),
            dest=S.CANCELLED,
            needs_reason=True,
            description="Withdrawn before the warehouse issued anything.",
        ),
    ],
)
