"""The supplier claim lifecycle (seed 000: claims to the supplier under its warranty).

Drawn up from returned parts, submitted to the supplier with its reference, answered - accepted
or rejected with the supplier's reason - and, once accepted, settled with the credit received.
"""

from __future__ import annotations

from servicecore.lifecycle.engine import Lifecycle, Rule
from servicecore.model.claims import ClaimStatus, SupplierClaim

__all__ = ["CLAIM"]

S = ClaimStatus

CLAIM: Lifecycle[SupplierClaim, ClaimStatus] = Lifecycle(
    kind="SupplierClaim",
    entity_type=SupplierClaim,
    states=ClaimStatus,
    initial=S.DRAFT,
    rules=[
        Rule(
            trigger="submit",
            sources=(S.DRAFT,),
            dest=S.SUBMITTED,
            description="Sent to the supplier, with the supplier's reference (RMA).",
        ),
        Rule(
            trigger="accept",
            sources=(S.SUBMITTED,),
            dest=S.ACCEPTED,
            description="The supplier accepts the claim.",
        ),
        Rule(
            trigger="reject",
            sources=(S.SUBMITTED,),
            dest=S.REJECTED,
            needs_reason=True,
            description="The supplier rejects the claim, saying why.",
        ),
        Rule(
            trigger="settle",
            sources=(S.ACCEPTED,),
            dest=S.SETTLED,
            description="The supplier's credit (or replacement, at zero) is received.",
        ),
        Rule(
            trigger="withdraw",
            sources=(S.DRAFT,),
            dest=S.REJECTED,
            needs_reason=True,
            description="Withdrawn before it was sent.",
        ),
    ],
)
