"""The transfer request lifecycle (配件调拨申请: requested, in transit, received or cancelled).

Parts leave the source warehouse when the transfer is dispatched (only if all of them are on hand
there) and enter the destination warehouse when it is received.
"""

from __future__ import annotations

from servicecore.lifecycle.engine import Guard, Lifecycle, Rule, TransitionContext
from servicecore.lifecycle.facts import required
from servicecore.model.parts import TransferRequest, TransferStatus

__all__ = ["TRANSFER"]


def _stock_at_source(transfer: TransferRequest, ctx: TransitionContext) -> str | None:
    on_hand = required(ctx.facts.on_hand, "on_hand")
    short = [
        f"{line.part_code} ({on_hand.get(line.part_code, 0)} on hand, {line.quantity} wanted)"
        for line in transfer.lines
        if on_hand.get(line.part_code, 0) < line.quantity
    ]
    if short:
        return f"not enough stock in {transfer.from_warehouse}: {', '.join(short)}"
    return None


def _not_before_request(transfer: TransferRequest, ctx: TransitionContext) -> str | None:
    if ctx.at >= transfer.requested_at:
        return None
    return f"requested at {transfer.requested_at.isoformat()}, after {ctx.at.isoformat()}"


STOCK_AT_SOURCE = Guard(
    "stock_at_source",
    "Every part is on hand in the source warehouse in the quantity asked.",
    _stock_at_source,
    needs=("on_hand",),
)
NOT_BEFORE_REQUEST = Guard(
    "not_before_request",
    "The move happens no earlier than the transfer was requested.",
    _not_before_request,
)

S = TransferStatus

TRANSFER: Lifecycle[TransferRequest, TransferStatus] = Lifecycle(
    kind="TransferRequest",
    entity_type=TransferRequest,
    states=TransferStatus,
    initial=S.REQUESTED,
    rules=[
        Rule(
            trigger="dispatch",
            sources=(S.REQUESTED,),
            dest=S.IN_TRANSIT,
            guards=(NOT_BEFORE_REQUEST, STOCK_AT_SOURCE),
            description="The parts leave the source warehouse.",
        ),
        Rule(
            trigger="receive",
            sources=(S.IN_TRANSIT,),
            dest=S.RECEIVED,
            guards=(NOT_BEFORE_REQUEST,),
            description="The parts arrive in the destination warehouse.",
        ),
        Rule(
            trigger="cancel",
            sources=(S.REQUESTED,),
            dest=S.CANCELLED,
            needs_reason=True,
            description="Withdrawn before anything left the source warehouse.",
        ),
    ],
)
