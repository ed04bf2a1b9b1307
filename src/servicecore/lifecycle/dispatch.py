"""The dispatch order lifecycle (派工单: accept, reject, process, revoke).

Only the assigned technician accepts, rejects, starts and completes; a reason is required to
reject or revoke, and is kept on the order. Creating an order needs the ``request`` fact: closed,
cancelled or resolved requests take no new dispatch.
"""

from __future__ import annotations

from servicecore.lifecycle.engine import Guard, Lifecycle, Rule, TransitionContext
from servicecore.lifecycle.facts import required
from servicecore.lifecycle.guards import by_assigned_technician, keep_reason, stamp
from servicecore.model.dispatch import DispatchOrder, DispatchStatus
from servicecore.model.request import RequestStatus

__all__ = ["DISPATCH"]

_DISPATCHABLE = (RequestStatus.OPEN, RequestStatus.ASSIGNED, RequestStatus.IN_PROGRESS)


def _request_dispatchable(order: DispatchOrder, ctx: TransitionContext) -> str | None:
    request = required(ctx.facts.request, "request")
    if request.id != order.request_id:
        return f"the request given is {request.id}, the order names {order.request_id}"
    if request.status not in _DISPATCHABLE:
        return f"request {request.id} is {request.status.value}: it takes no new dispatch"
    return None


REQUEST_DISPATCHABLE = Guard(
    "request_dispatchable",
    "The request is open, assigned or in progress.",
    _request_dispatchable,
    needs=("request",),
)


def _clear_acceptance(order: DispatchOrder, _: TransitionContext) -> None:
    order.accepted_at = None


S = DispatchStatus

DISPATCH: Lifecycle[DispatchOrder, DispatchStatus] = Lifecycle(
    kind="DispatchOrder",
    entity_type=DispatchOrder,
    states=DispatchStatus,
    initial=S.ASSIGNED,
    create_guards=[REQUEST_DISPATCHABLE],
    rules=[
        Rule(
            trigger="accept",
            sources=(S.ASSIGNED,),
            dest=S.ACCEPTED,
            guards=(by_assigned_technician,),
            effects=(stamp("accepted_at"),),
            description="The technician takes the job.",
        ),
        Rule(
            trigger="reject",
            sources=(S.ASSIGNED,),
            dest=S.REJECTED,
            guards=(by_assigned_technician,),
            needs_reason=True,
            effects=(keep_reason("reject_reason"),),
            description="The technician declines, saying why; the request can be assigned again.",
        ),
        Rule(
            trigger="revoke",
            sources=(S.ASSIGNED, S.ACCEPTED),
            dest=S.REVOKED,
            needs_reason=True,
            effects=(keep_reason("revoke_reason"),),
            description="Withdrawn before work started: wrong assignment, technician left.",
        ),
        Rule(
            trigger="reassign",
            sources=(S.ASSIGNED, S.ACCEPTED),
            dest=S.ASSIGNED,
            needs_reason=True,
            effects=(_clear_acceptance,),
            description="Handed to another technician before work started; they must accept it.",
        ),
        Rule(
            trigger="move",
            sources=(S.ASSIGNED, S.ACCEPTED),
            needs_reason=True,
            description="Planned for another time before work started; the technician keeps it.",
        ),
        Rule(
            trigger="start",
            sources=(S.ACCEPTED,),
            dest=S.IN_PROGRESS,
            guards=(by_assigned_technician,),
            effects=(stamp("started_at"),),
            description="The technician is on site and working.",
        ),
        Rule(
            trigger="complete",
            sources=(S.IN_PROGRESS,),
            dest=S.COMPLETED,
            guards=(by_assigned_technician,),
            effects=(stamp("completed_at"),),
            description="The technician finished; the processing order records what was done.",
        ),
    ],
)
