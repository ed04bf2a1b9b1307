"""The customer care plan lifecycle (客户关怀: plan, active, executing, closed, invalid)."""

from __future__ import annotations

from servicecore.lifecycle.engine import Guard, Lifecycle, Rule, TransitionContext
from servicecore.model.care import CarePlan, CareStatus

__all__ = ["CARE"]


def _has_participants(plan: CarePlan, _: TransitionContext) -> str | None:
    return None if plan.participants else "the plan names no participants"


def _schedule_open(plan: CarePlan, ctx: TransitionContext) -> str | None:
    if plan.schedule.start <= ctx.at < plan.schedule.end:
        return None
    return (
        f"the plan runs {plan.schedule.start.isoformat()} to {plan.schedule.end.isoformat()}, "
        f"not at {ctx.at.isoformat()}"
    )


HAS_PARTICIPANTS = Guard("has_participants", "Someone is named to carry it out.", _has_participants)
SCHEDULE_OPEN = Guard("schedule_open", "Now is inside the plan's schedule.", _schedule_open)

S = CareStatus

CARE: Lifecycle[CarePlan, CareStatus] = Lifecycle(
    kind="CarePlan",
    entity_type=CarePlan,
    states=CareStatus,
    initial=S.PLAN,
    rules=[
        Rule(
            trigger="activate",
            sources=(S.PLAN,),
            dest=S.ACTIVE,
            guards=(HAS_PARTICIPANTS,),
            description="Approved and waiting for its schedule.",
        ),
        Rule(
            trigger="execute",
            sources=(S.ACTIVE,),
            dest=S.EXECUTING,
            guards=(SCHEDULE_OPEN,),
            description="Messages go out, calls and visits become tasks.",
        ),
        Rule(
            trigger="close",
            sources=(S.EXECUTING,),
            dest=S.CLOSED,
            description="Done; costs and effectiveness are recorded.",
        ),
        Rule(
            trigger="invalidate",
            sources=(S.PLAN, S.ACTIVE),
            dest=S.INVALID,
            needs_reason=True,
            description="Dropped before it ran.",
        ),
    ],
)
