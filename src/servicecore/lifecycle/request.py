"""The service request lifecycle (服务请求单: register, assign, process, close).

Facts the guards read from the :class:`~servicecore.lifecycle.engine.TransitionContext`:

- ``archive`` (:class:`~servicecore.model.archive.ProductArchive`) when creating a request for an
  installed product: it must be registered (an invalidated archive takes no new requests);
- ``dispatches`` (sequence of :class:`~servicecore.model.dispatch.DispatchOrder`) for ``assign``,
  ``start``, ``unassign`` and ``cancel``;
- ``processing_orders``, ``evidence`` and ``closure_policy`` for ``resolve`` and ``close``.
"""

from __future__ import annotations

from servicecore.errors import ClosurePolicyError
from servicecore.lifecycle.engine import Guard, Lifecycle, Rule, TransitionContext
from servicecore.lifecycle.facts import required
from servicecore.model.archive import ArchiveStatus
from servicecore.model.common import TimeRange
from servicecore.model.dispatch import DispatchOrder, DispatchStatus
from servicecore.model.processing import ProcessingOrder, ProcessingStatus
from servicecore.model.request import Closure, RequestStatus, ServiceRequest

__all__ = ["REQUEST"]


def _dispatches(req: ServiceRequest, ctx: TransitionContext) -> list[DispatchOrder]:
    orders = required(ctx.facts.dispatches, "dispatches")
    return [d for d in orders if d.request_id == req.id]


def _archive_registered(req: ServiceRequest, ctx: TransitionContext) -> str | None:
    if req.archive_id is None:
        return None
    archive = required(ctx.facts.archive, "archive")
    if archive.id != req.archive_id:
        return f"the archive given is {archive.id}, the request names {req.archive_id}"
    if archive.status is not ArchiveStatus.REGISTERED:
        return f"product archive {archive.id} is {archive.status.value}, not registered"
    return None


def _has_live_dispatch(req: ServiceRequest, ctx: TransitionContext) -> str | None:
    live = [d for d in _dispatches(req, ctx) if d.status.is_live]
    return None if live else "no dispatch order is assigned, accepted or in progress"


def _no_live_dispatch(req: ServiceRequest, ctx: TransitionContext) -> str | None:
    live = [d.id for d in _dispatches(req, ctx) if d.status.is_live]
    return f"dispatch orders still live: {', '.join(live)}" if live else None


def _work_started(req: ServiceRequest, ctx: TransitionContext) -> str | None:
    started = [d for d in _dispatches(req, ctx) if d.status is DispatchStatus.IN_PROGRESS]
    return None if started else "no dispatch order is in progress"


def _processing(req: ServiceRequest, ctx: TransitionContext) -> list[ProcessingOrder]:
    orders = required(ctx.facts.processing_orders, "processing_orders")
    return [p for p in orders if p.request_id == req.id]


def _processing_complete(req: ServiceRequest, ctx: TransitionContext) -> str | None:
    mine = _processing(req, ctx)
    still_open = [p.id for p in mine if p.status is ProcessingStatus.OPEN]
    if still_open:
        return f"processing orders still open: {', '.join(still_open)}"
    if not any(p.status is ProcessingStatus.COMPLETED for p in mine):
        return "no completed processing order"
    return None


def _closure_policy_holds(req: ServiceRequest, ctx: TransitionContext) -> str | None:
    policy = required(ctx.facts.closure_policy, "closure_policy")
    evidence = required(ctx.facts.evidence, "evidence")
    visits = required(ctx.facts.dispatches, "dispatches")
    problems = policy.problems(req, _processing(req, ctx), evidence, visits)
    return "; ".join(problems) if problems else None


def _closes_directly(req: ServiceRequest, _: TransitionContext) -> str | None:
    if req.service_type.closes_directly:
        return None
    return (
        "only consults, complaints and phone contacts close without dispatch; "
        f"this is {req.service_type.value}"
    )


def _responded(req: ServiceRequest, ctx: TransitionContext) -> None:
    if req.responded_at is None:
        req.responded_at = ctx.at


def _hold(req: ServiceRequest, ctx: TransitionContext) -> None:
    req.held_since = ctx.at


def _resume(req: ServiceRequest, ctx: TransitionContext) -> None:
    if req.held_since is not None and ctx.at > req.held_since:
        req.holds = (*req.holds, TimeRange(req.held_since, ctx.at))
    req.held_since = None


def _carry_fault_cause(req: ServiceRequest, ctx: TransitionContext) -> None:
    if req.fault_cause is not None:
        return  # a cause recorded on the request itself wins
    found = [
        p.fault_cause
        for p in _processing(req, ctx)
        if p.status is ProcessingStatus.COMPLETED and p.fault_cause
    ]
    if found:
        req.fault_cause = "; ".join(dict.fromkeys(found))


