"""The service contract lifecycle (服务合同: activate, extend, expire, terminate).

Dates are read in the contract's working-calendar timezone. Extending needs the ``new_end`` fact
(a :class:`~datetime.date`) and keeps a :class:`~servicecore.model.contract.ContractExtension`.
"""

from __future__ import annotations

from datetime import date

from servicecore.lifecycle.engine import Guard, Lifecycle, Rule, TransitionContext
from servicecore.lifecycle.facts import required
from servicecore.model.contract import ContractExtension, ContractStatus, ServiceContract

__all__ = ["CONTRACT"]


def _today(contract: ServiceContract, ctx: TransitionContext) -> date:
    return ctx.at.astimezone(contract.calendar.zone).date()


def _not_over(contract: ServiceContract, ctx: TransitionContext) -> str | None:
    today = _today(contract, ctx)
    return None if today <= contract.end else f"the period ended on {contract.end.isoformat()}"


def _over(contract: ServiceContract, ctx: TransitionContext) -> str | None:
    today = _today(contract, ctx)
    return None if today > contract.end else f"runs until {contract.end.isoformat()}"


def _later_end(contract: ServiceContract, ctx: TransitionContext) -> str | None:
    new_end = required(ctx.facts.new_end, "new_end")
    if new_end <= contract.end:
        return f"new end {new_end.isoformat()} is not after {contract.end.isoformat()}"
    if new_end < _today(contract, ctx):
        return f"new end {new_end.isoformat()} is already past"
    return None


def _extend(contract: ServiceContract, ctx: TransitionContext) -> None:
    new_end = required(ctx.facts.new_end, "new_end")
    record = ContractExtension(
        old_end=contract.end, new_end=new_end, at=ctx.at, by=ctx.actor.id, reason=ctx.reason
    )
    contract.extensions = (*contract.extensions, record)
    contract.end = new_end


PERIOD_NOT_OVER = Guard("period_not_over", "Today is not after the end date.", _not_over)
PERIOD_OVER = Guard("period_over", "Today is after the end date.", _over)
LATER_END = Guard(
    "later_end",
    "The new end date is later than the current one.",
    _later_end,
    needs=("new_end",),
)

S = ContractStatus

CONTRACT: Lifecycle[ServiceContract, ContractStatus] = Lifecycle(
    kind="ServiceContract",
    entity_type=ServiceContract,
    states=ContractStatus,
    initial=S.DRAFT,
    rules=[
        Rule(
            trigger="activate",
            sources=(S.DRAFT,),
            dest=S.ACTIVE,
            guards=(PERIOD_NOT_OVER,),
            description="Signed: coverage and SLA terms apply.",
        ),
        Rule(
            trigger="extend",
            sources=(S.ACTIVE, S.EXPIRED),
            dest=S.ACTIVE,
            guards=(LATER_END,),
            needs_reason=True,
            effects=(_extend,),
            needs=("new_end",),
            description="The period is extended (an expired contract is renewed); history kept.",
        ),
        Rule(
            trigger="expire",
            sources=(S.ACTIVE,),
            dest=S.EXPIRED,
            guards=(PERIOD_OVER,),
            description="The period ended (run by the clock).",
        ),
        Rule(
            trigger="terminate",
            sources=(S.DRAFT, S.ACTIVE),
            dest=S.TERMINATED,
            needs_reason=True,
            description="Ended early by either party.",
        ),
    ],
)
