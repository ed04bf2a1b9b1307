"""The spare-part plan lifecycle (备件计划: draft, approved, closed).

A plan is approved while its period has not ended, and closed only once no transfer request made
from it is still requested or in transit.
"""

from __future__ import annotations

from servicecore.lifecycle.engine import Guard, Lifecycle, Rule, TransitionContext
from servicecore.lifecycle.facts import required
from servicecore.model.parts import (
    SparePartPlan,
    SparePartPlanStatus,
)

__all__ = ["SPARE_PART_PLAN"]


def _period_not_over(plan: SparePartPlan, ctx: TransitionContext) -> str | None:
    today = ctx.at.date()
    if today <= plan.period_end:
        return None
    return f"the period ended on {plan.period_end.isoformat()}"


def _no_open_transfers(plan: SparePartPlan, ctx: TransitionContext) -> str | None:
    open_ids = []
    for item in required(ctx.facts.transfers, "transfers"):
        if item.plan_id == plan.id and item.status.is_live:
            open_ids.append(item.id)
    if open_ids:
        return f"transfers still open: {', '.join(sorted(open_ids))}"
    return None


PERIOD_NOT_OVER = Guard("period_not_over", "The plan's period has not ended yet.", _period_not_over)
NO_OPEN_TRANSFERS = Guard(
    "no_open_transfers",
    "No transfer request made from the plan is requested or in transit.",
    _no_open_transfers,
    needs=("transfers",),
)

S = SparePartPlanStatus

SPARE_PART_PLAN: Lifecycle[SparePartPlan, SparePartPlanStatus] = Lifecycle(
    kind="SparePartPlan",
    entity_type=SparePartPlan,
    states=SparePartPlanStatus,
    initial=S.DRAFT,
    rules=[
        Rule(
            trigger="approve",
            sources=(S.DRAFT,),
            dest=S.APPROVED,
            guards=(PERIOD_NOT_OVER,),
            description="Approved for stocking; transfers may now be pushed down from it.",
        ),
        Rule(
            trigger="close",
            sources=(S.APPROVED,),
            dest=S.CLOSED,
            guards=(NO_OPEN_TRANSFERS,),
            description="Done with: every transfer made from it was received or cancelled.",
        ),
    ],
)
