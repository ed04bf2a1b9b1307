"""The processing order lifecycle (处理单): filled in while working, completed when it is whole."""

from __future__ import annotations

import attrs

from servicecore.lifecycle.engine import Guard, Lifecycle, Rule, TransitionContext
from servicecore.lifecycle.facts import required
from servicecore.model.processing import (
    ChecklistItem,
    Loaner,
    ProcessingOrder,
    ProcessingStatus,
    checklist_problems,
)

__all__ = ["PROCESSING"]


def _required_fields(order: ProcessingOrder, _: TransitionContext) -> str | None:
    missing = order.missing_for_completion()
    return f"required fields missing: {', '.join(missing)}" if missing else None


RECORDABLE = frozenset(
    {
        "solution_type",
        "solution_text",
        "fault_cause",
        "labour_hours",
        "parts_used",
        "returned_parts",
        "loaners",
        "income_lines",
        "cost_lines",
        "checklist",
    }
)
"""The fields a technician records on an open processing order."""


def _known_changes(order: ProcessingOrder, ctx: TransitionContext) -> str | None:
    changes = required(ctx.facts.changes, "changes")
    unknown = sorted(set(changes) - RECORDABLE)
    if unknown:
        return f"cannot record {', '.join(unknown)}; recordable: {', '.join(sorted(RECORDABLE))}"
    return None if changes else "nothing to record"


def _keeps_checklist(order: ProcessingOrder, ctx: TransitionContext) -> str | None:
    changes = required(ctx.facts.changes, "changes")
    if "checklist" not in changes:
        return None
    items = changes["checklist"]
    if not isinstance(items, tuple | list) or not all(isinstance(i, ChecklistItem) for i in items):
        return "checklist must be a sequence of ChecklistItem"
    twice = checklist_problems(items)
    if twice is not None:
        return twice
    dropped = sorted({i.code for i in order.checklist} - {i.code for i in items})
    if dropped:
        return f"checklist items cannot be removed: {', '.join(dropped)}"
    return None


def _apply_changes(order: ProcessingOrder, ctx: TransitionContext) -> None:
    for name, value in required(ctx.facts.changes, "changes").items():
        setattr(order, name, value)


def _loaner_returns_only(order: ProcessingOrder, ctx: TransitionContext) -> str | None:
    changes = required(ctx.facts.changes, "changes")
    if set(changes) != {"loaners"}:
        return "only loaners' returns are recorded here"
    new = changes["loaners"]
    if not isinstance(new, tuple) or len(new) != len(order.loaners):
        return "the loaners must be the order's own, each once"
    for old, now in zip(order.loaners, new, strict=True):
        if not isinstance(now, Loaner) or attrs.evolve(old, back_at=now.back_at) != now:
            return f"loaner {old.item_code}: only its return time may change"
        if old.back_at is not None and now.back_at != old.back_at:
            return f"loaner {old.item_code} came back at {old.back_at.isoformat()} already"
    return None


def _checklist_only(order: ProcessingOrder, ctx: TransitionContext) -> str | None:
    changes = required(ctx.facts.changes, "changes")
    if set(changes) != {"checklist"}:
        return "only the checklist is answered here"
    return None


def _request_not_closed(order: ProcessingOrder, ctx: TransitionContext) -> str | None:
    request = required(ctx.facts.request, "request")
    if request.id != order.request_id:
        return f"the facts name request {request.id}, not {order.request_id}"
    if request.status.is_final:
        return f"request {request.id} is {request.status.value}: its work is no longer changed"
    return None


CHECKLIST_ONLY = Guard(
    "checklist_only",
    "Only the checklist's answers are recorded, never the hours, parts or solution.",
    _checklist_only,
    needs=("changes",),
)
REQUEST_NOT_CLOSED = Guard(
    "request_not_closed",
    "The request of the work is not closed or cancelled.",
    _request_not_closed,
    needs=("request",),
)
LOANER_RETURNS_ONLY = Guard(
    "loaner_returns_only",
    "Only the return of lent items is recorded, never a change to what was lent.",
    _loaner_returns_only,
    needs=("changes",),
)
KNOWN_CHANGES = Guard(
    "known_changes",
    "Only the recordable fields, and at least one.",
    _known_changes,
    needs=("changes",),
)
CHECKLIST_KEPT = Guard(
    "checklist_kept",
    "A recorded checklist keeps every item already on the order, each code once.",
    _keeps_checklist,
    needs=("changes",),
)
REQUIRED_FIELDS = Guard(
    "required_fields",
    "Solution type, solution text and labour hours are filled (and the loaner, if any).",
    _required_fields,
)

S = ProcessingStatus

PROCESSING: Lifecycle[ProcessingOrder, ProcessingStatus] = Lifecycle(
    kind="ProcessingOrder",
    entity_type=ProcessingOrder,
    states=ProcessingStatus,
    initial=S.OPEN,
    rules=[
        Rule(
            trigger="record",
            sources=(S.OPEN,),
            guards=(KNOWN_CHANGES, CHECKLIST_KEPT),
            effects=(_apply_changes,),
            needs=("changes",),
            description="Hours, parts, returns, loaners, income, costs, solution or checklist "
            "answers recorded (each value validated).",
        ),
        Rule(
            trigger="answer_checklist",
            sources=(S.OPEN, S.COMPLETED),
            guards=(CHECKLIST_ONLY, CHECKLIST_KEPT, REQUEST_NOT_CLOSED),
            effects=(_apply_changes,),
            needs=("changes",),
            description="The checklist answered or corrected, also on completed work before its "
            "request closes (a supervisor's review), without reopening the work.",
        ),
        Rule(
            trigger="complete",
            sources=(S.OPEN,),
            dest=S.COMPLETED,
            guards=(REQUIRED_FIELDS,),
            description="What was done is fully recorded.",
        ),
        Rule(
            trigger="return_loaner",
            sources=(S.OPEN, S.COMPLETED, S.CANCELLED),
            guards=(LOANER_RETURNS_ONLY,),
            effects=(_apply_changes,),
            needs=("changes",),
            description="A lent item came back from the customer (also after the work is done "
            "or the order was cancelled).",
        ),
        Rule(
            trigger="reopen",
            sources=(S.COMPLETED,),
            dest=S.OPEN,
            needs_reason=True,
            description="A correction is needed before the request closes.",
        ),
        Rule(
            trigger="cancel",
            sources=(S.OPEN,),
            dest=S.CANCELLED,
            needs_reason=True,
            description="The dispatch behind it was revoked; nothing was done.",
        ),
    ],
)
