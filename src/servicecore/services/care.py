"""Customer care commands (seed 004, 客户关怀): plan, activate, execute, record, evaluate, close.

A care plan addresses one category of the host's customers (read through the
:class:`~servicecore.ports.CustomerDirectory` port) by one method:

* **SMS and e-mail** are sent by servicecore: executing the plan renders its content for each
  customer and asks for one :class:`~servicecore.ports.Notification` each, delivered after commit
  by :class:`~servicecore.services.notifications.NotifyingPublisher`. The key
  ``care:<plan>:<customer>`` lets senders drop a re-sent duplicate.
* **Letters** are rendered to printable HTML (the letter and its envelope, with print CSS) and
  returned; a ``CareLetterReady`` event per letter carries them to the host's printing.
* **Phone, visit and other** become :class:`~servicecore.model.care.CareTask` records on the plan,
  assigned round-robin to the participants, due when the schedule ends.

Content is a Jinja2 template rendered in a sandbox with ``StrictUndefined``
(:mod:`servicecore.services.templates`): it may name the fields in
:data:`~servicecore.services.templates.TEMPLATE_FIELDS` only, and naming another raises
:class:`~servicecore.errors.ValidationError` naming the template and the field, when the plan is
made (and, for anything the plan-time check cannot see, when it is executed). Letters are laid
out by :mod:`servicecore.services.letters`, where the customer's fields are HTML-escaped. The
names of both modules are re-exported here.

All commands check the policy command ``"care"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import attrs

from servicecore.errors import NotFound, ValidationError
from servicecore.lifecycle import CARE
from servicecore.model.care import (
    CareEffectiveness,
    CareOutcome,
    CarePlan,
    CareStatus,
    CareTask,
    CareTaskStatus,
)
from servicecore.model.common import CarePlanId, Money, TimeRange, exact, rounded_quotient
from servicecore.model.enums import CareMethod
from servicecore.model.lines import MoneyLine
from servicecore.ports import (
    CustomerContact,
    CustomerDirectory,
    Notification,
    NotificationChannel,
)
from servicecore.services.common import event, notify
from servicecore.services.context import CommandContext, command
from servicecore.services.letters import (
    DEFAULT_ENVELOPE_TEMPLATE,
    DEFAULT_LETTER_TEMPLATE,
    CareLetter,
    LetterLayout,
    render_letter,
)
from servicecore.services.templates import (
    TEMPLATE_FIELDS,
    check_template,
    render_template,
    template_fields,
)

__all__ = [
    "DEFAULT_ENVELOPE_TEMPLATE",
    "DEFAULT_LETTER_TEMPLATE",
    "TEMPLATE_FIELDS",
    "CareEvaluation",
    "CareExecution",
    "CareLetter",
    "LetterLayout",
    "UnreachedCustomer",
    "activate_care",
    "close_care",
    "complete_care_task",
    "evaluate_care",
    "execute_care",
    "invalidate_care",
    "plan_care",
    "record_care_cost",
    "render_template",
]

_NEEDS: Mapping[CareMethod, str] = {
    CareMethod.SMS: "phone",
    CareMethod.EMAIL: "email",
    CareMethod.LETTER: "postal_address",
    CareMethod.PHONE: "phone",
    CareMethod.VISIT: "postal_address",
}
_COST_OPEN = (CareStatus.PLAN, CareStatus.ACTIVE, CareStatus.EXECUTING)


@attrs.frozen
class UnreachedCustomer:
    """A customer of the plan's category that the plan's method cannot reach.

    Attributes:
        customer_id: The host's id.
        missing: The contact detail the method needs (``"email"``, ``"phone"``,
            ``"postal_address"``).
    """

    customer_id: str
    missing: str


@attrs.frozen
class CareExecution:
    """What executing a care plan did.

    Attributes:
        plan: The plan, now executing (with its tasks).
        notifications: SMS or e-mails requested, one per reachable customer.
        letters: Letters rendered, one per reachable customer.
        tasks: Tasks created, one per reachable customer.
        unreached: Customers lacking the contact detail the method needs (nothing was made for
            them).
    """

    plan: CarePlan
    notifications: tuple[Notification, ...] = ()
    letters: tuple[CareLetter, ...] = ()
    tasks: tuple[CareTask, ...] = ()
    unreached: tuple[UnreachedCustomer, ...] = ()


@attrs.frozen(kw_only=True)
class CareEvaluation:
    """A care plan's effectiveness, computed from what was recorded (see :func:`evaluate_care`).

    Attributes:
        effectiveness: The figures to close the plan with.
        total_cost: Sum of the plan's cost lines, exact.
        task_responses: Tasks done with a positive outcome (part of ``responses``).
        open_tasks: Tasks still open.
        cost_per_response: Total cost / responses, rounded half-even to 2 places; ``None``
            with no response.
        net_return: Expected sales uplift minus total cost, exact.
        roi: ``net_return / total_cost``, rounded half-even to 4 places; ``None`` when nothing
            was spent.
        unmeasured: The uplift figures left at 0 because no before/after measure was given
            (``"satisfaction_uplift_pct"``, ``"loyalty_uplift_pct"``).
    """

    effectiveness: CareEffectiveness
    total_cost: Money
    task_responses: int
    open_tasks: int
    cost_per_response: Money | None
    net_return: Money
    roi: Decimal | None
    unmeasured: tuple[str, ...]


@command("care")
def plan_care(
    cx: CommandContext,
    /,
    *,
    customer_category: str,
    method: CareMethod,
    content: str,
    schedule: TimeRange,
    currency: str,
    participants: Sequence[str],
    plan_id: str | None = None,
) -> CarePlan:
    """Make a care plan (state ``plan``) for the customers of ``customer_category``.

    Args:
        cx: Who acts, in which unit of work, under which settings.
        customer_category: The customer category addressed.
        method: How customers are reached.
        content: A Jinja2 template naming only
            :data:`~servicecore.services.templates.TEMPLATE_FIELDS` (the message of SMS and
            e-mail, the body of letters, the script of calls and visits).
        schedule: When the plan may be executed.
        currency: The currency of its costs and effectiveness.
        participants: Ids of the people carrying it out (tasks are assigned among them).
        plan_id: The id (default: a new one).

    Raises:
        PermissionDenied: The actor may not run ``care``.
        ValidationError: A bad field, or ``content`` does not parse or names an unknown field.
        DuplicateId: ``plan_id`` exists.
    """
    plan = CarePlan(
        id=CarePlanId(plan_id or cx.ids.new_id("CarePlan")),
        customer_category=customer_category,
        method=method,
        content=content,
        schedule=schedule,
        currency=currency,
        participants=tuple(participants),
    )
    check_template(content, "content", TEMPLATE_FIELDS)
    cx.check("care", plan)
    cx.create(CARE, plan)
    cx.uow.care_plans.add(plan)
    event(cx, "CarePlanned", plan, {"method": method, "category": customer_category})
    return plan


def _load(cx: CommandContext, plan_id: str) -> CarePlan:
    plan = cx.uow.care_plans.get(plan_id)
    cx.check("care", plan)
    return plan


@command("care")
def activate_care(
    cx: CommandContext,
    /,
    plan_id: str,
) -> CarePlan:
    """Approve a planned care plan (``plan`` → ``active``).

    Raises:
        NotFound: No such plan.
        PermissionDenied: The actor may not run ``care``.
        InvalidTransition: The plan is not in state ``plan``.
        TransitionRefused: It names no participants.
    """
    plan = _load(cx, plan_id)
    cx.fire(CARE, plan, "activate")
    cx.uow.care_plans.update(plan)
    event(cx, "CareActivated", plan)
    return plan


@command("care")
def invalidate_care(
    cx: CommandContext,
    /,
    plan_id: str,
    reason: str,
) -> CarePlan:
    """Drop a plan before it runs (``plan`` or ``active`` → ``invalid``).

    Raises:
        NotFound: No such plan.
        PermissionDenied: The actor may not run ``care``.
        InvalidTransition: The plan is executing, closed or invalid.
        TransitionRefused: ``reason`` is blank.
    """
    plan = _load(cx, plan_id)
    cx.fire(CARE, plan, "invalidate", reason=reason)
    cx.uow.care_plans.update(plan)
    event(cx, "CareInvalidated", plan, {"reason": reason})
    return plan


def _reach(method: CareMethod, customer: CustomerContact) -> str | None:
    needed = _NEEDS.get(method)
    if needed is None or getattr(customer, needed):
        return None
    return needed


@command("care")
def execute_care(
    cx: CommandContext,
    /,
    plan_id: str,
    directory: CustomerDirectory,
    *,
    subject: str = "{{ name }}",
    layout: LetterLayout | None = None,
) -> CareExecution:
    """Execute an active plan inside its schedule (``active`` → ``executing``).

    For each customer of the plan's category, in the directory's order: SMS and e-mail ask for
    one notification (sent after commit, key ``care:<plan>:<customer>``); letters are rendered
    (also handed to the host in a ``CareLetterReady`` event each); phone, visit and other make
    an open task, assigned to the participants in turn and due when the schedule ends.
    Customers without the detail the method needs (a phone for SMS and calls, an e-mail, a
    postal address for letters and visits) are reported in
    :attr:`CareExecution.unreached`, not failed.

    Args:
        cx: Who acts, in which unit of work, under which settings.
        plan_id: The plan.
        directory: The host's customers.
        subject: Template of the e-mail (and SMS) subject, over
            :data:`~servicecore.services.templates.TEMPLATE_FIELDS`.
        layout: How letters look (default :class:`~servicecore.services.letters.LetterLayout`).

    Raises:
        NotFound: No such plan.
        PermissionDenied: The actor may not run ``care``.
        InvalidTransition: The plan is not active.
        TransitionRefused: Now is outside the plan's schedule.
        ValidationError: ``subject`` or a template fails for a customer (naming the template
            and the field), or a rendered message is not a valid notification.
    """
    plan = _load(cx, plan_id)
    check_template(subject, "subject", TEMPLATE_FIELDS)
    cx.fire(CARE, plan, "execute")
    customers = list(directory.in_category(plan.customer_category))
    notifications: list[Notification] = []
    letters: list[CareLetter] = []
    tasks: list[CareTask] = []
    unreached: list[UnreachedCustomer] = []
    today = cx.now().date().isoformat()
    for customer in customers:
        missing = _reach(plan.method, customer)
        if missing is not None:
            unreached.append(UnreachedCustomer(customer.customer_id, missing))
            continue
        fields = template_fields(plan, customer)
        if plan.is_automatic:
            email = plan.method is CareMethod.EMAIL
            sent = Notification(
                channel=NotificationChannel.EMAIL if email else NotificationChannel.SMS,
                to=str(customer.email if email else customer.phone),
                subject=render_template(subject, fields, label="subject"),
                body=render_template(plan.content, fields),
                key=f"care:{plan.id}:{customer.customer_id}",
            )
            notify(cx, plan, sent)
            notifications.append(sent)
        elif plan.method is CareMethod.LETTER:
            letter = render_letter(plan, customer, layout or LetterLayout(), today)
            event(cx, "CareLetterReady", plan, attrs.asdict(letter))
            letters.append(letter)
        else:
            tasks.append(
                CareTask(
                    id=cx.ids.new_id("CareTask"),
                    customer_id=customer.customer_id,
                    method=plan.method,
                    due=plan.schedule.end,
                    assignee=plan.participants[len(tasks) % len(plan.participants)],
                )
            )
    plan.tasks = tuple(tasks)
    cx.uow.care_plans.update(plan)
    event(
        cx,
        "CareExecuted",
        plan,
        {
            "method": plan.method,
            "notifications": len(notifications),
            "letters": len(letters),
            "tasks": len(tasks),
            "unreached": [u.customer_id for u in unreached],
        },
    )
    return CareExecution(plan, tuple(notifications), tuple(letters), tuple(tasks), tuple(unreached))


@command("care")
def complete_care_task(
    cx: CommandContext,
    /,
    plan_id: str,
    task_id: str,
    outcome: CareOutcome,
    *,
    note: str = "",
) -> CarePlan:
    """Mark a task of an executing plan done, with its outcome.

    Raises:
        NotFound: No such plan, or no such task on it (kind ``"CareTask"``).
        PermissionDenied: The actor may not run ``care``.
        ValidationError: The plan is not executing, the task is already done, or a bad
            ``outcome`` or ``note``.
    """
    plan = _load(cx, plan_id)
    if plan.status is not CareStatus.EXECUTING:
        raise ValidationError.single(
            "plan_id", plan_id, f"is {plan.status.value}; tasks are completed while it executes"
        )
    found = [i for i, t in enumerate(plan.tasks) if t.id == task_id]
    if not found:
        raise NotFound("CareTask", task_id)
    index = found[0]
    task = plan.tasks[index]
    if task.status is CareTaskStatus.DONE:
        raise ValidationError.single("task_id", task_id, "is already done")
    done = attrs.evolve(
        task, status=CareTaskStatus.DONE, outcome=outcome, done_at=cx.now(), note=note
    )
    plan.tasks = (*plan.tasks[:index], done, *plan.tasks[index + 1 :])
    cx.uow.care_plans.update(plan)
    event(
        cx,
        "CareTaskCompleted",
        plan,
        {"task_id": task_id, "customer_id": task.customer_id, "outcome": outcome},
    )
    return plan


@command("care")
def record_care_cost(
    cx: CommandContext,
    /,
    plan_id: str,
    line: MoneyLine,
) -> CarePlan:
    """Add a cost line (postage, printing, SMS fees, travel) to a plan not yet closed.

    Raises:
        NotFound: No such plan.
        PermissionDenied: The actor may not run ``care``.
        ValidationError: ``line`` is not a :class:`~servicecore.model.lines.MoneyLine`, its
            amount is in another currency than the plan's, or the plan is closed or invalid.
    """
    plan = _load(cx, plan_id)
    if not isinstance(line, MoneyLine):
        raise ValidationError.single("line", line, "must be a MoneyLine")
    if plan.status not in _COST_OPEN:
        raise ValidationError.single(
            "plan_id", plan_id, f"is {plan.status.value}; costs are recorded before it closes"
        )
    if line.amount.currency != plan.currency:
        raise ValidationError.single("line.amount", line.amount, f"must be in {plan.currency}")
    plan.cost_lines = (*plan.cost_lines, line)
    cx.uow.care_plans.update(plan)
    event(cx, "CareCostRecorded", plan, {"line": line})
    return plan


@command("care")
def close_care(
    cx: CommandContext,
    /,
    plan_id: str,
    effectiveness: CareEffectiveness,
) -> CarePlan:
    """Close an executing plan with its effectiveness (see :func:`evaluate_care`).

    Raises:
        NotFound: No such plan.
        PermissionDenied: The actor may not run ``care``.
        InvalidTransition: The plan is not executing.
        ValidationError: ``effectiveness`` is not a
            :class:`~servicecore.model.care.CareEffectiveness` or is in another currency, or a
            task is still open (complete it first, e.g. as unreachable).
    """
    plan = _load(cx, plan_id)
    if not isinstance(effectiveness, CareEffectiveness):
        raise ValidationError.single("effectiveness", effectiveness, "must be CareEffectiveness")
    uplift = effectiveness.expected_sales_uplift
    if uplift.currency != plan.currency:
        raise ValidationError.single(
            "effectiveness.expected_sales_uplift", uplift, f"must be in {plan.currency}"
        )
    open_tasks = [t.id for t in plan.tasks if t.status is CareTaskStatus.OPEN]
    if plan.status is CareStatus.EXECUTING and open_tasks:
        raise ValidationError.single("tasks", open_tasks, "are still open")
    cx.fire(CARE, plan, "close")
    plan.effectiveness = effectiveness
    cx.uow.care_plans.update(plan)
    event(cx, "CareClosed", plan, {"effectiveness": effectiveness})
    return plan


def _uplift(label: str, before: Decimal | None, after: Decimal | None) -> Decimal | None:
    if before is None and after is None:
        return None
    if before is None or after is None:
        missing = label + ("_before" if before is None else "_after")
        raise ValidationError.single(missing, None, "give both the before and the after measure")
    if not isinstance(before, Decimal) or not before.is_finite() or before <= 0:
        raise ValidationError.single(f"{label}_before", before, "must be a positive Decimal")
    if not isinstance(after, Decimal) or not after.is_finite() or after < 0:
        raise ValidationError.single(f"{label}_after", after, "must be a Decimal >= 0")
    field = f"{label}_after"
    difference = exact("subtract", after, before, field=field)
    change = exact("multiply", difference, Decimal(100), field=field)
    return rounded_quotient(change, before, 1, field)


def evaluate_care(
    plan: CarePlan,
    *,
    replies: int = 0,
    leads: int = 0,
    opportunities: int = 0,
    expected_sales_uplift: Money | None = None,
    satisfaction_before: Decimal | None = None,
    satisfaction_after: Decimal | None = None,
    loyalty_before: Decimal | None = None,
    loyalty_after: Decimal | None = None,
) -> CareEvaluation:
    """Compute a plan's effectiveness from what is recorded, claiming nothing that is not.

    * ``responses`` = tasks done with outcome :attr:`~servicecore.model.care.CareOutcome.POSITIVE`
      + ``replies`` (answers to SMS, e-mail and letters, which only the host sees).
    * ``leads``, ``opportunities`` and ``expected_sales_uplift`` are the host's CRM figures,
      passed through (the uplift defaults to zero).
    * A satisfaction or loyalty uplift is ``(after - before) / before * 100`` of any measure
      the host takes before and after (an average survey score, a repurchase rate), rounded
      to 0.1; without a measure it stays 0 and is listed in
      :attr:`CareEvaluation.unmeasured`.
    * Cost per response, net return and ROI come from the plan's cost lines (see
      :class:`CareEvaluation`).

    Raises:
        ValidationError: A negative count, an uplift in another currency, only one of a
            before/after pair, a non-positive before measure, or an uplift outside -100 % to
            1000 %.
    """
    for name, count in (("replies", replies), ("leads", leads), ("opportunities", opportunities)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError.single(name, count, "must be an integer >= 0")
    uplift = Money.zero(plan.currency) if expected_sales_uplift is None else expected_sales_uplift
    if not isinstance(uplift, Money) or uplift.currency != plan.currency:
        raise ValidationError.single(
            "expected_sales_uplift", expected_sales_uplift, f"must be Money in {plan.currency}"
        )
    task_responses = sum(
        1
        for t in plan.tasks
        if t.status is CareTaskStatus.DONE and t.outcome is CareOutcome.POSITIVE
    )
    satisfaction = _uplift("satisfaction", satisfaction_before, satisfaction_after)
    loyalty = _uplift("loyalty", loyalty_before, loyalty_after)
    responses = task_responses + replies
    effectiveness = CareEffectiveness(
        responses=responses,
        leads=leads,
        opportunities=opportunities,
        expected_sales_uplift=uplift,
        satisfaction_uplift_pct=Decimal(0) if satisfaction is None else satisfaction,
        loyalty_uplift_pct=Decimal(0) if loyalty is None else loyalty,
    )
    cost = plan.total_cost()
    net = uplift - cost
    return CareEvaluation(
        effectiveness=effectiveness,
        total_cost=cost,
        task_responses=task_responses,
        open_tasks=sum(1 for t in plan.tasks if t.status is CareTaskStatus.OPEN),
        cost_per_response=(
            Money(rounded_quotient(cost.amount, Decimal(responses), 2, "cost"), cost.currency)
            if responses
            else None
        ),
        net_return=net,
        roi=rounded_quotient(net.amount, cost.amount, 4, "roi") if cost.amount else None,
        unmeasured=tuple(
            name
            for name, value in (
                ("satisfaction_uplift_pct", satisfaction),
                ("loyalty_uplift_pct", loyalty),
            )
            if value is None
        ),
    )
