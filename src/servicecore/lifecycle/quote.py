"""The service quote lifecycle (服务报价: issue, change, void, expire, accept, reject).

Changing an issued quote keeps a frozen revision of the version the customer saw and opens the
next version as a draft, so every version stays queryable.
"""

from __future__ import annotations

from servicecore.lifecycle.engine import Guard, Lifecycle, Rule, TransitionContext
from servicecore.model.quote import Quote, QuoteStatus

__all__ = ["QUOTE"]


def _has_lines(quote: Quote, _: TransitionContext) -> str | None:
    return None if quote.service_lines or quote.part_lines else "the quote has no lines"


def _valid_after_now(quote: Quote, ctx: TransitionContext) -> str | None:
    if quote.valid_until > ctx.at:
        return None
    return f"valid until {quote.valid_until.isoformat()}, which is not after {ctx.at.isoformat()}"


def _validity_passed(quote: Quote, ctx: TransitionContext) -> str | None:
    if ctx.at >= quote.valid_until:
        return None
    return f"still valid until {quote.valid_until.isoformat()}"


def _new_version(quote: Quote, ctx: TransitionContext) -> None:
    quote.revisions = (*quote.revisions, quote.snapshot(ctx.at, ctx.actor.id, ctx.reason))
    quote.quote_version += 1


HAS_LINES = Guard("has_lines", "The quote has at least one service or part line.", _has_lines)
STILL_VALID = Guard("still_valid", "The validity date has not passed.", _valid_after_now)
VALIDITY_PASSED = Guard("validity_passed", "The validity date has passed.", _validity_passed)

S = QuoteStatus

QUOTE: Lifecycle[Quote, QuoteStatus] = Lifecycle(
    kind="Quote",
    entity_type=Quote,
    states=QuoteStatus,
    initial=S.DRAFT,
    rules=[
        Rule(
            trigger="issue",
            sources=(S.DRAFT,),
            dest=S.ISSUED,
            guards=(HAS_LINES, STILL_VALID),
            description="Sent to the customer.",
        ),
        Rule(
            trigger="change",
            sources=(S.ISSUED,),
            dest=S.DRAFT,
            needs_reason=True,
            effects=(_new_version,),
            description="The issued version is kept as a revision; the next version is drafted.",
        ),
        Rule(
            trigger="accept",
            sources=(S.ISSUED,),
            dest=S.ACCEPTED,
            guards=(STILL_VALID,),
            description="The customer accepts before the validity date.",
        ),
        Rule(
            trigger="reject",
            sources=(S.ISSUED,),
            dest=S.REJECTED,
            needs_reason=True,
            description="The customer declines.",
        ),
        Rule(
            trigger="void",
            sources=(S.DRAFT, S.ISSUED),
            dest=S.VOIDED,
            needs_reason=True,
            description="Withdrawn by the service company.",
        ),
        Rule(
            trigger="expire",
            sources=(S.ISSUED,),
            dest=S.EXPIRED,
            guards=(VALIDITY_PASSED,),
            description="The validity date passed without an answer (run by the clock).",
        ),
    ],
)
