"""Supplier claims for faulty parts returned under the supplier's warranty (seed 000).

Technicians take faulty parts back on processing orders (``returned_parts``). When those parts
are under the supplier's warranty, :func:`claim_returned_parts` gathers them into a claim for
that supplier; the claim is submitted with the supplier's reference, answered, and settled with
the credit received. A returned part is claimed once, whatever the number of claims.
"""

from __future__ import annotations

from collections.abc import Sequence

from servicecore.errors import ValidationError
from servicecore.lifecycle import CLAIM
from servicecore.model.claims import ClaimLine, ClaimStatus, SupplierClaim
from servicecore.model.common import ClaimId, Money
from servicecore.model.processing import ProcessingStatus
from servicecore.ports import Query
from servicecore.services.common import event
from servicecore.services.context import CommandContext, command, query

__all__ = [
    "answer_claim",
    "claim_returned_parts",
    "claims_of_supplier",
    "settle_claim",
    "submit_claim",
]


@command("manage_claims")
def claim_returned_parts(
    cx: CommandContext,
    /,
    supplier_id: str,
    processing_ids: Sequence[str],
    *,
    part_codes: Sequence[str] | None = None,
    claim_id: str | None = None,
) -> SupplierClaim:
    """Draw up a claim to ``supplier_id`` for parts returned on completed processing orders.

    Every returned part of the given orders is claimed, or only those of ``part_codes``.

    Raises:
        NotFound: No such processing order.
        PermissionDenied: The actor may not manage supplier claims.
        ValidationError: No order given; an order is not completed (``processing_ids``); no
            returned part matches; a part is claimed already by another live claim (naming the
            claim).
    """
    if isinstance(processing_ids, str) or not processing_ids:
        raise ValidationError.single(
            "processing_ids", processing_ids, "name at least one processing order"
        )
    wanted = None if part_codes is None else set(part_codes)
    lines: list[ClaimLine] = []
    for processing_id in dict.fromkeys(processing_ids):
        order = cx.uow.processing.get(processing_id)
        if order.status is not ProcessingStatus.COMPLETED:
            raise ValidationError.single(
                "processing_ids", processing_id, f"is {order.status.value}, not completed"
            )
        lines += [
            ClaimLine(
                part_code=p.part_code,
                quantity=p.quantity,
                condition=p.condition,
                serial=p.serial,
                processing_id=order.id,
                request_id=order.request_id,
            )
            for p in order.returned_parts
            if wanted is None or p.part_code in wanted
        ]
    if not lines:
        raise ValidationError.single("part_codes", part_codes, "no returned part matches")
    taken = {
        line.key: claim.id
        for claim in cx.uow.claims.iterate()
        if claim.status is not ClaimStatus.REJECTED
        for line in claim.lines
    }
    for line in lines:
        if line.key in taken:
            raise ValidationError.single(
                "processing_ids",
                line.processing_id,
                f"part {line.part_code} is claimed already in {taken[line.key]}",
            )
    claim = SupplierClaim(
        id=ClaimId(claim_id or cx.ids.new_id("SupplierClaim")),
        supplier_id=supplier_id,
        lines=tuple(lines),
        created_at=cx.now(),
    )
    cx.create(CLAIM, claim, payload={"supplier_id": supplier_id, "lines": len(lines)})
    cx.uow.claims.add(claim)
    event(cx, "SupplierClaimDrawn", claim, {"supplier_id": supplier_id, "lines": len(lines)})
    return claim


@command("manage_claims")
def submit_claim(cx: CommandContext, /, claim_id: str, reference: str) -> SupplierClaim:
    """Send a draft claim to the supplier, keeping the supplier's reference (an RMA number).

    Raises:
        NotFound: No such claim.
        PermissionDenied: The actor may not manage supplier claims.
        ValidationError: A blank reference.
        InvalidTransition: It is not a draft.
    """
    claim = cx.uow.claims.get(claim_id)
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 128:
        raise ValidationError.single("reference", reference, "must be 1 to 128 characters")
    cx.fire(CLAIM, claim, "submit", payload={"reference": reference})
    claim.reference = reference
    cx.uow.claims.update(claim)
    event(cx, "SupplierClaimSubmitted", claim, {"reference": reference})
    return claim


@command("manage_claims")
def answer_claim(
    cx: CommandContext, /, claim_id: str, *, accepted: bool, answer: str = ""
) -> SupplierClaim:
    """Record the supplier's answer: accepted, or rejected saying why.

    Raises:
        NotFound: No such claim.
        PermissionDenied: The actor may not manage supplier claims.
        ValidationError: ``accepted`` is not a boolean.
        InvalidTransition: It is not submitted.
        TransitionRefused: Rejected without the supplier's reason.
    """
    if not isinstance(accepted, bool):
        raise ValidationError.single("accepted", accepted, "must be true or false")
    claim = cx.uow.claims.get(claim_id)
    cx.fire(CLAIM, claim, "accept" if accepted else "reject", reason=answer)
    claim.answer = answer or None
    cx.uow.claims.update(claim)
    event(
        cx,
        "SupplierClaimAccepted" if accepted else "SupplierClaimRejected",
        claim,
        {"answer": answer},
    )
    return claim


@command("manage_claims")
def settle_claim(cx: CommandContext, /, claim_id: str, credit: Money) -> SupplierClaim:
    """Close an accepted claim with the credit received (zero when parts were replaced).

    Raises:
        NotFound: No such claim.
        PermissionDenied: The actor may not manage supplier claims.
        ValidationError: ``credit`` is not Money or is negative.
        InvalidTransition: It is not accepted.
    """
    if not isinstance(credit, Money) or credit.amount < 0:
        raise ValidationError.single("credit", credit, "must be Money, not negative")
    claim = cx.uow.claims.get(claim_id)
    cx.fire(CLAIM, claim, "settle", payload={"credit": credit})
    claim.credit = credit
    cx.uow.claims.update(claim)
    event(cx, "SupplierClaimSettled", claim, {"credit": credit})
    return claim


@query("manage_claims")
def claims_of_supplier(
    cx: CommandContext, /, supplier_id: str, *, status: ClaimStatus | None = None
) -> list[SupplierClaim]:
    """Return a supplier's claims (in one status if given), by id."""
    equals: dict[str, object] = {"supplier_id": supplier_id}
    if status is not None:
        equals["status"] = status.value
    return list(cx.uow.claims.iterate(Query(equals=equals)))