def _close(req: ServiceRequest, ctx: TransitionContext) -> None:
    req.closure = Closure(closed_at=ctx.at, closed_by=ctx.actor.id, summary=ctx.reason)
    if req.responded_at is None:
        req.responded_at = ctx.at


ARCHIVE_REGISTERED = Guard(
    "archive_registered",
    "A request for an installed product needs its archive registered (not draft or invalidated).",
    _archive_registered,
    needs=("archive",),
)
HAS_LIVE_DISPATCH = Guard(
    "has_live_dispatch",
    "At least one dispatch order is live.",
    _has_live_dispatch,
    needs=("dispatches",),
)
NO_LIVE_DISPATCH = Guard(
    "no_live_dispatch", "No dispatch order is live.", _no_live_dispatch, needs=("dispatches",)
)
WORK_STARTED = Guard(
    "work_started", "A dispatch order is in progress.", _work_started, needs=("dispatches",)
)
PROCESSING_COMPLETE = Guard(
    "processing_complete",
    "Every processing order is completed or cancelled, and at least one is completed.",
    _processing_complete,
    needs=("processing_orders",),
)
CLOSURE_POLICY = Guard(
    "closure_policy",
    "The customer's closure policy holds: photos before and after, signature, fault cause.",
    _closure_policy_holds,
    ClosurePolicyError,
    needs=("closure_policy", "processing_orders", "evidence", "dispatches"),
)
CLOSES_DIRECTLY = Guard(
    "closes_directly",
    "Only consults, complaints and phone contacts close without dispatch.",
    _closes_directly,
)

S = RequestStatus

REQUEST: Lifecycle[ServiceRequest, RequestStatus] = Lifecycle(
    kind="ServiceRequest",
    entity_type=ServiceRequest,
    states=RequestStatus,
    initial=S.OPEN,
    create_guards=[ARCHIVE_REGISTERED],
    rules=[
        Rule(
            trigger="assign",
            sources=(S.OPEN,),
            dest=S.ASSIGNED,
            guards=(HAS_LIVE_DISPATCH,),
            description="A technician has been dispatched.",
        ),
        Rule(
            trigger="unassign",
            sources=(S.ASSIGNED,),
            dest=S.OPEN,
            guards=(NO_LIVE_DISPATCH,),
            description="Every dispatch was rejected or revoked: the request is assignable again.",
        ),
        Rule(
            trigger="start",
            sources=(S.ASSIGNED,),
            dest=S.IN_PROGRESS,
            guards=(WORK_STARTED,),
            effects=(_responded,),
            description="A technician started work; the response time is met here.",
        ),
        Rule(
            trigger="hold",
            sources=(S.IN_PROGRESS,),
            dest=S.ON_HOLD,
            needs_reason=True,
            effects=(_hold,),
            description="Waiting for the customer or for parts; the SLA clock stops.",
        ),
        Rule(
            trigger="resume",
            sources=(S.ON_HOLD,),
            dest=S.IN_PROGRESS,
            effects=(_resume,),
            description="Work goes on; the time on hold is added up.",
        ),
        Rule(
            trigger="resolve",
            sources=(S.IN_PROGRESS,),
            dest=S.RESOLVED,
            guards=(PROCESSING_COMPLETE,),
            description="The work is done and recorded in processing orders.",
        ),
        Rule(
            trigger="reopen",
            sources=(S.RESOLVED,),
            dest=S.IN_PROGRESS,
            needs_reason=True,
            description="The fix did not hold, or the customer disputes it.",
        ),
        Rule(
            trigger="close",
            sources=(S.RESOLVED,),
            dest=S.CLOSED,
            guards=(PROCESSING_COMPLETE, CLOSURE_POLICY),
            needs_reason=True,
            effects=(_close, _carry_fault_cause),
            needs=("processing_orders",),
            description="Closed with a summary (the reason) once the closure policy holds; the "
            "fault cause found in the work is kept on the request for the reports.",
        ),
        Rule(
            trigger="close",
            sources=(S.OPEN,),
            dest=S.CLOSED,
            guards=(CLOSES_DIRECTLY,),
            needs_reason=True,
            effects=(_close,),
            description="A consult request is answered and closed directly, without dispatch.",
        ),
        Rule(
            trigger="regrade",
            sources=(S.OPEN, S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD),
            needs_reason=True,
            description="Priority, service type or required skills corrected (the work turned "
            "out to be another kind); the SLA due times are recomputed.",
        ),
        Rule(
            trigger="cancel",
            sources=(S.OPEN, S.ASSIGNED),
            dest=S.CANCELLED,
            guards=(NO_LIVE_DISPATCH,),
            needs_reason=True,
            description="Withdrawn before work started (revoke its dispatches first).",
        ),
    ],
)
